import { REDACTED, configIssues, mergeRedacted, redactConfig, secret, secretPaths, secretValues } from './config.js';
import { z } from 'zod';

const schema = z.object({
  appId: z.string(),
  appSecret: secret(),
  token: secret(z.string().regex(/^[a-z]+$/)).describe('the console token'),
  encodingAESKey: secret().optional(),
  nested: z.object({ apiKey: secret().default('dflt-key-1234') }).optional(),
  accounts: z.array(z.object({ id: z.string(), password: secret() })).default([]),
});

describe('secret config fields', () => {
  it('finds secrets through optional, default, describe, nested objects and arrays', () => {
    expect(secretPaths(schema)).toEqual([['appSecret'], ['token'], ['encodingAESKey'], ['nested', 'apiKey'], ['accounts', '*', 'password']]);
  });

  it('redacts set secrets, leaves the rest', () => {
    const cfg = { appId: 'wx1', appSecret: 'very-secret', token: 'tok', encodingAESKey: undefined, nested: { apiKey: 'k-1234' }, accounts: [{ id: 'a', password: 'pw-1234' }] };
    expect(redactConfig(schema, cfg)).toEqual({ appId: 'wx1', appSecret: REDACTED, token: REDACTED, encodingAESKey: undefined, nested: { apiKey: REDACTED }, accounts: [{ id: 'a', password: REDACTED }] });
    expect(cfg.appSecret).toBe('very-secret'); // a copy
    expect(secretValues(schema, cfg).sort()).toEqual(['k-1234', 'pw-1234', 'very-secret']); // 'tok' is too short to scrub safely
  });

  it('keeps stored secrets when an update echoes REDACTED', () => {
    const prev = { appId: 'wx1', appSecret: 'old-secret', token: 'tok' };
    expect(mergeRedacted(schema, prev, { appId: 'wx2', appSecret: REDACTED, token: 'newtok' })).toEqual({ appId: 'wx2', appSecret: 'old-secret', token: 'newtok' });
  });

  it('reports issues by path, never with the offending value', () => {
    const r = schema.safeParse({ appId: 1, appSecret: '', token: 'UPPER-CASE-SECRET' });
    expect(r.success).toBe(false);
    const issues = configIssues(r.error);
    expect(issues.map((i) => i.path)).toEqual(['appId', 'appSecret', 'token']);
    expect(JSON.stringify(issues)).not.toContain('UPPER-CASE-SECRET');
  });
});

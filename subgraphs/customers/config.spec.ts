import { randomBytes } from 'node:crypto';
import { DEV_PII_HASH_KEY, DEV_PII_KEYS, developmentCustomersConfig, loadCustomersConfig } from './config.js';

const key = () => randomBytes(32).toString('base64');
const error = (env: NodeJS.ProcessEnv) => {
  try {
    loadCustomersConfig(env);
    return 'accepted';
  } catch (e) {
    return (e as Error).message;
  }
};

describe('customers config (PII keys)', () => {
  it('defaults to the fixed development keys outside production', () => {
    const c = developmentCustomersConfig();
    expect(c.pii.activeKeyId).toBe('dev1');
    expect(c.pii.keys.get('dev1')?.length).toBe(32);
    expect(c.pii.hashKey.length).toBe(32);
    expect(loadCustomersConfig({ NODE_ENV: 'test' }).pii.activeKeyId).toBe('dev1');
  });

  it('refuses the development keys in production', () => {
    expect(error({ NODE_ENV: 'production' })).toMatch(/PII_KEYS: the development key is refused in production/);
    expect(error({ NODE_ENV: 'production', PII_KEYS: `k1:${key()}` })).toMatch(/PII_HASH_KEY: the development key is refused/);
    expect(error({ NODE_ENV: 'production', PII_KEYS: `k1:${key()},${DEV_PII_KEYS}`, PII_ACTIVE_KEY_ID: 'k1', PII_HASH_KEY: key() })).toMatch(/PII_KEYS/);
    expect(error({ NODE_ENV: 'production', PII_KEYS: `k1:${key()}`, PII_HASH_KEY: key() })).toBe('accepted');
    expect(DEV_PII_HASH_KEY).not.toBe('');
  });

  it('parses several keys and the active one, for rotation', () => {
    const c = loadCustomersConfig({ PII_KEYS: `k1:${key()}, k2:${key()}`, PII_ACTIVE_KEY_ID: 'k2', PII_HASH_KEY: key() });
    expect([...c.pii.keys.keys()]).toEqual(['k1', 'k2']);
    expect(c.pii.activeKeyId).toBe('k2');
  });

  it('names what is wrong', () => {
    expect(error({ PII_KEYS: `k1:${key()},k2:${key()}` })).toMatch(/PII_ACTIVE_KEY_ID: is required when PII_KEYS holds several keys/);
    expect(error({ PII_KEYS: `k1:${key()}`, PII_ACTIVE_KEY_ID: 'k9' })).toMatch(/PII_ACTIVE_KEY_ID: must be one of the ids/);
    expect(error({ PII_KEYS: `k1:${randomBytes(16).toString('base64')}` })).toMatch(/key k1 must be 32 bytes/);
    expect(error({ PII_KEYS: `k1:${key()},k1:${key()}`, PII_ACTIVE_KEY_ID: 'k1' })).toMatch(/appears twice/);
    expect(error({ PII_KEYS: 'no-colon' })).toMatch(/"<id>:<base64>"/);
    expect(error({ PII_HASH_KEY: 'c2hvcnQ=' })).toMatch(/PII_HASH_KEY: must be 32 bytes/);
  });
});

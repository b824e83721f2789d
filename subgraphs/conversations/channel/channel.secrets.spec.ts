import { randomBytes } from 'node:crypto';
import { ChannelConfigError, createMemoryLogger, createPluginHost } from '../../../plugins/host/index.js';
import { KeyedCipher, keyringProblems, parseKeyring } from '../../_shared/keyring.js';
import { ChannelSecrets, isSealed } from './channel.secrets.js';

const k1 = randomBytes(32);
const k2 = randomBytes(32);
const host = createPluginHost({ plugins: ['builtins'], logger: createMemoryLogger() });
const secrets = (active: string, keys: Record<string, Buffer> = { k1, k2 }) => new ChannelSecrets(new KeyedCipher(new Map(Object.entries(keys)), active), host);

const OA = { appId: 'wx4ab900c96f6b0360', appSecret: 'app-secret-0123456789', token: 'QDG6eK', encodingAESKey: 'jWmYm7qr5nMoAUwZRjGtBxmz3KA1tkAj3ykkR6q2B2C', mode: 'safe' };
const ch = { id: '0b7c2a64-4f2e-4c1b-9a51-6f1f3c1d2e01', tenantId: 't1', type: 'wechat-oa' };

describe('ChannelSecrets (channel config secrets sealed with the shared AES-256-GCM keyring)', () => {
  it("seals exactly the fields the plugin marks secret, and opens them again", () => {
    const s = secrets('k1');
    const sealed = s.seal(ch, OA);
    expect(sealed.appId).toBe(OA.appId);
    expect(sealed.mode).toBe('safe');
    for (const f of ['appSecret', 'token', 'encodingAESKey'] as const) {
      expect(isSealed(sealed[f])).toBe(true);
      expect((sealed[f] as unknown as { $enc: string }).$enc).toMatch(/^k1:/);
    }
    const raw = JSON.stringify(sealed);
    for (const v of [OA.appSecret, OA.token, OA.encodingAESKey]) expect(raw).not.toContain(v);
    expect(s.open(ch, sealed)).toEqual(OA);
    expect(s.needsSealing(ch, sealed)).toBe(false);
    expect(s.needsSealing(ch, OA)).toBe(true); // a plaintext row from before encryption
    expect(s.open(ch, OA)).toEqual(OA); // ... still opens (nothing to decrypt)
  });

  it('binds each value to its tenant, channel and field: a copied value does not open', () => {
    const s = secrets('k1');
    const sealed = s.seal(ch, OA);
    expect(() => s.open({ ...ch, id: '0b7c2a64-4f2e-4c1b-9a51-6f1f3c1d2e02' }, sealed)).toThrow(ChannelConfigError);
    expect(() => s.open({ ...ch, tenantId: 't2' }, sealed)).toThrow(ChannelConfigError);
    expect(() => s.open(ch, { ...sealed, token: sealed.appSecret })).toThrow(/token: cannot be decrypted/);
  });

  it('rotates: values under the old key open while it is configured, seal moves them to the active key; a retired key names the field', () => {
    const old = secrets('k1').seal(ch, OA);
    const s = secrets('k2');
    expect(s.needsSealing(ch, old)).toBe(true);
    expect(s.open(ch, old)).toEqual(OA);
    const moved = s.seal(ch, old);
    expect((moved.appSecret as unknown as { $enc: string }).$enc).toMatch(/^k2:/);
    expect(s.needsSealing(ch, moved)).toBe(false);
    expect(s.open(ch, moved)).toEqual(OA);
    let err: unknown;
    try { secrets('k2', { k2 }).open(ch, old); } catch (e) { err = e; }
    expect(err).toBeInstanceOf(ChannelConfigError);
    expect((err as Error).message).toMatch(/appSecret: sealed with key k1, which is not configured/);
    expect((err as Error).message).not.toContain(OA.appSecret);
  });

  it('redacts sealed values wherever they are, and leaves unknown channel types in plaintext', () => {
    const s = secrets('k1');
    const sealed = s.seal(ch, OA);
    expect(s.redact(sealed)).toEqual({ appId: OA.appId, appSecret: '[redacted]', token: '[redacted]', encodingAESKey: '[redacted]', mode: 'safe' });
    expect(s.redact({ nested: [{ x: sealed.token }] })).toEqual({ nested: [{ x: '[redacted]' }] });
    expect(s.seal({ ...ch, type: 'no-such-type' }, { apiKey: 'plain' })).toEqual({ apiKey: 'plain' });
    expect(s.sealedPaths({ a: sealed.token, b: [1, sealed.appSecret] })).toEqual(['a', 'b.1']);
  });

  it('seals the partner-api secret and the previous one kept during a rotation', () => {
    const s = secrets('k1');
    const p = { ...ch, type: 'partner-api' };
    const cfg = { secret: 'x'.repeat(43), previousSecret: 'y'.repeat(43), callbackUrl: 'https://partner.example/cb' };
    const sealed = s.seal(p, cfg);
    // The whole secrets, not a few letters of them: base64 ciphertext contains "yyyy" by chance (CI saw it once).
    expect(JSON.stringify(sealed)).not.toContain(cfg.secret);
    expect(JSON.stringify(sealed)).not.toContain(cfg.previousSecret);
    expect(sealed.callbackUrl).toBe(cfg.callbackUrl);
    expect(s.open(p, sealed)).toEqual(cfg);
  });
});

describe('shared keyring settings', () => {
  const key = () => randomBytes(32).toString('base64');
  it('parses key lists and names what is wrong', () => {
    expect([...parseKeyring(`k1:${key()}, k2:${key()}`).keys.keys()]).toEqual(['k1', 'k2']);
    expect(parseKeyring('nope').problems[0]).toMatch(/"<id>:<base64>"/);
    expect(keyringProblems(`k1:${key()},k2:${key()}`, undefined)).toEqual([{ setting: 'active', message: 'is required when several keys are configured' }]);
    expect(keyringProblems(`k1:${key()}`, 'k9')).toEqual([{ setting: 'active', message: 'must be one of the configured key ids' }]);
    expect(keyringProblems(`k1:${key()}`, undefined)).toEqual([]);
  });
});

import { z } from 'zod';
import { parseEnv } from '../_shared/env.js';
import { parseKeyring } from '../_shared/keyring.js';

/** Settings of the PII vault: AES-256-GCM keys by id (for rotation), which one encrypts, and the lookup-hash key. */
export interface PiiSettings {
  keys: ReadonlyMap<string, Buffer>;
  activeKeyId: string;
  hashKey: Buffer;
}

export interface CustomersConfig {
  pii: PiiSettings;
}

// Fixed development keys so that `npm start` and the tests need no setup; production refuses them.
const devKey = (s: string) => Buffer.from(s, 'utf8').toString('base64');
export const DEV_PII_KEYS = `dev1:${devKey('huiliu-dev-pii-encryption-key-32')}`;
export const DEV_PII_HASH_KEY = devKey('huiliu-dev-pii-lookup-hmac-key!!');

/** `k1:<base64 of 32 bytes>,k2:...` → key id → key (the shared keyring's parser, under its historical name). */
export const parsePiiKeys = parseKeyring;

const schema = z
  .object({
    NODE_ENV: z.enum(['development', 'production', 'test']).default('development'),
    PII_KEYS: z.string().default(DEV_PII_KEYS),
    PII_ACTIVE_KEY_ID: z.string().optional(),
    PII_HASH_KEY: z.string().default(DEV_PII_HASH_KEY),
  })
  .superRefine((v, ctx) => {
    const { keys, problems } = parsePiiKeys(v.PII_KEYS);
    for (const message of problems) ctx.addIssue({ code: 'custom', path: ['PII_KEYS'], message });
    if (v.PII_ACTIVE_KEY_ID !== undefined && !keys.has(v.PII_ACTIVE_KEY_ID)) {
      ctx.addIssue({ code: 'custom', path: ['PII_ACTIVE_KEY_ID'], message: 'must be one of the ids in PII_KEYS' });
    }
    if (v.PII_ACTIVE_KEY_ID === undefined && keys.size > 1) {
      ctx.addIssue({ code: 'custom', path: ['PII_ACTIVE_KEY_ID'], message: 'is required when PII_KEYS holds several keys' });
    }
    if (Buffer.from(v.PII_HASH_KEY, 'base64').length !== 32) {
      ctx.addIssue({ code: 'custom', path: ['PII_HASH_KEY'], message: 'must be 32 bytes, base64-encoded' });
    }
    if (v.NODE_ENV === 'production') {
      const dev = parsePiiKeys(DEV_PII_KEYS).keys.get('dev1')!;
      if ([...keys.values()].some((k) => k.equals(dev))) {
        ctx.addIssue({ code: 'custom', path: ['PII_KEYS'], message: 'the development key is refused in production; set your own keys' });
      }
      if (v.PII_HASH_KEY === DEV_PII_HASH_KEY) {
        ctx.addIssue({ code: 'custom', path: ['PII_HASH_KEY'], message: 'the development key is refused in production; set your own key' });
      }
    }
  })
  .transform((v): CustomersConfig => {
    const { keys } = parsePiiKeys(v.PII_KEYS);
    return { pii: { keys, activeKeyId: v.PII_ACTIVE_KEY_ID ?? [...keys.keys()][0], hashKey: Buffer.from(v.PII_HASH_KEY, 'base64') } };
  });

/** The customers deployable's own settings (besides the ones every subgraph shares), parsed once at boot. */
export const loadCustomersConfig = (env: NodeJS.ProcessEnv): CustomersConfig => parseEnv(schema, env);

/** What the embedded mode and the tests run with: the fixed development keys. */
export const developmentCustomersConfig = (): CustomersConfig => loadCustomersConfig({ NODE_ENV: 'development' });

import { z } from 'zod';
import { parseEnv } from '../_shared/env.js';
import { summarizerConfigSchema, type SummarizerConfig } from '../../plugins/ai-summarizer/index.js';
import { parsePluginList } from '../../plugins/host/index.js';
import { DEV_JWT_SECRET } from '../_shared/env.js';
import { parseKeyring, keyringProblems } from '../_shared/keyring.js';
import { DEFAULT_ACK_TARGET_MS, DEFAULT_BATCH_WAIT_MS, DEFAULT_GROUP_COMMIT_MS, DEFAULT_RETENTION_DAYS, DEV_CHANNEL_SECRET_KEYS, type IngestConfig } from './ingest/ingest.config.js';

/** The conversations deployable's own settings; the shared ones (port, database, Redis, JWT) are read by runMain. */
export interface ConversationsConfig {
  /** Default reopen window for tenants that did not set theirs (conversationSettings). */
  reopenWindowHours: number;
  /** Which summarizer writes handoff summaries: the built-in extractive one unless an LLM is configured. */
  summarizer: SummarizerConfig;
  /** Channel plugins, webhooks and delivery (defaults: DEFAULT_INGEST_CONFIG). */
  ingest?: Partial<IngestConfig>;
}

export const DEFAULT_CONVERSATIONS_CONFIG: ConversationsConfig = { reopenWindowHours: 72, summarizer: { provider: 'builtin' } };

// docker compose passes `${VAR:-}` as an empty string: the same as not set.
const emptyIsUnset = z.string().optional().transform((x) => (x ? x : undefined));

const schema = z
  .object({
    REOPEN_WINDOW_HOURS: z.coerce.number().int().min(0).max(24 * 90).default(72),
    SUMMARIZER_PROVIDER: z.enum(['builtin', 'openai']).default('builtin'),
    SUMMARIZER_LLM_BASE_URL: z.string().url().optional(),
    SUMMARIZER_LLM_API_KEY: z.string().min(1).optional(),
    SUMMARIZER_LLM_MODEL: z.string().min(1).optional(),
    SUMMARIZER_LLM_TIMEOUT_MS: z.coerce.number().int().min(100).max(60_000).default(5000),
    /** The customers subgraph's GraphQL URL (identity resolution for inbound messages). */
    CUSTOMERS_URL: z.string().url().optional(),
    JWT_SECRET: z.string().min(16).default(DEV_JWT_SECRET),
    /** Channel plugin list: JSON array or comma-separated (docs/plugins.md §3); default every built-in. */
    CHANNEL_PLUGINS: z.string().optional(),
    /** The public base of webhook URLs (the gateway). */
    PUBLIC_BASE_URL: z.string().url().default('http://localhost:4000'),
    INGEST_SWEEP_MS: z.coerce.number().int().min(0).max(600_000).default(2000),
    INGEST_MAX_ATTEMPTS: z.coerce.number().int().min(1).max(100).default(8),
    INGEST_RETRY_BASE_MS: z.coerce.number().int().min(10).max(600_000).default(1000),
    INGEST_CONCURRENCY: z.coerce.number().int().min(1).max(256).default(32),
    INGEST_ACK_TARGET_MS: z.coerce.number().int().min(0).max(60_000).default(DEFAULT_ACK_TARGET_MS),
    INGEST_GROUP_COMMIT_MS: z.coerce.number().int().min(0).max(1000).default(DEFAULT_GROUP_COMMIT_MS),
    INGEST_BATCH_WAIT_MS: z.coerce.number().int().min(0).max(60_000).default(DEFAULT_BATCH_WAIT_MS),
    INGEST_ROLE: z.enum(['all', 'receive']).default('all'),
    INGEST_RETENTION_DAYS: z.coerce.number().int().min(0).max(36_500).default(DEFAULT_RETENTION_DAYS),
    INGEST_PULL_MS: z.coerce.number().int().min(0).max(3_600_000).default(5000),
    /** Plugin crashes in a row that disable its channels on a replica (until POST /plugins/:id/enable). */
    CHANNEL_PLUGIN_DISABLE_AFTER: z.coerce.number().int().min(1).max(1000).default(1),
    /** Plugins may not call loopback, private or link-local addresses (default: in production). */
    CHANNEL_HTTP_BLOCK_PRIVATE: z.enum(['true', 'false']).optional(),
    NODE_ENV: z.enum(['development', 'production', 'test']).default('development'),
    /** AES-256-GCM keys for channel secrets at rest (`k1:<base64>,k2:...`); default: PII_KEYS, then a development key. */
    CHANNEL_SECRET_KEYS: emptyIsUnset,
    CHANNEL_SECRET_ACTIVE_KEY_ID: emptyIsUnset,
    PII_KEYS: emptyIsUnset,
    PII_ACTIVE_KEY_ID: emptyIsUnset,
  })
  .superRefine((v, ctx) => {
    const keys = channelKeys(v);
    const keysVar = !v.CHANNEL_SECRET_KEYS && v.PII_KEYS ? 'PII_KEYS' : 'CHANNEL_SECRET_KEYS';
    const activeVar = !v.CHANNEL_SECRET_KEYS && v.PII_KEYS && !v.CHANNEL_SECRET_ACTIVE_KEY_ID ? 'PII_ACTIVE_KEY_ID' : 'CHANNEL_SECRET_ACTIVE_KEY_ID';
    for (const p of keyringProblems(keys.spec, keys.active)) ctx.addIssue({ code: 'custom', path: [p.setting === 'keys' ? keysVar : activeVar], message: p.message });
    if (v.NODE_ENV === 'production') {
      const dev = parseKeyring(DEV_CHANNEL_SECRET_KEYS).keys.get('dev1')!;
      if ([...parseKeyring(keys.spec).keys.values()].some((k) => k.equals(dev))) {
        ctx.addIssue({ code: 'custom', path: [keysVar], message: 'the development key is refused in production; set CHANNEL_SECRET_KEYS (or PII_KEYS)' });
      }
    }
    if (v.SUMMARIZER_PROVIDER !== 'openai') return;
    if (!v.SUMMARIZER_LLM_BASE_URL) ctx.addIssue({ code: 'custom', path: ['SUMMARIZER_LLM_BASE_URL'], message: 'is required when SUMMARIZER_PROVIDER=openai' });
    if (!v.SUMMARIZER_LLM_MODEL) ctx.addIssue({ code: 'custom', path: ['SUMMARIZER_LLM_MODEL'], message: 'is required when SUMMARIZER_PROVIDER=openai' });
  });

function keyringOf(k: { spec: string; active?: string }): { keys: Map<string, Buffer>; activeKeyId: string } {
  const { keys } = parseKeyring(k.spec);
  return { keys, activeKeyId: k.active ?? [...keys.keys()][0] };
}

/** Channel secrets use CHANNEL_SECRET_KEYS when set, else the PII keys, else the development key. */
function channelKeys(v: { CHANNEL_SECRET_KEYS?: string; CHANNEL_SECRET_ACTIVE_KEY_ID?: string; PII_KEYS?: string; PII_ACTIVE_KEY_ID?: string }): { spec: string; active?: string } {
  if (v.CHANNEL_SECRET_KEYS) return { spec: v.CHANNEL_SECRET_KEYS, active: v.CHANNEL_SECRET_ACTIVE_KEY_ID };
  if (v.PII_KEYS) return { spec: v.PII_KEYS, active: v.CHANNEL_SECRET_ACTIVE_KEY_ID ?? v.PII_ACTIVE_KEY_ID };
  return { spec: DEV_CHANNEL_SECRET_KEYS, active: v.CHANNEL_SECRET_ACTIVE_KEY_ID };
}

export function loadConversationsConfig(env: NodeJS.ProcessEnv): ConversationsConfig {
  const v = parseEnv(schema, env);
  const summarizer =
    v.SUMMARIZER_PROVIDER === 'openai'
      ? summarizerConfigSchema.parse({ provider: 'openai', baseUrl: v.SUMMARIZER_LLM_BASE_URL, apiKey: v.SUMMARIZER_LLM_API_KEY, model: v.SUMMARIZER_LLM_MODEL, timeoutMs: v.SUMMARIZER_LLM_TIMEOUT_MS })
      : summarizerConfigSchema.parse({ provider: 'builtin' });
  const ingest: Partial<IngestConfig> = {
    plugins: v.CHANNEL_PLUGINS ? parsePluginList(v.CHANNEL_PLUGINS) : undefined, customersUrl: v.CUSTOMERS_URL, jwtSecret: v.JWT_SECRET,
    publicBaseUrl: v.PUBLIC_BASE_URL, sweepIntervalMs: v.INGEST_SWEEP_MS, maxAttempts: v.INGEST_MAX_ATTEMPTS, retryBaseMs: v.INGEST_RETRY_BASE_MS, concurrency: v.INGEST_CONCURRENCY, ackTargetMs: v.INGEST_ACK_TARGET_MS, groupCommitMs: v.INGEST_GROUP_COMMIT_MS, batchWaitMs: v.INGEST_BATCH_WAIT_MS, role: v.INGEST_ROLE, retentionDays: v.INGEST_RETENTION_DAYS, pullIntervalMs: v.INGEST_PULL_MS, pluginDisableAfter: v.CHANNEL_PLUGIN_DISABLE_AFTER,
    blockPrivateAddresses: v.CHANNEL_HTTP_BLOCK_PRIVATE ? v.CHANNEL_HTTP_BLOCK_PRIVATE === 'true' : v.NODE_ENV === 'production',
    replicaId: env.REPLICA_ID || undefined, // validated with the common settings (subgraphEnvSchema)
    secretKeys: keyringOf(channelKeys(v)),
  };
  return { reopenWindowHours: v.REOPEN_WINDOW_HOURS, summarizer, ingest };
}

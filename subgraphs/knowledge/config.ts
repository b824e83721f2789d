import { z } from 'zod';
import { parseEnv } from '../_shared/env.js';
import type { KnowledgeOptions } from './knowledge.services.js';

const bool = z.enum(['true', 'false']).transform((v) => v === 'true');

/** The knowledge subgraph's own settings, besides those every subgraph shares (subgraphEnvSchema). */
export const knowledgeEnvSchema = z.object({
  NODE_ENV: z.enum(['development', 'production', 'test']).default('development'),
  KNOWLEDGE_CRAWL_USER_AGENT: z.string().min(3).optional(),
  KNOWLEDGE_CRAWL_MIN_INTERVAL_MS: z.coerce.number().int().min(0).max(600_000).default(1000),
  KNOWLEDGE_CRAWL_TIMEOUT_MS: z.coerce.number().int().min(1000).max(120_000).default(15_000),
  /** Default: blocked in production (an admin-configured URL must not reach internal services). */
  KNOWLEDGE_CRAWL_BLOCK_PRIVATE: bool.optional(),
  KNOWLEDGE_SCHEDULER_TICK_SECONDS: z.coerce.number().int().min(1).max(3600).default(15),
  KNOWLEDGE_SCHEDULER: bool.default(true),
  KNOWLEDGE_INDEX_SWEEP_MS: z.coerce.number().int().min(1000).default(30_000),
  KNOWLEDGE_INDEX_MAX_TENANTS: z.coerce.number().int().min(1).default(200),
});

export function knowledgeOptionsFromEnv(env: NodeJS.ProcessEnv): KnowledgeOptions {
  const c = parseEnv(knowledgeEnvSchema, env);
  return {
    crawler: {
      ...(c.KNOWLEDGE_CRAWL_USER_AGENT ? { userAgent: c.KNOWLEDGE_CRAWL_USER_AGENT } : {}),
      minIntervalMs: c.KNOWLEDGE_CRAWL_MIN_INTERVAL_MS,
      timeoutMs: c.KNOWLEDGE_CRAWL_TIMEOUT_MS,
      blockPrivateAddresses: c.KNOWLEDGE_CRAWL_BLOCK_PRIVATE ?? c.NODE_ENV === 'production',
    },
    schedulerTickSeconds: c.KNOWLEDGE_SCHEDULER ? c.KNOWLEDGE_SCHEDULER_TICK_SECONDS : false,
    index: { sweepMs: c.KNOWLEDGE_INDEX_SWEEP_MS, maxTenants: c.KNOWLEDGE_INDEX_MAX_TENANTS },
  };
}

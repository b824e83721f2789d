import { z } from 'zod';
import { DEV_JWT_SECRET, parseEnv } from '../subgraphs/_shared/env.js';

export const SUBGRAPH_NAMES = ['customers', 'conversations', 'tickets', 'knowledge', 'analytics'] as const;
export type SubgraphName = (typeof SUBGRAPH_NAMES)[number];

const bool = (dflt: 'true' | 'false') => z.enum(['true', 'false']).default(dflt).transform((v) => v === 'true');
const url = z.string().regex(/^https?:\/\/.+\/graphql$/, 'must be an http(s) URL ending in /graphql').optional();

const schema = z
  .object({
    NODE_ENV: z.enum(['development', 'production', 'test']).default('development'),
    LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
    PORT: z.coerce.number().int().min(0).max(65535).default(4000),
    HOST: z.string().default('0.0.0.0'),
    JWT_SECRET: z.string().min(16, 'must be at least 16 characters').default(DEV_JWT_SECRET),
    JWT_JWKS_URL: z.string().url().optional(),
    SUPERGRAPH_PATH: z.string().default('schema/supergraph.graphql'),
    /** `rust` (default: @graphql-hive/router-runtime's planner, measured faster in bench:gateway) or `js`. */
    QUERY_PLANNER: z.enum(['js', 'rust']).default('rust'),
    /** Merge identical concurrent upstream requests. Off in benchmarks so every request does real work. */
    GATEWAY_DEDUPE: bool('true'),
    /**
     * `proxy` (default, needs no database): /webhooks/* forwarded to the conversations subgraph. `edge` (recommended,
     * docker-compose.yml): acknowledged here (verify, store, answer) and processed by the conversations replicas;
     * needs their database (an account granted deploy/mysql/edge-grants.sql), REDIS_URL and channel settings
     * (docs/channels.md, "Ingest at the edge").
     */
    GATEWAY_INGEST: z.enum(['proxy', 'edge']).default('proxy'),
    SUBGRAPH_CUSTOMERS_URL: url,
    SUBGRAPH_CONVERSATIONS_URL: url,
    SUBGRAPH_TICKETS_URL: url,
    SUBGRAPH_KNOWLEDGE_URL: url,
    SUBGRAPH_ANALYTICS_URL: url,
  })
  .superRefine((v, ctx) => {
    if (v.NODE_ENV === 'production' && v.JWT_SECRET === DEV_JWT_SECRET && !v.JWT_JWKS_URL) {
      ctx.addIssue({ code: 'custom', path: ['JWT_SECRET'], message: 'the default development secret is refused in production; set JWT_SECRET or JWT_JWKS_URL' });
    }
  });

export type GatewayConfig = z.infer<typeof schema>;

export function loadGatewayConfig(env: NodeJS.ProcessEnv): GatewayConfig {
  return parseEnv(schema, env);
}

/** Subgraph URL overrides from the environment (the supergraph carries the default localhost ports). */
export function subgraphOverrides(c: GatewayConfig): Partial<Record<SubgraphName, string>> {
  const out: Partial<Record<SubgraphName, string>> = {};
  for (const name of SUBGRAPH_NAMES) {
    const v = c[`SUBGRAPH_${name.toUpperCase()}_URL` as keyof GatewayConfig] as string | undefined;
    if (v) out[name] = v;
  }
  return out;
}

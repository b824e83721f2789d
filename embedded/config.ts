import { z } from 'zod';
import { DEV_JWT_SECRET, parseEnv } from '../subgraphs/_shared/env.js';

const schema = z
  .object({
    NODE_ENV: z.enum(['development', 'production', 'test']).default('development'),
    LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
    PORT: z.coerce.number().int().min(0).max(65535).default(4000),
    HOST: z.string().default('0.0.0.0'),
    DATA_DIR: z.string().min(1).default('./data'),
    JWT_SECRET: z.string().min(16, 'must be at least 16 characters').default(DEV_JWT_SECRET),
    SEED_DEMO: z.enum(['true', 'false']).default('true').transform((v) => v === 'true'),
    SUPERGRAPH_PATH: z.string().default('schema/supergraph.graphql'),
    QUERY_PLANNER: z.enum(['js', 'rust']).default('rust'),
    /** Prometheus metrics (GET /metrics) on this port, `off` for none. */
    METRICS_PORT: z.union([z.literal('off'), z.coerce.number().int().min(0).max(65535)]).default(9464),
    METRICS_HOST: z.string().default('127.0.0.1'),
  })
  .superRefine((v, ctx) => {
    if (v.NODE_ENV === 'production' && v.JWT_SECRET === DEV_JWT_SECRET) {
      ctx.addIssue({ code: 'custom', path: ['JWT_SECRET'], message: 'the default development secret is refused in production' });
    }
  });

export type EmbeddedConfig = z.infer<typeof schema>;
export const loadEmbeddedConfig = (env: NodeJS.ProcessEnv): EmbeddedConfig => parseEnv(schema, env);

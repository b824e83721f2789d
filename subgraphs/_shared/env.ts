import { z } from 'zod';

/**
 * Parses a deployable's environment with a zod schema, once, at boot. The only reader of process.env in the
 * code base is the composition root that calls this. Errors name the variable and what is wrong.
 */
export function parseEnv<S extends z.ZodTypeAny>(schema: S, env: NodeJS.ProcessEnv): z.infer<S> {
  const result = schema.safeParse(env);
  if (!result.success) {
    const lines = result.error.issues.map((i) => `  ${i.path.join('.') || '(env)'}: ${i.message}`);
    throw new ConfigError(`Invalid configuration:\n${lines.join('\n')}`);
  }
  return result.data;
}

export class ConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ConfigError';
  }
}

export const DEV_JWT_SECRET = 'huiliu-dev-secret-change-me';

const port = z.coerce.number().int().min(0).max(65535);

/** Settings every subgraph shares; each subgraph's config.ts extends it with its own default port. */
export function subgraphEnvSchema(defaultPort: number, defaultDb: string) {
  return z
    .object({
      NODE_ENV: z.enum(['development', 'production', 'test']).default('development'),
      LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
      PORT: port.default(defaultPort),
      HOST: z.string().default('0.0.0.0'),
      DATABASE_URL: z
        .string()
        .regex(/^(mysql|mariadb):\/\/|^sqlite:/, 'must start with mysql://, mariadb:// or sqlite:')
        .default(defaultDb),
      REDIS_URL: z.string().regex(/^rediss?:\/\//, 'must start with redis:// or rediss://').optional(),
      /** The Redis stream of domain events (one per installation; tests and benches use their own). */
      EVENTS_STREAM: z.string().regex(/^[\w:.-]{1,100}$/, 'must be 1–100 letters, digits and _ : . -').default('huiliu:events'),
      JWT_SECRET: z.string().min(16, 'must be at least 16 characters').default(DEV_JWT_SECRET),
      JWT_JWKS_URL: z.string().url().optional(),
      MIGRATE_ON_BOOT: z
        .enum(['true', 'false'])
        .default('true')
        .transform((v) => v === 'true'),
      REPLICA_ID: z.string().optional(),
    })
    .superRefine((v, ctx) => {
      if (v.NODE_ENV === 'production' && v.JWT_SECRET === DEV_JWT_SECRET && !v.JWT_JWKS_URL) {
        ctx.addIssue({ code: 'custom', path: ['JWT_SECRET'], message: 'the default development secret is refused in production; set JWT_SECRET or JWT_JWKS_URL' });
      }
      if (v.NODE_ENV === 'production' && !v.REDIS_URL) {
        ctx.addIssue({ code: 'custom', path: ['REDIS_URL'], message: 'is required in production (replicas share pub/sub and events through Redis)' });
      }
    });
}

export type SubgraphEnv = z.infer<ReturnType<typeof subgraphEnvSchema>>;

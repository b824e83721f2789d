import 'reflect-metadata';
import Redis from 'ioredis';
import { createTokenVerifier } from './auth.js';
import { createMemoryCache, createRedisCache } from './cache.js';
import { parseEnv, subgraphEnvSchema } from './env.js';
import { createInProcessEventBus, createRedisEventBus } from './events.js';
import { createLogger } from './logger.js';
import { createMemoryPubSub, createRedisPubSub } from './pubsub.js';
import { runSubgraph } from './run-subgraph.js';
import type { SubgraphModule } from './subgraph-module.js';
import { installShutdown } from './shutdown.js';

/**
 * Composition root of one subgraph deployable in distributed mode (`node dist/subgraphs/<name>/main.js`):
 * config from the environment, Redis for pub/sub and events, MySQL/MariaDB (or SQLite) for rows.
 */
export async function mainSubgraph(module: SubgraphModule, env: NodeJS.ProcessEnv): Promise<void> {
  const config = parseEnv(subgraphEnvSchema(module.defaultPort, `sqlite:./data/${module.name}.sqlite`), env);
  const log = createLogger(`subgraph-${module.name}`, config.LOG_LEVEL).child({ replica: config.REPLICA_ID ?? process.pid });
  const redisUrl = config.REDIS_URL;
  const pubsub = redisUrl ? createRedisPubSub(redisUrl) : createMemoryPubSub();
  const events = redisUrl ? createRedisEventBus(redisUrl, log, { stream: config.EVENTS_STREAM }) : createInProcessEventBus(log);
  const cache = redisUrl ? createRedisCache(redisUrl) : createMemoryCache();
  const probe = redisUrl ? new Redis(redisUrl, { maxRetriesPerRequest: 1, lazyConnect: true }) : undefined;
  const running = await runSubgraph({
    module,
    databaseUrl: config.DATABASE_URL,
    migrate: config.MIGRATE_ON_BOOT,
    pubsub,
    events,
    cache,
    redis: redisUrl ? { url: redisUrl, prefix: 'huiliu:' } : undefined,
    verifier: createTokenVerifier({ secret: config.JWT_SECRET, jwksUrl: config.JWT_JWKS_URL }),
    log,
    port: config.PORT,
    host: config.HOST,
    readiness: probe ? { redis: async () => void (await probe.ping()) } : {},
  });
  installShutdown(log, async () => {
    await running.stop();
    log.debug('server, workers and database closed');
    await pubsub.close();
    await events.close();
    await cache.close();
    probe?.disconnect();
    log.debug('redis closed');
  });
}

export function runMain(module: SubgraphModule): void {
  mainSubgraph(module, process.env).catch((err) => {
    // Config errors are expected operator mistakes: print the message, not a stack.
    console.error(err instanceof Error && err.name === 'ConfigError' ? err.message : err);
    process.exit(1);
  });
}

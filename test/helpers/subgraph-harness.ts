import 'reflect-metadata';
import { createTokenVerifier } from '../../subgraphs/_shared/auth.js';
import { createRedisCache, type KeyValueCache } from '../../subgraphs/_shared/cache.js';
import { createRedisEventBus, type EventBus } from '../../subgraphs/_shared/events.js';
import { createLogger } from '../../subgraphs/_shared/logger.js';
import { createRedisPubSub, type PubSub } from '../../subgraphs/_shared/pubsub.js';
import { runSubgraph, type RunningSubgraph } from '../../subgraphs/_shared/run-subgraph.js';
import type { SubgraphModule } from '../../subgraphs/_shared/subgraph-module.js';
import { mysqlUrl, TEST_REDIS_URL, TEST_SECRET } from './env.js';

export interface TestSubgraph extends RunningSubgraph {
  pubsub: PubSub;
  events: EventBus;
  cache: KeyValueCache;
  close(): Promise<void>;
}

/**
 * Starts a real subgraph on an ephemeral port against real MariaDB (database huiliu_test_<db>) and Redis.
 * Pass a distinct `stream` to isolate the domain-event stream of one test file.
 */
export async function startTestSubgraph(module: SubgraphModule, opts: { db?: string; databaseUrl?: string; stream?: string } = {}): Promise<TestSubgraph> {
  const log = createLogger(`test-${module.name}`, process.env.TEST_LOG_LEVEL ?? 'silent');
  const pubsub = createRedisPubSub(TEST_REDIS_URL, `test:${opts.stream ?? module.name}:`);
  const events = createRedisEventBus(TEST_REDIS_URL, log, { stream: `test:${opts.stream ?? module.name}:events`, blockMs: 200 });
  const cache = createRedisCache(TEST_REDIS_URL, `test:${opts.stream ?? module.name}:cache:`);
  const running = await runSubgraph({
    module,
    databaseUrl: opts.databaseUrl ?? mysqlUrl(opts.db ?? module.name),
    migrate: true,
    pubsub,
    events,
    cache,
    redis: { url: TEST_REDIS_URL, prefix: `test:${opts.stream ?? module.name}:` },
    verifier: createTokenVerifier({ secret: TEST_SECRET }),
    log,
    port: 0,
    host: '127.0.0.1',
  });
  return {
    ...running,
    pubsub,
    events,
    cache,
    async close() {
      await running.stop();
      await pubsub.close();
      await events.close();
      await cache.close();
    },
  };
}

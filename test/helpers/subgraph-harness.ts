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
  /** Idempotent: a second call waits for the first. */
  close(): Promise<void>;
  readonly closed: boolean;
}

/**
 * Subgraphs started in this test file and not closed yet. A test that fails between starting a replica and
 * closing it would otherwise leave its server, pools and Redis clients open: the next test races with it, and a
 * file run alone never exits. `closeLeftoverSubgraphs` (test/helpers/leftovers.setup.ts) closes them after each file.
 */
const running = new Set<TestSubgraph>();

export function leftoverSubgraphs(): TestSubgraph[] {
  return [...running];
}

export async function closeLeftoverSubgraphs(): Promise<void> {
  await Promise.allSettled([...running].map((s) => s.close()));
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
  const started = await runSubgraph({
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
  let closing: Promise<void> | undefined;
  const subgraph: TestSubgraph = {
    ...started,
    pubsub,
    events,
    cache,
    get closed() {
      return !!closing;
    },
    close() {
      closing ??= (async () => {
        try {
          await started.stop();
          await pubsub.close();
          await events.close();
          await cache.close();
        } finally {
          running.delete(subgraph);
        }
      })();
      return closing;
    },
  };
  running.add(subgraph);
  return subgraph;
}

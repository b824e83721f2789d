import type { TokenVerifier } from './auth.js';
import { buildFederatedSchema, type BuiltSubgraph } from './build-subgraph.js';
import type { KeyValueCache } from './cache.js';
import { openDataSource } from './data-source.js';
import type { EventBus } from './events.js';
import type { Logger } from './logger.js';
import type { PubSub } from './pubsub.js';
import type { SubgraphModule, Worker } from './subgraph-module.js';
import { startSubgraphServer, type ReadinessCheck, type RunningServer } from './subgraph-server.js';

export interface RunSubgraphOptions {
  module: SubgraphModule;
  databaseUrl: string;
  migrate: boolean;
  pubsub: PubSub;
  events: EventBus;
  /** Shared cache for the subgraph's services (see SubgraphDeps.cache). */
  cache?: KeyValueCache;
  /** See SubgraphDeps.redis. */
  redis?: { url: string; prefix: string };
  verifier: TokenVerifier;
  log: Logger;
  port: number;
  host?: string;
  seedDemo?: boolean;
  /** Extra readiness checks (e.g. Redis) besides the database. */
  readiness?: Record<string, ReadinessCheck>;
}

export interface RunningSubgraph {
  name: string;
  url: string;
  built: BuiltSubgraph;
  services: unknown;
  server: RunningServer;
  stop(): Promise<void>;
}

/** Opens the database, migrates, builds services, starts workers and the server: one subgraph, ready. */
export async function runSubgraph(o: RunSubgraphOptions): Promise<RunningSubgraph> {
  const { module: m, log } = o;
  const dataSource = await openDataSource(
    { url: o.databaseUrl, subgraph: m.name, entities: m.entities, migrations: m.migrations, log },
    o.migrate,
  );
  const deps = { dataSource, pubsub: o.pubsub, events: o.events, log, cache: o.cache, redis: o.redis };
  const services = m.createServices(deps);
  if (o.seedDemo && m.seedDemo) await m.seedDemo(services);
  const workers: Worker[] = m.startWorkers ? await m.startWorkers(services, deps) : [];
  const built = await buildFederatedSchema(m.definition);
  const server = await startSubgraphServer({
    built,
    services,
    createLoaders: m.createLoaders,
    verifier: o.verifier,
    log,
    port: o.port,
    host: o.host,
    readiness: { database: async () => void (await dataSource.query('SELECT 1')), ...o.readiness },
    routes: m.routes?.(services, deps),
    upgrades: m.upgrades?.(services, deps),
  });
  return {
    name: m.name,
    url: server.url,
    built,
    services,
    server,
    async stop() {
      await server.close();
      await Promise.all(workers.map((w) => w.stop()));
      await dataSource.destroy();
    },
  };
}

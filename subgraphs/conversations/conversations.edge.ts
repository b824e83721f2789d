import 'reflect-metadata';
import Redis from 'ioredis';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { DataSource } from 'typeorm';
import { z } from 'zod';
import { createRedisCache } from '../_shared/cache.js';
import { openDataSource } from '../_shared/data-source.js';
import { ConfigError, parseEnv, subgraphEnvSchema } from '../_shared/env.js';
import { createRedisEventBus } from '../_shared/events.js';
import type { Logger } from '../_shared/logger.js';
import { createRedisPubSub } from '../_shared/pubsub.js';
import type { SubgraphDeps, UpgradeRoute } from '../_shared/subgraph-module.js';
import type { ReadinessCheck } from '../_shared/subgraph-server.js';
import { loadConversationsConfig } from './conversations.config.js';
import { createConversationsServices } from './conversations.services.js';
import { conversationsSubgraph, webhookDeps } from './index.js';
import { metricsRoute, type ChannelMetrics } from './ingest/channel.metrics.js';
import { startEdgeIngestWorker } from './ingest/ingest.composition.js';
import { webhookRoute } from './ingest/webhook.route.js';
import { widgetSocketRoute } from './ingest/widget.socket.js';

/** What the gateway serves on /webhooks/* when it acknowledges webhooks itself. */
export interface ConversationsEdge {
  /** POST/GET/OPTIONS /webhooks/:channelId: verify → parse → store → answer; false for any other path. */
  route(req: IncomingMessage, res: ServerResponse): boolean;
  /** The widget's and the app's live WebSockets on /webhooks/:channelId. */
  upgrade: UpgradeRoute;
  /** The edge's own dependencies, for the gateway's /readyz. */
  readiness: Record<string, ReadinessCheck>;
  /** The port of the edge's GET /metrics (METRICS_PORT), null when off. */
  metricsPort: number | null;
  stop(): Promise<void>;
}

/** The edge's own settings besides the conversations replicas' ones. */
const edgeSchema = z.object({
  /** GET /metrics of the edge's webhooks (its acknowledgements are counted here, not on the replicas): a port, or off. */
  METRICS_PORT: z.union([z.literal('off'), z.coerce.number().int().min(0).max(65535)]).default(9464),
  /** Loopback by default, like the replicas' internal ports: set 0.0.0.0 where the scraper is on another host. */
  METRICS_HOST: z.string().default('127.0.0.1'),
});

/**
 * What the edge does in the conversations database (deploy/mysql/edge-grants.sql), each tried on no rows at boot:
 * an account without a grant, or a schema not migrated yet, stops the boot with what to do, instead of every
 * webhook failing later with "command denied".
 */
export const EDGE_PRIVILEGES: Array<{ what: string; sql: string }> = [
  { what: 'SELECT on channels', sql: 'SELECT 1 FROM channels WHERE 1 = 0' },
  { what: 'SELECT, INSERT on inbound_payloads', sql: 'INSERT INTO inbound_payloads SELECT * FROM inbound_payloads WHERE 1 = 0' },
  { what: 'SELECT on conversations', sql: 'SELECT 1 FROM conversations WHERE 1 = 0' },
  { what: 'SELECT on messages', sql: 'SELECT 1 FROM messages WHERE 1 = 0' },
  { what: 'SELECT on message_deliveries', sql: 'SELECT 1 FROM message_deliveries WHERE 1 = 0' },
];

const NOT_MIGRATED = 'the conversations schema is not there yet: start a conversations replica first (it migrates), then the gateway';
const GRANT_IT = 'grant it deploy/mysql/edge-grants.sql in the conversations database once the replicas have migrated it (docs/channels.md, "Its database account")';

/** The database's refusals of the edge's account, as what to do (the tables exist only once migrated, and grants with them). */
function accountProblem(err: unknown, lacking?: string): ConfigError | null {
  const say = (what: string) => new ConfigError(`Invalid configuration:\n  DATABASE_URL: ${what}`);
  switch ((err as { code?: string }).code) {
    case 'ER_ACCESS_DENIED_ERROR': return say('the database refused the user or password');
    case 'ER_DBACCESS_DENIED_ERROR': return say(`the account has no grant in this database: ${GRANT_IT}`);
    case 'ER_BAD_DB_ERROR': case 'ER_NO_SUCH_TABLE': return say(NOT_MIGRATED);
    case 'ER_TABLEACCESS_DENIED_ERROR': case 'ER_COLUMNACCESS_DENIED_ERROR': return say(`the account lacks ${lacking ?? 'a grant'}: ${GRANT_IT}`);
    default: return null;
  }
}

/** Each privilege tried on no rows, in a transaction rolled back (the INSERT … SELECT then writes no binlog event). */
async function checkEdgePrivileges(ds: DataSource): Promise<void> {
  const q = ds.createQueryRunner();
  try {
    await q.startTransaction();
    for (const p of EDGE_PRIVILEGES) {
      try {
        await q.query(p.sql);
      } catch (err) {
        throw accountProblem(err, p.what) ?? err;
      }
    }
  } finally {
    if (q.isTransactionActive) await q.rollbackTransaction().catch(() => undefined);
    await q.release();
  }
}

/** GET /metrics on its own port: the gateway's public port never serves it. */
async function listenMetrics(metrics: ChannelMetrics, port: number, host: string): Promise<Server> {
  const route = metricsRoute(metrics);
  const server = createServer((req, res) => void (route(req, res) || res.writeHead(404, { 'content-type': 'text/plain' }).end('not found: GET /metrics')));
  await new Promise<void>((resolve, reject) => {
    server.once('error', (err: NodeJS.ErrnoException) => reject(err.code === 'EADDRINUSE'
      ? new ConfigError(`METRICS_PORT ${port} on ${host} is in use: set METRICS_PORT to a free port, or to off`)
      : err));
    server.listen(port, host, () => resolve());
  });
  return server;
}

/**
 * Ingest at the edge (GATEWAY_INGEST=edge): the gateway process runs the conversations deployable's `receive` role
 * itself, so a webhook is verified, stored and acknowledged without a second HTTP hop, and the stored payloads go
 * to the conversations replicas over the Redis stream, exactly as from an INGEST_ROLE=receive replica. Nothing is
 * processed, pulled or sent here. Read from the same variables as a conversations replica: DATABASE_URL, REDIS_URL,
 * EVENTS_STREAM, CHANNEL_SECRET_KEYS, CHANNEL_PLUGINS, INGEST_*. The schema is the replicas' to migrate.
 */
export async function startConversationsEdge(env: NodeJS.ProcessEnv, log: Logger): Promise<ConversationsEdge> {
  const common = parseEnv(subgraphEnvSchema(0, 'sqlite:./data/conversations.sqlite'), env);
  // Without Redis there is no hand-off to the replicas that process, and a SQLite file is not shared with them.
  if (!common.REDIS_URL) throw new ConfigError('Invalid configuration:\n  REDIS_URL: is required with GATEWAY_INGEST=edge (stored webhooks go to the conversations replicas through Redis)');
  if (!/^(mysql|mariadb):/.test(common.DATABASE_URL)) throw new ConfigError('Invalid configuration:\n  DATABASE_URL: with GATEWAY_INGEST=edge, the conversations database (mysql:// or mariadb://) the replicas use');
  const config = loadConversationsConfig(env);
  const own = parseEnv(edgeSchema, env);
  const edgeLog = log.child({ component: 'edge-ingest' });
  const m = conversationsSubgraph;
  const dataSource = await openDataSource({ url: common.DATABASE_URL, subgraph: m.name, entities: m.entities, migrations: m.migrations, log: edgeLog }, false)
    .catch((err: unknown) => { throw accountProblem(err) ?? err; });
  try {
    await checkEdgePrivileges(dataSource);
  } catch (err) {
    await dataSource.destroy().catch(() => undefined);
    throw err;
  }
  const pubsub = createRedisPubSub(common.REDIS_URL);
  const events = createRedisEventBus(common.REDIS_URL, edgeLog, { stream: common.EVENTS_STREAM });
  const cache = createRedisCache(common.REDIS_URL);
  const probe = new Redis(common.REDIS_URL, { maxRetriesPerRequest: 1, lazyConnect: true });
  const deps: SubgraphDeps = { dataSource, pubsub, events, log: edgeLog, cache, redis: { url: common.REDIS_URL, prefix: 'huiliu:' } };
  const services = createConversationsServices(deps, { ...config, ingest: { ...config.ingest, role: 'receive', replicaId: config.ingest?.replicaId ?? `edge/${process.pid}` } });
  const worker = await startEdgeIngestWorker(services, deps);
  // A port in use fails the boot (the gateway exits with the message), like any other setting.
  const metrics = own.METRICS_PORT === 'off' ? null : await listenMetrics(services.channelMetrics, own.METRICS_PORT, own.METRICS_HOST);
  const metricsPort = metrics ? (metrics.address() as AddressInfo).port : null;
  const webhooks = webhookDeps(services, deps);
  const route = webhookRoute(webhooks);
  const upgrade = widgetSocketRoute({ ...webhooks, connections: services.liveConnections });
  edgeLog.info({ metrics: metricsPort ? `http://${own.METRICS_HOST}:${metricsPort}/metrics` : 'off' }, 'webhooks acknowledged here; conversations replicas process them');
  return {
    route,
    upgrade,
    readiness: {
      'edge-database': async () => void (await dataSource.query('SELECT 1')),
      'edge-redis': async () => void (await probe.ping()),
    },
    metricsPort,
    async stop() {
      upgrade.close?.();
      if (metrics) await new Promise((r) => metrics.close(r));
      await worker.stop(); // sends the hand-offs still waiting for their 5 ms batch
      await dataSource.destroy();
      await pubsub.close();
      await events.close();
      await cache.close();
      probe.disconnect();
    },
  };
}

import { join, resolve } from 'node:path';
import { createTokenVerifier, signToken } from '../subgraphs/_shared/auth.js';
import { createMemoryCache } from '../subgraphs/_shared/cache.js';
import { DEMO_TENANT } from '../subgraphs/_shared/demo-data.js';
import { createInProcessEventBus } from '../subgraphs/_shared/events.js';
import type { Logger } from '../subgraphs/_shared/logger.js';
import { createMemoryPubSub } from '../subgraphs/_shared/pubsub.js';
import { runSubgraph, type RunningSubgraph } from '../subgraphs/_shared/run-subgraph.js';
import { ALL_SUBGRAPHS } from '../subgraphs/registry.js';
import type { SubgraphModule } from '../subgraphs/_shared/subgraph-module.js';
import { loadConversationsConfig } from '../subgraphs/conversations/conversations.config.js';
import { conversationsWithIngest } from '../subgraphs/conversations/ingest/ingest.module.js';
import { loadCustomersConfig } from '../subgraphs/customers/config.js';
import { createCustomersSubgraph } from '../subgraphs/customers/index.js';
import { knowledgeOptionsFromEnv } from '../subgraphs/knowledge/config.js';
import { createKnowledgeSubgraph } from '../subgraphs/knowledge/index.js';
import { startGateway, type RunningGateway } from '../gateway/gateway.server.js';
import type { EmbeddedConfig } from './config.js';
import { startMetricsServer, type MetricsServer } from './metrics.server.js';

export interface EmbeddedApp {
  gateway: RunningGateway;
  subgraphs: RunningSubgraph[];
  /** GET /metrics on METRICS_PORT (null when `off`). */
  metrics: MetricsServer | null;
  adminToken: string;
  stop(): Promise<void>;
}

/**
 * Each subgraph with the settings its own deployable reads from `env` (channel plugins, PUBLIC_BASE_URL, INGEST_*,
 * channel and PII keys, summarizer, knowledge crawler), so `npm start` honours them as distributed mode does.
 * What embedded mode decides itself: the customers URL, the JWT secret, role `all` (nothing else would process),
 * and webhook URLs on its own port unless PUBLIC_BASE_URL says otherwise.
 */
function embeddedModule(m: SubgraphModule, config: EmbeddedConfig, env: NodeJS.ProcessEnv, customersUrl: string | undefined): SubgraphModule {
  switch (m.name) {
    case 'customers': return createCustomersSubgraph(loadCustomersConfig(env)) as unknown as SubgraphModule;
    case 'knowledge': return createKnowledgeSubgraph(knowledgeOptionsFromEnv(env)) as unknown as SubgraphModule;
    case 'conversations': {
      const own = loadConversationsConfig(env);
      const publicBaseUrl = env.PUBLIC_BASE_URL || `http://${config.HOST === '0.0.0.0' ? '127.0.0.1' : config.HOST}:${config.PORT}`;
      return conversationsWithIngest({ customersUrl, jwtSecret: config.JWT_SECRET, publicBaseUrl, role: 'all' }, own);
    }
    default: return m;
  }
}

/**
 * The whole of Huiliu in one process: each subgraph on its own SQLite file under DATA_DIR and an ephemeral
 * loopback port, in-process pub/sub and event bus, the gateway on PORT. Same code paths as distributed mode.
 * `env`: the subgraphs' own settings (embeddedModule); none given, their defaults.
 */
export async function startEmbedded(config: EmbeddedConfig, log: Logger, env: NodeJS.ProcessEnv = {}): Promise<EmbeddedApp> {
  const pubsub = createMemoryPubSub();
  const events = createInProcessEventBus(log);
  const cache = createMemoryCache();
  const verifier = createTokenVerifier({ secret: config.JWT_SECRET });
  const dataDir = resolve(config.DATA_DIR);
  const subgraphs: RunningSubgraph[] = [];
  for (const m of ALL_SUBGRAPHS) {
    // Ingest resolves senders through the customers subgraph started just before, on its loopback URL.
    const customersUrl = subgraphs.find((s) => s.name === 'customers')?.url;
    const module = embeddedModule(m, config, env, customersUrl);
    subgraphs.push(
      await runSubgraph({
        module,
        databaseUrl: `sqlite:${join(dataDir, `${module.name}.sqlite`)}`,
        migrate: true,
        pubsub,
        events,
        cache,
        verifier,
        log: log.child({ subgraph: module.name }),
        port: 0,
        host: '127.0.0.1',
        seedDemo: config.SEED_DEMO,
      }),
    );
  }
  const gateway = await startGateway({
    supergraphPath: config.SUPERGRAPH_PATH,
    subgraphUrls: Object.fromEntries(subgraphs.map((s) => [s.name, s.url])),
    verifier,
    log,
    port: config.PORT,
    host: config.HOST,
    queryPlanner: config.QUERY_PLANNER,
  });
  const conversations = subgraphs.find((s) => s.name === 'conversations')!;
  const metrics = config.METRICS_PORT === 'off' ? null : await startMetricsServer({
    sourceUrl: conversations.url.replace(/\/graphql$/, '/metrics'), port: config.METRICS_PORT, host: config.METRICS_HOST,
  });
  const adminToken = await signToken({ tenant: DEMO_TENANT.id, sub: 'demo-admin', roles: ['admin'] }, config.JWT_SECRET, '30d');
  return {
    gateway,
    subgraphs,
    metrics,
    adminToken,
    async stop() {
      await metrics?.close();
      await gateway.close();
      for (const s of subgraphs.reverse()) await s.stop();
      await events.close();
      await pubsub.close();
      await cache.close();
    },
  };
}

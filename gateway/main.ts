import { createTokenVerifier } from '../subgraphs/_shared/auth.js';
import { createLogger } from '../subgraphs/_shared/logger.js';
import { installShutdown } from '../subgraphs/_shared/shutdown.js';
import { loadGatewayConfig, subgraphOverrides } from './config.js';
import { startGateway } from './gateway.server.js';

/** Composition root of the gateway deployable: `node dist/gateway/main.js`. */
async function main() {
  const config = loadGatewayConfig(process.env);
  const log = createLogger('gateway', config.LOG_LEVEL);
  // Loaded only when asked for: the proxy gateway stays free of the conversations code and its database.
  const edge = config.GATEWAY_INGEST === 'edge' ? await (await import('../subgraphs/conversations/conversations.edge.js')).startConversationsEdge(process.env, log) : undefined;
  const gw = await startGateway({
    supergraphPath: config.SUPERGRAPH_PATH,
    subgraphUrls: subgraphOverrides(config),
    verifier: createTokenVerifier({ secret: config.JWT_SECRET, jwksUrl: config.JWT_JWKS_URL }),
    log,
    port: config.PORT,
    host: config.HOST,
    dedupe: config.GATEWAY_DEDUPE,
    queryPlanner: config.QUERY_PLANNER,
    webhooks: edge,
  });
  installShutdown(log, async () => {
    await gw.close(); // no request reaches the edge after this
    await edge?.stop();
  });
}

main().catch((err) => {
  console.error(err instanceof Error && err.name === 'ConfigError' ? err.message : err);
  process.exit(1);
});

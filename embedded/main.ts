import 'reflect-metadata';
import { createLogger } from '../subgraphs/_shared/logger.js';
import { installShutdown } from '../subgraphs/_shared/shutdown.js';
import { loadEmbeddedConfig } from './config.js';
import { startEmbedded } from './embedded.app.js';

/** Composition root of the embedded deployable (`npm start`). */
async function main() {
  const config = loadEmbeddedConfig(process.env);
  const log = createLogger('huiliu', config.LOG_LEVEL);
  const app = await startEmbedded(config, log, process.env);
  installShutdown(log, () => app.stop());
  const url = `http://localhost:${app.gateway.port}/graphql`;
  // Printed plainly (not as a log line) because a person reads it once to get started.
  process.stdout.write(
    [
      '',
      `Huiliu is running (embedded mode, data in ${config.DATA_DIR}).`,
      `  GraphQL (HTTP + graphql-ws, IDE in a browser): ${url}`,
      `  Health: http://localhost:${app.gateway.port}/healthz   Ready: http://localhost:${app.gateway.port}/readyz`,
      ...(app.metrics ? [`  Metrics (Prometheus): http://${config.METRICS_HOST}:${app.metrics.port}/metrics`] : []),
      // the conversations subgraph's own loopback port (changes at each start): never forwarded by the gateway
      `  Channel plugins and their health (operators, this host only): ${app.subgraphs.find((s) => s.name === 'conversations')!.url.replace(/\/graphql$/, '/plugins')}`,
      `  Admin token for the demo tenant (30 days), send as "Authorization: Bearer <token>":`,
      `  ${app.adminToken}`,
      '',
    ].join('\n') + '\n',
  );
}

main().catch((err) => {
  console.error(err instanceof Error && err.name === 'ConfigError' ? err.message : err);
  process.exit(1);
});

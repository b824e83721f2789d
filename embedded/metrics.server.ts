import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface MetricsServer {
  port: number;
  close(): Promise<void>;
}

/**
 * Embedded mode runs each subgraph on an ephemeral loopback port, so the conversations deployable's
 * `GET /metrics` (webhooks, processing, sends, Node's own) had no address an operator could scrape. This serves it
 * on a fixed one (METRICS_PORT, loopback by default: like the distributed deployables' internal ports, it is not
 * for the internet). The metrics are read from the subgraph on each scrape, so they are the same text.
 */
export async function startMetricsServer(o: { sourceUrl: string; port: number; host: string }): Promise<MetricsServer> {
  const server: Server = createServer((req, res) => {
    if ((req.url ?? '').split('?')[0] !== '/metrics') return void res.writeHead(404, { 'content-type': 'text/plain' }).end('not found: GET /metrics');
    if (req.method !== 'GET') return void res.writeHead(405, { allow: 'GET', 'content-type': 'text/plain' }).end('method not allowed');
    fetch(o.sourceUrl, { signal: AbortSignal.timeout(10_000) })
      .then(async (r) => {
        const body = await r.text();
        res.writeHead(r.status, { 'content-type': r.headers.get('content-type') ?? 'text/plain' }).end(body);
      })
      .catch(() => res.writeHead(503, { 'content-type': 'text/plain' }).end('metrics unavailable'));
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', (err: NodeJS.ErrnoException) => reject(err.code === 'EADDRINUSE'
      ? Object.assign(new Error(`METRICS_PORT ${o.port} on ${o.host} is in use: set METRICS_PORT to a free port, or to off`), { name: 'ConfigError' })
      : err));
    server.listen(o.port, o.host, () => resolve());
  });
  return {
    port: (server.address() as AddressInfo).port,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

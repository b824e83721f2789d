import type { IncomingMessage, ServerResponse } from 'node:http';
import { request as httpRequest } from 'node:http';
import type { Logger } from '../subgraphs/_shared/logger.js';

const HOP_BY_HOP = new Set(['connection', 'keep-alive', 'transfer-encoding', 'upgrade', 'host', 'content-length']);

/**
 * /webhooks/* on the public port is streamed unchanged (raw body: signatures cover the exact bytes) to the
 * conversations subgraph, which owns ingest. 502 when it is unreachable, so the channel retries later.
 */
export function createWebhooksProxy(conversationsGraphqlUrl: string, log: Logger) {
  const target = new URL(conversationsGraphqlUrl);
  return (req: IncomingMessage, res: ServerResponse): void => {
    const headers: Record<string, string | string[]> = {};
    for (const [k, v] of Object.entries(req.headers)) if (v !== undefined && !HOP_BY_HOP.has(k)) headers[k] = v;
    headers['x-forwarded-for'] = req.socket.remoteAddress ?? '';
    const upstream = httpRequest(
      { protocol: target.protocol, hostname: target.hostname, port: target.port, method: req.method, path: req.url, headers, timeout: 10_000 },
      (up) => {
        res.writeHead(up.statusCode ?? 502, Object.fromEntries(Object.entries(up.headers).filter(([k]) => !HOP_BY_HOP.has(k))) as Record<string, string>);
        up.pipe(res);
      },
    );
    upstream.on('timeout', () => upstream.destroy(new Error('upstream timeout')));
    upstream.on('error', (err) => {
      log.warn({ err: err.message, path: req.url }, 'webhook forward failed');
      if (!res.headersSent) res.writeHead(502, { 'content-type': 'text/plain' });
      res.end('conversations service unavailable');
    });
    req.pipe(upstream);
  };
}

import type { IncomingHttpHeaders, IncomingMessage, ServerResponse } from 'node:http';
import { Agent, request as httpRequest } from 'node:http';
import type { Logger } from '../subgraphs/_shared/logger.js';

/** Per-connection headers; content-length is end-to-end and kept (the bytes are forwarded unchanged). */
const HOP_BY_HOP = new Set(['connection', 'keep-alive', 'transfer-encoding', 'upgrade', 'host', 'proxy-connection', 'te', 'trailer']);
/** Bodies up to this size (every webhook in practice) are forwarded in one write each way, not streamed. */
const BUFFER_LIMIT = 1024 * 1024;

function forwardable(h: IncomingHttpHeaders): Record<string, string | string[]> {
  const out: Record<string, string | string[]> = {};
  for (const k in h) if (!HOP_BY_HOP.has(k) && h[k] !== undefined) out[k] = h[k]!;
  return out;
}

/** Reads a small body of declared length whole and hands it to `done` (true); false when it must be streamed. */
function smallBody(m: IncomingMessage, done: (body: Buffer) => void): boolean {
  const declared = m.headers['content-length'];
  const length = declared === undefined ? (m.headers['transfer-encoding'] ? NaN : 0) : Number(declared);
  if (!(length <= BUFFER_LIMIT)) return false;
  const chunks: Buffer[] = [];
  m.on('data', (c: Buffer) => chunks.push(c));
  m.on('end', () => done(chunks.length === 1 ? chunks[0] : Buffer.concat(chunks)));
  return true;
}

/**
 * /webhooks/* on the public port is forwarded unchanged (raw body: signatures cover the exact bytes) to the
 * conversations subgraph, which owns ingest. 502 when it is unreachable, so the channel retries later.
 * A webhook is small: it is read whole and written upstream in one write, and the answer likewise, with
 * content-length (piping costs several socket writes and chunked framing each way, and on this path a socket
 * write is the largest cost). Larger or unsized bodies are streamed.
 */
export function createWebhooksProxy(conversationsGraphqlUrl: string, log: Logger) {
  const target = new URL(conversationsGraphqlUrl);
  // Idle sockets close after 4 s, before the subgraph's 5 s keep-alive timeout can close one under a request.
  const agent = new Agent({ keepAlive: true, maxSockets: 256, scheduling: 'lifo', timeout: 4000 });
  return (req: IncomingMessage, res: ServerResponse): void => {
    const headers = forwardable(req.headers);
    headers['x-forwarded-for'] = req.socket.remoteAddress ?? '';
    const fail = (err: Error) => {
      log.warn({ err: err.message, path: req.url }, 'webhook forward failed');
      if (!res.headersSent) res.writeHead(502, { 'content-type': 'text/plain' });
      res.end('conversations service unavailable');
    };
    const forward = (body: Buffer | null, retried = false) => {
      try {
        send(body, retried);
      } catch (err) { // e.g. a path http.request refuses: an answer, never an uncaught exception
        fail(err as Error);
      }
    };
    const send = (body: Buffer | null, retried: boolean) => {
      let answered = false;
      const upstream = httpRequest(
        { protocol: target.protocol, hostname: target.hostname, port: target.port, method: req.method, path: req.url, headers, agent, timeout: 10_000 },
        (up) => {
          answered = true;
          up.on('error', () => res.destroy()); // the subgraph died mid-answer: reset, the platform retries
          const status = up.statusCode ?? 502;
          const upHeaders = forwardable(up.headers);
          if (!smallBody(up, (b) => res.writeHead(status, { ...upHeaders, 'content-length': String(b.length) }).end(b))) {
            res.writeHead(status, upHeaders);
            up.pipe(res);
          }
        },
      );
      upstream.on('timeout', () => upstream.destroy(new Error('upstream timeout')));
      upstream.on('error', (err) => {
        // A kept-alive socket the subgraph closed at that moment: the request never arrived; send it again
        // once on a fresh one (a webhook is idempotent anyway: its dedupe key collapses a repeat).
        if (body && !answered && !retried && upstream.reusedSocket && (err as NodeJS.ErrnoException).code === 'ECONNRESET') return forward(body, true);
        fail(err);
      });
      if (body) upstream.end(body);
      else {
        req.on('error', (err) => upstream.destroy(err)); // the caller went away mid-body: nothing to forward
        req.pipe(upstream);
      }
    };
    if (!smallBody(req, (body) => forward(body))) forward(null);
  };
}

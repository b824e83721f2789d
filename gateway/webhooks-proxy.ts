import type { IncomingHttpHeaders, IncomingMessage, ServerResponse } from 'node:http';
import { connect as netConnect } from 'node:net';
import type { Duplex } from 'node:stream';
import { connect as tlsConnect } from 'node:tls';
import { Pool, type Dispatcher } from 'undici';
import type { Logger } from '../subgraphs/_shared/logger.js';
import { refuseUpgrade } from '../subgraphs/_shared/upgrade-refusal.js';
import { DRAIN_OVERSIZED_BYTES } from '../subgraphs/_shared/webhook-limits.js';

/** Per-connection headers; content-length is end-to-end and kept (the bytes are forwarded unchanged). */
const HOP_BY_HOP = new Set(['connection', 'keep-alive', 'transfer-encoding', 'upgrade', 'host', 'proxy-connection', 'te', 'trailer', 'expect']);
/** Bodies up to this size (every webhook in practice) are forwarded in one write each way, not streamed. */
const BUFFER_LIMIT = 1024 * 1024;

function forwardable(h: IncomingHttpHeaders | Record<string, string | string[] | undefined>): Record<string, string | string[]> {
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
 * 413 for a body larger than anything reads. The rest of the body is read and thrown away for up to 5 s (a
 * lingering close, as nginx does): a connection closed while the caller still writes reaches it as a reset, not
 * as the answer.
 */
function refuseTooLarge(req: IncomingMessage, res: ServerResponse): void {
  res.writeHead(413, { 'content-type': 'text/plain' }).end(`body exceeds ${DRAIN_OVERSIZED_BYTES} bytes`);
  const linger = setTimeout(() => req.socket.destroy(), 5000);
  req.on('end', () => clearTimeout(linger)).on('error', () => clearTimeout(linger)).resume();
}

/** The connection the request went out on was closed or reset under it: the request may be sent again. */
function connectionLost(err: unknown): boolean {
  const code = (err as { code?: string }).code;
  return code === 'UND_ERR_SOCKET' || code === 'ECONNRESET' || code === 'EPIPE';
}

/**
 * /webhooks/* on the public port is forwarded unchanged (raw body: signatures cover the exact bytes) to the
 * conversations subgraph, which owns ingest. 502 when it is unreachable, so the channel retries later.
 * A webhook is small: it is read whole and written upstream in one write, and the answer likewise, with
 * content-length; larger or unsized bodies are streamed. The upstream client is an undici pool of kept-alive
 * connections: on this path it costs about half the CPU of node:http's client per request.
 */
export function createWebhooksProxy(conversationsGraphqlUrl: string, log: Logger): ((req: IncomingMessage, res: ServerResponse) => void) & { close(): Promise<void> } {
  const target = new URL(conversationsGraphqlUrl);
  // Idle connections close after 4 s, before the subgraph's 5 s keep-alive timeout can close one under a request.
  const pool = new Pool(target.origin, { connections: 256, keepAliveTimeout: 4000, keepAliveMaxTimeout: 4000, headersTimeout: 10_000, bodyTimeout: 10_000 });
  const proxy = (req: IncomingMessage, res: ServerResponse): void => {
    // Larger than any channel takes and than the subgraph reads before refusing: refused here, as it would be there.
    if (Number(req.headers['content-length']) > DRAIN_OVERSIZED_BYTES) return refuseTooLarge(req, res);
    const headers = forwardable(req.headers);
    headers['x-forwarded-for'] = req.socket.remoteAddress ?? '';
    const fail = (err: Error) => {
      log.warn({ err: err.message, path: req.url }, 'webhook forward failed');
      if (!res.headersSent) res.writeHead(502, { 'content-type': 'text/plain' });
      res.end('conversations service unavailable');
    };
    const send = async (body: Buffer | IncomingMessage, retried: boolean): Promise<void> => {
      let up: Dispatcher.ResponseData;
      try {
        up = await pool.request({ method: req.method as Dispatcher.HttpMethod, path: req.url ?? '/', headers, body });
      } catch (err) {
        // A kept-alive connection the subgraph closed at that moment: the request never got an answer; send it
        // again once on a fresh one (a webhook is idempotent anyway: its dedupe key collapses a repeat).
        if (Buffer.isBuffer(body) && !retried && connectionLost(err)) return send(body, true);
        return fail(err as Error);
      }
      const upHeaders = forwardable(up.headers);
      const declared = Number(up.headers['content-length']);
      if (declared <= BUFFER_LIMIT) {
        let answer: Buffer;
        try {
          answer = Buffer.from(await up.body.arrayBuffer());
        } catch {
          return void res.destroy(); // the subgraph died mid-answer: reset, the platform retries
        }
        res.writeHead(up.statusCode, { ...upHeaders, 'content-length': String(answer.length) }).end(answer);
        return;
      }
      res.writeHead(up.statusCode, upHeaders);
      up.body.on('error', () => res.destroy());
      res.on('close', () => up.body.destroy());
      up.body.pipe(res);
    };
    const forward = (body: Buffer | IncomingMessage) => void send(body, false).catch((err: Error) => fail(err));
    if (!smallBody(req, forward)) {
      req.on('error', () => undefined); // the caller went away mid-body: undici sees the stream end and fails the request
      forward(req);
    }
  };
  /** Closes the pool's kept-alive connections (the gateway's shutdown). */
  return Object.assign(proxy, { close: () => pool.close() });
}

/**
 * WebSocket upgrades on /webhooks/* (the chat widget's and the app's live connections) are tunnelled to the
 * conversations subgraph: the upgrade request is written upstream as it came, and from then on bytes are piped
 * both ways untouched (the 101 answer, or a refusal, comes from the subgraph). Written by hand: a byte pipe is all
 * a WebSocket needs here, and undici's upgrade API would only re-serialise the same head.
 */
export function createWebhooksTunnel(conversationsGraphqlUrl: string, log: Logger): ((req: IncomingMessage, socket: Duplex, head: Buffer) => void) & { close(): void } {
  const target = new URL(conversationsGraphqlUrl);
  const port = Number(target.port) || (target.protocol === 'https:' ? 443 : 80);
  const open = new Set<Duplex>();
  const tunnel = (req: IncomingMessage, socket: Duplex, head: Buffer): void => {
    const up = target.protocol === 'https:' ? tlsConnect({ host: target.hostname, port, servername: target.hostname }) : netConnect(port, target.hostname);
    open.add(socket);
    let answered = false;
    const lines = [`${req.method} ${req.url} HTTP/1.1`, `host: ${target.host}`, `x-forwarded-for: ${req.socket.remoteAddress ?? ''}`];
    for (let i = 0; i < req.rawHeaders.length; i += 2) {
      const name = req.rawHeaders[i].toLowerCase();
      if (name !== 'host' && name !== 'x-forwarded-for') lines.push(`${req.rawHeaders[i]}: ${req.rawHeaders[i + 1]}`);
    }
    up.write(`${lines.join('\r\n')}\r\n\r\n`);
    if (head.length) up.write(head);
    up.once('data', () => (answered = true));
    up.on('error', (err) => {
      log.warn({ err: err.message, path: req.url }, 'webhook upgrade forward failed');
      if (!answered) refuseUpgrade(socket, 502, 'conversations service unavailable');
      else socket.destroy();
    });
    socket.on('error', () => up.destroy());
    socket.on('close', () => { open.delete(socket); up.destroy(); });
    up.on('close', () => socket.destroy());
    up.pipe(socket);
    socket.pipe(up);
  };
  return Object.assign(tunnel, { close: () => { for (const s of open) s.destroy(); } });
}

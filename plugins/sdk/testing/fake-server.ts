import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface RecordedRequest {
  method: string;
  path: string;
  query: Record<string, string>;
  headers: Record<string, string>;
  body: string;
  /** The body parsed as JSON, when it is JSON. */
  json?: any; // eslint-disable-line @typescript-eslint/no-explicit-any
  /** The body parsed as a form, when it is one. */
  form?: Record<string, string>;
}

export interface FakeReply {
  status?: number;
  headers?: Record<string, string>;
  json?: unknown;
  body?: string;
  /** Delay the answer (timeouts). */
  delayMs?: number;
}

export type FakeHandler = (req: RecordedRequest, calls: number) => FakeReply | Promise<FakeReply>;

/** Routes keyed by `METHOD /path` (e.g. `GET /cgi-bin/token`). */
export type FakeRoutes = Record<string, FakeHandler>;

export interface FakeServer {
  /** `http://127.0.0.1:<port>` */
  url: string;
  requests: RecordedRequest[];
  /** Requests to one route. */
  calls(route: string): RecordedRequest[];
  /** Replaces routes (merged over the current ones). */
  route(routes: FakeRoutes): void;
  reset(routes?: FakeRoutes): void;
  close(): Promise<void>;
}

/**
 * A local HTTP server that plays a platform's API in tests (WeChat, WeCom, Douyin, TOP...): it speaks the
 * documented format, records every request, and 404s unknown routes.
 */
export async function startFakeServer(routes: FakeRoutes = {}): Promise<FakeServer> {
  let table: FakeRoutes = { ...routes };
  const requests: RecordedRequest[] = [];
  const counts = new Map<string, number>();
  const server: Server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', async () => {
      const u = new URL(req.url ?? '/', 'http://fake');
      const body = Buffer.concat(chunks).toString('utf8');
      const headers: Record<string, string> = {};
      for (const [k, v] of Object.entries(req.headers)) if (typeof v === 'string') headers[k] = v;
      const rec: RecordedRequest = { method: req.method ?? 'GET', path: u.pathname, query: Object.fromEntries(u.searchParams), headers, body };
      try { rec.json = JSON.parse(body); } catch { /* not JSON */ }
      if ((headers['content-type'] ?? '').includes('application/x-www-form-urlencoded')) rec.form = Object.fromEntries(new URLSearchParams(body));
      requests.push(rec);
      const key = `${rec.method} ${rec.path}`;
      const n = (counts.get(key) ?? 0) + 1;
      counts.set(key, n);
      const handler = table[key];
      let reply: FakeReply;
      try {
        reply = handler ? await handler(rec, n) : { status: 404, json: { error: `no fake route ${key}` } };
      } catch (e) {
        reply = { status: 500, body: String((e as Error).message) };
      }
      if (reply.delayMs) await new Promise((r) => setTimeout(r, reply.delayMs));
      if (res.destroyed) return;
      const payload = reply.json !== undefined ? JSON.stringify(reply.json) : reply.body ?? '';
      res.writeHead(reply.status ?? 200, { 'content-type': reply.json !== undefined ? 'application/json' : 'text/plain', ...reply.headers });
      res.end(payload);
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    calls: (route) => requests.filter((r) => `${r.method} ${r.path}` === route),
    route: (more) => { table = { ...table, ...more }; },
    reset: (next) => { table = { ...(next ?? routes) }; requests.length = 0; counts.clear(); },
    close: () => new Promise<void>((r) => { server.closeAllConnections(); server.close(() => r()); }),
  };
}

/** A URL nothing listens on (network-failure tests). */
export async function closedUrl(): Promise<string> {
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const { port } = s.address() as AddressInfo;
  await new Promise<void>((r) => s.close(() => r()));
  return `http://127.0.0.1:${port}`;
}

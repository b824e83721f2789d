import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Socket } from 'node:net';
import { createLogger } from '../subgraphs/_shared/logger.js';
import WebSocket, { WebSocketServer } from 'ws';
import { createWebhooksProxy, createWebhooksTunnel } from './webhooks-proxy.js';

// The proxy alone, between real sockets. The upstream is a plain server because these cases need what the
// conversations subgraph never does on purpose (drop a kept-alive connection); test/e2e/ingest.e2e.spec.ts
// covers the whole path through the real gateway and subgraph.

const log = createLogger('test-proxy', 'silent');
const listen = async (s: Server) => {
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  return (s.address() as AddressInfo).port;
};
const close = (s: Server) => new Promise<void>((r) => { s.close(() => r()); s.closeAllConnections(); });
const readAll = (req: IncomingMessage) => new Promise<Buffer>((r) => { const c: Buffer[] = []; req.on('data', (x: Buffer) => c.push(x)); req.on('end', () => r(Buffer.concat(c))); });

describe('gateway /webhooks proxy', () => {
  let upstream: Server;
  let gateway: Server;
  let proxy: ReturnType<typeof createWebhooksProxy>;
  let base: string;
  let handle: (req: IncomingMessage, res: ServerResponse, body: Buffer) => void;
  let seen: Array<{ url: string; headers: IncomingMessage['headers']; body: Buffer }>;

  beforeEach(async () => {
    seen = [];
    upstream = createServer(async (req, res) => {
      const body = await readAll(req);
      seen.push({ url: req.url!, headers: req.headers, body });
      handle(req, res, body);
    });
    const up = await listen(upstream);
    proxy = createWebhooksProxy(`http://127.0.0.1:${up}/graphql`, log);
    gateway = createServer((req, res) => proxy(req, res));
    base = `http://127.0.0.1:${await listen(gateway)}`;
  });
  afterEach(async () => {
    await close(gateway);
    await proxy.close();
    await close(upstream);
  });

  it('forwards the exact bytes, query and headers, and the answer with its status, headers and length', async () => {
    handle = (_req, res) => res.writeHead(202, { 'content-type': 'text/plain; charset=utf-8', 'content-length': '7', 'x-plugin': 'wechat' }).end('success');
    const body = Buffer.from('<xml><Encrypt><![CDATA[abc+/=]]></Encrypt><Content>你好</Content></xml>');
    const res = await fetch(`${base}/webhooks/abc?signature=s&timestamp=1&nonce=n`, { method: 'POST', headers: { 'content-type': 'text/xml', 'x-douyin-signature': 'sig' }, body });
    expect(res.status).toBe(202);
    expect(res.headers.get('x-plugin')).toBe('wechat');
    expect(res.headers.get('content-length')).toBe('7');
    expect(await res.text()).toBe('success');
    expect(seen).toHaveLength(1);
    expect(seen[0].url).toBe('/webhooks/abc?signature=s&timestamp=1&nonce=n');
    expect(seen[0].body.equals(body)).toBe(true);
    expect(seen[0].headers).toMatchObject({ 'content-type': 'text/xml', 'x-douyin-signature': 'sig', 'content-length': String(body.length), 'x-forwarded-for': '127.0.0.1' });
    expect(seen[0].headers['transfer-encoding']).toBeUndefined();
  });

  it("forwards a platform's GET URL verification (no body) and answers its echo", async () => {
    handle = (req, res) => res.writeHead(200, { 'content-type': 'text/plain' }).end(new URL(req.url!, 'http://x').searchParams.get('echostr') ?? '');
    const res = await fetch(`${base}/webhooks/abc?signature=s&timestamp=1&nonce=n&echostr=${encodeURIComponent('回声 123')}`);
    expect(res.status).toBe(200);
    expect(await res.text()).toBe('回声 123');
    expect(seen[0]).toMatchObject({ url: `/webhooks/abc?signature=s&timestamp=1&nonce=n&echostr=${encodeURIComponent('回声 123')}` });
    expect(seen[0].body.length).toBe(0);
  });

  it('streams a body larger than the buffering limit unchanged', async () => {
    handle = (_req, res, body) => res.writeHead(200, { 'content-type': 'text/plain' }).end(String(body.length));
    const big = Buffer.alloc(3 * 1024 * 1024 + 7, 'x');
    const res = await fetch(`${base}/webhooks/big`, { method: 'POST', body: big });
    expect(await res.text()).toBe(String(big.length));
    expect(seen[0].body.equals(big)).toBe(true);
  });

  it('sends a request again once when the kept-alive connection it went out on was reset, and answers 502 when the subgraph is down', async () => {
    const served = new Set<Socket>();
    handle = (req, res) => {
      if (served.has(req.socket)) return void req.socket.destroy(); // the subgraph dropped this connection
      served.add(req.socket);
      res.writeHead(200, { 'content-type': 'text/plain' }).end('success');
    };
    expect((await fetch(`${base}/webhooks/a`, { method: 'POST', body: 'one' })).status).toBe(200);
    const second = await fetch(`${base}/webhooks/a`, { method: 'POST', body: 'two' });
    expect(second.status).toBe(200);
    expect(await second.text()).toBe('success');
    expect(seen.map((s) => s.body.toString())).toEqual(['one', 'two', 'two']); // the reset one, then its repeat
    expect(served.size).toBe(2);

    await close(upstream);
    const down = await fetch(`${base}/webhooks/a`, { method: 'POST', body: 'three' });
    expect(down.status).toBe(502);
    expect(await down.text()).toBe('conversations service unavailable');
  });
});

describe('gateway /webhooks upgrade tunnel', () => {
  it('carries a WebSocket both ways with the upgrade\'s path and headers, and answers 502 when the subgraph is down', async () => {
    const upstream = createServer();
    const wss = new WebSocketServer({ server: upstream });
    const upgrades: Array<{ url?: string; origin?: string }> = [];
    wss.on('connection', (ws, req) => {
      upgrades.push({ url: req.url, origin: req.headers.origin });
      ws.on('message', (d) => ws.send(`echo:${String(d)}`));
    });
    const up = await listen(upstream);
    const tunnel = createWebhooksTunnel(`http://127.0.0.1:${up}/graphql`, log);
    const gateway = createServer();
    gateway.on('upgrade', (req, socket, head) => tunnel(req, socket, head));
    const url = `ws://127.0.0.1:${await listen(gateway)}/webhooks/abc?x=1`;
    try {
      const ws = new WebSocket(url, { headers: { origin: 'https://www.brand.example' } });
      await new Promise((r, j) => { ws.once('open', r); ws.once('error', j); });
      const reply = new Promise<string>((r) => ws.once('message', (d) => r(String(d))));
      ws.send('你好');
      expect(await reply).toBe('echo:你好');
      expect(upgrades).toEqual([{ url: '/webhooks/abc?x=1', origin: 'https://www.brand.example' }]);
      ws.close();

      wss.close();
      await close(upstream);
      const status = await new Promise<number>((r) => {
        const x = new WebSocket(url);
        x.once('unexpected-response', (_q, res) => r(res.statusCode ?? 0));
        x.once('error', () => r(-1));
      });
      expect(status).toBe(502);
    } finally {
      tunnel.close();
      await close(gateway);
    }
  });
});

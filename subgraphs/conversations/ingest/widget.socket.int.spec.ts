import WebSocket from 'ws';
import { gql, gqlOk } from '../../../test/helpers/graphql-client.js';
import { newTenant, TEST_SECRET, tokenFor } from '../../../test/helpers/env.js';
import { leftoverSubgraphs, startTestSubgraph, type TestSubgraph } from '../../../test/helpers/subgraph-harness.js';
import { until } from '../../../test/helpers/until.js';
import { subscribe, wsClient } from '../../../test/helpers/ws-client.js';
import { customersSubgraph } from '../../customers/index.js';
import type { ConversationsServices } from '../conversations.services.js';
import { conversationsWithIngest } from './ingest.module.js';

jest.setTimeout(60_000);

const CREATE = `mutation($i: CreateChannelInput!) { createChannel(input: $i) { webhookUrl channel { id } } }`;
const DISABLE = `mutation($id: ID!) { disableChannel(input: { id: $id }) { channel { id enabled } } }`;
const CONVS = `query { conversations(first: 20) { nodes { id channelType messages { nodes { kind text senderType } } } } }`;
const SEND = `mutation($i: SendMessageInput!) { sendMessage(input: $i) { message { id delivery { status outcome } } } }`;
const WIDGET_SECRET = 'widget-secret-0123456789abcdefghijklmnop';

/** A widget client: every frame it receives, in order, and a way to wait for the next one of a type. */
class Widget {
  readonly frames: Array<Record<string, any>> = [];
  private constructor(readonly ws: WebSocket) {
    ws.on('message', (d) => this.frames.push(JSON.parse(String(d))));
  }

  static open(url: string, headers: Record<string, string> = {}): Promise<Widget> {
    const ws = new WebSocket(url, { headers });
    return new Promise((resolve, reject) => {
      ws.once('open', () => resolve(new Widget(ws)));
      ws.once('unexpected-response', (_req, res) => reject(Object.assign(new Error(`HTTP ${res.statusCode}`), { status: res.statusCode })));
      ws.once('error', reject);
    });
  }

  send(frame: Record<string, unknown>): void { this.ws.send(JSON.stringify(frame)); }

  next(type: string, after = 0): Promise<Record<string, any>> {
    return until(async () => this.frames.slice(after).find((f) => f.type === type));
  }

  close(): Promise<void> {
    if (this.ws.readyState === WebSocket.CLOSED) return Promise.resolve();
    return new Promise((r) => { this.ws.once('close', () => r()); this.ws.close(); });
  }
}

describe('the chat widget over a WebSocket (web channel, two replicas, real MariaDB + Redis)', () => {
  let customers: TestSubgraph;
  let a: TestSubgraph;
  let b: TestSubgraph;
  let admin: string;
  let agent: string;
  let channelId: string;
  const start = () => startTestSubgraph(conversationsWithIngest({ customersUrl: customers.url, jwtSecret: TEST_SECRET, sweepIntervalMs: 100, publicBaseUrl: 'https://cs.example.com' }), { db: 'widget', stream: 'widget' });
  const wsUrl = (s: TestSubgraph, id = channelId) => `${s.url.replace(/^http/, 'ws').replace(/\/graphql$/, '')}/webhooks/${id}`;
  const live = (s: TestSubgraph) => (s.services as ConversationsServices).liveConnections.size;

  beforeAll(async () => {
    customers = await startTestSubgraph(customersSubgraph, { db: 'widget_customers', stream: 'widget-customers' });
    a = await start();
    b = await start();
    const tenant = newTenant('wdg');
    admin = await tokenFor(tenant, ['admin']);
    agent = await tokenFor(tenant, ['agent'], 'agent-1');
    channelId = (await gqlOk(a.url, CREATE, { i: { type: 'web', name: 'Brand site', config: { widgetSecret: WIDGET_SECRET } } }, admin)).createChannel.channel.id;
  });

  afterAll(async () => {
    for (const s of leftoverSubgraphs()) await s.close();
  });

  test('a visitor gets a token, a message is stored once and acknowledged, and an agent reply sent on another replica arrives live', async () => {
    const w = await Widget.open(wsUrl(a), { origin: 'https://www.brand.example' });
    w.send({ v: 1, type: 'hello', page: { url: 'https://www.brand.example/rice/5kg' } });
    const welcome = await w.next('welcome');
    expect(welcome.clientId).toMatch(/^v_/);
    expect(welcome.token).toMatch(/^v1\./);
    const token = welcome.token as string;

    w.send({ v: 1, type: 'message', token, id: 'c-1', content: { kind: 'text', text: '五常大米什么时候发货？' } });
    expect((await w.next('ack')).ids).toEqual(['c-1']);
    w.send({ v: 1, type: 'message', token, id: 'c-1', content: { kind: 'text', text: '五常大米什么时候发货？' } }); // a client's retry
    await until(async () => w.frames.filter((f) => f.type === 'ack').length === 2);
    const conv = await until(async () => (await gqlOk(b.url, CONVS, {}, admin)).conversations.nodes.find((c: { channelType: string }) => c.channelType === 'web'));
    expect(conv.messages.nodes).toEqual([{ kind: 'text', text: '五常大米什么时候发货？', senderType: 'CUSTOMER' }]);

    // The socket is held by replica a; the reply is sent through replica b.
    expect(live(a)).toBe(1);
    expect(live(b)).toBe(0);
    const seen = w.frames.length;
    const sent = (await gqlOk(b.url, SEND, { i: { conversationId: conv.id, text: '今天下午发出' } }, agent)).sendMessage.message;
    expect(sent.delivery).toEqual({ status: 'SENT', outcome: 'delivered' });
    const reply = await w.next('message', seen);
    expect(reply).toMatchObject({ v: 1, type: 'message', id: sent.id, content: { kind: 'text', text: '今天下午发出' }, sender: { type: 'agent' } });

    // A read receipt over the socket is stored as an event of the conversation (typing is live only).
    w.send({ v: 1, type: 'typing', token, state: 'start' });
    w.send({ v: 1, type: 'read', token, upTo: sent.id });
    await until(async () => w.frames.filter((f) => f.type === 'ack').length === 4);

    await w.close();
    await until(async () => live(a) === 0);
    // Offline now: the reply is queued. Back online (another socket, on b), the visitor asks what it missed.
    const missed = (await gqlOk(a.url, SEND, { i: { conversationId: conv.id, text: '单号稍后发您' } }, agent)).sendMessage.message;
    expect(missed.delivery).toEqual({ status: 'SENT', outcome: 'queued' });
    const again = await Widget.open(wsUrl(b));
    again.send({ v: 1, type: 'hello', token });
    expect((await again.next('welcome')).clientId).toBe(welcome.clientId);
    again.send({ v: 1, type: 'sync', token, after: sent.id });
    const history = await again.next('messages');
    expect(history).toMatchObject({ v: 1, type: 'messages', more: false, messages: [{ type: 'message', id: missed.id, content: { kind: 'text', text: '单号稍后发您' }, sender: { type: 'agent' } }] });
    expect(history.messages).toHaveLength(1);
    await until(async () => live(b) === 1);
    const third = (await gqlOk(a.url, SEND, { i: { conversationId: conv.id, text: '已发货' } }, agent)).sendMessage.message;
    expect((await again.next('message')).id).toBe(third.id);
    await again.close();

    // The HTTP fallback polls the same way; without `after` it gets the latest, oldest first.
    const polled = await fetch(wsUrl(a).replace(/^ws/, 'http'), { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ v: 1, type: 'sync', token }) });
    expect(polled.status).toBe(200);
    expect((await polled.json()).messages.map((m: { id: string }) => m.id)).toEqual([sent.id, missed.id, third.id]);
    // Another visitor's token sees none of it.
    const other = await (await fetch(wsUrl(a).replace(/^ws/, 'http'), { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ v: 1, type: 'hello' }) })).json();
    const theirs = await fetch(wsUrl(a).replace(/^ws/, 'http'), { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ v: 1, type: 'sync', token: other.token }) });
    expect(await theirs.json()).toEqual({ v: 1, type: 'messages', messages: [], more: false });
  });

  test('typing both ways: the visitor\'s reaches the agents watching the conversation, an agent\'s reaches the visitor', async () => {
    const w = await Widget.open(wsUrl(a));
    w.send({ v: 1, type: 'hello' });
    const { token } = await w.next('welcome');
    w.send({ v: 1, type: 'message', token, id: 't-1', content: { kind: 'text', text: '能开发票吗？' } });
    const conv = await until(async () => (await gqlOk(b.url, CONVS, {}, admin)).conversations.nodes.find((c: { messages: { nodes: Array<{ text: string }> } }) => c.messages.nodes.some((m) => m.text === '能开发票吗？')));

    const client = wsClient(b.url, agent);
    const sub = subscribe(client, `subscription($id: ID!) { conversationEvents(conversationId: $id) { kind typing { by state agentId } } }`, { id: conv.id });
    try {
      // The subscription's upstream comes up lazily: keep typing until it is seen.
      const typed = until(async () => sub.events.find((e) => e.conversationEvents.typing?.by === 'CUSTOMER'));
      const timer = setInterval(() => w.send({ v: 1, type: 'typing', token, state: 'start' }), 200);
      const seen = await typed.finally(() => clearInterval(timer));
      expect(seen.conversationEvents).toEqual({ kind: 'TYPING', typing: { by: 'CUSTOMER', state: 'START', agentId: null } });

      const frames = w.frames.length;
      expect((await gqlOk(b.url, `mutation($i: SetTypingInput!) { setTyping(input: $i) }`, { i: { conversationId: conv.id, typing: true } }, agent)).setTyping).toBe(true);
      expect(await w.next('typing', frames)).toEqual({ v: 1, type: 'typing', state: 'start', sender: { type: 'agent' } });
      const byAgent = await until(async () => sub.events.find((e) => e.conversationEvents.typing?.by === 'AGENT'));
      expect(byAgent.conversationEvents.typing).toEqual({ by: 'AGENT', state: 'START', agentId: 'agent-1' });
    } finally {
      sub.dispose();
      await client.dispose();
      await w.close();
    }
    // Another tenant's agent cannot type into it.
    const stranger = await tokenFor(newTenant('wdg2'), ['agent'], 'agent-9');
    expect((await gql(b.url, `mutation($i: SetTypingInput!) { setTyping(input: $i) }`, { i: { conversationId: conv.id, typing: true } }, stranger)).errors?.[0].extensions?.code).toBe('NOT_FOUND');
  });

  test('the HTTP fallback answers CORS for a page on another origin (preflight, answer and refusal); a WeChat channel does not', async () => {
    const url = wsUrl(a).replace(/^ws/, 'http');
    const origin = 'https://www.brand.example';
    const pre = await fetch(url, { method: 'OPTIONS', headers: { origin, 'access-control-request-method': 'POST', 'access-control-request-headers': 'content-type' } });
    expect(pre.status).toBe(204);
    expect(pre.headers.get('access-control-allow-origin')).toBe(origin);
    expect(pre.headers.get('access-control-allow-methods')).toContain('POST');
    expect(pre.headers.get('access-control-allow-headers')).toContain('content-type');
    const hello = await fetch(url, { method: 'POST', headers: { origin, 'content-type': 'application/json' }, body: JSON.stringify({ v: 1, type: 'hello' }) });
    expect(hello.status).toBe(200);
    expect(hello.headers.get('access-control-allow-origin')).toBe(origin);
    expect((await hello.json()).type).toBe('welcome');
    const bad = await fetch(url, { method: 'POST', headers: { origin, 'content-type': 'application/json' }, body: '{"v":1,"type":"message"}' });
    expect(bad.status).toBe(400);
    expect(bad.headers.get('access-control-allow-origin')).toBe(origin);
    const oa = (await gqlOk(a.url, CREATE, { i: { type: 'wechat-oa', name: 'OA for CORS', config: { appId: 'wx4ab900c96f6b0360', appSecret: 'app-secret-0123456789', token: 'QDG6eK', mode: 'plaintext' } } }, admin)).createChannel.channel.id;
    const none = await fetch(wsUrl(a, oa).replace(/^ws/, 'http'), { method: 'OPTIONS', headers: { origin } });
    expect(none.status).toBe(405);
    expect(none.headers.get('access-control-allow-origin')).toBeNull();
  });

  test('a frame that is binary or larger than the channel takes gets an error frame; the socket stays', async () => {
    const w = await Widget.open(wsUrl(a));
    w.ws.send(Buffer.from('{"v":1,"type":"hello"}'), { binary: true });
    expect(await w.next('error')).toMatchObject({ status: 400, code: 'BAD_REQUEST' });
    w.send({ v: 1, type: 'hello', page: { title: 'x'.repeat(70 * 1024) } }); // the web channel takes 64 KB
    expect(await until(async () => w.frames.filter((f) => f.type === 'error')[1])).toMatchObject({ status: 413, code: 'TOO_LARGE' });
    w.send({ v: 1, type: 'hello' });
    expect((await w.next('welcome')).token).toMatch(/^v1\./);
    await w.close();
  });

  test('refusals: an unknown channel and a channel without sockets are refused before the upgrade; a bad frame gets an error frame and the socket stays', async () => {
    await expect(Widget.open(wsUrl(a, '00000000-0000-4000-8000-000000000000'))).rejects.toMatchObject({ status: 404 });
    const oa = (await gqlOk(a.url, CREATE, { i: { type: 'wechat-oa', name: 'OA', config: { appId: 'wx4ab900c96f6b0360', appSecret: 'app-secret-0123456789', token: 'QDG6eK', mode: 'plaintext' } } }, admin)).createChannel.channel.id;
    await expect(Widget.open(wsUrl(a, oa))).rejects.toMatchObject({ status: 400 });

    const w = await Widget.open(wsUrl(a));
    w.send({ v: 1, type: 'message', token: 'v1.forged.token', id: 'x', content: { kind: 'text', text: 'hi' } });
    expect(await w.next('error')).toMatchObject({ status: 401, code: 'AUTH' });
    w.ws.send('<xml>not json</xml>');
    expect((await until(async () => w.frames.filter((f) => f.type === 'error')[1]))).toMatchObject({ status: 400, code: 'BAD_REQUEST' });
    w.send({ v: 1, type: 'hello' });
    expect((await w.next('welcome')).token).toMatch(/^v1\./); // still open and answering
    const forged = (await gqlOk(b.url, CONVS, {}, admin)).conversations.nodes.flatMap((c: { messages: { nodes: Array<{ text: string }> } }) => c.messages.nodes.map((m) => m.text));
    expect(forged).not.toContain('hi');

    // Disabling the channel closes its sockets at their next frame (1008), and refuses new ones (403).
    expect((await gqlOk(a.url, DISABLE, { id: channelId }, admin)).disableChannel.channel.enabled).toBe(false);
    const closed = new Promise<number>((r) => w.ws.once('close', (code) => r(code)));
    await until(async () => {
      w.send({ v: 1, type: 'hello' });
      return (await Promise.race([closed, new Promise<null>((r) => setTimeout(() => r(null), 300))])) ?? null;
    }).then((code) => expect(code).toBe(1008));
    await expect(Widget.open(wsUrl(a))).rejects.toMatchObject({ status: 403 });
  });
});

import type { InboundRequest } from '../sdk/channel.js';
import { createTestHost, runChannelConformance } from '../sdk/testing/index.js';
import plugin, { mintClientToken, readClientToken } from './index.js';

const SECRET = 'w1dget-secret-0123456789abcdefghijklmn';
const CFG = { widgetSecret: SECRET, allowedOrigins: ['https://www.brand.example'] };
const NOW = Date.UTC(2024, 5, 1, 8, 0, 0);
const VISITOR = 'v_3b5e0c9a-1f0e-4a7c-9d55-5c1d0f3e8a21';
const TOKEN = mintClientToken(SECRET, { sub: VISITOR, kind: 'visitor', iat: NOW / 1000 - 60, exp: NOW / 1000 + 86_400 });

const frame = (body: unknown, headers: Record<string, string> = {}): InboundRequest => ({
  method: 'POST', path: '/webhooks/web', query: {}, headers: { 'content-type': 'application/json', origin: 'https://www.brand.example', ...headers },
  rawBody: Buffer.isBuffer(body) ? body : Buffer.from(typeof body === 'string' ? body : JSON.stringify(body)), receivedAt: new Date(NOW),
});
const text = (id: string, t: string) => ({ v: 1, type: 'message', token: TOKEN, id, sentAt: NOW - 500, content: { kind: 'text', text: t } });

runChannelConformance({
  plugin,
  channelType: 'web',
  channelConfig: CFG,
  now: NOW,
  signedRequest: (body) => frame(body),
  bodyIsSigned: true,
  inbound: [
    { name: 'a text message frame', request: () => frame(text('c-1', '你好')), events: 1, response: { body: '{"v":1,"type":"ack","ids":["c-1"]}' } },
    { name: 'an HTTP fallback batch (message, typing, read)', request: () => frame({ v: 1, type: 'batch', token: TOKEN, frames: [{ v: 1, type: 'typing', state: 'start' }, { ...text('c-2', 'hi'), token: undefined }, { v: 1, type: 'read', upTo: 'srv-9' }] }), events: 3 },
    { name: 'a first hello without a token', request: () => frame({ v: 1, type: 'hello', page: { url: 'https://www.brand.example/rice' } }), events: 0, response: { body: /"type":"welcome".*"token":"v1\./ } },
  ],
  rejected: [
    { name: 'a forged token', request: () => frame({ ...text('c-3', 'x'), token: mintClientToken('another-secret-0123456789abcdefghij', { sub: VISITOR, kind: 'visitor', iat: 1 }) }) },
    { name: 'an expired token', request: () => frame({ ...text('c-4', 'x'), token: mintClientToken(SECRET, { sub: VISITOR, kind: 'visitor', iat: 1, exp: NOW / 1000 - 1 }) }) },
    { name: 'a message without a token', request: () => frame({ ...text('c-5', 'x'), token: undefined }) },
    { name: 'a foreign origin', request: () => frame(text('c-6', 'x'), { origin: 'https://evil.example' }) },
    { name: 'an unknown frame type', request: () => frame({ v: 1, type: 'teleport', token: TOKEN }), code: 'BAD_REQUEST' },
  ],
  outbound: {
    routes: {},
    message: { id: 'srv-1', recipient: { channelType: 'web', externalId: VISITOR }, content: { kind: 'text', text: '您好，有什么可以帮您？' }, sender: { type: 'agent', name: '小米' } },
    check: (res) => expect(res).toEqual({ externalMessageId: 'srv-1', status: 'queued' }),
    failures: [],
  },
});

describe('web widget protocol', () => {
  const t = createTestHost(plugin, { now: NOW });
  const ch = t.bind(CFG, { id: 'ch-web' });

  it('mints a visitor token on the first hello that later frames authenticate with', () => {
    const { events, response } = ch.accept(frame({ v: 1, type: 'hello', page: { url: 'https://www.brand.example/' } }));
    expect(events).toEqual([]);
    const welcome = JSON.parse(response.body);
    expect(welcome).toMatchObject({ v: 1, type: 'welcome', clientId: expect.stringMatching(/^v_/) });
    expect(readClientToken(welcome.token, SECRET, 'visitor', new Date(NOW))).toMatchObject({ sub: welcome.clientId, kind: 'visitor', exp: NOW / 1000 + 365 * 86_400 });
    const [ev] = ch.accept(frame({ ...text('m1', 'hello'), token: welcome.token })).events;
    expect(ev).toMatchObject({ sender: { channelType: 'web', externalId: welcome.clientId }, dedupeKey: `msg:${welcome.clientId}:m1`, externalMessageId: 'm1', context: { clientId: welcome.clientId } });
    // the frame is kept for audit, but not the visitor's token (a credential)
    expect(ev.raw).toEqual({ v: 1, type: 'message', id: 'm1', sentAt: NOW - 500, content: { kind: 'text', text: 'hello' } });
  });

  it('maps typing as ephemeral, read receipts as events, a hello with token as an ephemeral session start', () => {
    const evs = ch.accept(frame({ v: 1, type: 'batch', token: TOKEN, frames: [{ v: 1, type: 'hello', page: { url: 'https://www.brand.example/p/1' } }, { v: 1, type: 'typing', state: 'stop' }, { v: 1, type: 'read', upTo: 'srv-1' }] })).events;
    expect(evs.map((e) => [e.content.kind === 'event' && e.content.name, e.ephemeral ?? false, e.signal ?? false])).toEqual([['session_start', true, false], ['typing', true, false], ['read', false, true]]);
    expect(evs[0].context).toEqual({ clientId: VISITOR, pageUrl: 'https://www.brand.example/p/1' });
    expect(evs[2]).toMatchObject({ dedupeKey: `read:${VISITOR}:srv-1`, content: { key: 'srv-1' } });
  });

  it('a sync frame asks the host for what the visitor missed (ephemeral); history answers with message frames', () => {
    const { events } = ch.accept(frame({ v: 1, type: 'sync', token: TOKEN, after: 'srv-1' }));
    expect(events).toEqual([expect.objectContaining({ ephemeral: true, content: { kind: 'event', name: 'sync', key: 'srv-1' }, context: { clientId: VISITOR } })]);
    expect(ch.accept(frame({ v: 1, type: 'sync', token: TOKEN })).events[0].content).toEqual({ kind: 'event', name: 'sync' });
    expect(() => ch.accept(frame({ v: 1, type: 'sync', token: 'v1.x.y' }))).toThrow(expect.objectContaining({ code: 'AUTH' }));
    const message = { id: 'srv-2', recipient: { channelType: 'web', externalId: VISITOR }, content: { kind: 'text' as const, text: '在的' }, sender: { type: 'agent' as const } };
    const r = ch.history([{ message, sentAt: new Date(NOW - 1000) }], true, frame({ v: 1, type: 'sync', token: TOKEN }));
    expect(r.status).toBe(200);
    expect(JSON.parse(r.body)).toEqual({ v: 1, type: 'messages', more: true, messages: [{ v: 1, type: 'message', id: 'srv-2', sentAt: NOW - 1000, content: { kind: 'text', text: '在的' }, sender: { type: 'agent' } }] });
    expect(ch.answersHistory).toBe(true);
  });

  it('refuses app user tokens, events as customer content and oversized batches', () => {
    const user = mintClientToken(SECRET, { sub: 'u1', kind: 'user', iat: 1 });
    expect(() => ch.accept(frame({ ...text('x', 'y'), token: user }))).toThrow(expect.objectContaining({ code: 'AUTH' }));
    expect(() => ch.accept(frame({ ...text('x', 'y'), content: { kind: 'order', action: 'query', orderId: '1' } }))).toThrow(expect.objectContaining({ code: 'BAD_REQUEST' }));
    expect(() => ch.accept(frame({ v: 1, type: 'batch', token: TOKEN, frames: Array.from({ length: 51 }, (_, i) => ({ v: 1, type: 'typing', state: 'start', i })) }))).toThrow(expect.objectContaining({ code: 'BAD_REQUEST' }));
  });

  it('delivers replies over the live connection, and queues them when the visitor is offline', async () => {
    const msg = { id: 'srv-2', recipient: { channelType: 'web', externalId: VISITOR }, content: { kind: 'text' as const, text: '在的' }, sender: { type: 'bot' as const, name: '小助手' } };
    await expect(ch.send(msg)).resolves.toEqual({ externalMessageId: 'srv-2', status: 'queued' });
    t.connections.online.add(VISITOR);
    await expect(ch.send(msg)).resolves.toEqual({ externalMessageId: 'srv-2', status: 'delivered' });
    expect(t.connections.frames).toEqual([{ channelId: 'ch-web', clientId: VISITOR, frame: { v: 1, type: 'message', id: 'srv-2', sentAt: NOW, content: { kind: 'text', text: '在的' }, sender: { type: 'bot', name: '小助手' } } }]);
  });

  it('shows an agent typing on the live connection (SDK 1.2 typing)', async () => {
    const before = t.connections.frames.length;
    await expect(ch.typing({ recipient: { channelType: 'web', externalId: VISITOR } }, 'start')).resolves.toBe(true);
    expect(t.connections.frames.slice(before)).toEqual([{ channelId: 'ch-web', clientId: VISITOR, frame: { v: 1, type: 'typing', state: 'start', sender: { type: 'agent' } } }]);
  });
});

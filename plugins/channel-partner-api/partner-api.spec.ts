import type { InboundRequest } from '../sdk/channel.js';
import { signPayload, verifySignedPayload } from '../sdk/webhook-signature.js';
import { createTestHost, runChannelConformance, startFakeServer, type FakeServer } from '../sdk/testing/index.js';
import plugin, { newPartnerSecret, rotatePartnerSecret } from './index.js';

const SECRET = 'partner-secret-0123456789abcdefghijklmnop';
const NOW = Date.UTC(2024, 5, 1, 4, 0, 0);
const cfg = (url: string) => ({ secret: SECRET, callbackUrl: `${url}/huiliu/callback` });
const post = (body: unknown, o: { secret?: string; ts?: number } = {}): InboundRequest => {
  const raw = Buffer.isBuffer(body) ? body : Buffer.from(typeof body === 'string' ? body : JSON.stringify(body));
  const ts = String(o.ts ?? NOW / 1000);
  return { method: 'POST', path: '/webhooks/p', query: {}, headers: { 'content-type': 'application/json', 'x-huiliu-timestamp': ts, 'x-huiliu-signature': signPayload(o.secret ?? SECRET, ts, raw) }, rawBody: raw, receivedAt: new Date(NOW) };
};
const MSG = { id: 'pm-1', contact: { identifier: 'user-42', name: 'Ana', phone: '+8613600136000' }, text: '想预约到店', conversation: { id: 'conv-9' }, sentAt: NOW - 1000 };

runChannelConformance({
  plugin,
  channelType: 'partner-api',
  channelConfig: cfg,
  now: NOW,
  signedRequest: (body) => post(body),
  bodyIsSigned: true,
  inbound: [
    { name: 'a text message', request: () => post(MSG), events: 1, response: { body: '{"received":1,"ids":["pm-1"]}' } },
    { name: 'a batch with rich content', request: () => post({ messages: [MSG, { id: 'pm-2', contact: { identifier: 'user-42' }, content: { kind: 'location', latitude: 31.2, longitude: 121.4, label: '徐汇店' } }] }), events: 2 },
  ],
  rejected: [
    { name: 'a wrong signature', request: () => post(MSG, { secret: 'wrong-secret-0123456789abcdefghijklmnop' }) },
    { name: 'a timestamp 5 minutes and 1 second old', request: () => post(MSG, { ts: NOW / 1000 - 301 }) },
  ],
  outbound: {
    routes: { 'POST /huiliu/callback': () => ({ json: { id: 'partner-msg-77' } }) },
    message: { id: 'out-1', recipient: { channelType: 'partner-api', externalId: 'user-42' }, content: { kind: 'text', text: '已为您预约' }, context: { conversationId: 'conv-9' }, sender: { type: 'agent', name: '小王' } },
    check: (res, reqs) => {
      expect(res).toEqual({ externalMessageId: 'partner-msg-77', status: 'sent' });
      const r = reqs[0];
      expect(r.json).toEqual({ event: 'message.created', id: 'out-1', channelId: expect.any(String), recipient: { identifier: 'user-42' }, conversation: { id: 'conv-9' }, content: { kind: 'text', text: '已为您预约' }, sender: { type: 'agent', name: '小王' }, createdAt: new Date(NOW).toISOString() });
      expect(r.headers['x-huiliu-delivery']).toBe('out-1');
      // the partner checks our signature exactly as we check theirs
      expect(() => verifySignedPayload({ headers: r.headers, rawBody: Buffer.from(r.body), receivedAt: new Date(NOW) }, SECRET)).not.toThrow();
    },
    failures: [
      { name: '401', routes: { 'POST /huiliu/callback': () => ({ status: 401, body: '' }) }, code: 'AUTH' },
      { name: '404 (unknown contact)', routes: { 'POST /huiliu/callback': () => ({ status: 404, body: '' }) }, code: 'INVALID_RECIPIENT' },
      { name: '429 with Retry-After', routes: { 'POST /huiliu/callback': () => ({ status: 429, headers: { 'retry-after': '7' }, body: '' }) }, code: 'RATE_LIMITED', retryable: true },
      { name: '500', routes: { 'POST /huiliu/callback': () => ({ status: 500, body: '' }) }, code: 'UNAVAILABLE', retryable: true },
      { name: '422', routes: { 'POST /huiliu/callback': () => ({ status: 422, body: '' }) }, code: 'BAD_REQUEST', retryable: false },
    ],
  },
});

describe('partner-api', () => {
  let fake: FakeServer;
  beforeAll(async () => { fake = await startFakeServer({ 'POST /huiliu/callback': () => ({ status: 204 }) }); });
  afterAll(() => fake.close());

  it('maps contacts and conversations, accepts the previous secret during rotation', () => {
    const ch = createTestHost(plugin, { now: NOW }).bind({ ...cfg(fake.url), secret: newPartnerSecret(), previousSecret: SECRET });
    expect(ch.accept(post(MSG)).events[0]).toMatchObject({ dedupeKey: 'msg:pm-1', sender: { channelType: 'partner-api', externalId: 'user-42', displayName: 'Ana', phone: '+8613600136000' }, thread: { id: 'conv-9' }, context: { conversationId: 'conv-9' }, content: { kind: 'text', text: '想预约到店' }, sentAt: new Date(NOW - 1000) });
  });

  it('refuses messages without content and secrets shorter than 32 characters', () => {
    const ch = createTestHost(plugin, { now: NOW }).bind(cfg(fake.url));
    expect(() => ch.accept(post({ id: 'x', contact: { identifier: 'u' } }))).toThrow(expect.objectContaining({ code: 'BAD_REQUEST', message: expect.stringContaining('content') }));
    expect(() => createTestHost(plugin).bind({ secret: 'short', callbackUrl: fake.url })).toThrow(/secret/);
    expect(newPartnerSecret()).toMatch(/^[A-Za-z0-9_-]{43}$/);
  });

  it('signs callbacks with both secrets during a rotation, so a partner still on the old one accepts them', async () => {
    const rotated = rotatePartnerSecret(cfg(fake.url), true);
    const ch = createTestHost(plugin, { now: NOW }).bind(rotated.config);
    const before = fake.requests.length;
    await ch.send({ id: 'out-rot', recipient: { channelType: 'partner-api', externalId: 'user-42' }, content: { kind: 'text', text: '您好' } });
    const r = fake.requests[before];
    const check = (secret: string) => verifySignedPayload({ headers: r.headers, rawBody: Buffer.from(r.body), receivedAt: new Date(NOW) }, secret);
    expect(() => check(SECRET)).not.toThrow(); // the partner has not switched yet
    expect(() => check(rotated.secret)).not.toThrow(); // or it has
    const after = createTestHost(plugin, { now: NOW }).bind(rotatePartnerSecret(rotated.config, false).config);
    await after.send({ id: 'out-done', recipient: { channelType: 'partner-api', externalId: 'user-42' }, content: { kind: 'text', text: '您好' } });
    expect(fake.requests.at(-1)!.headers['x-huiliu-signature'].split(',')).toHaveLength(1); // rotation over: one signature
  });

  it('rotates the secret, keeping the old one for inbound signatures only when asked', () => {
    const kept = rotatePartnerSecret({ ...cfg(fake.url), previousSecret: 'p'.repeat(32) }, true);
    expect(kept.config).toEqual({ ...cfg(fake.url), secret: kept.secret, previousSecret: SECRET });
    const ch = createTestHost(plugin, { now: NOW }).bind(kept.config);
    expect(ch.accept(post(MSG)).events).toHaveLength(1); // the old secret still verifies
    const dropped = rotatePartnerSecret(kept.config, false);
    expect(dropped.config).toEqual({ ...cfg(fake.url), secret: dropped.secret });
    expect(dropped.secret).not.toBe(kept.secret);
    expect(() => createTestHost(plugin, { now: NOW }).bind(dropped.config).accept(post(MSG))).toThrow(expect.objectContaining({ code: 'AUTH' }));
  });

  it('treats an empty 2xx from the partner as sent under our id', async () => {
    const ch = createTestHost(plugin, { now: NOW }).bind(cfg(fake.url));
    await expect(ch.send({ id: 'o2', recipient: { channelType: 'partner-api', externalId: 'u' }, content: { kind: 'text', text: 'x' } })).resolves.toEqual({ externalMessageId: 'o2', status: 'sent' });
  });
});

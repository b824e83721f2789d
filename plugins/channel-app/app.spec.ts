import type { InboundRequest } from '../sdk/channel.js';
import { verifySignedPayload } from '../sdk/webhook-signature.js';
import { createTestHost, runChannelConformance, startFakeServer, type FakeServer } from '../sdk/testing/index.js';
import plugin, { mintClientToken } from './index.js';

const CFG = { appSecret: 'app-shared-secret-0123456789abcdefghijkl', pushSecret: 'push-secret-0123456789', pushTitle: '汇流米业' };
const NOW = Date.UTC(2024, 5, 1, 8, 0, 0);
const USER = '10086';
const TOKEN = mintClientToken(CFG.appSecret, { sub: USER, kind: 'user', iat: NOW / 1000 - 10, exp: NOW / 1000 + 3600, phone: '+8613800138000', name: '王女士' });

const frame = (body: unknown): InboundRequest => ({ method: 'POST', path: '/webhooks/app', query: {}, headers: { 'content-type': 'application/json' }, rawBody: Buffer.from(typeof body === 'string' ? body : JSON.stringify(body)), receivedAt: new Date(NOW) });
const hello = () => frame({ v: 1, type: 'hello', token: TOKEN, platform: 'ios', pushToken: 'apns-device-token-abcdef0123456789' });

runChannelConformance({
  plugin,
  channelType: 'app',
  pluginConfig: (url) => ({ apiBaseUrl: url }),
  channelConfig: CFG,
  now: NOW,
  signedRequest: (body) => frame(body.toString()),
  bodyIsSigned: true,
  inbound: [
    { name: 'a logged-in user message', request: () => frame({ v: 1, type: 'message', token: TOKEN, id: 'a-1', content: { kind: 'text', text: '订单查询' } }), events: (e) => expect(e[0].sender).toEqual({ channelType: 'app', externalId: USER, phone: '+8613800138000', displayName: '王女士' }) },
    { name: 'a hello registering a push token (a signal: it opens no conversation)', request: hello, events: (e) => expect(e).toEqual([expect.objectContaining({ signal: true, content: expect.objectContaining({ name: 'push_token' }) })]), response: { body: `{"v":1,"type":"welcome","clientId":"${USER}"}` } },
  ],
  rejected: [
    { name: 'a web visitor token', request: () => frame({ v: 1, type: 'message', token: mintClientToken(CFG.appSecret, { sub: 'v_1', kind: 'visitor', iat: 1 }), id: 'x', content: { kind: 'text', text: 'x' } }) },
    { name: 'a hello without a token (apps always log in)', request: () => frame({ v: 1, type: 'hello' }) },
  ],
  outbound: {
    routes: { 'POST /v1/push': () => ({ json: { id: 'push-1' } }) },
    openWith: hello,
    message: { id: 'srv-app-1', recipient: { channelType: 'app', externalId: USER }, content: { kind: 'text', text: '您的订单已发货，预计明天送达' } },
    check: (res, reqs) => {
      expect(res).toEqual({ externalMessageId: 'srv-app-1', status: 'sent' });
      expect(reqs[0].json).toEqual({ to: 'apns-device-token-abcdef0123456789', platform: 'ios', title: '汇流米业', body: '您的订单已发货，预计明天送达', data: { messageId: 'srv-app-1', channelId: expect.any(String) } });
      expect(() => verifySignedPayload({ headers: reqs[0].headers, rawBody: Buffer.from(reqs[0].body), receivedAt: new Date(NOW) }, CFG.pushSecret)).not.toThrow();
    },
    // None: a push gateway's refusal costs the notification, never the message (queued for the app's sync; below).
    failures: [],
  },
});

describe('app', () => {
  let fake: FakeServer;
  beforeAll(async () => { fake = await startFakeServer({ 'POST /v1/push': () => ({ json: { id: 'p' } }) }); });
  afterAll(() => fake.close());
  /** A channel bound on a fresh host whose push gateway answers `status`, with the user's push token registered. */
  const withPushToken = async (status: number) => {
    fake.route({ 'POST /v1/push': () => (status === 200 ? { json: { id: 'p' } } : { status, json: {} }) });
    const ch = createTestHost(plugin, { now: NOW, config: { apiBaseUrl: fake.url } }).bind(CFG);
    await ch.receive(ch.accept(hello()).events);
    return ch;
  };

  it('delivers live when the user is online, pushes when offline, queues without a push token', async () => {
    const t = createTestHost(plugin, { now: NOW, config: { apiBaseUrl: fake.url } });
    const ch = t.bind(CFG);
    const msg = { id: 's1', recipient: { channelType: 'app', externalId: USER }, content: { kind: 'image' as const, url: 'https://cdn/x.jpg', caption: '发货单' } };
    await expect(ch.send(msg)).resolves.toMatchObject({ status: 'queued' });
    await ch.receive(ch.accept(hello()).events);
    await expect(ch.send(msg)).resolves.toMatchObject({ status: 'sent' });
    expect(fake.calls('POST /v1/push').at(-1)!.json.body).toBe('发货单');
    t.connections.online.add(USER);
    await expect(ch.send(msg)).resolves.toMatchObject({ status: 'delivered' });
    expect(fake.calls('POST /v1/push')).toHaveLength(1);
  });

  it('forgets a push token the gateway reports gone, and the message still waits for the app (queued, not failed)', async () => {
    const ch = await withPushToken(410);
    const msg = { id: 's2', recipient: { channelType: 'app', externalId: USER }, content: { kind: 'text' as const, text: 'x' } };
    const before = fake.calls('POST /v1/push').length;
    await expect(ch.send(msg)).resolves.toMatchObject({ status: 'queued' });
    await expect(ch.send(msg)).resolves.toMatchObject({ status: 'queued' });
    expect(fake.calls('POST /v1/push').length - before).toBe(1); // the gone token is not tried again
  });

  it("pushes once per message: a message's later parts reach the app by its sync, without ringing again", async () => {
    const ch = await withPushToken(200);
    const before = fake.calls('POST /v1/push').length;
    const to = { channelType: 'app', externalId: USER };
    await expect(ch.send({ id: 'm4', recipient: to, content: { kind: 'text', text: '发票见下' }, part: { index: 0, count: 2 } })).resolves.toMatchObject({ status: 'sent' });
    await expect(ch.send({ id: 'm4:1', recipient: to, content: { kind: 'image', url: 'https://cdn/i.jpg' }, part: { index: 1, count: 2 } })).resolves.toMatchObject({ status: 'queued' });
    expect(fake.calls('POST /v1/push').length - before).toBe(1);
  });

  it('queues the message when the push gateway fails (a notification missed, not the reply)', async () => {
    const ch = await withPushToken(503);
    const msg = { id: 's3', recipient: { channelType: 'app', externalId: USER }, content: { kind: 'text' as const, text: 'y' } };
    await expect(ch.send(msg)).resolves.toMatchObject({ status: 'queued' });
    expect(ch.health()).toMatchObject({ status: 'DEGRADED', lastError: 'UNAVAILABLE: push gateway: HTTP 503' });
  });

  it("shows a push gateway refusing our credentials in the channel's health (SDK 1.8 `problem`), and a push that works again clears it", async () => {
    const ch = await withPushToken(401);
    const msg = { id: 's5', recipient: { channelType: 'app', externalId: USER }, content: { kind: 'text' as const, text: 'z' } };
    await expect(ch.send(msg)).resolves.toMatchObject({ status: 'queued', problem: expect.objectContaining({ code: 'AUTH' }) });
    expect(ch.health()).toMatchObject({ status: 'DEGRADED', lastError: 'AUTH: push gateway: HTTP 401', consecutiveFailures: 1 });
    fake.route({ 'POST /v1/push': () => ({ json: { id: 'p' } }) });
    await expect(ch.send({ ...msg, id: 's6' })).resolves.toEqual({ externalMessageId: 's6', status: 'sent' });
    expect(ch.health()).toMatchObject({ status: 'UP', consecutiveFailures: 0 });
  });
});

import { startFakeServer, type FakeServer } from '../../plugins/sdk/testing/index.js';
import { signPayload, verifySignedPayload } from '../../plugins/sdk/index.js';
import { postPush, safeTextPush } from '../../plugins/wechat-common/wechat.testing.js';
import { gql, gqlOk } from '../helpers/graphql-client.js';
import { newTenant, tokenFor } from '../helpers/env.js';
import { eventually, freePort, startNode, waitForOk } from '../helpers/processes.js';
import { startSubgraphs, type Started } from '../helpers/topology.js';
import { subscribe, wsClient, type Subscription } from '../helpers/ws-client.js';
import WebSocket from 'ws';

/**
 * Channels end to end through the public edge, as real processes on MariaDB and Redis: customers and
 * conversations subgraphs, the gateway (GraphQL over HTTP and WebSocket, /webhooks/* forwarded), a fake WeChat
 * API server and a fake partner system, both real HTTP servers speaking the documented formats.
 */

const OA = { appId: 'wx5823bf96d3bd56c7', appSecret: 'e2e-app-secret-0123456789abcdef', token: 'E2eT0ken', encodingAESKey: 'kWxPEV2UEDyxWpmPdKC3F4dgPDmOvfKX1HGnEUDS1aR', mode: 'safe' };
const CHANNEL_KEY = `e1:${Buffer.from('huiliu-e2e-channel-secret-key-32').toString('base64')}`;

const CONVERSATIONS = `{ conversations(first: 50) { nodes { id channelType channel { id } customer { id name }
  messages { nodes { id text kind senderType payload } } } } }`;
const SEND = `mutation($i: SendMessageInput!) { sendMessage(input: $i) { message { id delivery { status errorCode error externalMessageId } } } }`;

describe('channels through the gateway (real processes)', () => {
  const procs: Started[] = [];
  let gateway: { url: string; base: string; stop(): Promise<unknown> };
  let wechat: FakeServer;
  let partnerSystem: FakeServer;
  const tenant = newTenant('ing');
  let admin: string;
  let agent: string;

  beforeAll(async () => {
    // The documented WeChat endpoints: access token (appid + secret), customer-service send (access_token).
    wechat = await startFakeServer({
      'GET /cgi-bin/token': (r) => (r.query.grant_type === 'client_credential' && r.query.appid === OA.appId && r.query.secret === OA.appSecret
        ? { json: { access_token: 'E2E_ACCESS_TOKEN', expires_in: 7200 } }
        : { json: { errcode: 40125, errmsg: 'invalid appsecret' } }),
      'POST /cgi-bin/message/custom/send': (r) => ({ json: r.query.access_token === 'E2E_ACCESS_TOKEN' ? { errcode: 0, errmsg: 'ok' } : { errcode: 40001, errmsg: 'invalid credential' } }),
    });
    partnerSystem = await startFakeServer({ 'POST /partner/callback': () => ({ json: { id: 'partner-side-1' } }) });

    const gatewayPort = await freePort();
    const base = `http://127.0.0.1:${gatewayPort}`;
    const customers = await startSubgraphs([{ name: 'customers' }], 'huiliu_e2e_ingest');
    const conversations = await startSubgraphs([{ name: 'conversations' }], 'huiliu_e2e_ingest', {
      CUSTOMERS_URL: customers.customers.url,
      PUBLIC_BASE_URL: base,
      CHANNEL_PLUGINS: JSON.stringify(['builtins', { plugin: 'channel-wechat-oa', config: { apiBaseUrl: wechat.url } }]),
      CHANNEL_SECRET_KEYS: CHANNEL_KEY,
      INGEST_SWEEP_MS: '200',
    });
    procs.push(customers.customers, conversations.conversations);
    const dead = `http://127.0.0.1:${await freePort()}/graphql`; // tickets, knowledge, analytics: not needed here
    const proc = startNode('gateway-ingest', 'gateway/main.js', {
      PORT: String(gatewayPort), HOST: '127.0.0.1',
      SUBGRAPH_CUSTOMERS_URL: customers.customers.url, SUBGRAPH_CONVERSATIONS_URL: conversations.conversations.url,
      SUBGRAPH_TICKETS_URL: dead, SUBGRAPH_KNOWLEDGE_URL: dead, SUBGRAPH_ANALYTICS_URL: dead,
    });
    await waitForOk(`${base}/healthz`, proc);
    gateway = { url: `${base}/graphql`, base, stop: () => proc.stop() };
    admin = await tokenFor(tenant, ['admin']);
    agent = await tokenFor(tenant, ['agent'], 'agent-e2e');
  }, 120_000);

  afterAll(async () => {
    await gateway?.stop();
    await Promise.all(procs.map((p) => p.proc.stop()));
    await wechat?.close();
    await partnerSystem?.close();
  });

  let msgId = BigInt(Date.now()) * 1000n; // 64-bit MsgIds
  const oaPush = (openId: string, text: string, o: { msgId?: string; badSignature?: boolean } = {}) =>
    safeTextPush(OA, { to: 'gh_e2e', from: openId, text, msgId: o.msgId ?? String(msgId++), badSignature: o.badSignature });
  const postTo = postPush;
  /** Posts fresh messages every 300 ms until the subscription has its first event (the socket's upstream is set up lazily). */
  const untilFirst = async <T>(sub: Subscription<T>, post: (i: number) => Promise<unknown>): Promise<T> => {
    let i = 0;
    let done = false;
    void sub.first.finally(() => (done = true));
    const until = Date.now() + 15_000;
    while (!done && Date.now() < until) {
      await post(i++);
      await Promise.race([sub.first.catch(() => undefined), new Promise((r) => setTimeout(r, 300))]);
    }
    return sub.first;
  };

  test('WeChat OA safe mode: webhook through the gateway, live on the WebSocket, exactly once, signatures enforced, replies through the customer-service API', async () => {
    const created = (await gqlOk(gateway.url, `mutation($i: CreateChannelInput!) { createChannel(input: $i) { webhookUrl channel { id config health { status } } } }`,
      { i: { type: 'wechat-oa', name: '服务号', config: OA } }, admin)).createChannel;
    const webhookUrl: string = created.webhookUrl;
    expect(webhookUrl).toBe(`${gateway.base}/webhooks/${created.channel.id}`);
    expect(created.channel.config).toEqual({ appId: OA.appId, appSecret: '[redacted]', token: '[redacted]', encodingAESKey: '[redacted]', mode: 'safe' });

    // a tenant-wide subscription through the gateway's WebSocket sees the first message open its conversation
    const client = wsClient(gateway.url, admin);
    const opened = subscribe<{ conversationUpdated: { id: string; channelType: string } }>(client, `subscription { conversationUpdated { id channelType } }`);
    const first = oaPush('oE2eCustomer', '第一条消息');
    const live = await untilFirst(opened, async (i) => {
      // WeChat redelivers: the same delivery four times at once, every one answered "success"
      const delivery = i === 0 ? first : oaPush('oE2eCustomer', `再发一条 ${i}`);
      const acks = await Promise.all([1, 2, 3, 4].map(() => postTo(webhookUrl, delivery)));
      for (const a of acks) expect(a).toEqual({ status: 200, body: 'success' });
    });
    expect(live.conversationUpdated.channelType).toBe('wechat-oa');
    const conversationId = live.conversationUpdated.id;
    opened.dispose();

    const conversation = await eventually(async () => {
      const c = (await gqlOk(gateway.url, CONVERSATIONS, {}, admin)).conversations.nodes.find((x: { id: string }) => x.id === conversationId);
      return c?.messages.nodes.some((m: { text: string }) => m.text === '第一条消息') ? c : undefined;
    });
    expect(conversation).toMatchObject({ channelType: 'wechat-oa', channel: { id: created.channel.id }, customer: { id: expect.any(String), name: expect.any(String) } });
    const texts = () => eventually(async () => (await gqlOk(gateway.url, CONVERSATIONS, {}, admin)).conversations.nodes.find((x: { id: string }) => x.id === conversationId)
      .messages.nodes.map((m: { text: string }) => m.text) as string[]);
    expect((await texts()).filter((t) => t === '第一条消息')).toHaveLength(1); // four deliveries, one message
    expect(conversation.messages.nodes.find((m: { text: string }) => m.text === '第一条消息')).toMatchObject({ kind: 'text', senderType: 'CUSTOMER', payload: { sender: { externalId: 'oE2eCustomer' } } });

    // the conversation's own event stream
    const events = subscribe<{ conversationEvents: { kind: string; message: { text: string } | null } }>(client,
      `subscription($c: ID!) { conversationEvents(conversationId: $c) { kind message { text } } }`, { c: conversationId });
    const ev = await untilFirst(events, (i) => postTo(webhookUrl, oaPush('oE2eCustomer', `实时 ${i}`)));
    expect(ev.conversationEvents).toEqual({ kind: 'MESSAGE', message: { text: expect.stringMatching(/^实时 \d+$/) } });
    events.dispose();
    await client.dispose();

    // a bad signature is refused and nothing is stored
    const payloads = async () => (await gqlOk(gateway.url, `query($c: ID) { inboundPayloads(channelId: $c, first: 200) { id } }`, { c: created.channel.id }, admin)).inboundPayloads.length;
    const before = await payloads();
    const forged = await postTo(webhookUrl, oaPush('oE2eCustomer', '伪造的消息', { badSignature: true }));
    expect(forged.status).toBe(401);
    expect(await payloads()).toBe(before);
    expect(await texts()).not.toContain('伪造的消息');

    // Too large for the channel (256 KB), past the proxy's buffering (1 MB), past anything read at all (16 MB):
    // 413 through the proxy each time, not a 502 the platform would retry.
    for (const size of [300 * 1024, 1_150_000, 17 * 1024 * 1024]) {
      const big = await fetch(webhookUrl, { method: 'POST', headers: { 'content-type': 'text/xml' }, body: Buffer.alloc(size, 'a') });
      expect({ size, status: big.status }).toEqual({ size, status: 413 });
    }
    expect(await payloads()).toBe(before);

    // A burst at once over many connections, a redelivery and a forgery among it: each delivery is answered for
    // itself through the proxy, and each message is stored once.
    const burst = Array.from({ length: 24 }, (_, i) => ({ text: `并发 ${i}`, delivery: oaPush(`oBurst${i % 6}`, `并发 ${i}`) }));
    const burstAcks = await Promise.all([...burst.map((b) => b.delivery), burst[0].delivery, oaPush('oBurst0', '伪造的并发', { badSignature: true })].map((d) => postTo(webhookUrl, d)));
    expect(burstAcks.map((a) => a.status)).toEqual([...burst.map(() => 200), 200, 401]);
    expect(burstAcks[0].body).toBe('success');
    const burstTexts = await eventually(async () => {
      const all = (await gqlOk(gateway.url, CONVERSATIONS, {}, admin)).conversations.nodes.flatMap((c: { messages: { nodes: Array<{ text: string }> } }) => c.messages.nodes.map((m) => m.text));
      const mine = all.filter((t: string) => t.startsWith('并发 ') || t === '伪造的并发');
      return mine.length >= burst.length ? mine : undefined;
    });
    expect([...burstTexts].sort()).toEqual(burst.map((b) => b.text).sort());

    // an agent's reply goes out through WeChat's customer-service API, with a token fetched with the (decrypted) AppSecret
    const reply = (await gqlOk(gateway.url, SEND, { i: { conversationId, text: '您好，已收到' } }, agent)).sendMessage.message;
    expect(reply.delivery).toMatchObject({ status: 'SENT', errorCode: null });
    expect(wechat.calls('GET /cgi-bin/token')[0].query).toEqual({ grant_type: 'client_credential', appid: OA.appId, secret: OA.appSecret });
    const sent = wechat.calls('POST /cgi-bin/message/custom/send').at(-1)!;
    expect(sent.query.access_token).toBe('E2E_ACCESS_TOKEN');
    expect(sent.json).toEqual({ touser: 'oE2eCustomer', msgtype: 'text', text: { content: '您好，已收到' } });
  });

  test('partner API channel: registered by a partner, signed messages in through the gateway, replies signed to its callback', async () => {
    const partner = await tokenFor(tenant, ['partner'], 'partner-e2e');
    const reg = (await gqlOk(gateway.url, `mutation($i: RegisterPartnerChannelInput!) { registerPartnerChannel(input: $i) { secret webhookUrl channel { id ownerId } } }`,
      { i: { name: 'E2E CRM', callbackUrl: `${partnerSystem.url}/partner/callback` } }, partner)).registerPartnerChannel;
    expect(reg.channel.ownerId).toBe('partner-e2e');
    expect(reg.webhookUrl).toBe(`${gateway.base}/webhooks/${reg.channel.id}`);
    expect((await gqlOk(gateway.url, `{ channels { id } }`, {}, partner)).channels).toEqual([{ id: reg.channel.id }]);

    const body = JSON.stringify({ id: 'crm-msg-1', contact: { identifier: 'crm-user-7', name: 'Ana' }, text: '想预约到店', conversation: { id: 'crm-conv-3' } });
    const ts = Math.floor(Date.now() / 1000);
    const sign = (secret: string) => ({ 'content-type': 'application/json', 'x-huiliu-timestamp': String(ts), 'x-huiliu-signature': signPayload(secret, ts, body) });
    const bad = await fetch(reg.webhookUrl, { method: 'POST', headers: sign('not-the-secret-0123456789abcdefghijklmn'), body });
    expect(bad.status).toBe(401);
    const ok = await fetch(reg.webhookUrl, { method: 'POST', headers: sign(reg.secret), body });
    expect(ok.status).toBe(200);
    expect(await ok.json()).toEqual({ received: 1, ids: ['crm-msg-1'] });

    const conversation = await eventually(async () => (await gqlOk(gateway.url, CONVERSATIONS, {}, admin)).conversations.nodes
      .find((c: { channel: { id: string } | null; messages: { nodes: Array<{ text: string }> } }) => c.channel?.id === reg.channel.id && c.messages.nodes.some((m) => m.text === '想预约到店')));
    expect(conversation.customer.name).toBe('Ana');

    const reply = (await gqlOk(gateway.url, SEND, { i: { conversationId: conversation.id, text: '已为您预约周六上午' } }, agent)).sendMessage.message;
    expect(reply.delivery).toMatchObject({ status: 'SENT', externalMessageId: 'partner-side-1' });
    const cb = partnerSystem.calls('POST /partner/callback').at(-1)!;
    expect(cb.json).toMatchObject({ event: 'message.created', id: reply.id, channelId: reg.channel.id, recipient: { identifier: 'crm-user-7' }, conversation: { id: 'crm-conv-3' }, content: { kind: 'text', text: '已为您预约周六上午' } });
    expect(cb.headers['x-huiliu-delivery']).toBe(reply.id);
    // the partner verifies our signature exactly as we verify theirs
    expect(() => verifySignedPayload({ headers: cb.headers, rawBody: Buffer.from(cb.body), receivedAt: new Date() }, reg.secret)).not.toThrow();

    // staff other than admins cannot manage a partner's channel
    expect((await gql(gateway.url, `mutation($i: DisableChannelInput!) { disableChannel(input: $i) { channel { id } } }`, { i: { id: reg.channel.id } }, agent)).errors?.[0].extensions?.code).toBe('FORBIDDEN');
  });
  test('web chat widget: a WebSocket on the gateway\'s /webhooks/:channelId, a visitor\'s message in, an agent\'s reply back live', async () => {
    const created = (await gqlOk(gateway.url, `mutation($i: CreateChannelInput!) { createChannel(input: $i) { webhookUrl channel { id } } }`,
      { i: { type: 'web', name: 'E2E site', config: { widgetSecret: 'e2e-widget-secret-0123456789abcdefghij' } } }, admin)).createChannel;
    const ws = new WebSocket(created.webhookUrl.replace(/^http/, 'ws'));
    const frames: Array<Record<string, any>> = [];
    ws.on('message', (d) => frames.push(JSON.parse(String(d))));
    await new Promise((resolve, reject) => { ws.once('open', resolve); ws.once('error', reject); });
    const next = (type: string, after = 0) => eventually(async () => frames.slice(after).find((f) => f.type === type));
    ws.send(JSON.stringify({ v: 1, type: 'hello' }));
    const { token } = await next('welcome');
    ws.send(JSON.stringify({ v: 1, type: 'message', token, id: 'e2e-1', content: { kind: 'text', text: '有没有东北大米礼盒？' } }));
    expect((await next('ack')).ids).toEqual(['e2e-1']);
    const conversation = await eventually(async () => (await gqlOk(gateway.url, CONVERSATIONS, {}, admin)).conversations.nodes
      .find((c: { channel: { id: string } | null }) => c.channel?.id === created.channel.id));
    expect(conversation.messages.nodes.map((m: { text: string }) => m.text)).toEqual(['有没有东北大米礼盒？']);
    const seen = frames.length;
    const reply = (await gqlOk(gateway.url, SEND, { i: { conversationId: conversation.id, text: '有的，5kg 礼盒' } }, agent)).sendMessage.message;
    expect(await next('message', seen)).toMatchObject({ id: reply.id, content: { kind: 'text', text: '有的，5kg 礼盒' } });
    // A channel that takes no sockets is refused by the subgraph, and the refusal comes back through the tunnel.
    const refused = await new Promise<number>((resolve) => {
      const x = new WebSocket(`${gateway.base.replace(/^http/, 'ws')}/webhooks/00000000-0000-4000-8000-000000000000`);
      x.once('unexpected-response', (_q, res) => resolve(res.statusCode ?? 0));
      x.once('error', () => resolve(-1));
    });
    expect(refused).toBe(404);
    ws.close();
  });
});

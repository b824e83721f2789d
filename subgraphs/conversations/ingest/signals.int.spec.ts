import { mintClientToken } from '../../../plugins/channel-app/index.js';
import { wechatPush, wechatXml } from '../../../plugins/wechat-common/wechat.testing.js';
import { gqlOk } from '../../../test/helpers/graphql-client.js';
import { newTenant, TEST_SECRET, tokenFor } from '../../../test/helpers/env.js';
import { startTestSubgraph, type TestSubgraph } from '../../../test/helpers/subgraph-harness.js';
import { until } from '../../../test/helpers/until.js';
import { customersSubgraph } from '../../customers/index.js';
import { conversationsWithIngest } from './ingest.module.js';

jest.setTimeout(60_000);

const APP = { appSecret: 'signal-app-secret-0123456789abcdefghij', pushTitle: '汇流米业' };
const OA = { appId: 'wx5823bf96d3bd56c7', appSecret: 'signal-oa-secret-0123456789', token: 'SignalT0ken', mode: 'plaintext' };
const CREATE = `mutation($i: CreateChannelInput!) { createChannel(input: $i) { channel { id } } }`;
const CONVS = `query { conversations(first: 50) { nodes { id status channelType messages(first: 50) { nodes { kind text senderType payload } } } } }`;
type Conv = { id: string; status: string; channelType: string; messages: { nodes: Array<{ kind: string; text: string; senderType: string; payload: { name?: string; sender?: { externalId: string } } }> } };

// SDK 1.4 `signal`: what a platform tells about a customer who is not writing (an app launch registering its
// push token, a read receipt, an unfollow, a location report) never opens or reopens a conversation.
describe('signals: receipts, push tokens, unfollows open no conversation (real MariaDB + Redis)', () => {
  let customers: TestSubgraph;
  let conv: TestSubgraph;
  let admin: string;
  let tenant: string;
  let app: string;
  let oa: string;

  const base = () => conv.url.replace(/\/graphql$/, '');
  const frame = async (body: Record<string, unknown>) => {
    const res = await fetch(`${base()}/webhooks/${app}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ v: 1, ...body }) });
    expect(res.status).toBe(200);
  };
  const token = (sub: string) => mintClientToken(APP.appSecret, { sub, kind: 'user', iat: Math.floor(Date.now() / 1000) - 5, exp: Math.floor(Date.now() / 1000) + 3600, name: '王女士' });
  let createTime = Math.floor(Date.now() / 1000);
  const oaEvent = async (openId: string, event: string, extra: Record<string, string> = {}) => {
    const body = wechatXml({ ToUserName: 'gh_signal', FromUserName: openId, CreateTime: createTime++, MsgType: 'event', Event: event, ...extra });
    const req = wechatPush({ token: OA.token, appId: OA.appId, mode: 'plaintext', body, timestamp: String(Math.floor(Date.now() / 1000)), nonce: String(Math.random()).slice(2, 11) });
    const res = await fetch(`${base()}/webhooks/${oa}?${new URLSearchParams(req.query)}`, { method: 'POST', headers: { 'content-type': 'text/xml' }, body: new Uint8Array(req.rawBody) });
    expect(res.status).toBe(200);
  };
  /** Every payload of the channel processed (a signal that left no message leaves nothing else to wait for). */
  const processed = (channelId: string, count: number) => until(async () => {
    const rows = (await gqlOk(conv.url, `query($c: ID) { inboundPayloads(channelId: $c, first: 200) { status } }`, { c: channelId }, admin)).inboundPayloads as Array<{ status: string }>;
    return rows.length === count && rows.every((r) => r.status === 'PROCESSED');
  });
  const conversations = async (channelType: string): Promise<Conv[]> => ((await gqlOk(conv.url, CONVS, {}, admin)).conversations.nodes as Conv[]).filter((c) => c.channelType === channelType);

  beforeAll(async () => {
    customers = await startTestSubgraph(customersSubgraph, { db: 'signals_customers', stream: 'signals-customers' });
    conv = await startTestSubgraph(conversationsWithIngest({ customersUrl: customers.url, jwtSecret: TEST_SECRET, sweepIntervalMs: 200 }), { db: 'signals', stream: 'signals' });
    tenant = newTenant('sig');
    admin = await tokenFor(tenant, ['admin']);
    app = (await gqlOk(conv.url, CREATE, { i: { type: 'app', name: 'App', config: APP } }, admin)).createChannel.channel.id;
    oa = (await gqlOk(conv.url, CREATE, { i: { type: 'wechat-oa', name: '服务号', config: OA } }, admin)).createChannel.channel.id;
  });

  afterAll(async () => {
    await conv?.close();
    await customers?.close();
  });

  test('an app launch registering its push token opens nothing; a read receipt joins the open conversation as a system line (not the reply context)', async () => {
    // The app starts: a hello with the device's push token, from a user who never wrote.
    await frame({ type: 'hello', token: token('u-1'), platform: 'ios', pushToken: 'apns-token-1' });
    await processed(app, 1);
    expect(await conversations('app')).toEqual([]);

    // The user writes: a conversation waits for an agent. Their read receipt joins it as a system line.
    await frame({ type: 'message', token: token('u-1'), id: 'm-1', content: { kind: 'text', text: '大米什么时候发货？' } });
    await frame({ type: 'read', token: token('u-1'), upTo: 'srv-1' });
    await processed(app, 3);
    const [open] = await conversations('app');
    expect(open.status).toBe('QUEUED');
    expect(open.messages.nodes.map((m) => [m.senderType, m.kind, m.text])).toEqual([['CUSTOMER', 'text', '大米什么时候发货？'], ['SYSTEM', 'event', '[read]']]);

    // Resolved, then the app launches again: the push token is noted in it, and it is not reopened.
    await gqlOk(conv.url, `mutation($i: ResolveConversationInput!) { resolveConversation(input: $i) { conversation { status } } }`, { i: { conversationId: open.id } }, admin);
    await frame({ type: 'hello', token: token('u-1'), platform: 'ios', pushToken: 'apns-token-2' });
    await processed(app, 4);
    const [after] = await conversations('app');
    expect(after.id).toBe(open.id);
    expect(after.status).toBe('RESOLVED');
    expect(after.messages.nodes.at(-1)).toMatchObject({ senderType: 'SYSTEM', kind: 'event', payload: { name: 'push_token' } });
  });

  test("a read receipt marks the messages sent to that client read, up to the one it names, and nobody else's", async () => {
    await frame({ type: 'message', token: token('u-2'), id: 'm-2', content: { kind: 'text', text: '我想改收货地址' } });
    const conversation = await until(async () => (await conversations('app')).find((c) => c.messages.nodes.some((m) => m.payload.sender?.externalId === 'u-2')));
    const agent = await tokenFor(tenant, ['agent'], 'agent-signals');
    const SEND = `mutation($i: SendMessageInput!) { sendMessage(input: $i) { message { id delivery { status readAt } } } }`;
    const send = async (text: string) => (await gqlOk(conv.url, SEND, { i: { conversationId: conversation.id, text } }, agent)).sendMessage.message as { id: string; delivery: { status: string; readAt: string | null } };
    const first = await send('好的，请告诉我新地址');
    const second = await send('改好后会短信通知您');
    expect(first.delivery).toEqual({ status: 'SENT', readAt: null });
    const readAt = async () => {
      const nodes = (await gqlOk(conv.url, `query($c: ID!) { conversation(id: $c) { messages(first: 50) { nodes { id delivery { readAt } } } } }`, { c: conversation.id }, admin)).conversation.messages.nodes as Array<{ id: string; delivery: { readAt: string | null } | null }>;
      return Object.fromEntries(nodes.filter((n) => n.delivery).map((n) => [n.id, n.delivery!.readAt]));
    };
    const before = (await gqlOk(conv.url, `query($c: ID) { inboundPayloads(channelId: $c, first: 200) { id } }`, { c: app }, admin)).inboundPayloads.length;

    // Another user's receipt naming u-2's message changes nothing; u-2's up to the first marks only the first.
    await frame({ type: 'read', token: token('u-3'), upTo: second.id });
    await frame({ type: 'read', token: token('u-2'), upTo: first.id });
    await processed(app, before + 2);
    const once = await readAt();
    expect(once[first.id]).toEqual(expect.any(String));
    expect(once[second.id]).toBeNull();
    // A later receipt marks the rest and keeps the time the first was read.
    await frame({ type: 'read', token: token('u-2'), upTo: second.id });
    await processed(app, before + 3);
    const twice = await readAt();
    expect(twice[second.id]).toEqual(expect.any(String));
    expect(twice[first.id]).toBe(once[first.id]);
  });

  test("WeChat: an unfollow or a location report opens nothing, a menu click still does, and a report joins the click's conversation", async () => {
    await oaEvent('oSignalA', 'unsubscribe');
    await oaEvent('oSignalA', 'LOCATION', { Latitude: '31.2304', Longitude: '121.4737', Precision: '65' });
    await processed(oa, 2);
    expect(await conversations('wechat-oa')).toEqual([]);

    await oaEvent('oSignalB', 'CLICK', { EventKey: 'CONTACT_SUPPORT' });
    await oaEvent('oSignalB', 'LOCATION', { Latitude: '31.2304', Longitude: '121.4737', Precision: '65' });
    await processed(oa, 4);
    const cs = await conversations('wechat-oa');
    expect(cs).toHaveLength(1);
    expect(cs[0].messages.nodes.map((m) => [m.senderType, m.payload.name])).toEqual([['CUSTOMER', 'click'], ['SYSTEM', 'location']]);
    expect(cs[0].messages.nodes[0].payload.sender?.externalId).toBe('oSignalB');
  });
});

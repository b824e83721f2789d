import { startFakeServer, type FakeServer } from '../../../plugins/sdk/testing/index.js';
import { wechatPush, wechatXml } from '../../../plugins/wechat-common/wechat.testing.js';
import { gql, gqlOk } from '../../../test/helpers/graphql-client.js';
import { leftoverSubgraphs, startTestSubgraph, type TestSubgraph } from '../../../test/helpers/subgraph-harness.js';
import mysql from 'mysql2/promise';
import { mysqlUrl, newTenant, TEST_SECRET, tokenFor } from '../../../test/helpers/env.js';
import { metric, scrape } from '../../../test/helpers/metrics.js';
import { until } from '../../../test/helpers/until.js';
import { subscribe, wsClient } from '../../../test/helpers/ws-client.js';
import { customersSubgraph } from '../../customers/index.js';
import type { ConversationsServices } from '../conversations.services.js';
import type { IngestConfig } from './ingest.config.js';
import { conversationsWithIngest } from './ingest.module.js';

jest.setTimeout(60_000);

const CFG = { appId: 'wx4ab900c96f6b0360', appSecret: 'app-secret-0123456789', token: 'QDG6eK', encodingAESKey: 'jWmYm7qr5nMoAUwZRjGtBxmz3KA1tkAj3ykkR6q2B2C', mode: 'safe' };
const CREATE = `mutation($i: CreateChannelInput!) { createChannel(input: $i) { webhookUrl channel { id type config health { status } } } }`;
const PAYLOADS = `query($s: InboundPayloadStatus) { inboundPayloads(status: $s) { id status attempts error errorCode messageId dedupeKey nextAttemptAt } }`;
const CONVS = `query { conversations(first: 20) { nodes { id channelType customer { id } messages { nodes { id kind text senderType payload attachments { kind mediaRef } delivery { status errorCode error externalMessageId attempts } } } } } }`;
const BACKLOG = `query($c: ID) { inboundBacklog(channelId: $c) { pending failed waitingForReplay oldestPendingAt lagSeconds } }`;
const SEND = `mutation($i: SendMessageInput!) { sendMessage(input: $i) { message { id delivery { status errorCode error attempts externalMessageId } } } }`;

let msgSeq = 1_000_000_000_000_000_000n; // 64-bit MsgIds, kept exact as strings
function push(o: { openId?: string; msgId?: string; text?: string; xml?: string; timestamp?: number; signatureOverride?: string }) {
  const ts = String(o.timestamp ?? Math.floor(Date.now() / 1000));
  const body = o.xml ?? wechatXml({ ToUserName: 'gh_test', FromUserName: o.openId ?? 'oUser1', CreateTime: Number(ts), MsgType: 'text', Content: o.text ?? '你好', MsgId: o.msgId ?? String(msgSeq++) });
  const req = wechatPush({ token: CFG.token, appId: CFG.appId, encodingAESKey: CFG.encodingAESKey, mode: 'safe', body, timestamp: ts, nonce: String(Math.floor(Math.random() * 1e9)) });
  if (o.signatureOverride) req.query.msg_signature = o.signatureOverride;
  return req;
}

async function post(base: string, channelId: string, req: { query: Record<string, string>; rawBody: Buffer; headers: Record<string, string> }, method = 'POST') {
  const res = await fetch(`${base}/webhooks/${channelId}?${new URLSearchParams(req.query)}`, { method, headers: { 'content-type': 'text/xml', ...req.headers }, body: method === 'GET' ? undefined : new Uint8Array(req.rawBody) });
  return { status: res.status, body: await res.text() };
}

/**
 * Makes a replica's sender resolutions wait for `hold` first, as behind a slow customers subgraph (the call still
 * goes to the real one afterwards). `hold` gets the sender; undefined: no wait.
 */
function holdResolutions(s: TestSubgraph, hold: (sender: { externalId?: string }) => Promise<unknown> | undefined): void {
  const identities = (s.services as ConversationsServices).identities;
  const resolve = identities.resolve.bind(identities);
  identities.resolve = async (...args) => {
    await hold(args[1] as { externalId?: string });
    return resolve(...args);
  };
}

describe('channel ingest and delivery (WeChat OA safe mode, real MariaDB + Redis, customers subgraph)', () => {
  let fake: FakeServer;
  let customers: TestSubgraph;
  let conv: TestSubgraph;
  let base: string;
  let tenant: string;
  let admin: string;
  let channelId: string;
  let sendCalls = 0;
  let failNextSends = 0;
  const ingest = (over: Partial<IngestConfig> = {}) => conversationsWithIngest({
    customersUrl: customers.url, jwtSecret: TEST_SECRET, sweepIntervalMs: 100, retryBaseMs: 50, publicBaseUrl: 'https://cs.example.com',
    plugins: ['builtins', { plugin: 'channel-wechat-oa', config: { apiBaseUrl: fake.url } }], ...over,
  });
  const start = (over: Partial<IngestConfig> = {}) => startTestSubgraph(ingest(over), { db: 'ingest', stream: 'ingest' });
  const baseOf = (s: TestSubgraph) => s.url.replace(/\/graphql$/, '');
  /** Every message text in the replica's 20 newest conversations. */
  const textsOf = async (s: TestSubgraph): Promise<string[]> =>
    (await gqlOk(s.url, CONVS, {}, admin)).conversations.nodes.flatMap((c: { messages: { nodes: Array<{ text: string }> } }) => c.messages.nodes.map((m) => m.text));

  beforeAll(async () => {
    fake = await startFakeServer({
      'GET /cgi-bin/token': () => ({ json: { access_token: 'ACCESS_TOKEN_1', expires_in: 7200 } }),
      'POST /cgi-bin/message/custom/send': () => {
        sendCalls++;
        if (failNextSends > 0) { failNextSends--; return { json: { errcode: -1, errmsg: 'system error' } }; }
        return { json: { errcode: 0, errmsg: 'ok' } };
      },
    });
    customers = await startTestSubgraph(customersSubgraph, { db: 'ingest_customers', stream: 'ingest-customers' });
    conv = await start();
    base = baseOf(conv);
    tenant = newTenant('ing');
    admin = await tokenFor(tenant, ['admin']);
    const r = await gqlOk(conv.url, CREATE, { i: { type: 'wechat-oa', name: 'Brand OA', config: CFG } }, admin);
    channelId = r.createChannel.channel.id;
    expect(r.createChannel.webhookUrl).toBe(`https://cs.example.com/webhooks/${channelId}`);
    // secrets never come back
    expect(r.createChannel.channel.config).toEqual({ appId: CFG.appId, appSecret: '[redacted]', token: '[redacted]', encodingAESKey: '[redacted]', mode: 'safe' });
    expect(r.createChannel.channel.health.status).toBe('UP');
  });

  // Several tests swap the replica under test (`conv`) for another. When one fails midway, the next starts from
  // a running `conv` again, and what the failed one started is closed, instead of racing with the next test.
  afterEach(async () => {
    for (const s of leftoverSubgraphs()) if (s !== conv && s !== customers) await s.close();
    if (conv?.closed) {
      conv = await start();
      base = baseOf(conv);
    }
  });

  afterAll(async () => {
    await conv?.close();
    await customers?.close();
    await fake?.close();
  });

  test('an invalid config is refused by the plugin, naming the field but not the value', async () => {
    const r = await gql(conv.url, CREATE, { i: { type: 'wechat-oa', name: 'bad', config: { ...CFG, encodingAESKey: 'short-secret-value' } } }, admin);
    expect(r.errors?.[0].extensions?.code).toBe('BAD_USER_INPUT');
    expect(r.errors?.[0].message).toContain('encodingAESKey');
    expect(r.errors?.[0].message).not.toContain('short-secret-value');
  });

  test('GET URL verification echoes echostr; a safe-mode message becomes one message, visible in GraphQL and live, exactly once on redelivery', async () => {
    const ts = String(Math.floor(Date.now() / 1000));
    const verify = push({});
    const { wechatSignature } = await import('../../../plugins/wechat-common/wechat.crypto.js');
    const g = await fetch(`${base}/webhooks/${channelId}?${new URLSearchParams({ signature: wechatSignature(CFG.token, ts, '42'), timestamp: ts, nonce: '42', echostr: 'echo-123' })}`);
    expect(g.status).toBe(200);
    expect(await g.text()).toBe('echo-123');
    void verify;

    const first = push({ openId: 'oAlice', text: '我的订单到哪了？', msgId: '9223372036854775807' });
    const acks = await Promise.all([1, 2, 3, 4].map(() => post(base, channelId, first))); // WeChat retries three times
    for (const a of acks) expect(a).toEqual({ status: 200, body: 'success' });
    const processed = await until(async () => (await gqlOk(conv.url, PAYLOADS, { s: 'PROCESSED' }, admin)).inboundPayloads.filter((p: { dedupeKey: string }) => p.dedupeKey.includes('9223372036854775807')));
    expect(processed).toHaveLength(1);
    const convs = (await gqlOk(conv.url, CONVS, {}, admin)).conversations.nodes;
    expect(convs).toHaveLength(1);
    const [c] = convs;
    expect(c.channelType).toBe('wechat-oa');
    expect(c.messages.nodes).toHaveLength(1);
    const m = c.messages.nodes[0];
    expect(m).toMatchObject({ id: processed[0].messageId, kind: 'text', text: '我的订单到哪了？', senderType: 'CUSTOMER', delivery: null });
    expect(m.payload).toMatchObject({ externalMessageId: '9223372036854775807', inboundPayloadId: processed[0].id, sender: { externalId: 'oAlice' } });

    // the subscription sees the next one
    const client = wsClient(conv.url, admin);
    const sub = subscribe(client, `subscription($c: ID!) { messageAdded(conversationId: $c) { id text kind attachments { kind mediaRef } } }`, { c: c.id });
    await new Promise((r) => setTimeout(r, 300));
    const img = push({ openId: 'oAlice', xml: wechatXml({ ToUserName: 'gh_test', FromUserName: 'oAlice', CreateTime: Math.floor(Date.now() / 1000), MsgType: 'image', PicUrl: 'https://mmbiz.example/p.jpg', MediaId: 'MEDIA_1', MsgId: '7001' }) });
    expect((await post(base, channelId, img)).status).toBe(200);
    const live = await sub.first;
    expect(live.messageAdded).toMatchObject({ kind: 'image', attachments: [{ kind: 'image', mediaRef: 'https://mmbiz.example/p.jpg' }] });
    sub.dispose();
    await client.dispose();
  });

  test('retention deletes processed payloads past INGEST_RETENTION_DAYS; a redelivery after that is still one message', async () => {
    const msgId = String(msgSeq++);
    const req = push({ openId: 'oRetained', text: '上个月的问题', msgId });
    expect((await post(base, channelId, req)).status).toBe(200);
    const [stored] = await until(async () => (await gqlOk(conv.url, PAYLOADS, { s: 'PROCESSED' }, admin)).inboundPayloads.filter((p: { dedupeKey: string }) => p.dedupeKey.includes(msgId)));
    // Processed 31 days ago, as far as the table says (the default retention is 30 days).
    const sql = await mysql.createConnection({ uri: mysqlUrl('ingest') });
    await sql.query('UPDATE inbound_payloads SET processed_at = ? WHERE id = ?', [new Date(Date.now() - 31 * 86_400_000), stored.id]);
    await sql.end();
    const retention = (conv.services as ConversationsServices).payloadRetention;
    expect(retention.days).toBe(30);
    expect((await retention.purge()).deleted).toBeGreaterThanOrEqual(1);
    const ids = async () => (await gqlOk(conv.url, PAYLOADS, {}, admin)).inboundPayloads.filter((p: { dedupeKey: string }) => p.dedupeKey.includes(msgId)).map((p: { id: string }) => p.id);
    expect(await ids()).toEqual([]);
    // The platform sends it again: stored anew and processed into the message that exists.
    expect((await post(base, channelId, req)).status).toBe(200);
    const [again] = await until(async () => (await gqlOk(conv.url, PAYLOADS, { s: 'PROCESSED' }, admin)).inboundPayloads.filter((p: { dedupeKey: string }) => p.dedupeKey.includes(msgId)));
    expect(again.id).not.toBe(stored.id);
    expect(again.messageId).toBe(stored.messageId);
    expect((await textsOf(conv)).filter((t) => t === '上个月的问题')).toHaveLength(1);
  });

  test('bad input gets its status and is never stored', async () => {
    const before = (await gqlOk(conv.url, PAYLOADS, {}, admin)).inboundPayloads.length;
    expect((await post(base, channelId, push({ signatureOverride: 'f'.repeat(40) }))).status).toBe(401);
    expect((await post(base, channelId, push({ timestamp: Math.floor(Date.now() / 1000) - 3600 }))).status).toBe(401);
    const ts = String(Math.floor(Date.now() / 1000));
    const { wechatSignature } = await import('../../../plugins/wechat-common/wechat.crypto.js');
    const q = { timestamp: ts, nonce: '1', signature: wechatSignature(CFG.token, ts, '1'), encrypt_type: 'aes', msg_signature: 'x' };
    expect((await post(base, channelId, { query: q, rawBody: Buffer.from('<xml><Encrypt>not closed'), headers: {} })).status).toBe(400);
    // Signed and encrypted as WeChat does, around XML that is not well-formed: verified, then refused as malformed.
    expect((await post(base, channelId, push({ xml: '<xml><ToUserName>gh_test</ToUserName><MsgType>text</MsgType><Content>未闭合' }))).status).toBe(400);
    // Douyin signs the raw body (sha1(client_secret + body)): a signed body that is not JSON is malformed (400).
    const douyin = (await gqlOk(conv.url, CREATE, { i: { type: 'douyin', name: '抖音', config: { clientKey: 'awk1', clientSecret: 'dy-secret', accountOpenId: 'open-1', accessToken: 'tok' } } }, admin)).createChannel.channel.id;
    const { douyinSignature } = await import('../../../plugins/channel-douyin/index.js');
    const notJson = Buffer.from('{"event":"im_receive_msg","content":');
    expect((await post(base, douyin, { query: {}, rawBody: notJson, headers: { 'content-type': 'application/json', 'x-douyin-signature': douyinSignature('dy-secret', notJson) } })).status).toBe(400);
    expect((await post(base, douyin, { query: {}, rawBody: notJson, headers: { 'content-type': 'application/json', 'x-douyin-signature': 'f'.repeat(40) } })).status).toBe(401);
    expect((await post(base, '00000000-0000-4000-8000-000000000000', push({}))).status).toBe(404);
    expect((await post(base, 'not-a-uuid', push({}))).status).toBe(404);
    expect((await post(base, '%E0%A4%A', push({}))).status).toBe(404); // a broken %-escape is just an unknown channel
    const big = push({});
    expect((await post(base, channelId, { ...big, rawBody: Buffer.alloc(300 * 1024, 'a') })).status).toBe(413);
    expect((await post(base, channelId, push({}), 'PUT')).status).toBe(405);
    // Weibo signs its timestamp and nonce, not the body: a signed URL seen once cannot carry another body (SDK 1.5
    // replayKey, kept in Redis for every replica); the platform's retry of the same body is still taken.
    const weibo = (await gqlOk(conv.url, CREATE, { i: { type: 'weibo', name: '微博', config: { appSecret: 'wb-secret', accessToken: 'wb-token' } } }, admin)).createChannel.channel.id;
    const { weiboSignature } = await import('../../../plugins/channel-weibo/index.js');
    const wbTs = String(Date.now());
    const wbQuery = { timestamp: wbTs, nonce: '4242', signature: weiboSignature('wb-secret', wbTs, '4242') };
    const wbPush = (text: string) => Buffer.from(JSON.stringify({ type: 'text', receiver_id: 1902538057, sender_id: 2489518277, created_at: 'Mon Jul 16 18:09:20 +0800 2012', text, data: {} }));
    const wbBefore = (await gqlOk(conv.url, PAYLOADS, {}, admin)).inboundPayloads.length;
    expect((await post(base, weibo, { query: wbQuery, rawBody: wbPush('你好'), headers: { 'content-type': 'application/json' } })).status).toBe(200);
    expect((await post(base, weibo, { query: wbQuery, rawBody: wbPush('你好'), headers: { 'content-type': 'application/json' } })).status).toBe(200);
    expect((await post(base, weibo, { query: wbQuery, rawBody: wbPush('伪造'), headers: { 'content-type': 'application/json' } })).status).toBe(401);
    expect((await gqlOk(conv.url, PAYLOADS, {}, admin)).inboundPayloads.length).toBe(wbBefore + 1);
    expect((await fetch(`${base}/webhooks/${channelId}/extra`, { method: 'POST', body: 'x' })).status).toBe(404); // not a webhook path: left to express
    const other = (await gqlOk(conv.url, CREATE, { i: { type: 'wechat-oa', name: 'Off', config: CFG } }, admin)).createChannel.channel.id;
    await gqlOk(conv.url, `mutation($i: DisableChannelInput!) { disableChannel(input: $i) { channel { enabled health { status } } } }`, { i: { id: other } }, admin);
    expect((await post(base, other, push({}))).status).toBe(403);
    expect((await gqlOk(conv.url, PAYLOADS, {}, admin)).inboundPayloads.length).toBe(before + 1); // the one Weibo push
    // still serving
    expect((await post(base, channelId, push({ openId: 'oAlice', text: 'still here' }))).status).toBe(200);
    expect((await post(base, `${channelId}/`, push({ openId: 'oAlice', text: 'a trailing slash is the same URL' }))).status).toBe(200);
  });

  test('an agent reply goes out through the plugin with its status; retryable errors retry; WINDOW_CLOSED is explained', async () => {
    type C = { id: string; messages: { nodes: Array<{ id: string; payload?: { sender?: { externalId?: string } }; delivery?: { status: string } }> } };
    const c = ((await gqlOk(conv.url, CONVS, {}, admin)).conversations.nodes as C[]).find((x) => x.messages.nodes.some((m) => m.payload?.sender?.externalId === 'oAlice'))!;
    const agent = await tokenFor(tenant, ['agent'], 'agent-1');
    const calls = sendCalls;
    const sends = async () => {
      const text = await scrape(base);
      return Object.fromEntries(['sent', 'retry', 'failed'].map((result) => [result, metric(text, 'huiliu_outbound_sends_total', { channel_type: 'wechat-oa', result })]));
    };
    const before = await sends();
    const sent = (await gqlOk(conv.url, SEND, { i: { conversationId: c.id, text: '正在为您查询' } }, agent)).sendMessage.message;
    expect(sent.delivery).toMatchObject({ status: 'SENT', errorCode: null, attempts: 1 });
    const req = fake.calls('POST /cgi-bin/message/custom/send').at(-1)!;
    expect(req.json).toMatchObject({ touser: 'oAlice', msgtype: 'text', text: { content: '正在为您查询' } });
    expect(sendCalls).toBe(calls + 1);

    failNextSends = 1; // "system busy" once: retryable, retried by the sweeper with backoff
    const retried = (await gqlOk(conv.url, SEND, { i: { conversationId: c.id, text: 'second' } }, agent)).sendMessage.message;
    expect(retried.delivery).toMatchObject({ status: 'PENDING', errorCode: 'UNAVAILABLE' });
    await until(async () => ((await gqlOk(conv.url, CONVS, {}, admin)).conversations.nodes as C[]).find((x) => x.id === c.id)!.messages.nodes.find((m) => m.id === retried.id && m.delivery?.status === 'SENT'));

    const note = (await gqlOk(conv.url, SEND, { i: { conversationId: c.id, text: 'internal', internal: true } }, agent)).sendMessage.message;
    expect(note.delivery).toBeNull();

    // A file: WeChat's customer-service send has no file message. Each attachment goes out on its own, so the reply
    // is refused before it is stored, instead of failing after its text went.
    const refused = await gql(conv.url, SEND, { i: { conversationId: c.id, text: '发票见附件', attachments: [{ kind: 'file', mediaRef: 'MEDIA_F', name: '发票.pdf' }] } }, agent);
    expect(refused.errors?.[0]).toMatchObject({ message: expect.stringContaining('cannot send file attachments'), extensions: { code: 'BAD_USER_INPUT', field: 'attachments' } });
    expect(JSON.stringify((await gqlOk(conv.url, CONVS, {}, admin)).conversations)).not.toContain('发票见附件');
    // Text and five photos would be six messages, and WeChat takes five per 48 h: refused whole, not sent in part.
    const photos = Array.from({ length: 5 }, (_, i) => ({ kind: 'image', mediaRef: `MEDIA_P${i}` }));
    const tooMany = await gql(conv.url, SEND, { i: { conversationId: c.id, text: '实拍图', attachments: photos } }, agent);
    expect(tooMany.errors?.[0]).toMatchObject({ message: expect.stringContaining('would go out as 6 messages'), extensions: { code: 'BAD_USER_INPUT', field: 'attachments' } });

    // 5 messages within 48 h of the customer's last message: the 6th is refused before calling WeChat
    let last;
    for (let i = 0; i < 4; i++) last = (await gqlOk(conv.url, SEND, { i: { conversationId: c.id, text: `more ${i}` } }, agent)).sendMessage.message;
    expect(last.delivery).toMatchObject({ status: 'FAILED', errorCode: 'WINDOW_CLOSED' });
    expect(last.delivery.error).toMatch(/reply window closed/);
    // The operator's view: five sent, one retried, one refused.
    const after = await sends();
    expect({ sent: after.sent - before.sent, retry: after.retry - before.retry, failed: after.failed - before.failed }).toEqual({ sent: 5, retry: 1, failed: 1 });
  });

  test("the bot's reply goes out through the channel's plugin like an agent's, with its delivery status", async () => {
    expect((await post(base, channelId, push({ openId: 'oAskingBot', text: '大米保质期多久？' }))).status).toBe(200);
    type C = { id: string; messages: { nodes: Array<{ payload?: { sender?: { externalId?: string } } }> } };
    const c = await until(async () => ((await gqlOk(conv.url, CONVS, {}, admin)).conversations.nodes as C[]).find((x) => x.messages.nodes.some((m) => m.payload?.sender?.externalId === 'oAskingBot')));
    const bot = await tokenFor(tenant, ['service'], 'bot-1');
    const ADD_BOT = `mutation($i: AddBotMessageInput!) { addBotMessage(input: $i) { message { id senderType delivery { status externalMessageId attempts } } } }`;
    const reply = (await gqlOk(conv.url, ADD_BOT, { i: { conversationId: c.id, text: '未开封常温保存 12 个月。' } }, bot)).addBotMessage.message;
    expect(reply).toMatchObject({ senderType: 'BOT', delivery: { status: 'SENT', attempts: 1 } });
    expect(fake.calls('POST /cgi-bin/message/custom/send').at(-1)!.json).toMatchObject({ touser: 'oAskingBot', msgtype: 'text', text: { content: '未开封常温保存 12 个月。' } });
  });

  test('a payload that fails is kept with its error and retried; stored-but-unprocessed payloads survive a crash', async () => {
    await conv.close();
    // 1. customers unreachable, one attempt only: FAILED, kept, waiting for a replay
    const broken = await start({ customersUrl: 'http://127.0.0.1:9/graphql', maxAttempts: 1, sweepIntervalMs: 0 });
    const failing = push({ openId: 'oBob', text: 'will fail first' });
    expect((await post(baseOf(broken), channelId, failing)).status).toBe(200);
    const failed = await until(async () => (await gqlOk(broken.url, PAYLOADS, { s: 'FAILED' }, admin)).inboundPayloads[0]);
    expect(failed).toMatchObject({ attempts: 1, nextAttemptAt: null });
    expect(failed.error).toMatch(/fetch failed|ECONNREFUSED|resolveIdentity/);
    expect((await gqlOk(broken.url, BACKLOG, { c: channelId }, admin)).inboundBacklog).toMatchObject({ pending: 0, failed: 1, waitingForReplay: 1, oldestPendingAt: null, lagSeconds: null });
    // 2. acknowledged, then the process dies before processing
    const crash = await startTestSubgraph(ingest({ processInline: false, sweepIntervalMs: 0 }), { db: 'ingest', stream: 'ingest' });
    await broken.close();
    const orphan = push({ openId: 'oCarol', text: 'acked then crashed' });
    expect((await post(baseOf(crash), channelId, orphan)).status).toBe(200);
    expect((await gqlOk(crash.url, PAYLOADS, { s: 'PENDING' }, admin)).inboundPayloads).toHaveLength(1);
    await new Promise((r) => setTimeout(r, 300));
    const behind = (await gqlOk(crash.url, BACKLOG, {}, admin)).inboundBacklog;
    expect(behind).toMatchObject({ pending: 1, failed: 1, waitingForReplay: 1 });
    expect(Date.now() - Date.parse(behind.oldestPendingAt)).toBeGreaterThanOrEqual(250);
    expect(behind.lagSeconds).toBeGreaterThanOrEqual(0.25);
    // Another tenant's admin sees none of it.
    const other = await tokenFor(newTenant('ingest-other'), ['admin']);
    expect((await gqlOk(crash.url, BACKLOG, { c: channelId }, other)).inboundBacklog).toMatchObject({ pending: 0, failed: 0, oldestPendingAt: null });
    await crash.close();
    // 3. a healthy process: the sweeper picks up the orphan; the failed one is replayed by an admin
    conv = await start();
    const done = await until(async () => (await gqlOk(conv.url, PAYLOADS, { s: 'PENDING' }, admin)).inboundPayloads.length === 0 && (await gqlOk(conv.url, PAYLOADS, { s: 'PROCESSED' }, admin)).inboundPayloads);
    expect(done.length).toBeGreaterThan(0);
    const replayed = (await gqlOk(conv.url, `mutation($i: ReplayInboundPayloadInput!) { replayInboundPayload(input: $i) { payload { status attempts messageId error } } }`, { i: { id: failed.id } }, admin)).replayInboundPayload.payload;
    expect(replayed).toMatchObject({ status: 'PROCESSED', attempts: 2, error: null });
    expect((await gqlOk(conv.url, BACKLOG, {}, admin)).inboundBacklog).toMatchObject({ pending: 0, failed: 0, waitingForReplay: 0, oldestPendingAt: null });
    const texts = await textsOf(conv);
    expect(texts).toEqual(expect.arrayContaining(['will fail first', 'acked then crashed']));
    expect(texts.filter((t: string) => t === 'will fail first')).toHaveLength(1);
  });

  test('inboundPayloads and channel admin are for admins; partners register their own channel and get the secret once', async () => {
    const agent = await tokenFor(tenant, ['agent']);
    expect((await gql(conv.url, PAYLOADS, {}, agent)).errors?.[0].extensions?.code).toBe('FORBIDDEN');
    expect((await gql(conv.url, BACKLOG, {}, agent)).errors?.[0].extensions?.code).toBe('FORBIDDEN');
    const partner = await tokenFor(tenant, ['partner'], 'acme');
    const r = await gqlOk(conv.url, `mutation($i: RegisterPartnerChannelInput!) { registerPartnerChannel(input: $i) { secret webhookUrl channel { id type } } }`, { i: { name: 'Acme', callbackUrl: `${fake.url}/callback` } }, partner);
    expect(r.registerPartnerChannel.channel.type).toBe('partner-api');
    expect(r.registerPartnerChannel.secret.length).toBeGreaterThanOrEqual(32);
    const { signPayload } = await import('../../../plugins/sdk/index.js');
    const body = JSON.stringify({ messages: [{ id: 'pm-1', contact: { identifier: 'user-42', name: 'Ana' }, text: 'hello from partner', sentAt: Date.now() }] });
    const ts = Math.floor(Date.now() / 1000);
    const headers = { 'x-huiliu-timestamp': String(ts), 'x-huiliu-signature': signPayload(r.registerPartnerChannel.secret, ts, body) };
    const res = await fetch(`${baseOf(conv)}/webhooks/${r.registerPartnerChannel.channel.id}`, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body });
    expect(res.status).toBe(200);
    await until(async () => (await gqlOk(conv.url, CONVS, {}, admin)).conversations.nodes.find((c: { channelType: string }) => c.channelType === 'partner-api'));
    const cfg = (await gqlOk(conv.url, `query { channels { id config } }`, {}, admin)).channels.find((c: { id: string }) => c.id === r.registerPartnerChannel.channel.id).config;
    expect(cfg.secret).toBe('[redacted]');
  });

  test('with private addresses blocked (production), a partner cannot register a callback URL on an internal address', async () => {
    const guarded = await start({ blockPrivateAddresses: true, sweepIntervalMs: 0 });
    try {
      const partner = await tokenFor(tenant, ['partner'], 'mallory');
      const REGISTER = `mutation($i: RegisterPartnerChannelInput!) { registerPartnerChannel(input: $i) { channel { id } } }`;
      for (const callbackUrl of [`${fake.url}/callback`, 'http://localhost:4002/plugins/channel-web/enable', 'http://169.254.169.254/latest/meta-data/', 'http://[::1]/x']) {
        const r = await gql(guarded.url, REGISTER, { i: { name: 'Internal', callbackUrl } }, partner);
        expect({ callbackUrl, error: r.errors?.[0]?.extensions }).toMatchObject({ callbackUrl, error: { code: 'BAD_USER_INPUT', field: 'callbackUrl' } });
      }
      const mine = (await gqlOk(guarded.url, `query { channels { id } }`, {}, partner)).channels;
      expect(mine).toEqual([]);
    } finally {
      await guarded.close();
    }
  });

  test('processing batches grow with the load: what arrives while a batch runs waits for the next one, instead of a batch of its own', async () => {
    await conv.close();
    const gated = await start({ ackTargetMs: 0, batchWaitMs: 60_000 }); // here the wait never runs out
    let release = () => undefined as void;
    try {
      // The first batch's sender resolution is held until released: a batch that takes its time, as under load.
      const held = new Promise<void>((r) => (release = r));
      let first = true;
      holdResolutions(gated, () => {
        if (!first) return undefined;
        first = false;
        return held;
      });
      const batches = async () => {
        const m = await scrape(baseOf(gated));
        return { count: metric(m, 'huiliu_ingest_batch_payloads_count'), payloads: metric(m, 'huiliu_ingest_batch_payloads_sum') };
      };
      expect((await post(baseOf(gated), channelId, push({ openId: 'oGrow0', text: 'grow 0' }))).status).toBe(200);
      await until(async () => (await batches()).count === 1);
      const later = Array.from({ length: 6 }, (_, i) => `grow ${i + 1}`);
      for (const [i, text] of later.entries()) expect((await post(baseOf(gated), channelId, push({ openId: `oGrow${i + 1}`, text }))).status).toBe(200);
      await new Promise((r) => setTimeout(r, 300));
      expect(await batches()).toEqual({ count: 1, payloads: 1 }); // the six wait while the first batch runs
      release();
      await until(async () => { const t = await textsOf(gated); return ['grow 0', ...later].every((x) => t.includes(x)); });
      expect(await batches()).toEqual({ count: 2, payloads: 7 }); // and go as one batch
    } finally {
      release(); // a held batch would keep the replica from closing
      await gated.close();
      conv = await start();
      base = baseOf(conv);
    }
  });

  test('a batch that hangs holds the others back at most INGEST_BATCH_WAIT_MS: then a second batch takes them', async () => {
    await conv.close();
    const gated = await start({ ackTargetMs: 0, batchWaitMs: 200 });
    let release = () => undefined as void;
    try {
      // The first sender's resolution hangs (a customers subgraph that does not answer) until the end of the test.
      const held = new Promise<void>((r) => (release = r));
      holdResolutions(gated, (sender) => (sender.externalId === 'oHang' ? held : undefined));
      expect((await post(baseOf(gated), channelId, push({ openId: 'oHang', text: 'hangs' }))).status).toBe(200);
      await until(async () => metric(await scrape(baseOf(gated)), 'huiliu_ingest_batch_payloads_count') === 1);
      const t0 = Date.now();
      expect((await post(baseOf(gated), channelId, push({ openId: 'oNotHeld', text: 'not held back' }))).status).toBe(200);
      await until(async () => (await textsOf(gated)).includes('not held back'));
      expect(Date.now() - t0).toBeGreaterThanOrEqual(150); // it did wait for the running batch first
      expect(await textsOf(gated)).not.toContain('hangs');
      release();
      await until(async () => (await textsOf(gated)).includes('hangs'));
    } finally {
      release();
      await gated.close();
      conv = await start();
      base = baseOf(conv);
    }
  });

  test('acknowledgements first: slow acknowledgements make processing back off, and nothing is lost meanwhile', async () => {
    // 24 messages from 8 senders at once (8 new conversations: the 20 newest are read back).
    const burst = async (s: TestSubgraph, tag: string) => {
      const sent = Array.from({ length: 24 }, (_, i) => `${tag} ${i}`);
      const res = await Promise.all(sent.map((text, i) => post(baseOf(s), channelId, push({ openId: `o${tag}${i % 8}`, text }))));
      expect(res.map((r) => r.status)).toEqual(sent.map(() => 200));
      await until(async () => { const t = await textsOf(s); return sent.every((x) => t.includes(x)); }, 20_000);
      return (s.services as ConversationsServices).ingest.pacing;
    };
    await conv.close();
    let paced: TestSubgraph | undefined;
    try {
      // A 1 ms target: concurrent acknowledgements (each waits for its group-committed INSERT) count as slow.
      paced = await start({ ackTargetMs: 1 });
      const p = await burst(paced, 'paced');
      expect(p.holding).toBe(true);
      expect(p.batch).toBeLessThan(32);
    } finally {
      await paced?.close();
      // Pacing off: the same burst leaves processing at full pace.
      conv = await start({ ackTargetMs: 0 });
    }
    expect(await burst(conv, 'unpaced')).toEqual({ batch: 32, parallel: 2, pauseMs: 0, holding: false });
  });

  test('a replica that stops with a backlog releases the rows it holds: the next replica processes them at once, not after their 60 s lock', async () => {
    await conv.close();
    // One payload per batch and 30 of them: most are still queued when the replica stops.
    const slow = await start({ concurrency: 1, ackTargetMs: 0 });
    // Each message takes 300 ms here (its sender's resolution is held back), so that most of them are still queued
    // when the replica stops, however fast the machine: a fast one processed all 30 before the stop.
    holdResolutions(slow, () => new Promise((r) => setTimeout(r, 300)));
    const sent = Array.from({ length: 30 }, (_, i) => `backlog ${i}`);
    const res = await Promise.all(sent.map((text, i) => post(baseOf(slow), channelId, push({ openId: `oBacklog${i % 5}`, text }))));
    expect(res.map((r) => r.status)).toEqual(sent.map(() => 200));
    await slow.close();
    conv = await start();
    const processedBefore = (await textsOf(conv)).filter((t: string) => sent.includes(t)).length;
    expect(processedBefore).toBeLessThan(sent.length); // there was a backlog to hand over
    const t0 = Date.now();
    await until(async () => { const t = await textsOf(conv); return sent.every((x) => t.includes(x)); }, 20_000);
    expect(Date.now() - t0).toBeLessThan(10_000); // far under the lock the rows were stored with
    expect((await gqlOk(conv.url, PAYLOADS, { s: 'PROCESSING' }, admin)).inboundPayloads).toEqual([]);
  });

  test('INGEST_ROLE=receive: a webhook replica only stores and acknowledges; processing replicas take its payloads over the event bus', async () => {
    await conv.close();
    const receiver = await start({ role: 'receive' });
    try {
      // No processor running: acknowledged and stored, held under the receiver's token for its hand-off, and
      // nothing turns it into a message.
      expect((await post(baseOf(receiver), channelId, push({ openId: 'oDan', text: 'stored while no processor runs' }))).status).toBe(200);
      await new Promise((r) => setTimeout(r, 700));
      const waiting = (await gqlOk(receiver.url, PAYLOADS, {}, admin)).inboundPayloads.filter((p: { messageId: string | null }) => !p.messageId);
      expect(waiting).toMatchObject([{ status: 'PROCESSING', attempts: 0 }]);
      // A processor boots and takes what is waiting: the hand-off waited in the stream for the processors' group
      // (were it lost, the sweeper would take the row once the receiver's 10 s hold runs out).
      conv = await start();
      await until(async () => (await textsOf(conv)).includes('stored while no processor runs'), 20_000);
      // From now on each payload is handed over at once (the sweeper's grace for fresh rows is 10 s).
      const t0 = Date.now();
      expect((await post(baseOf(receiver), channelId, push({ openId: 'oDan', text: 'handed over' }))).status).toBe(200);
      await until(async () => (await textsOf(conv)).includes('handed over'), 5000);
      expect(Date.now() - t0).toBeLessThan(5000);
      // taken over from the receiver's hold in place: every payload processed, none waiting
      await until(async () => !(await gqlOk(conv.url, PAYLOADS, {}, admin)).inboundPayloads.some((p: { status: string }) => p.status !== 'PROCESSED'));
      // One attempt each: the receiver's hold is not an attempt (a second would make processing look for a crashed first one).
      const mine = (await gqlOk(conv.url, CONVS, {}, admin)).conversations.nodes.flatMap((c: { messages: { nodes: Array<{ id: string; text: string }> } }) => c.messages.nodes)
        .filter((m: { text: string }) => ['stored while no processor runs', 'handed over'].includes(m.text)).map((m: { id: string }) => m.id);
      const handed = (await gqlOk(conv.url, PAYLOADS, {}, admin)).inboundPayloads.filter((p: { messageId: string }) => mine.includes(p.messageId));
      expect(handed.map((p: { attempts: number }) => p.attempts)).toEqual([1, 1]);
    } finally {
      await receiver.close();
    }
  });
});

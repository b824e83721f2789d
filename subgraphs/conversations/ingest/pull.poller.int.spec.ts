import { startFakeTop, type FakeTmcMessage, type FakeTop } from '../../../plugins/channel-taobao/top.testing.js';
import { topSign, topTimestamp } from '../../../plugins/channel-taobao/top.sign.js';
import { gqlOk } from '../../../test/helpers/graphql-client.js';
import { newTenant, TEST_SECRET, tokenFor } from '../../../test/helpers/env.js';
import { startTestSubgraph, type TestSubgraph } from '../../../test/helpers/subgraph-harness.js';
import { customersSubgraph } from '../../customers/index.js';
import type { ConversationsServices } from '../conversations.services.js';
import type { IngestConfig } from './ingest.config.js';
import { conversationsWithIngest } from './ingest.module.js';
import { createMemoryPullLock } from './pull.lock.js';
import { eventually } from '../conversations.testing.js';
import { PullPoller } from './pull.poller.js';

jest.setTimeout(90_000);

const CREATE = `mutation($i: CreateChannelInput!) { createChannel(input: $i) { channel { id } } }`;
const DISABLE = `mutation($i: DisableChannelInput!) { disableChannel(input: $i) { channel { id } } }`;
const PAYLOADS = `query($c: ID) { inboundPayloads(channelId: $c, first: 200) { id status dedupeKey messageId error errorCode } }`;
const CONVS = `query { conversations(first: 50) { nodes { id status customer { id } messages(first: 50) { nodes { id kind text senderType payload } } } } }`;
const HEALTH = `query { channels { id health { status lastError } } }`;

type Payload = { id: string; status: string; dedupeKey: string; messageId: string | null };
type Msg = { id: string; kind: string; text: string; senderType: string; payload: Record<string, any> }; // eslint-disable-line @typescript-eslint/no-explicit-any
type Conv = { id: string; status: string; customer: { id: string }; messages: { nodes: Msg[] } };

const until = <T>(f: () => Promise<T | undefined | false>, ms = 20_000) => eventually(f, ms);

// a fresh App Key per run: channels left by earlier runs are refused by this run's fake gateway
const APP_KEY = String(20_000_000 + Math.floor(Math.random() * 70_000_000));
const APP_SECRET = 'tmc-secret-0123456789abcdef';
const TID = '3901237651234567890';
let seq = 7_100_000_000_000_000_000n + BigInt(Math.floor(Math.random() * 1e9)) * 1000n;
const nextId = () => String(seq++);

/** A TMC trade message as TOP publishes it: content a JSON string whose tid is a bare 64-bit number. */
function trade(buyer: string, topic = 'taobao_trade_TradeBuyerPay', tid = TID, id = nextId()): FakeTmcMessage {
  return { id, topic, rawContent: `{"buyer_nick":"${buyer}","payment":"59.90","tid":${tid},"seller_nick":"汇流米业旗舰店","status":"WAIT_SELLER_SEND_GOODS"}`, userNick: '汇流米业旗舰店' };
}

describe('Taobao TMC by pulling: consume → store → confirm (real MariaDB + Redis, a fake TOP gateway)', () => {
  let top: FakeTop;
  let customers: TestSubgraph;
  let convA: TestSubgraph;
  let convB: TestSubgraph | undefined;
  let admin: string;
  let channelId: string;
  const storedBeforeConfirm: string[] = [];
  const confirmedBeforeStored: string[] = [];

  const ingest = (over: Partial<IngestConfig> = {}) => conversationsWithIngest({
    customersUrl: customers.url, jwtSecret: TEST_SECRET, sweepIntervalMs: 300, retryBaseMs: 50, pullIntervalMs: 100, pullMaxBackoffMs: 1000,
    plugins: ['builtins', { plugin: 'channel-taobao', config: { apiBaseUrl: top.url } }], ...over,
  });
  const start = () => startTestSubgraph(ingest(), { db: 'pull', stream: 'pull' });
  const payloads = async (): Promise<Payload[]> => (await gqlOk(convA.url, PAYLOADS, { c: channelId }, admin)).inboundPayloads;
  const messagesOf = async (externalIds: string[]): Promise<Array<Msg & { conversation: Conv }>> => {
    const convs: Conv[] = (await gqlOk(convA.url, CONVS, {}, admin)).conversations.nodes;
    return convs.flatMap((c) => c.messages.nodes.filter((m) => externalIds.includes(m.payload?.externalMessageId)).map((m) => ({ ...m, conversation: c })));
  };
  const processed = (ids: string[]) => until(async () => {
    const rows = (await payloads()).filter((p) => ids.some((id) => p.dedupeKey === `tmc:${id}`));
    return rows.length === ids.length && rows.every((r) => r.status === 'PROCESSED') && top.confirmed.filter((x) => ids.includes(x)).length >= ids.length && rows;
  });

  beforeAll(async () => {
    top = await startFakeTop({
      appKey: APP_KEY, appSecret: APP_SECRET, redeliverAfterMs: 800,
      // TMC's view: by the time it hears a confirm, each confirmed message must already be stored
      onConfirm: async (ids) => {
        const keys = new Set((await payloads()).map((p) => p.dedupeKey));
        for (const id of ids) (keys.has(`tmc:${id}`) ? storedBeforeConfirm : confirmedBeforeStored).push(id);
      },
      methods: {
        'taobao.trade.fullinfo.get': (form) => ({ trade_fullinfo_get_response: { trade: { tid: form.tid, status: 'WAIT_SELLER_SEND_GOODS', payment: '59.90', receiver_address: '上海市…', orders: { order: [{ oid: form.tid, title: '五常大米 5kg', num: 1 }] } } } }),
      },
    });
    customers = await startTestSubgraph(customersSubgraph, { db: 'pull_customers', stream: 'pull-customers' });
    convA = await start();
    admin = await tokenFor(newTenant('tmc'), ['admin']);
    const config = { appKey: APP_KEY, appSecret: APP_SECRET, sessionKey: 'session-6100e23657fb0b2d0c78', tmcPull: true, tmcBatchSize: 10 };
    channelId = (await gqlOk(convA.url, CREATE, { i: { type: 'taobao', name: 'Tmall shop', config } }, admin)).createChannel.channel.id;
  });

  afterAll(async () => {
    // leave no pulling channel behind for later runs of this file
    if (channelId) await gqlOk(convA.url, DISABLE, { i: { id: channelId } }, admin).catch(() => undefined);
    await convB?.close();
    await convA?.close();
    await customers?.close();
    await top?.close();
  });

  test('TMC messages become order events on the buyer, exactly once, and are confirmed only after they are stored', async () => {
    const pay = trade('t**1');
    const refund: FakeTmcMessage = { id: nextId(), topic: 'taobao_refund_RefundCreated', rawContent: `{"buyer_nick":"t**1","refund_fee":"59.90","tid":${TID},"refund_id":170000000000001}` };
    const other = trade('b**2', 'taobao_trade_TradeCreate', '3901237651234567999');
    top.publish(pay, refund, other);
    const rows = await processed([pay.id, refund.id, other.id]);
    expect(rows.map((r) => r.messageId).every(Boolean)).toBe(true);

    const msgs = await messagesOf([pay.id, refund.id, other.id]);
    expect(msgs).toHaveLength(3);
    const byId = new Map(msgs.map((m) => [m.payload.externalMessageId as string, m]));
    expect(byId.get(pay.id)).toMatchObject({ kind: 'order', senderType: 'SYSTEM', payload: { action: 'trade', orderId: TID, status: 'WAIT_SELLER_SEND_GOODS', sender: { externalId: `order:${TID}`, displayName: 't**1' }, details: { tid: TID } } });
    expect(byId.get(refund.id)).toMatchObject({ kind: 'order', payload: { action: 'refund', orderId: TID, refundId: '170000000000001' } });
    expect(JSON.stringify(byId.get(pay.id)!.payload)).not.toContain('上海市'); // no address from the look-up
    // on the buyer: a masked nick is no identity (many buyers share t**1), so the order's: both of its messages on
    // one customer's conversation, b**2's order elsewhere
    expect(byId.get(pay.id)!.conversation.id).toBe(byId.get(refund.id)!.conversation.id);
    expect(byId.get(other.id)!.conversation.customer.id).not.toBe(byId.get(pay.id)!.conversation.customer.id);
    // Order events of buyers who never wrote are a record on the customer, in no agent's queue.
    for (const m of msgs) expect(m.conversation.status).toBe('RESOLVED');
    expect((await gqlOk(convA.url, `query { queue { waiting } }`, {}, admin)).queue.waiting).toBe(0);

    expect(confirmedBeforeStored).toEqual([]);
    expect(storedBeforeConfirm).toEqual(expect.arrayContaining([pay.id, refund.id, other.id]));
    expect(top.refused.filter((r) => r.form?.app_key === APP_KEY)).toHaveLength(0); // every request correctly signed
  });

  test('a message relayed to the webhook and pulled from TMC is one message', async () => {
    const m = trade('c**3');
    const body = JSON.stringify({ id: m.id, topic: m.topic, pub_app_key: APP_KEY, pub_time: '2024-05-01 09:59:58', user_nick: m.userNick, content: m.rawContent }).replace(`"id":"${m.id}"`, `"id":${m.id}`);
    const query: Record<string, string> = { app_key: APP_KEY, timestamp: topTimestamp(Date.now()), sign_method: 'md5' };
    query.sign = topSign(query, APP_SECRET, 'md5', body);
    const res = await fetch(`${convA.url.replace(/\/graphql$/, '')}/webhooks/${channelId}?${new URLSearchParams(query)}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body });
    expect(res.status).toBe(200);
    top.publish(m);
    await processed([m.id]);
    expect((await payloads()).filter((p) => p.dedupeKey === `tmc:${m.id}`)).toHaveLength(1);
    expect(await messagesOf([m.id])).toHaveLength(1);
  });

  test('a batch that is stored but not confirmed (a crash before the ack) is redelivered and still yields one message', async () => {
    const m = trade('d**4');
    top.failNext('taobao.tmc.messages.confirm', { status: 503, body: 'gateway busy' }, 2);
    top.publish(m);
    await processed([m.id]);
    expect(top.delivered.filter((x) => x === m.id).length).toBeGreaterThanOrEqual(3); // handed out again after each missing confirm
    expect(top.confirmed.filter((x) => x === m.id)).toHaveLength(1);
    expect((await payloads()).filter((p) => p.dedupeKey === `tmc:${m.id}`)).toHaveLength(1);
    expect(await messagesOf([m.id])).toHaveLength(1);
    expect(top.pending()).not.toContain(m.id);
  });

  test('a pull channel whose credentials TOP refuses shows it in channel health, and the others keep flowing', async () => {
    const bad = (await gqlOk(convA.url, CREATE, { i: { type: 'taobao', name: 'Wrong secret', config: { appKey: APP_KEY, appSecret: 'not-the-app-secret-000', tmcPull: true } } }, admin)).createChannel.channel.id;
    try {
      const h = await until(async () => {
        const c = (await gqlOk(convA.url, HEALTH, {}, admin)).channels.find((x: { id: string }) => x.id === bad);
        return c?.health.status === 'DEGRADED' && c.health;
      });
      expect(h.lastError).toMatch(/pull AUTH: taobao\.tmc\.messages\.consume: TOP error 25/);
      expect(h.lastError).not.toContain('not-the-app-secret-000');
      const m = trade('e**5');
      top.publish(m);
      await processed([m.id]);
      const good = (await gqlOk(convA.url, HEALTH, {}, admin)).channels.find((x: { id: string }) => x.id === channelId);
      expect(good.health.status).toBe('UP');
    } finally {
      await gqlOk(convA.url, DISABLE, { i: { id: bad } }, admin);
    }
  });

  test('two subgraph replicas polling the same channel never poll it at once, and every message arrives once', async () => {
    convB = await start();
    top.setConsumeDelay(150);
    const before = top.consumes;
    const batch = Array.from({ length: 40 }, (_, i) => trade(`r**${i % 8}`, 'taobao_trade_TradeCreate', String(3901237651234500000n + BigInt(i))));
    const maxBefore = top.maxConcurrentConsumes;
    top.publish(...batch);
    const ids = batch.map((m) => m.id);
    await processed(ids);
    top.setConsumeDelay(0);
    expect(top.consumes - before).toBeGreaterThanOrEqual(4); // 40 messages, batches of 10
    expect(Math.max(maxBefore, top.maxConcurrentConsumes)).toBe(1);
    const msgs = await messagesOf(ids);
    expect(msgs).toHaveLength(40);
    expect(new Set(msgs.map((m) => m.payload.externalMessageId)).size).toBe(40);
    expect(confirmedBeforeStored).toEqual([]);
  });

  test('pollers that do not coordinate at all (TMC handing the same messages to both) still store each message once', async () => {
    const s = convA.services as ConversationsServices;
    const poller = () => new PullPoller({
      channels: s.channels, bindings: s.channelBindings, ingest: s.ingest, channelIds: async () => [channelId],
      lock: createMemoryPullLock(), log: { child: () => ({ warn: () => undefined }) } as never, settings: { intervalMs: 0 },
    });
    top.setRedeliverAfter(0); // every consume hands out everything unconfirmed
    top.setConsumeDelay(100);
    try {
      const batch = Array.from({ length: 6 }, () => trade('u**9'));
      top.publish(...batch);
      const [a, b] = await Promise.all([poller().poll(channelId), poller().poll(channelId)]);
      expect([a, b]).toEqual(['pulled', 'pulled']);
      const ids = batch.map((m) => m.id);
      await processed(ids);
      for (const id of ids) expect(top.delivered.filter((x) => x === id).length).toBeGreaterThanOrEqual(2);
      expect((await payloads()).filter((p) => ids.some((id) => p.dedupeKey === `tmc:${id}`))).toHaveLength(6);
      const msgs = await messagesOf(ids);
      expect(msgs).toHaveLength(6);
      expect(new Set(msgs.map((m) => m.conversation.id)).size).toBe(1);
    } finally {
      top.setRedeliverAfter(800);
      top.setConsumeDelay(0);
    }
  });
});

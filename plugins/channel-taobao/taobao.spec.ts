import type { InboundRequest } from '../sdk/channel.js';
import { createTestHost, runChannelConformance, startFakeServer, type FakeRoutes, type FakeServer } from '../sdk/testing/index.js';
import plugin, { lookupOrder, parseTopTime, topSign, topTimestamp } from './index.js';

const CFG = { appKey: '12345678', appSecret: 'appsecret-0123456789abcdef', sessionKey: 'session-6100e23657fb0b2d0c78', sellerNick: '汇流米业旗舰店' };
const NOW = Date.UTC(2024, 4, 1, 2, 0, 0); // 2024-05-01 10:00:00 GMT+8
const TID = '3901237651234567890'; // beyond 2^53

const push = (body: string | Buffer, o: { at?: number; method?: 'md5' | 'hmac' | 'hmac-sha256'; appKey?: string; secret?: string } = {}): InboundRequest => {
  const query: Record<string, string> = { app_key: o.appKey ?? CFG.appKey, timestamp: topTimestamp(o.at ?? NOW), sign_method: o.method ?? 'md5' };
  query.sign = topSign(query, o.secret ?? CFG.appSecret, o.method ?? 'md5', Buffer.from(body).toString('utf8'));
  return { method: 'POST', path: '/webhooks/tb', query, headers: { 'content-type': 'application/json' }, rawBody: Buffer.from(body), receivedAt: new Date(NOW) };
};

/** A TMC message; `content` is a JSON string whose tid is a bare 64-bit number. */
const tmc = (topic: string, content: Record<string, unknown>, id = '7010000000000000001') =>
  `{"id":${id},"topic":"${topic}","pub_app_key":"12345678","pub_time":"2024-05-01 09:59:58","user_id":2200000000001,"user_nick":"${CFG.sellerNick}","content":${JSON.stringify(JSON.stringify(content).replace('"tid":"TID"', `"tid":${TID}`))}}`;
const PAY = tmc('taobao_trade_TradeBuyerPay', { buyer_nick: 't**1', payment: '59.90', oid: TID, tid: 'TID', type: 'fixed', seller_nick: CFG.sellerNick, status: 'WAIT_SELLER_SEND_GOODS' });
const REFUND = tmc('taobao_refund_RefundCreated', { buyer_nick: 't**1', refund_fee: '59.90', oid: TID, tid: 'TID', refund_id: 170000000000001, seller_nick: CFG.sellerNick }, '7010000000000000002');
const QUESTION = JSON.stringify({ type: 'order_query', msg_id: 'qn-88001', tid: TID, buyer_nick: 't**1', content: '我的大米什么时候发货？', created: '2024-05-01 09:59:00' });

const trade = { trade_fullinfo_get_response: { trade: { tid: TID, status: 'WAIT_SELLER_SEND_GOODS', type: 'fixed', payment: '59.90', created: '2024-05-01 09:58:00', pay_time: '2024-05-01 09:59:58', receiver_address: '上海市…', orders: { order: [{ oid: TID, title: '五常大米 5kg', num: 1, price: '59.90', status: 'WAIT_SELLER_SEND_GOODS' }] } }, request_id: 'r1' } };
const routes: FakeRoutes = { 'POST /router/rest': () => ({ json: trade }) };

runChannelConformance({
  plugin,
  channelType: 'taobao',
  pluginConfig: (url) => ({ apiBaseUrl: url }),
  channelConfig: CFG,
  now: NOW,
  signedRequest: (body) => push(body),
  bodyIsSigned: true,
  inbound: [
    { name: 'a TMC TradeBuyerPay message', request: () => push(PAY), events: (e) => expect(e[0].content).toMatchObject({ kind: 'order', action: 'trade', orderId: TID, status: 'WAIT_SELLER_SEND_GOODS' }), response: { body: '{"success":true,"received":1}' } },
    { name: 'a TMC refund message and a buyer question in one push', request: () => push(`{"messages":[${REFUND},${QUESTION}]}`), events: 2 },
  ],
  rejected: [
    { name: 'a wrong sign', request: () => { const r = push(PAY); r.query.sign = '0'.repeat(32); return r; } },
    { name: 'another app_key', request: () => push(PAY, { appKey: '87654321' }) },
    { name: 'a timestamp 11 minutes off', request: () => push(PAY, { at: NOW - 11 * 60_000 }) },
  ],
});

describe('taobao', () => {
  const t = createTestHost(plugin, { now: NOW });
  const ch = t.bind(CFG);

  it('signs TOP requests like the documented vector (md5, upper-case hex)', () => {
    expect(topSign({ bar: '2', foo: '1', foo_bar: '3', foobar: '4' }, 'appsecret')).toBe('C93F59FDF6D64ADBBBA058C714FF797E');
    expect(topSign({ bar: '2', foo: '1', foo_bar: '3', foobar: '4', sign: 'x', empty: '' }, 'appsecret')).toBe('C93F59FDF6D64ADBBBA058C714FF797E');
    expect(topSign({ a: '1' }, 's', 'hmac')).toMatch(/^[0-9A-F]{32}$/);
    expect(topSign({ a: '1' }, 's', 'hmac-sha256')).toMatch(/^[0-9A-F]{64}$/);
  });

  it('reads and writes TOP timestamps in GMT+8', () => {
    expect(topTimestamp(NOW)).toBe('2024-05-01 10:00:00');
    expect(parseTopTime('2024-05-01 10:00:00')).toEqual(new Date(NOW));
    expect(parseTopTime('yesterday')).toBeUndefined();
  });

  it('turns TMC trade and refund messages into order events on the buyer, tid exact', () => {
    const [pay] = ch.accept(push(PAY)).events;
    expect(pay).toMatchObject({
      externalMessageId: '7010000000000000001', dedupeKey: 'tmc:7010000000000000001', origin: 'system',
      sender: { channelType: 'taobao', externalId: 't**1', displayName: 't**1' },
      content: { kind: 'order', action: 'trade', orderId: TID, topic: 'taobao_trade_TradeBuyerPay', status: 'WAIT_SELLER_SEND_GOODS', amount: '59.90', subOrderIds: [TID] },
      sentAt: new Date(NOW - 2000), context: { tid: TID, buyerNick: 't**1', sellerNick: CFG.sellerNick },
    });
    const [refund] = ch.accept(push(REFUND)).events;
    expect(refund.content).toMatchObject({ kind: 'order', action: 'refund', orderId: TID, refundId: '170000000000001', status: 'RefundCreated', amount: '59.90' });
  });

  it('turns a buyer question into an order_query message carrying tid and buyer_nick', () => {
    expect(ch.accept(push(QUESTION)).events[0]).toMatchObject({
      dedupeKey: 'q:qn-88001', origin: 'customer', sender: { externalId: 't**1' },
      content: { kind: 'order', action: 'query', orderId: TID, text: '我的大米什么时候发货？' }, context: { tid: TID, buyerNick: 't**1' },
    });
  });

  it('prefers buyer_open_uid as the identity and keeps unknown topics as events', () => {
    const withUid = tmc('taobao_trade_TradeCreate', { buyer_nick: 't**1', buyer_open_uid: 'AAHm5d-EAAeGwJedwSHpg8bT', tid: 1 });
    expect(ch.accept(push(withUid)).events[0]).toMatchObject({ sender: { externalId: 'AAHm5d-EAAeGwJedwSHpg8bT', displayName: 't**1' }, content: { status: 'created' } });
    const other = tmc('taobao_item_ItemUpdate', { num_iid: 1, tid: 9 });
    expect(ch.accept(push(other)).events[0].content).toMatchObject({ kind: 'event', name: 'tmc', key: 'taobao_item_ItemUpdate' });
  });

  it('accepts hmac and hmac-sha256 signed pushes; refuses malformed ones with BAD_REQUEST', () => {
    expect(ch.accept(push(PAY, { method: 'hmac' })).events).toHaveLength(1);
    expect(ch.accept(push(PAY, { method: 'hmac-sha256' })).events).toHaveLength(1);
    expect(() => ch.accept(push('{"topic":"taobao_trade_TradeCreate"}'))).toThrow(expect.objectContaining({ code: 'BAD_REQUEST' }));
    expect(() => ch.accept(push('{"id":1,"topic":"taobao_trade_TradeCreate","content":"{oops"}'))).toThrow(expect.objectContaining({ code: 'BAD_REQUEST' }));
    expect(() => ch.accept(push('{"type":"order_query","tid":"1"}'))).toThrow(expect.objectContaining({ code: 'BAD_REQUEST' }));
  });
});

describe('taobao order look-up (TOP API)', () => {
  let fake: FakeServer;
  beforeAll(async () => { fake = await startFakeServer(routes); });
  afterAll(() => fake.close());
  beforeEach(() => fake.reset(routes));

  it('signs taobao.trade.fullinfo.get and attaches the order (no address) to order events', async () => {
    const t = createTestHost(plugin, { now: NOW, config: { apiBaseUrl: fake.url } });
    const ch = t.bind(CFG);
    const r = await ch.receive(ch.accept(push(`[${PAY},${QUESTION}]`)).events);
    expect(r.events.map((e) => e.content.kind === 'order' && e.content.details)).toEqual([
      expect.objectContaining({ tid: TID, status: 'WAIT_SELLER_SEND_GOODS', items: [{ oid: TID, title: '五常大米 5kg', num: 1, price: '59.90', status: 'WAIT_SELLER_SEND_GOODS', refundStatus: undefined }] }),
      expect.objectContaining({ tid: TID }),
    ]);
    expect(JSON.stringify(r.events)).not.toContain('上海市');
    const calls = fake.calls('POST /router/rest');
    expect(calls).toHaveLength(1); // one look-up per tid
    const form = calls[0].form!;
    expect(form).toMatchObject({ method: 'taobao.trade.fullinfo.get', app_key: CFG.appKey, session: CFG.sessionKey, tid: TID, v: '2.0', format: 'json', sign_method: 'md5', timestamp: '2024-05-01 10:00:00' });
    const { sign, ...rest } = form;
    expect(sign).toBe(topSign(rest, CFG.appSecret));
  });

  it('maps TOP errors to typed errors, and keeps the message when the look-up fails', async () => {
    const t = createTestHost(plugin, { now: NOW, config: { apiBaseUrl: fake.url } });
    const ch = t.bind(CFG);
    fake.route({ 'POST /router/rest': () => ({ json: { error_response: { code: 27, msg: 'Invalid session', sub_code: 'invalid-sessionkey', request_id: 'x' } } }) });
    await expect(lookupOrder(ch.ctx as never, TID)).rejects.toMatchObject({ code: 'AUTH', platformCode: 27 });
    fake.route({ 'POST /router/rest': () => ({ json: { error_response: { code: 7, msg: 'App Call Limited', sub_code: 'accesscontrol.limited-by-app-access-count' } } }) });
    await expect(lookupOrder(ch.ctx as never, TID)).rejects.toMatchObject({ code: 'RATE_LIMITED', retryable: true });
    const r = await ch.receive(ch.accept(push(QUESTION)).events);
    expect(r.events).toHaveLength(1);
    expect(r.events[0].content).not.toHaveProperty('details');
    expect(t.logs.lines.some((l) => l.msg === 'order look-up failed')).toBe(true);
    expect(JSON.stringify(t.logs.lines)).not.toContain(CFG.sessionKey);
  });
});

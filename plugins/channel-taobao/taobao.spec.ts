import type { InboundRequest } from '../sdk/channel.js';
import { createTestHost, FakeClock, runChannelConformance, startFakeServer, type FakeRoutes, type FakeServer } from '../sdk/testing/index.js';
import plugin, { confirmTmc, lookupOrder, parseTopTime, topError, topSign, topTimestamp } from './index.js';
import { startFakeTop, type FakeTmcMessage, type FakeTop } from './top.testing.js';

const CFG = { appKey: '12345678', appSecret: 'appsecret-0123456789abcdef', sessionKey: 'session-6100e23657fb0b2d0c78', sellerNick: '汇流米业旗舰店' };
const NOW = Date.UTC(2024, 4, 1, 2, 0, 0); // 2024-05-01 10:00:00 GMT+8
const TID = '3901237651234567890'; // beyond 2^53
const TID2 = '3901237651234567999';

const push = (body: string | Buffer, o: { at?: number; method?: 'md5' | 'hmac' | 'hmac-sha256'; appKey?: string; secret?: string } = {}): InboundRequest => {
  const query: Record<string, string> = { app_key: o.appKey ?? CFG.appKey, timestamp: topTimestamp(o.at ?? NOW), sign_method: o.method ?? 'md5' };
  query.sign = topSign(query, o.secret ?? CFG.appSecret, o.method ?? 'md5', Buffer.from(body).toString('utf8'));
  return { method: 'POST', path: '/webhooks/tb', query, headers: { 'content-type': 'application/json' }, rawBody: Buffer.from(body), receivedAt: new Date(NOW) };
};

/** A TMC message; `content` is a JSON string whose tid is a bare 64-bit number. */
const tmc = (topic: string, content: Record<string, unknown>, id = '7010000000000000001', userNick = CFG.sellerNick) =>
  `{"id":${id},"topic":"${topic}","pub_app_key":"12345678","pub_time":"2024-05-01 09:59:58","user_id":2200000000001,"user_nick":"${userNick}","content":${JSON.stringify(JSON.stringify(content).replace('"tid":"TID"', `"tid":${TID}`))}}`;
const PAY = tmc('taobao_trade_TradeBuyerPay', { buyer_nick: 't**1', payment: '59.90', oid: TID, tid: 'TID', type: 'fixed', seller_nick: CFG.sellerNick, status: 'WAIT_SELLER_SEND_GOODS' });
const REFUND = tmc('taobao_refund_RefundCreated', { buyer_nick: 't**1', refund_fee: '59.90', oid: TID, tid: 'TID', refund_id: 170000000000001, seller_nick: CFG.sellerNick }, '7010000000000000002');
const QUESTION = JSON.stringify({ type: 'order_query', msg_id: 'qn-88001', tid: TID, buyer_nick: 't**1', content: '我的大米什么时候发货？', created: '2024-05-01 09:59:00' });

const trade = { trade_fullinfo_get_response: { trade: { tid: TID, status: 'WAIT_SELLER_SEND_GOODS', type: 'fixed', payment: '59.90', created: '2024-05-01 09:58:00', pay_time: '2024-05-01 09:59:58', receiver_address: '上海市…', orders: { order: [{ oid: TID, title: '五常大米 5kg', num: 1, price: '59.90', status: 'WAIT_SELLER_SEND_GOODS' }] } }, request_id: 'r1' } };
const routes: FakeRoutes = { 'POST /router/rest': () => ({ json: trade }) };

// TOP's consume answer as the gateway sends it (alibaba/top test/fixtures/tmc_messages_consume_response.json shape):
// ids beyond 2^53 as bare numbers, content a JSON string
const CONSUMED = `{"tmc_messages_consume_response":{"messages":{"tmc_message":[${PAY},${REFUND}]},"request_id":"3uq8xtq4x2q1"}}`;
const tmcRoutes: FakeRoutes = {
  'POST /router/rest': (req) => {
    if (req.form?.method === 'taobao.tmc.messages.consume') return { body: CONSUMED, headers: { 'content-type': 'application/json' } };
    if (req.form?.method === 'taobao.tmc.messages.confirm') return { json: { tmc_messages_confirm_response: { is_success: true } } };
    return { json: trade };
  },
};
const topFailure = (error_response: Record<string, unknown>): FakeRoutes => ({ 'POST /router/rest': () => ({ json: { error_response } }) });

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
  pull: {
    channelConfig: { ...CFG, tmcPull: true },
    routes: tmcRoutes,
    items: (r) => {
      expect(r.items.map((i) => i.events[0].dedupeKey)).toEqual(['tmc:7010000000000000001', 'tmc:7010000000000000002']);
      expect(r.more).toBe(false);
      expect(r.meta).toEqual({ api: 'taobao.tmc.messages.consume', requestId: '3uq8xtq4x2q1' });
    },
    checkAck: (reqs) => expect(reqs.map((q) => q.form)).toEqual([expect.objectContaining({ method: 'taobao.tmc.messages.confirm', s_message_ids: '7010000000000000001,7010000000000000002' })]),
    failures: [
      { name: 'Invalid session (27)', routes: topFailure({ code: 27, msg: 'Invalid session', sub_code: 'invalid-sessionkey' }), code: 'AUTH', retryable: false },
      { name: 'App Call Limited (7)', routes: topFailure({ code: 7, msg: 'App Call Limited', sub_code: 'accesscontrol.limited-by-app-access-count' }), code: 'RATE_LIMITED', retryable: true },
      { name: 'a remote timeout (15, isp.top-remote-connection-timeout)', routes: topFailure({ code: 15, msg: 'Remote service error', sub_code: 'isp.top-remote-connection-timeout' }), code: 'UNAVAILABLE', retryable: true },
      { name: 'an unknown group (isv.*)', routes: topFailure({ code: 15, msg: 'Remote service error', sub_code: 'isv.group-not-exist', sub_msg: 'group not exist' }), code: 'BAD_REQUEST', retryable: false },
      { name: 'HTTP 502', routes: { 'POST /router/rest': () => ({ status: 502, body: '<html>bad gateway</html>' }) }, code: 'UNAVAILABLE', retryable: true },
    ],
  },
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
    // HMAC keys on the secret and does not wrap it around the string. Pinned with OpenSSL, not this code:
    // printf '%s' bar2foo1foo_bar3foobar4 | openssl dgst -md5 -hmac appsecret   (and -sha256)
    expect(topSign({ bar: '2', foo: '1', foo_bar: '3', foobar: '4' }, 'appsecret', 'hmac')).toBe('9B6642462144912C0D49B7CDD2FC1AD5');
    expect(topSign({ bar: '2', foo: '1', foo_bar: '3', foobar: '4' }, 'appsecret', 'hmac-sha256')).toBe('FC967B209C5D0648332B69503401601E6AAF80569C1AE86CB68F812508393921');
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
      sender: { channelType: 'taobao', externalId: `order:${TID}`, displayName: 't**1' },
      content: { kind: 'order', action: 'trade', orderId: TID, topic: 'taobao_trade_TradeBuyerPay', status: 'WAIT_SELLER_SEND_GOODS', amount: '59.90', subOrderIds: [TID] },
      sentAt: new Date(NOW - 2000), context: { tid: TID, buyerNick: 't**1', sellerNick: CFG.sellerNick },
    });
    const [refund] = ch.accept(push(REFUND)).events;
    expect(refund.content).toMatchObject({ kind: 'order', action: 'refund', orderId: TID, refundId: '170000000000001', status: 'RefundCreated', amount: '59.90' });
  });

  it('turns a buyer question into an order_query message carrying tid and buyer_nick', () => {
    expect(ch.accept(push(QUESTION)).events[0]).toMatchObject({
      dedupeKey: 'q:qn-88001', origin: 'customer', sender: { externalId: `order:${TID}`, displayName: 't**1' },
      content: { kind: 'order', action: 'query', orderId: TID, text: '我的大米什么时候发货？' }, context: { tid: TID, buyerNick: 't**1' },
    });
  });

  it('prefers buyer_open_uid as the identity and keeps unknown topics as events', () => {
    const withUid = tmc('taobao_trade_TradeCreate', { buyer_nick: 't**1', buyer_open_uid: 'AAHm5d-EAAeGwJedwSHpg8bT', tid: 1 });
    expect(ch.accept(push(withUid)).events[0]).toMatchObject({ sender: { externalId: 'AAHm5d-EAAeGwJedwSHpg8bT', displayName: 't**1' }, content: { status: 'created' } });
    const other = tmc('taobao_item_ItemUpdate', { num_iid: 1, tid: 9 });
    expect(ch.accept(push(other)).events[0].content).toMatchObject({ kind: 'event', name: 'tmc', key: 'taobao_item_ItemUpdate' });
  });

  it('never keys a buyer on a masked nick: two buyers shown as t**1 are two customers; unmasked nicks stay the identity', () => {
    const a = tmc('taobao_trade_TradeBuyerPay', { buyer_nick: 't**1', tid: 'TID', seller_nick: CFG.sellerNick }, '7010000000000000011');
    const b = tmc('taobao_trade_TradeBuyerPay', { buyer_nick: 't**1', tid: TID2, seller_nick: CFG.sellerNick }, '7010000000000000012');
    const [ea, eb] = ch.accept(push(`[${a},${b}]`)).events;
    expect(ea.sender.externalId).not.toBe(eb.sender.externalId);
    expect([ea.sender, eb.sender]).toEqual([
      { channelType: 'taobao', externalId: `order:${TID}`, displayName: 't**1' },
      { channelType: 'taobao', externalId: `order:${TID2}`, displayName: 't**1' },
    ]);
    expect(eb.context).toMatchObject({ tid: TID2, buyerNick: 't**1' }); // agents still see the nick
    // customers keyed on unmasked nicks before Taobao masked them keep their identity
    const plain = tmc('taobao_trade_TradeBuyerPay', { buyer_nick: 'tb_wang_rice', tid: 'TID' }, '7010000000000000013');
    expect(ch.accept(push(plain)).events[0].sender).toMatchObject({ externalId: 'tb_wang_rice', displayName: 'tb_wang_rice' });
    // a masked nick and no order: nobody to key the message on
    expect(() => ch.accept(push(tmc('taobao_item_ItemUpdate', { buyer_nick: 't**1' }, '7010000000000000014')))).toThrow(expect.objectContaining({ code: 'BAD_REQUEST' }));
  });

  it('with sellerNick, turns no message of another shop (TMC user_nick or content seller_nick) into an event', () => {
    const ofUserNick = tmc('taobao_trade_TradeBuyerPay', { buyer_nick: 'x**9', tid: 'TID', seller_nick: CFG.sellerNick }, '7010000000000000021', '隔壁茶叶店');
    const ofContent = tmc('taobao_refund_RefundCreated', { buyer_nick: 'x**9', tid: 'TID', refund_id: 1, seller_nick: '隔壁茶叶店' }, '7010000000000000022');
    const question = JSON.stringify({ type: 'order_query', msg_id: 'qn-88002', tid: TID, buyer_nick: 'x**9', seller_nick: '隔壁茶叶店', content: '发货了吗' });
    const r = ch.accept(push(`[${ofUserNick},${PAY},${ofContent},${question}]`));
    expect(r.events.map((e) => e.dedupeKey)).toEqual(['tmc:7010000000000000001']);
    expect(r.response.body).toBe('{"success":true,"received":1}');
    // without sellerNick the channel cannot tell shops apart and keeps them all (as before)
    const { sellerNick: _, ...anyShop } = CFG;
    expect(t.bind(anyShop).accept(push(`[${ofUserNick},${ofContent},${question}]`)).events).toHaveLength(3);
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
    expect(r.events[0].sender.externalId).toBe(`order:${TID}`); // no buyer_open_uid in the answer: still the order
  });

  it('keys a buyer known by a masked nick on the order\'s buyer_open_uid (asked for with buyer_nick), kept out of the details', async () => {
    const uid: Record<string, string> = { [TID]: 'AAHm5d-EAAeGwJedwSHpg8bT', [TID2]: 'AAGx0c-EAAeGwJedwSHpZZ9Q' };
    fake.route({ 'POST /router/rest': (req) => ({ json: { trade_fullinfo_get_response: { trade: { ...trade.trade_fullinfo_get_response.trade, tid: req.form!.tid, buyer_nick: 't**1', buyer_open_uid: uid[req.form!.tid] } } } }) });
    const t = createTestHost(plugin, { now: NOW, config: { apiBaseUrl: fake.url } });
    const ch = t.bind(CFG);
    const other = tmc('taobao_trade_TradeCreate', { buyer_nick: 't**1', tid: TID2 }, '7010000000000000031');
    const plain = tmc('taobao_trade_TradeCreate', { buyer_nick: 'tb_wang_rice', tid: TID2 }, '7010000000000000032');
    const r = await ch.receive(ch.accept(push(`[${PAY},${other},${QUESTION},${plain}]`)).events);
    expect(r.events.map((e) => e.sender)).toEqual([
      { channelType: 'taobao', externalId: uid[TID], displayName: 't**1' },
      { channelType: 'taobao', externalId: uid[TID2], displayName: 't**1' },
      { channelType: 'taobao', externalId: uid[TID], displayName: 't**1' }, // the question: same buyer as the order
      { channelType: 'taobao', externalId: 'tb_wang_rice', displayName: 'tb_wang_rice' }, // an existing customer stays
    ]);
    const fields = fake.calls('POST /router/rest')[0].form!.fields.split(',');
    expect(fields).toEqual(expect.arrayContaining(['buyer_nick', 'buyer_open_uid']));
    const details = JSON.stringify(r.events.map((e) => e.content.kind === 'order' && e.content.details));
    expect(details).not.toContain('buyer');
    expect(details).not.toContain(uid[TID]);
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

describe('taobao TMC pull (taobao.tmc.messages.consume / confirm)', () => {
  let top: FakeTop;
  const PULL_CFG = { ...CFG, tmcPull: true };
  // the gateway's clock is the test host's (TOP checks timestamps; TMC redelivers after a while)
  let clock = new FakeClock(NOW);
  beforeAll(async () => { top = await startFakeTop({ appKey: CFG.appKey, appSecret: CFG.appSecret, now: () => clock.now(), redeliverAfterMs: 60_000 }); });
  afterAll(() => top.close());
  beforeEach(() => { top.reset(); clock = new FakeClock(NOW); });
  const host = () => { const t = createTestHost(plugin, { clock, config: { apiBaseUrl: top.url } }); return { t, ch: t.bind(PULL_CFG) }; };
  /** Publishes messages of this channel's shop unless they say otherwise. */
  const publish = (...ms: FakeTmcMessage[]) => top.publish(...ms.map((m) => ({ userNick: CFG.sellerNick, ...m })));
  const payContent = `{"buyer_nick":"t**1","payment":"59.90","oid":${TID},"tid":${TID},"type":"fixed","seller_nick":"${CFG.sellerNick}","status":"WAIT_SELLER_SEND_GOODS"}`;

  it('signs TOP requests like TOP\'s own Node SDK test vector', () => {
    // alibaba/top test/client.test.js: "should equal 990FD28323F67A1EEC29336EDF373C0E"
    expect(topSign({ method: 'taobao.user.get', timestamp: '2011-07-01 13: 52:03', format: 'xml', app_key: 'test', v: '2.0', fields: 'nick,location.state,location.city', nick: '商家测试帐号17', sign_method: 'md5' }, 'test'))
      .toBe('990FD28323F67A1EEC29336EDF373C0E');
  });

  it('pulls only channels whose config turns tmcPull on; tmcGroup and tmcBatchSize are checked', () => {
    const t = createTestHost(plugin, { now: NOW });
    expect(t.bind(CFG).pulls).toBe(false);
    expect(t.bind(PULL_CFG).pulls).toBe(true);
    expect(() => t.bind({ ...PULL_CFG, tmcBatchSize: 500 })).toThrow(/tmcBatchSize/);
    expect(() => t.bind({ ...PULL_CFG, tmcGroup: 'bad group!' })).toThrow(/tmcGroup/);
  });

  it('consumes a batch with a signed request (no session key), and turns each message into the same event as a relayed push', async () => {
    const { ch } = host();
    publish({ id: '7010000000000000001', topic: 'taobao_trade_TradeBuyerPay', rawContent: payContent, userNick: CFG.sellerNick });
    const r = await ch.pull();
    expect(r.items).toHaveLength(1);
    const [pulled] = r.items[0].events;
    const [pushed] = ch.accept(push(PAY)).events;
    // one message, whichever path it took: same dedupe key, content, sender and context (tid exact beyond 2^53)
    expect(pulled).toEqual(pushed);
    expect(pulled).toMatchObject({ dedupeKey: 'tmc:7010000000000000001', content: { kind: 'order', action: 'trade', orderId: TID, status: 'WAIT_SELLER_SEND_GOODS' }, sender: { externalId: `order:${TID}`, displayName: 't**1' } });
    expect(JSON.parse(r.items[0].raw as string)).toMatchObject({ id: '7010000000000000001', topic: 'taobao_trade_TradeBuyerPay', content: payContent });

    const [consume] = top.server.calls('POST /router/rest');
    const { sign, ...rest } = consume.form!;
    expect(rest).toEqual({ method: 'taobao.tmc.messages.consume', app_key: CFG.appKey, timestamp: '2024-05-01 10:00:00', format: 'json', v: '2.0', sign_method: 'md5', quantity: '100' });
    expect(sign).toBe(topSign(rest, CFG.appSecret)); // the fake gateway checked it too
    expect(consume.body).not.toContain(CFG.sessionKey);
    expect(top.refused).toHaveLength(0);
  });

  it('confirms exactly the consumed ids, signed, after which TMC never returns them; unconfirmed ones come back', async () => {
    const { ch, t } = host();
    publish({ id: '7010000000000000001', topic: 'taobao_trade_TradeBuyerPay', rawContent: payContent }, { id: '7010000000000000002', topic: 'taobao_refund_RefundCreated', content: { buyer_nick: 't**1', tid: 42, refund_id: 7, refund_fee: '1.00' } });
    const first = await ch.pull();
    expect(first.items).toHaveLength(2);
    expect(await ch.pull().then((r) => r.items)).toHaveLength(0); // handed out: hidden until the redelivery time
    t.clock.advance(61_000);
    const again = await ch.pull(); // not confirmed: redelivered, same dedupe keys
    expect(again.items.map((i) => i.events[0].dedupeKey)).toEqual(first.items.map((i) => i.events[0].dedupeKey));
    await again.ack();
    const confirm = top.server.calls('POST /router/rest').find((c) => c.form?.method === 'taobao.tmc.messages.confirm')!;
    const { sign, ...rest } = confirm.form!;
    expect(rest).toMatchObject({ s_message_ids: '7010000000000000001,7010000000000000002', app_key: CFG.appKey, sign_method: 'md5' });
    expect(rest).not.toHaveProperty('session');
    expect(sign).toBe(topSign(rest, CFG.appSecret));
    expect(top.confirmed).toEqual(['7010000000000000001', '7010000000000000002']);
    t.clock.advance(61_000);
    expect((await ch.pull()).items).toHaveLength(0);
    expect(top.pending()).toEqual([]);
  });

  it('signs with hmac-sha256 when the channel says so, sends the group, and says "more" on a full batch', async () => {
    const t = createTestHost(plugin, { now: NOW, config: { apiBaseUrl: top.url } });
    const ch = t.bind({ ...PULL_CFG, signMethod: 'hmac-sha256', tmcGroup: 'vip_buyers', tmcBatchSize: 10 });
    publish(...Array.from({ length: 12 }, (_, i) => ({ id: String(7020000000000000000n + BigInt(i)), topic: 'taobao_trade_TradeCreate', content: { buyer_nick: `b${i}`, tid: 100 + i }, group: 'vip_buyers' })));
    const r = await ch.pull();
    expect(r.items).toHaveLength(10);
    expect(r.more).toBe(true);
    expect(r.meta).toMatchObject({ group: 'vip_buyers' });
    const form = top.server.calls('POST /router/rest')[0].form!;
    expect(form).toMatchObject({ group_name: 'vip_buyers', quantity: '10', sign_method: 'hmac-sha256' });
    expect(form.sign).toMatch(/^[0-9A-F]{64}$/);
    await r.ack();
    expect(top.server.calls('POST /router/rest')[1].form).toMatchObject({ method: 'taobao.tmc.messages.confirm', group_name: 'vip_buyers' });
    expect(top.refused).toHaveLength(0);
    expect((await ch.pull()).items).toHaveLength(2);
  });

  it('keeps a message it cannot read as a failed item (confirmed with the rest, so it cannot block the group)', async () => {
    const { ch } = host();
    publish({ id: '7010000000000000003', topic: 'taobao_trade_TradeBuyerPay', rawContent: '{oops' }, { id: '7010000000000000001', topic: 'taobao_trade_TradeBuyerPay', rawContent: payContent });
    const r = await ch.pull();
    expect(r.items[0]).toMatchObject({ events: [], error: expect.objectContaining({ name: 'ChannelError', code: 'BAD_REQUEST' }) });
    expect(r.items[0].raw).toContain('7010000000000000003');
    expect(r.items[1].events).toHaveLength(1);
    await r.ack();
    expect(top.confirmed).toEqual(['7010000000000000003', '7010000000000000001']);
  });

  it('with sellerNick, stores no message of another shop but confirms it (it is never this channel\'s)', async () => {
    const { ch, t } = host();
    publish(
      { id: '7010000000000000004', topic: 'taobao_trade_TradeBuyerPay', rawContent: payContent.replace(CFG.sellerNick, '隔壁茶叶店'), userNick: '隔壁茶叶店' },
      { id: '7010000000000000001', topic: 'taobao_trade_TradeBuyerPay', rawContent: payContent },
      { id: '7010000000000000005', topic: 'taobao_refund_RefundCreated', content: { buyer_nick: 'x**9', tid: 43, refund_id: 8, seller_nick: '隔壁茶叶店' } },
    );
    const r = await ch.pull();
    expect(r.items.map((i) => i.events[0]?.dedupeKey)).toEqual(['tmc:7010000000000000001']);
    expect(JSON.stringify(r.items)).not.toContain('隔壁茶叶店');
    expect(t.logs.lines.some((l) => l.msg === 'TMC messages of other shops than sellerNick confirmed and dropped')).toBe(true);
    await r.ack();
    expect(top.confirmed).toEqual(['7010000000000000004', '7010000000000000001', '7010000000000000005']);
  });

  it('reads an empty group (no messages key) as an empty batch, and a confirm TOP refuses as retryable', async () => {
    const { ch } = host();
    const r = await ch.pull();
    expect(r).toMatchObject({ items: [], more: false });
    await r.ack(); // nothing to confirm: no call
    expect(top.server.calls('POST /router/rest')).toHaveLength(1);
    publish({ id: '7010000000000000001', topic: 'taobao_trade_TradeBuyerPay', rawContent: payContent });
    const b = await ch.pull();
    top.failNext('taobao.tmc.messages.confirm', { error_response: { code: 15, msg: 'Remote service error', sub_code: 'isp.top-remote-service-unavailable' } });
    await expect(b.ack()).rejects.toMatchObject({ code: 'UNAVAILABLE', retryable: true });
    expect(ch.health()).toMatchObject({ status: 'DEGRADED', lastError: expect.stringContaining('ack UNAVAILABLE') });
    await b.ack();
    expect(top.confirmed).toEqual(['7010000000000000001']);
  });

  it('confirms at most 200 ids per call', async () => {
    const { ch } = host();
    const ids = Array.from({ length: 250 }, (_, i) => String(7030000000000000000n + BigInt(i)));
    await confirmTmc(ch.ctx as never, ids);
    const calls = top.server.calls('POST /router/rest').map((c) => c.form!.s_message_ids.split(','));
    expect(calls.map((c) => c.length)).toEqual([200, 50]);
    expect(calls.flat()).toEqual(ids);
  });

  it('maps TOP\'s error envelope to typed errors: credentials, limits, platform failures, business errors', () => {
    const m = 'taobao.tmc.messages.consume';
    const cases: Array<[Record<string, unknown>, string, boolean]> = [
      [{ code: 25, msg: 'Invalid signature' }, 'AUTH', false],
      [{ code: 27, msg: 'Invalid session', sub_code: 'invalid-sessionkey' }, 'AUTH', false],
      [{ code: 29, msg: 'Invalid app Key' }, 'AUTH', false],
      [{ code: 11, msg: 'Insufficient isv permissions', sub_code: 'isv.permission-api-package-limit' }, 'AUTH', false],
      [{ code: 7, msg: 'App Call Limited', sub_code: 'accesscontrol.limited-by-app-access-count' }, 'RATE_LIMITED', true],
      [{ code: 15, msg: 'Remote service error', sub_code: 'isv.access-limited-by-api-access-count' }, 'RATE_LIMITED', true],
      [{ code: 15, msg: 'Remote service error', sub_code: 'isp.top-remote-connection-timeout' }, 'UNAVAILABLE', true],
      [{ code: 520, msg: 'Remote service error', sub_code: 'isp.unknown-error' }, 'UNAVAILABLE', true],
      [{ code: 10, msg: 'Service currently unavailable' }, 'UNAVAILABLE', true],
      [{ code: 15, msg: 'Remote service error', sub_code: 'isv.invalid-parameter', sub_msg: 'group_name 不存在' }, 'BAD_REQUEST', false],
      [{ code: 41, msg: 'Invalid arguments:quantity' }, 'BAD_REQUEST', false],
    ];
    for (const [e, code, retryable] of cases) {
      const err = topError(m, e);
      expect({ e, code: err.code, retryable: err.retryable }).toEqual({ e, code, retryable });
      expect(err.message.startsWith(`${m}: TOP error ${e.code}`)).toBe(true);
    }
    expect(topError(m, { code: 7, msg: 'App Call Limited' }).retryAfterMs).toBe(60_000);
  });

  it('reports a gateway page, a refused signature and an unreachable gateway with the right codes, and the channel\'s health follows', async () => {
    const { ch } = host();
    top.failNext('taobao.tmc.messages.consume', { body: '<html>系统繁忙</html>' });
    await expect(ch.pull()).rejects.toMatchObject({ code: 'UNAVAILABLE', retryable: true });
    expect(ch.health().status).toBe('DEGRADED');
    const wrong = createTestHost(plugin, { now: NOW, config: { apiBaseUrl: top.url } }).bind({ ...PULL_CFG, appSecret: 'another-secret-0123456789' });
    await expect(wrong.pull()).rejects.toMatchObject({ code: 'AUTH', retryable: false, platformCode: 25 });
    expect(wrong.health()).toMatchObject({ status: 'DEGRADED', lastError: expect.stringContaining('pull AUTH') });
    expect(top.refused).toHaveLength(1);
    await ch.pull();
    expect(ch.health().status).toBe('UP');
  });
});

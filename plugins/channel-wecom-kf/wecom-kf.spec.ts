import type { InboundRequest } from '../sdk/channel.js';
import { createTestHost, runChannelConformance, startFakeServer, type FakeRoutes, type FakeServer } from '../sdk/testing/index.js';
import { wechatPush } from '../wechat-common/wechat.testing.js';
import { TV3 } from '../wechat-common/wechat.vectors.js';
import plugin, { kfMessageEvent } from './index.js';

const CFG = { corpId: TV3.corpId, secret: 'kfSecret-0123456789abcdefABCDEF', token: TV3.token, encodingAESKey: TV3.encodingAESKey, welcomeMessage: '您好，欢迎咨询汇流米业' };
const TS = '1409659813';
const NOW = Number(TS) * 1000;
const KF = 'wkAJ2GCAAASSm4_FhToWMFea0xAFfd3Q';
const USER = 'wmAJ2GCAAAme1XQRC-NI-q0_ZM9ukoAw';
const CB_TOKEN = 'ENCApHxnGDNAVNY4AaSJKj4Tb5mwsEMzxhFmHVGcra996NR';

const noticeXml = (token = CB_TOKEN) => `<xml><ToUserName><![CDATA[${TV3.corpId}]]></ToUserName><CreateTime>${TS}</CreateTime><MsgType><![CDATA[event]]></MsgType><Event><![CDATA[kf_msg_or_event]]></Event><Token><![CDATA[${token}]]></Token><OpenKfId><![CDATA[${KF}]]></OpenKfId></xml>`;
const push = (body: string, extra: Partial<Parameters<typeof wechatPush>[0]> = {}) =>
  wechatPush({ token: CFG.token, appId: CFG.corpId, encodingAESKey: CFG.encodingAESKey, mode: 'safe', body, timestamp: TS, withoutPlainSignature: true, ...extra });

/** §2.2 sync_msg pages (abridged from the SKIT sample): a customer text, enter_session, a servicer message, an image. */
const page1 = { errcode: 0, errmsg: 'ok', next_cursor: 'c1', has_more: 1, msg_list: [
  { msgid: 'from_msgid_4622416642169452483', open_kfid: KF, external_userid: USER, send_time: 1615478585, origin: 3, msgtype: 'text', text: { content: '大米什么时候发货？', menu_id: '101' } },
  { msgid: 'evt_1', send_time: 1615478580, origin: 4, msgtype: 'event', event: { event_type: 'enter_session', open_kfid: KF, external_userid: USER, scene: 'store_qr', scene_param: 'SH001', welcome_code: 'WELCOME_CODE_1' } },
] };
const page2 = { errcode: 0, errmsg: 'ok', next_cursor: 'c2', has_more: 0, msg_list: [
  { msgid: 'servicer_1', open_kfid: KF, external_userid: USER, send_time: 1615478590, origin: 5, servicer_userid: 'Zhangsan', msgtype: 'text', text: { content: '今天发货' } },
  { msgid: 'img_1', open_kfid: KF, external_userid: USER, send_time: 1615478595, origin: 3, msgtype: 'image', image: { media_id: 'MEDIA_1' } },
] };
const routes: FakeRoutes = {
  'GET /cgi-bin/gettoken': () => ({ json: { errcode: 0, errmsg: 'ok', access_token: 'KF_TOKEN', expires_in: 7200 } }),
  'POST /cgi-bin/kf/sync_msg': (r) => ({ json: r.json.cursor === undefined ? page1 : r.json.cursor === 'c1' ? page2 : { errcode: 0, errmsg: 'ok', next_cursor: r.json.cursor, has_more: 0, msg_list: [] } }),
  'POST /cgi-bin/kf/send_msg': (r) => ({ json: { errcode: 0, errmsg: 'ok', msgid: r.json.msgid } }),
  'POST /cgi-bin/kf/send_msg_on_event': () => ({ json: { errcode: 0, errmsg: 'ok', msgid: 'welcome_1' } }),
};

const tv3Get = (): InboundRequest => ({ method: 'GET', path: '/webhooks/kf', query: { msg_signature: TV3.verify.msgSignature, timestamp: TV3.verify.timestamp, nonce: TV3.verify.nonce, echostr: TV3.verify.echostr }, headers: {}, rawBody: Buffer.alloc(0), receivedAt: new Date(Number(TV3.verify.timestamp) * 1000) });
const tv4Post = (): InboundRequest => ({ method: 'POST', path: '/webhooks/kf', query: { msg_signature: TV3.message.msgSignature, timestamp: TV3.message.timestamp, nonce: TV3.message.nonce }, headers: {}, rawBody: Buffer.from(`<xml><ToUserName><![CDATA[${TV3.corpId}]]></ToUserName><Encrypt><![CDATA[${TV3.message.encrypt}]]></Encrypt><AgentID><![CDATA[218]]></AgentID></xml>`), receivedAt: new Date(NOW) });

runChannelConformance({
  plugin,
  channelType: 'wecom-kf',
  pluginConfig: (url) => ({ apiBaseUrl: url }),
  channelConfig: CFG,
  now: NOW,
  signedRequest: (body) => push(body.toString()),
  bodyIsSigned: true,
  inbound: [
    { name: 'a kf_msg_or_event notice', request: () => push(noticeXml()), events: (e) => expect(e[0]).toMatchObject({ notice: true, context: { openKfId: KF } }), response: { body: 'success' } },
    { name: 'the official URL verification (TV-3)', request: tv3Get, events: 0, response: { body: TV3.verify.reply } },
    { name: 'the official WeCom message sample (TV-4), kept as an unsupported callback', request: tv4Post, events: (e) => expect(e[0]).toMatchObject({ origin: 'system', content: { kind: 'event', name: 'unsupported', key: 'text' } }) },
  ],
  rejected: [
    { name: 'a wrong msg_signature', request: () => { const r = push(noticeXml()); r.query.msg_signature = '1'.repeat(40); return r; } },
    { name: 'a stale timestamp', request: () => push(noticeXml(), { receivedAt: new Date(NOW - 900_000) }) },
    { name: 'ciphertext for another corp', request: () => wechatPush({ token: CFG.token, appId: 'ww0000000000000000', encodingAESKey: CFG.encodingAESKey, mode: 'safe', body: noticeXml(), timestamp: TS, withoutPlainSignature: true }) },
  ],
  outbound: {
    routes,
    openWith: () => push(noticeXml()),
    message: { id: '7f3a2b1c-0000-4000-8000-1234567890ab', recipient: { channelType: 'wecom-kf', externalId: USER }, content: { kind: 'text', text: '今天发货' }, context: { openKfId: KF } },
    check: (res, reqs) => {
      const send = reqs.find((r) => r.path === '/cgi-bin/kf/send_msg')!;
      expect(send.json).toEqual({ touser: USER, open_kfid: KF, msgid: '7f3a2b1c0000400080001234567890ab', msgtype: 'text', text: { content: '今天发货' } });
      expect(res.externalMessageId).toBe(send.json.msgid);
    },
    failures: [
      { name: 'errcode 45009', routes: { 'POST /cgi-bin/kf/send_msg': () => ({ json: { errcode: 45009, errmsg: 'api freq out of limit' } }) }, code: 'RATE_LIMITED', retryable: true },
      { name: 'a wrong secret (40001 twice)', routes: { 'POST /cgi-bin/kf/send_msg': () => ({ json: { errcode: 40001, errmsg: 'invalid credential' } }) }, code: 'AUTH' },
    ],
  },
});

describe('wecom-kf pull and send', () => {
  let fake: FakeServer;
  beforeAll(async () => { fake = await startFakeServer(routes); });
  afterAll(() => fake.close());
  beforeEach(() => fake.reset(routes));
  const setup = () => {
    const t = createTestHost(plugin, { now: NOW, config: { apiBaseUrl: fake.url } });
    return { t, ch: t.bind(CFG) };
  };

  it('answers the official URL verification with the decrypted echostr, no quotes', () => {
    const { ch } = setup();
    expect(ch.accept(tv3Get()).response).toEqual(expect.objectContaining({ status: 200, body: '1616140317555161061' }));
  });

  it('pulls every page a notice announces, maps customer, servicer and event messages, and sends the welcome once', async () => {
    const { ch } = setup();
    const { events } = ch.accept(push(noticeXml()));
    expect(events).toEqual([expect.objectContaining({ notice: true, dedupeKey: `notice:${KF}:${CB_TOKEN}`, content: { kind: 'event', name: 'kf_msg_or_event', data: { token: CB_TOKEN, openKfId: KF } } })]);
    const r = await ch.receive(events);
    expect(r.events.map((e) => [e.dedupeKey, e.origin, e.content.kind])).toEqual([
      ['msg:from_msgid_4622416642169452483', 'customer', 'text'],
      ['msg:evt_1', 'system', 'event'],
      ['msg:servicer_1', 'agent', 'text'],
      ['msg:img_1', 'customer', 'image'],
    ]);
    expect(r.events[0]).toMatchObject({ sender: { channelType: 'wecom-kf', externalId: USER }, sentAt: new Date(1615478585000), context: { openKfId: KF }, content: { text: '大米什么时候发货？' } });
    expect(r.events[1]).toMatchObject({ content: { name: 'enter_session', data: { scene: 'store_qr', scene_param: 'SH001' } }, context: { scene: 'store_qr' } });
    const syncs = fake.calls('POST /cgi-bin/kf/sync_msg');
    expect(syncs.map((s) => s.json)).toEqual([
      { token: CB_TOKEN, limit: 1000, voice_format: 0, open_kfid: KF },
      { cursor: 'c1', token: CB_TOKEN, limit: 1000, voice_format: 0, open_kfid: KF },
    ]);
    expect(fake.calls('POST /cgi-bin/kf/send_msg_on_event').map((c) => c.json)).toEqual([{ code: 'WELCOME_CODE_1', msgid: 'wevt_1', msgtype: 'text', text: { content: CFG.welcomeMessage } }]);
    await ch.receive(events); // a replay: the welcome code is used once
    expect(fake.calls('POST /cgi-bin/kf/send_msg_on_event')).toHaveLength(1);
  });

  it('persists the cursor per kf account only on commit, so a crash before it replays the pull', async () => {
    const { ch } = setup();
    const notice = ch.accept(push(noticeXml())).events;
    await ch.receive(notice); // "crash": never committed
    const again = await ch.receive(notice);
    expect(again.events).toHaveLength(4);
    expect(fake.calls('POST /cgi-bin/kf/sync_msg').map((s) => s.json.cursor)).toEqual([undefined, 'c1', undefined, 'c1']);
    await again.commit!();
    expect(await ch.ctx.kv.get(`cursor:${KF}`)).toBe('c2');
    const next = await ch.receive(ch.accept(push(noticeXml('NEXT_TOKEN'))).events);
    expect(next.events).toHaveLength(0);
    expect(fake.calls('POST /cgi-bin/kf/sync_msg').at(-1)!.json).toMatchObject({ cursor: 'c2', token: 'NEXT_TOKEN' });
  });

  it('pulls without the callback token when a notice is replayed after it expired', async () => {
    const { t, ch } = setup();
    const notice = ch.accept(push(noticeXml())).events;
    t.clock.advance(10 * 60_000);
    await ch.receive(notice);
    expect(fake.calls('POST /cgi-bin/kf/sync_msg')[0].json.token).toBeUndefined();
  });

  it('keeps going when the welcome message fails', async () => {
    fake.route({ 'POST /cgi-bin/kf/send_msg_on_event': () => ({ json: { errcode: 95018, errmsg: 'welcome code expired' } }) });
    const { t, ch } = setup();
    const r = await ch.receive(ch.accept(push(noticeXml())).events);
    expect(r.events).toHaveLength(4);
    expect(t.logs.lines.some((l) => l.level === 'warn' && l.msg === 'welcome message failed')).toBe(true);
  });

  it('sends with kf/send_msg inside the 48 h / 5 message window, with our id as an idempotent msgid', async () => {
    const { ch } = setup();
    await ch.receive(ch.accept(push(noticeXml())).events);
    const send = (id: string) => ch.send({ id, recipient: { channelType: 'wecom-kf', externalId: USER }, content: { kind: 'text', text: 'ok' }, context: { openKfId: KF } });
    for (const id of ['a', 'b', 'c', 'd', 'e']) await send(id);
    await expect(send('f')).rejects.toMatchObject({ code: 'WINDOW_CLOSED' });
    await expect(ch.send({ id: 'g', recipient: { channelType: 'wecom-kf', externalId: USER }, content: { kind: 'text', text: 'x' } })).rejects.toMatchObject({ code: 'BAD_REQUEST', message: expect.stringContaining('open_kfid') });
    expect(fake.calls('GET /cgi-bin/gettoken')).toHaveLength(1);
    expect(fake.calls('GET /cgi-bin/gettoken')[0].query).toEqual({ corpid: CFG.corpId, corpsecret: CFG.secret });
  });

  /** One sync_msg page: a customer text sent `hoursAgo` before the test clock. */
  const customerWroteAgo = (hoursAgo: number) => fake.route({ 'POST /cgi-bin/kf/sync_msg': () => ({ json: { errcode: 0, errmsg: 'ok', next_cursor: 'c1', has_more: 0, msg_list: [
    { msgid: `m_${hoursAgo}h`, open_kfid: KF, external_userid: USER, send_time: NOW / 1000 - hoursAgo * 3600, origin: 3, msgtype: 'text', text: { content: '在吗' } },
  ] } }) });
  const sendText = (ch: ReturnType<typeof setup>['ch'], id: string) => ch.send({ id, recipient: { channelType: 'wecom-kf', externalId: USER }, content: { kind: 'text', text: 'ok' }, context: { openKfId: KF } });

  it('sends 47 h after the customer\'s last message', async () => {
    customerWroteAgo(47);
    const { ch } = setup();
    await ch.receive(ch.accept(push(noticeXml())).events);
    await expect(sendText(ch, 'a')).resolves.toMatchObject({ status: 'sent' });
  });

  it('refuses to send 49 h after the customer\'s last message, saying so, without calling kf/send_msg', async () => {
    customerWroteAgo(49);
    const { ch } = setup();
    await ch.receive(ch.accept(push(noticeXml())).events);
    await expect(sendText(ch, 'a')).rejects.toMatchObject({ code: 'WINDOW_CLOSED', message: expect.stringContaining('last message was 49 h ago (window 48 h)') });
    expect(fake.calls('POST /cgi-bin/kf/send_msg')).toHaveLength(0);
  });
});

describe('wecom-kf sync_msg items it cannot read', () => {
  let fake: FakeServer;
  beforeAll(async () => { fake = await startFakeServer(routes); });
  afterAll(() => fake.close());
  beforeEach(() => fake.reset(routes));

  const good = page1.msg_list[0];
  const badPage = { errcode: 0, errmsg: 'ok', next_cursor: 'c_bad', has_more: 0, msg_list: [
    good,
    { open_kfid: KF, external_userid: USER, send_time: 1615478586, origin: 3, msgtype: 'text', text: { content: 'no msgid' } },
    null,
  ] };

  it('keeps the good items, hands the others back as failed (for the host to keep) and moves the cursor past the page, without crashing', async () => {
    fake.route({ 'POST /cgi-bin/kf/sync_msg': (r) => ({ json: r.json.cursor === undefined ? badPage : { errcode: 0, errmsg: 'ok', next_cursor: r.json.cursor, has_more: 0, msg_list: [] } }) });
    const t = createTestHost(plugin, { now: NOW, config: { apiBaseUrl: fake.url } });
    const ch = t.bind(CFG);
    const other = t.bind(CFG, { tenantId: 'tenant-other' });
    const r = await ch.receive(ch.accept(push(noticeXml())).events);
    expect(r.events.map((e) => e.dedupeKey)).toEqual([`msg:${good.msgid}`]);
    expect(r.failed!.map((f) => [JSON.parse(String(f.raw)), (f.error as { code: string }).code])).toEqual([[badPage.msg_list[1], 'BAD_REQUEST'], [null, 'BAD_REQUEST']]);
    const skipped = t.logs.lines.filter((l) => l.level === 'warn' && l.msg === 'kf/sync_msg item kept as failed');
    expect(skipped.map((l) => l.obj)).toEqual([
      expect.objectContaining({ openKfId: KF, index: 1, code: 'BAD_REQUEST' }),
      expect.objectContaining({ openKfId: KF, index: 2, code: 'BAD_REQUEST' }),
    ]);
    await r.commit!();
    expect(await ch.ctx.kv.get(`cursor:${KF}`)).toBe('c_bad');
    // the next notice starts after the bad page, and the plugin still serves every tenant
    await ch.receive(ch.accept(push(noticeXml('NEXT_TOKEN'))).events);
    expect(fake.calls('POST /cgi-bin/kf/sync_msg').at(-1)!.json).toMatchObject({ cursor: 'c_bad' });
    await expect(other.receive(other.accept(push(noticeXml())).events)).resolves.toBeDefined();
  });

  it('reads a kept item again when an operator replays it: parse takes the host\'s /receive/ request as one sync_msg entry', async () => {
    const t = createTestHost(plugin, { now: NOW, config: { apiBaseUrl: fake.url } });
    const ch = t.bind(CFG);
    const stored = (raw: unknown): InboundRequest => ({ method: 'POST', path: '/receive/ch-1', query: {}, headers: { 'x-huiliu-source': 'receive' }, rawBody: Buffer.from(JSON.stringify(raw)), receivedAt: new Date(NOW) });
    const [e] = ch.parse(stored(good));
    expect(e).toEqual(kfMessageEvent(good, new Date(NOW)));
    expect(() => ch.parse(stored(badPage.msg_list[1]))).toThrow(expect.objectContaining({ code: 'BAD_REQUEST' }));
    // the same body on the webhook's own path is read as a WeCom callback, never as a stored item
    expect(ch.parse({ ...stored(good), path: '/webhooks/ch-1' })).toEqual([expect.objectContaining({ origin: 'system', content: expect.objectContaining({ name: 'unsupported' }) })]);
  });

  it('never crashes on a null item, which would disable the plugin for every tenant', async () => {
    fake.route({ 'POST /cgi-bin/kf/sync_msg': () => ({ json: { errcode: 0, errmsg: 'ok', next_cursor: 'c_null', has_more: 0, msg_list: [null, good] } }) });
    const t = createTestHost(plugin, { now: NOW, config: { apiBaseUrl: fake.url } });
    const ch = t.bind(CFG);
    const r = await ch.receive(ch.accept(push(noticeXml())).events);
    expect(r.events.map((e) => e.dedupeKey)).toEqual([`msg:${good.msgid}`]);
    const other = t.bind(CFG, { tenantId: 'tenant-other' });
    await expect(other.receive(other.accept(push(noticeXml())).events)).resolves.toBeDefined();
  });

  it.each([null, undefined, 42, 'msg', [], [{ msgid: 'x' }]])('turns the item %p into a BAD_REQUEST, never a TypeError', (item) => {
    expect(() => kfMessageEvent(item as never, new Date(NOW))).toThrow(expect.objectContaining({ name: 'ChannelError', code: 'BAD_REQUEST' }));
  });

  it("reads msg_send_fail as a report on our message (send_failed, keyed by the msgid send_msg returned), never as the customer writing", () => {
    const e = kfMessageEvent({ msgid: 'evt_fail_1', send_time: 1615478600, origin: 4, msgtype: 'event', event: { event_type: 'msg_send_fail', open_kfid: KF, external_userid: USER, fail_msgid: 'FAIL_MSGID_1', fail_type: 4 } }, new Date(NOW));
    expect(e).toMatchObject({ content: { kind: 'event', name: 'send_failed', key: 'FAIL_MSGID_1', data: { fail_type: 4 } }, signal: true, origin: 'system' });
    // Other events stay as they were, and are no signal.
    const other = kfMessageEvent({ msgid: 'evt_2', origin: 4, msgtype: 'event', event: { event_type: 'servicer_status_change', status: 2 } }, new Date(NOW));
    expect(other).toMatchObject({ content: { kind: 'event', name: 'servicer_status_change', data: { status: 2 } } });
    expect(other.signal).toBeUndefined();
  });

  it('reads fields that are objects where text is expected without throwing', () => {
    const odd = { toString: 1 };
    const e = kfMessageEvent({ msgid: 'odd', open_kfid: KF, external_userid: USER, origin: 3, msgtype: 'text', text: { content: odd } }, new Date(NOW));
    expect(e.content).toEqual({ kind: 'text', text: '' });
    expect(kfMessageEvent({ msgid: 'odd2', msgtype: odd }, new Date(NOW)).content).toEqual({ kind: 'event', name: 'unsupported', key: '' });
    expect(kfMessageEvent({ msgid: 'odd3', msgtype: 'event', event: { event_type: odd } }, new Date(NOW)).content).toMatchObject({ kind: 'event', name: 'unknown' });
  });
});

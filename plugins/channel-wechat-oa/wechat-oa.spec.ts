import * as wecom from '@wecom/crypto';
import type { InboundRequest } from '../sdk/channel.js';
import { createTestHost, runChannelConformance, startFakeServer, type FakeServer } from '../sdk/testing/index.js';
import { wechatSignature } from '../wechat-common/wechat.crypto.js';
import { wechatPush, wechatXml } from '../wechat-common/wechat.testing.js';
import { TV1, URL_VERIFY } from '../wechat-common/wechat.vectors.js';
import plugin from './index.js';

const OPENID = 'oyORnuP8q7ou2gfYjqLzSIWZf0rs';
const NOW = Number(TV1.timestamp) * 1000;
const SAFE = { appId: TV1.appId, appSecret: 'a1b2c3d4e5f60718293a4b5c6d7e8f90', token: TV1.token, encodingAESKey: TV1.encodingAESKey, mode: 'safe' as const };

const msg = (fields: Record<string, string | number>) => wechatXml({ ToUserName: 'gh_10f6c3c3ac5a', FromUserName: OPENID, CreateTime: 1409735668, ...fields });
const safePush = (body: string, extra: Partial<Parameters<typeof wechatPush>[0]> = {}) => wechatPush({ token: SAFE.token, appId: SAFE.appId, encodingAESKey: SAFE.encodingAESKey, mode: 'safe', body, ...extra });

/** TV-1 exactly as WeChat posted it. */
const officialTv1: () => InboundRequest = () => ({
  method: 'POST',
  path: '/webhooks/wx',
  query: { signature: 'ignored-when-absent', timestamp: TV1.timestamp, nonce: TV1.nonce, encrypt_type: 'aes', msg_signature: TV1.msgSignature },
  headers: { 'content-type': 'text/xml' },
  rawBody: Buffer.from(`<xml><ToUserName><![CDATA[gh_10f6c3c3ac5a]]></ToUserName><Encrypt><![CDATA[${TV1.encrypt}]]></Encrypt></xml>`),
  receivedAt: new Date(NOW),
});
const tv1Request = () => { const r = officialTv1(); delete (r.query as Record<string, string>).signature; return r; };

const tokenRoute = { 'GET /cgi-bin/token': () => ({ json: { access_token: 'ACCESS_TOKEN_1', expires_in: 7200 } }) };
const sendOk = { 'POST /cgi-bin/message/custom/send': () => ({ json: { errcode: 0, errmsg: 'ok' } }) };
const sendErr = (errcode: number, errmsg: string) => ({ 'POST /cgi-bin/message/custom/send': () => ({ json: { errcode, errmsg } }) });

runChannelConformance({
  plugin,
  channelType: 'wechat-oa',
  pluginConfig: (url) => ({ apiBaseUrl: url }),
  channelConfig: SAFE,
  now: NOW,
  signedRequest: (body) => safePush(body.toString()),
  bodyIsSigned: true,
  inbound: [
    { name: 'the official safe-mode sample (TV-1)', request: tv1Request, events: (evs) => expect(evs[0]).toMatchObject({ externalMessageId: '6054768590064713728', content: { kind: 'text', text: 'abcdteT' } }), response: { body: 'success' } },
    { name: 'a text message', request: () => safePush(msg({ MsgType: 'text', Content: '我的订单到哪了', MsgId: '6054768590064713729' })), events: 1, response: { body: 'success' } },
    { name: 'a subscribe event', request: () => safePush(msg({ MsgType: 'event', Event: 'subscribe' })), events: 1 },
    {
      name: 'the GET URL verification',
      request: () => ({ ...safePush(''), method: 'GET', rawBody: Buffer.alloc(0), query: { signature: wechatSignature(TV1.token, TV1.timestamp, TV1.nonce), timestamp: TV1.timestamp, nonce: TV1.nonce, echostr: '5837397520665436492' } }),
      events: 0,
      response: { body: '5837397520665436492' },
    },
  ],
  rejected: [
    { name: 'a wrong msg_signature', request: () => { const r = safePush(msg({ MsgType: 'text', Content: 'x', MsgId: '1' })); r.query.msg_signature = '0'.repeat(40); return r; } },
    { name: 'a stale timestamp (10 minutes old)', request: () => safePush(msg({ MsgType: 'text', Content: 'x', MsgId: '1' }), { receivedAt: new Date(NOW + 600_000) }) },
    { name: 'a plaintext body in safe mode', request: () => wechatPush({ token: SAFE.token, appId: SAFE.appId, mode: 'plaintext', body: msg({ MsgType: 'text', Content: 'x', MsgId: '1' }) }) },
    { name: 'a wrong plain signature', request: () => { const r = safePush(msg({ MsgType: 'text', Content: 'x', MsgId: '1' })); r.query.signature = '0'.repeat(40); return r; } },
  ],
  outbound: {
    routes: { ...tokenRoute, ...sendOk },
    openWith: () => safePush(msg({ MsgType: 'text', Content: 'hi', MsgId: '6054768590064713730' })),
    message: { id: 'm-1', recipient: { channelType: 'wechat-oa', externalId: OPENID }, content: { kind: 'text', text: '您好，订单已发货' } },
    check: (res, reqs) => {
      expect(res).toEqual({ externalMessageId: 'm-1', status: 'sent' });
      const send = reqs.find((r) => r.path === '/cgi-bin/message/custom/send')!;
      expect(send.query.access_token).toBe('ACCESS_TOKEN_1');
      expect(send.json).toEqual({ touser: OPENID, msgtype: 'text', text: { content: '您好，订单已发货' } });
    },
    failures: [
      { name: 'errcode 45009 (API quota)', routes: sendErr(45009, 'reach max api daily quota limit'), code: 'RATE_LIMITED', retryable: true },
      { name: 'errcode 40003 (invalid openid)', routes: sendErr(40003, 'invalid openid'), code: 'INVALID_RECIPIENT', retryable: false },
      { name: 'errcode 45015 (out of the 48 h window)', routes: sendErr(45015, 'response out of time limit or subscription is canceled'), code: 'WINDOW_CLOSED', retryable: false },
      { name: 'HTTP 503', routes: { 'POST /cgi-bin/message/custom/send': () => ({ status: 503, body: 'busy' }) }, code: 'UNAVAILABLE', retryable: true },
      { name: 'errcode -1 (system busy)', routes: sendErr(-1, 'system error'), code: 'UNAVAILABLE', retryable: true },
    ],
  },
});

describe('wechat-oa inbound', () => {
  const t = createTestHost(plugin, { now: NOW });
  const safe = t.bind(SAFE);
  const plain = t.bind({ appId: SAFE.appId, appSecret: SAFE.appSecret, token: 'token' });
  const compat = t.bind({ ...SAFE, mode: 'compatible' });
  const one = (req: InboundRequest) => { const { events } = safe.accept(req); expect(events).toHaveLength(1); return events[0]; };

  it('answers the GET URL verification with echostr (§1.1 vector)', () => {
    const req: InboundRequest = { method: 'GET', path: '/w', query: { signature: URL_VERIFY.signature, timestamp: URL_VERIFY.timestamp, nonce: URL_VERIFY.nonce, echostr: '7086213386215183946' }, headers: {}, rawBody: Buffer.alloc(0), receivedAt: new Date(Number(URL_VERIFY.timestamp) * 1000) };
    expect(plain.accept(req)).toEqual({ events: [], response: expect.objectContaining({ status: 200, body: '7086213386215183946' }) });
    expect(() => plain.accept({ ...req, query: { ...req.query, nonce: '415670742' } })).toThrow(expect.objectContaining({ code: 'AUTH' }));
  });

  it('answers an encrypted GET verification with the decrypted echostr', () => {
    const echostr = wecom.encrypt(SAFE.encodingAESKey, 'echo-1234', SAFE.appId);
    const req: InboundRequest = { method: 'GET', path: '/w', query: { msg_signature: wecom.getSignature(SAFE.token, TV1.timestamp, TV1.nonce, echostr), timestamp: TV1.timestamp, nonce: TV1.nonce, echostr }, headers: {}, rawBody: Buffer.alloc(0), receivedAt: new Date(NOW) };
    expect(safe.accept(req).response.body).toBe('echo-1234');
  });

  it('parses text, keeping the 64-bit MsgId exact as the dedupe key', () => {
    expect(one(safePush(msg({ MsgType: 'text', Content: 'this is a test', MsgId: '9223372036854775807' })))).toMatchObject({
      channelType: 'wechat-oa', externalMessageId: '9223372036854775807', dedupeKey: 'msg:9223372036854775807', origin: 'customer',
      sender: { channelType: 'wechat-oa', externalId: OPENID }, content: { kind: 'text', text: 'this is a test' },
      sentAt: new Date(1409735668000), receivedAt: new Date(NOW), context: { account: 'gh_10f6c3c3ac5a' },
    });
  });

  it('parses image, voice with Recognition, location and link', () => {
    expect(one(safePush(msg({ MsgType: 'image', PicUrl: 'http://mmbiz.qpic.cn/x.jpg', MediaId: 'media_1', MsgId: '1' }))).content).toEqual({ kind: 'image', url: 'http://mmbiz.qpic.cn/x.jpg', mediaId: 'media_1' });
    expect(one(safePush(msg({ MsgType: 'voice', MediaId: 'media_2', Format: 'amr', Recognition: '腾讯微信团队', MsgId: '2' }))).content).toEqual({ kind: 'voice', mediaId: 'media_2', format: 'amr', recognition: '腾讯微信团队' });
    expect(one(safePush(msg({ MsgType: 'location', Location_X: '23.134521', Location_Y: '113.358803', Scale: '20', Label: '位置信息', MsgId: '3' }))).content).toEqual({ kind: 'location', latitude: 23.134521, longitude: 113.358803, scale: 20, label: '位置信息' });
    expect(one(safePush(msg({ MsgType: 'link', Title: '公众平台官网链接', Description: '公众平台官网链接', Url: 'https://mp.weixin.qq.com', MsgId: '4' }))).content).toEqual({ kind: 'link', url: 'https://mp.weixin.qq.com', title: '公众平台官网链接', description: '公众平台官网链接' });
  });

  it('parses subscribe (with a scene QR), SCAN, CLICK and VIEW events, deduped by sender and CreateTime', () => {
    const sub = one(safePush(msg({ MsgType: 'event', Event: 'subscribe', EventKey: 'qrscene_123123', Ticket: 'TICKET' })));
    expect(sub).toMatchObject({ dedupeKey: `evt:${OPENID}:1409735668:subscribe`, content: { kind: 'event', name: 'subscribe', key: 'qrscene_123123', data: { ticket: 'TICKET', scene: '123123' } }, context: { scene: '123123' } });
    expect(sub.externalMessageId).toBeUndefined();
    expect(one(safePush(msg({ MsgType: 'event', Event: 'SCAN', EventKey: 'SCENE_VALUE', Ticket: 'TICKET' }))).content).toMatchObject({ name: 'scan', key: 'SCENE_VALUE', data: { scene: 'SCENE_VALUE' } });
    expect(one(safePush(msg({ MsgType: 'event', Event: 'CLICK', EventKey: 'MENU_ORDERS' }))).content).toEqual({ kind: 'event', name: 'click', key: 'MENU_ORDERS' });
    expect(one(safePush(msg({ MsgType: 'event', Event: 'VIEW', EventKey: 'https://brand.example/shop' }))).content).toMatchObject({ name: 'view', key: 'https://brand.example/shop' });
    expect(one(safePush(msg({ MsgType: 'event', Event: 'unsubscribe' }))).content).toMatchObject({ name: 'unsubscribe' });
  });

  it('marks what is not the user reaching out as a signal (SDK 1.4): unfollows, location reports, links opened; not follows, scans or menu clicks', () => {
    const signal = (fields: Record<string, string>) => one(safePush(msg({ MsgType: 'event', ...fields }))).signal ?? false;
    expect(signal({ Event: 'unsubscribe' })).toBe(true);
    expect(signal({ Event: 'LOCATION', Latitude: '31.2', Longitude: '121.4', Precision: '65' })).toBe(true);
    expect(signal({ Event: 'VIEW', EventKey: 'https://brand.example/shop' })).toBe(true);
    expect(signal({ Event: 'TEMPLATESENDJOBFINISH', Status: 'success' })).toBe(true);
    expect(signal({ Event: 'subscribe' })).toBe(false);
    expect(signal({ Event: 'SCAN', EventKey: 'S' })).toBe(false);
    expect(signal({ Event: 'CLICK', EventKey: 'MENU_ORDERS' })).toBe(false);
    expect(one(safePush(msg({ MsgType: 'text', Content: '你好', MsgId: '42' }))).signal).toBeUndefined();
  });

  it('keeps unknown message types as an unsupported event instead of dropping them', () => {
    expect(one(safePush(msg({ MsgType: 'hologram', MsgId: '5' }))).content).toEqual({ kind: 'event', name: 'unsupported', key: 'hologram' });
  });

  it('accepts plaintext pushes in plaintext mode; compatible mode trusts only the authenticated ciphertext and refuses a body without it', () => {
    const p = wechatPush({ token: 'token', appId: SAFE.appId, mode: 'plaintext', body: msg({ MsgType: 'text', Content: 'plain', MsgId: '6' }) });
    expect(plain.accept(p).events[0].content).toEqual({ kind: 'text', text: 'plain' });
    const c = wechatPush({ token: SAFE.token, appId: SAFE.appId, encodingAESKey: SAFE.encodingAESKey, mode: 'compatible', body: msg({ MsgType: 'text', Content: 'encrypted truth', MsgId: '7' }) });
    const forged = { ...c, rawBody: Buffer.from(c.rawBody.toString().replace('<![CDATA[encrypted truth]]>', '<![CDATA[forged]]>')) };
    expect(compat.accept(forged).events[0].content).toEqual({ kind: 'text', text: 'encrypted truth' });
    // a plaintext-only body is what a forger with a captured query string would send: the plain signature does not cover it
    expect(() => compat.accept(wechatPush({ token: SAFE.token, appId: SAFE.appId, mode: 'plaintext', body: msg({ MsgType: 'text', Content: 'p', MsgId: '8' }) }))).toThrow(expect.objectContaining({ code: 'AUTH', message: expect.stringContaining('compatible mode: the body must carry Encrypt') }));
  });

  it('in plaintext mode binds the signed timestamp and nonce to the first body (SDK 1.5 replayKey); encrypted pushes need no such guard', async () => {
    const p = wechatPush({ token: 'token', appId: SAFE.appId, mode: 'plaintext', body: msg({ MsgType: 'text', Content: 'plain', MsgId: '61' }) });
    await expect(plain.guardReplay(p)).resolves.toBeUndefined();
    await expect(plain.guardReplay(p)).resolves.toBeUndefined(); // WeChat's retry
    const forged = { ...p, rawBody: Buffer.from(p.rawBody.toString().replace('<![CDATA[plain]]>', '<![CDATA[forged]]>')) };
    expect(() => plain.verify(forged)).not.toThrow();
    await expect(plain.guardReplay(forged)).rejects.toMatchObject({ code: 'AUTH' });
    const enc = safePush(msg({ MsgType: 'text', Content: 'x', MsgId: '62' }));
    await expect(safe.guardReplay(enc)).resolves.toBeUndefined();
    await expect(safe.guardReplay({ ...enc, rawBody: Buffer.from('<xml/>') })).resolves.toBeUndefined(); // safe mode: msg_signature covers the ciphertext
  });

  it('refuses stale and future timestamps, missing signatures and other accounts\' ciphertext', () => {
    const body = msg({ MsgType: 'text', Content: 'x', MsgId: '9' });
    expect(() => safe.accept(safePush(body, { receivedAt: new Date(NOW - 301_000) }))).toThrow(expect.objectContaining({ code: 'AUTH', message: expect.stringContaining('stale timestamp') }));
    expect(() => safe.accept(safePush(body, { receivedAt: new Date(NOW + 299_000) }))).not.toThrow();
    const noSig = wechatPush({ token: 'token', appId: SAFE.appId, mode: 'plaintext', body });
    delete (noSig.query as Record<string, string>).signature;
    expect(() => plain.accept(noSig)).toThrow(expect.objectContaining({ code: 'AUTH' }));
    const other = wechatPush({ token: SAFE.token, appId: 'wx0123456789abcdef', encodingAESKey: SAFE.encodingAESKey, mode: 'safe', body });
    expect(() => safe.accept(other)).toThrow(expect.objectContaining({ code: 'AUTH' }));
  });

  it('answers malformed XML, DOCTYPEs and bad fields with BAD_REQUEST', () => {
    const p = (body: string) => wechatPush({ token: 'token', appId: SAFE.appId, mode: 'plaintext', body });
    expect(() => plain.accept(p('<xml><MsgType>text</MsgType>'))).toThrow(expect.objectContaining({ code: 'BAD_REQUEST' }));
    expect(() => plain.accept(p('<!DOCTYPE xml [<!ENTITY x SYSTEM "file:///etc/passwd">]><xml><Content>&x;</Content></xml>'))).toThrow(expect.objectContaining({ code: 'BAD_REQUEST' }));
    expect(() => plain.accept(p(msg({ MsgType: 'location', Location_X: 'north', Location_Y: '1' })))).toThrow(expect.objectContaining({ code: 'BAD_REQUEST' }));
    expect(() => plain.accept(p('<xml><MsgType>text</MsgType></xml>'))).toThrow(expect.objectContaining({ code: 'BAD_REQUEST' }));
  });

  it('refuses compatible or safe mode without an encodingAESKey, naming the field', () => {
    expect(() => t.bind({ appId: SAFE.appId, appSecret: SAFE.appSecret, token: SAFE.token, mode: 'safe' })).toThrow(/encodingAESKey/);
    expect(() => t.bind({ ...SAFE, appId: 'gh_123' })).toThrow(/appId/);
  });
});

describe('wechat-oa customer-service send', () => {
  let fake: FakeServer;
  let tokens = 0;
  beforeAll(async () => { fake = await startFakeServer(); });
  afterAll(() => fake.close());
  beforeEach(() => {
    tokens = 0;
    fake.reset({ 'GET /cgi-bin/token': () => ({ json: { access_token: `TOKEN_${++tokens}`, expires_in: 7200 } }), ...sendOk });
  });

  const setup = (config: Record<string, unknown> = {}) => {
    const t = createTestHost(plugin, { now: NOW, config: { apiBaseUrl: fake.url, ...config } });
    const ch = t.bind(SAFE);
    const hear = async (fields: Record<string, string | number>, at = NOW) => {
      const ts = String(Math.floor(at / 1000));
      const { events } = ch.accept(safePush(msg({ CreateTime: Number(ts), ...fields }), { timestamp: ts }));
      await ch.receive(events);
    };
    const text = (id: string) => ch.send({ id, recipient: { channelType: 'wechat-oa', externalId: OPENID }, content: { kind: 'text', text: `reply ${id}` } });
    return { t, ch, hear, text };
  };

  it('fetches the access token once, caches it, and refreshes it when it expires', async () => {
    const { t, hear, text } = setup();
    await hear({ MsgType: 'text', Content: 'hi', MsgId: '100' });
    await text('a');
    await text('b');
    expect(fake.calls('GET /cgi-bin/token')).toHaveLength(1);
    expect(fake.calls('GET /cgi-bin/token')[0].query).toEqual({ grant_type: 'client_credential', appid: SAFE.appId, secret: SAFE.appSecret });
    t.clock.advance(7000 * 1000); // within 5 min of expiry
    await hear({ MsgType: 'text', Content: 'again', MsgId: '101' }, t.clock.now());
    await text('c');
    expect(fake.calls('GET /cgi-bin/token')).toHaveLength(2);
    expect(fake.calls('POST /cgi-bin/message/custom/send').map((r) => r.query.access_token)).toEqual(['TOKEN_1', 'TOKEN_1', 'TOKEN_2']);
  });

  it('drops a token WeChat refuses (40001), fetches another and sends once more', async () => {
    fake.route({ 'POST /cgi-bin/message/custom/send': (r) => ({ json: r.query.access_token === 'TOKEN_1' ? { errcode: 40001, errmsg: 'invalid credential, access_token is invalid or not latest' } : { errcode: 0, errmsg: 'ok' } }) });
    const { hear, text } = setup();
    await hear({ MsgType: 'text', Content: 'hi', MsgId: '102' });
    await expect(text('a')).resolves.toMatchObject({ status: 'sent' });
    expect(fake.calls('GET /cgi-bin/token')).toHaveLength(2);
    expect(fake.calls('POST /cgi-bin/message/custom/send').map((r) => r.query.access_token)).toEqual(['TOKEN_1', 'TOKEN_2']);
  });

  it('reports wrong credentials as AUTH without leaking the secret', async () => {
    fake.route({ 'GET /cgi-bin/token': () => ({ json: { errcode: 40125, errmsg: 'invalid appsecret' } }) });
    const { t, ch, hear, text } = setup();
    await hear({ MsgType: 'text', Content: 'hi', MsgId: '103' });
    const err = await text('a').catch((e) => e);
    expect(err).toMatchObject({ code: 'AUTH', retryable: false, platformCode: 40125 });
    expect(String(err.message)).not.toContain(SAFE.appSecret);
    expect(ch.health().status).toBe('DEGRADED');
    expect(JSON.stringify(t.logs.lines)).not.toContain(SAFE.appSecret);
  });

  it('enforces the reply window: 5 messages within 48 h of the customer\'s last message, then a clear error', async () => {
    const { t, hear, text } = setup();
    await expect(text('before')).rejects.toMatchObject({ code: 'WINDOW_CLOSED', message: expect.stringContaining('no customer message') });
    await hear({ MsgType: 'text', Content: 'hi', MsgId: '104' });
    for (const id of ['1', '2', '3', '4', '5']) await text(id);
    await expect(text('6')).rejects.toMatchObject({ code: 'WINDOW_CLOSED', retryable: false, message: expect.stringContaining('all 5 messages') });
    expect(fake.calls('POST /cgi-bin/message/custom/send')).toHaveLength(5);
    // the customer writes again: a fresh window
    t.clock.advance(3_600_000);
    await hear({ MsgType: 'text', Content: 'still there?', MsgId: '105' }, t.clock.now());
    await text('7');
    // 48 h + 1 min after that message the window is closed
    t.clock.advance(48 * 3_600_000 + 60_000);
    await expect(text('8')).rejects.toMatchObject({ code: 'WINDOW_CLOSED', message: expect.stringContaining('closed') });
  });

  it('gives the quota back when the send fails, and opens a short window on a menu click', async () => {
    const { hear, text } = setup({ replyWindow: { hours: 48, maxMessages: 2 } });
    await hear({ MsgType: 'text', Content: 'hi', MsgId: '106' });
    fake.route(sendErr(45011, 'api minute-quota reach limit'));
    await expect(text('x')).rejects.toMatchObject({ code: 'RATE_LIMITED', retryable: true, retryAfterMs: 60_000 });
    fake.route(sendOk);
    await text('1');
    await text('2');
    await expect(text('3')).rejects.toMatchObject({ code: 'WINDOW_CLOSED' });

    const other = setup();
    await other.hear({ MsgType: 'event', Event: 'CLICK', EventKey: 'MENU' });
    for (const id of ['1', '2', '3']) await other.text(id);
    await expect(other.text('4')).rejects.toMatchObject({ code: 'WINDOW_CLOSED', message: expect.stringContaining('1 min') });
  });

  it('can leave the window to WeChat (enforceReplyWindow: false) and maps its 45015', async () => {
    const { text } = setup({ enforceReplyWindow: false });
    await expect(text('a')).resolves.toMatchObject({ status: 'sent' });
    fake.route(sendErr(45015, 'response out of time limit'));
    await expect(text('b')).rejects.toMatchObject({ code: 'WINDOW_CLOSED', platformCode: 45015 });
  });

  it('sends images, links and mini-program cards in the documented shapes', async () => {
    const { hear, ch } = setup();
    await hear({ MsgType: 'text', Content: 'hi', MsgId: '107' });
    const to = { channelType: 'wechat-oa', externalId: OPENID };
    await ch.send({ id: 'i', recipient: to, content: { kind: 'image', mediaId: 'MEDIA_ID' } });
    await ch.send({ id: 'l', recipient: to, content: { kind: 'link', url: 'https://b.example/o/1', title: '订单', description: '查看' } });
    await ch.send({ id: 'c', recipient: to, content: { kind: 'card', title: '小程序', appId: 'wxapp', pagePath: 'pages/i', thumbMediaId: 'T' } });
    expect(fake.calls('POST /cgi-bin/message/custom/send').map((r) => r.json)).toEqual([
      { touser: OPENID, msgtype: 'image', image: { media_id: 'MEDIA_ID' } },
      { touser: OPENID, msgtype: 'news', news: { articles: [{ title: '订单', description: '查看', url: 'https://b.example/o/1', picurl: '' }] } },
      { touser: OPENID, msgtype: 'miniprogrampage', miniprogrampage: { title: '小程序', appid: 'wxapp', pagepath: 'pages/i', thumb_media_id: 'T' } },
    ]);
    await expect(ch.send({ id: 'u', recipient: to, content: { kind: 'image', url: 'https://x/y.png' } })).rejects.toMatchObject({ code: 'BAD_REQUEST', message: expect.stringContaining('mediaId') });
  });
});

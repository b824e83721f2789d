import { ReplyWindow } from '../sdk/reply-window.js';
import { createTestHost, runChannelConformance } from '../sdk/testing/index.js';
import { wechatPush, wechatXml } from '../wechat-common/wechat.testing.js';
import { TV5 } from '../wechat-common/wechat.vectors.js';
import plugin from './index.js';

const TOKEN = 'miniToken123';
const CFG = { appId: TV5.appId, appSecret: 'f0e1d2c3b4a5968778695a4b3c2d1e0f', token: TOKEN, encodingAESKey: TV5.encodingAESKey, mode: 'safe' as const };
const TS = '1623398600';
const NOW = Number(TS) * 1000;
const OPENID = 'or5715HsCeFmycfU8gz0wx0sXfso';

/** §2.3 JSON text, with a MsgId beyond 2^53. */
const jsonText = (content: string, msgId = '23241477706429916') =>
  `{"ToUserName":"gh_bb2bb93f8347","FromUserName":"${OPENID}","CreateTime":1623398596,"MsgType":"text","Content":"${content}","MsgId":${msgId}}`;
const jsonEnter = `{"ToUserName":"gh_bb2bb93f8347","FromUserName":"${OPENID}","CreateTime":1623398597,"MsgType":"event","Event":"user_enter_tempsession","SessionFrom":"product_42"}`;
const push = (body: string, format: 'xml' | 'json' = 'json', extra: Partial<Parameters<typeof wechatPush>[0]> = {}) =>
  wechatPush({ token: TOKEN, appId: CFG.appId, encodingAESKey: CFG.encodingAESKey, mode: 'safe', body, format, timestamp: TS, ...extra });

/** TV-5: the official ciphertext, wrapped as the JSON secure-mode push, signed with our token. */
const tv5Push = () => {
  const { getSignature } = require('@wecom/crypto'); // eslint-disable-line @typescript-eslint/no-require-imports
  return {
    method: 'POST', path: '/webhooks/mini', headers: { 'content-type': 'application/json' },
    query: { timestamp: TS, nonce: '1', encrypt_type: 'aes', msg_signature: getSignature(TOKEN, TS, '1', TV5.encrypt) },
    rawBody: Buffer.from(JSON.stringify({ ToUserName: 'gh_bb2bb93f8347', Encrypt: TV5.encrypt })), receivedAt: new Date(NOW),
  };
};

runChannelConformance({
  plugin,
  channelType: 'wechat-mini',
  pluginConfig: (url) => ({ apiBaseUrl: url }),
  channelConfig: CFG,
  now: NOW,
  signedRequest: (body) => push(body.toString()),
  bodyIsSigned: true,
  inbound: [
    { name: 'the JSON sample ciphertext (TV-5)', request: tv5Push, events: (e) => expect(e[0]).toMatchObject({ externalMessageId: '23241477706429916', content: { text: '还是睡吧' } }), response: { body: 'success' } },
    { name: 'a JSON user_enter_tempsession event', request: () => push(jsonEnter), events: 1 },
    { name: 'an XML text message', request: () => push(wechatXml({ ToUserName: 'gh_bb2bb93f8347', FromUserName: OPENID, CreateTime: 1623398596, MsgType: 'text', Content: 'xml 你好', MsgId: '23241477706429917' }), 'xml'), events: 1 },
  ],
  rejected: [
    { name: 'a wrong msg_signature', request: () => { const r = push(jsonText('x')); r.query.msg_signature = 'f'.repeat(40); return r; } },
    { name: 'a stale timestamp', request: () => push(jsonText('x'), 'json', { receivedAt: new Date(NOW + 3_600_000) }) },
    { name: 'a plaintext JSON body in safe mode', request: () => wechatPush({ token: TOKEN, appId: CFG.appId, mode: 'plaintext', body: jsonText('x'), format: 'json', timestamp: TS }) },
  ],
  outbound: {
    routes: { 'GET /cgi-bin/token': () => ({ json: { access_token: 'MINI_TOKEN', expires_in: 7200 } }), 'POST /cgi-bin/message/custom/send': () => ({ json: { errcode: 0, errmsg: 'ok' } }) },
    openWith: () => push(jsonText('在吗', '23241477706429918')),
    message: { id: 'm-2', recipient: { channelType: 'wechat-mini', externalId: OPENID }, content: { kind: 'text', text: '在的' } },
    check: (_r, reqs) => expect(reqs.find((r) => r.path === '/cgi-bin/message/custom/send')!.json).toEqual({ touser: OPENID, msgtype: 'text', text: { content: '在的' } }),
    failures: [
      { name: 'errcode 45047 (reply quota used)', routes: { 'POST /cgi-bin/message/custom/send': () => ({ json: { errcode: 45047, errmsg: 'out of response count limit' } }) }, code: 'WINDOW_CLOSED' },
      { name: 'HTTP 429', routes: { 'POST /cgi-bin/message/custom/send': () => ({ status: 429, headers: { 'retry-after': '2' }, body: '' }) }, code: 'RATE_LIMITED', retryable: true },
    ],
  },
});

describe('wechat-mini', () => {
  const t = createTestHost(plugin, { now: NOW });
  const ch = t.bind(CFG);

  it('reads JSON and XML pushes into the same model, MsgId beyond 2^53 as a string', () => {
    const [j] = ch.accept(push(jsonText('还是睡吧'))).events;
    const [x] = ch.accept(push(wechatXml({ ToUserName: 'gh_bb2bb93f8347', FromUserName: OPENID, CreateTime: 1623398596, MsgType: 'text', Content: '还是睡吧', MsgId: '23241477706429916' }), 'xml')).events;
    expect(j.externalMessageId).toBe('23241477706429916');
    expect({ ...j, raw: undefined }).toEqual({ ...x, raw: undefined });
  });

  it('parses user_enter_tempsession with its SessionFrom as context', () => {
    expect(ch.accept(push(jsonEnter)).events[0]).toMatchObject({
      dedupeKey: `evt:${OPENID}:1623398597:user_enter_tempsession`,
      content: { kind: 'event', name: 'user_enter_tempsession', data: { sessionFrom: 'product_42' } },
      context: { sessionFrom: 'product_42', account: 'gh_bb2bb93f8347' },
    });
  });

  it('parses mini program page cards', () => {
    const body = `{"ToUserName":"gh_1","FromUserName":"${OPENID}","CreateTime":1623398596,"MsgType":"miniprogrampage","MsgId":1,"Title":"商品","AppId":"wxapp","PagePath":"pages/p?id=1","ThumbUrl":"https://x/t.jpg","ThumbMediaId":"TM"}`;
    expect(ch.accept(push(body)).events[0].content).toEqual({ kind: 'card', title: '商品', appId: 'wxapp', pagePath: 'pages/p?id=1', thumbUrl: 'https://x/t.jpg', thumbMediaId: 'TM' });
  });

  it('accepts compatible-mode JSON (plaintext fields + Encrypt) using the ciphertext', () => {
    const compat = t.bind({ ...CFG, mode: 'compatible' });
    const r = wechatPush({ token: TOKEN, appId: CFG.appId, encodingAESKey: CFG.encodingAESKey, mode: 'compatible', body: jsonText('secret text'), format: 'json', timestamp: TS });
    expect(compat.accept(r).events[0].content).toEqual({ kind: 'text', text: 'secret text' });
  });

  it('opens a one-message window when the customer enters the chat', async () => {
    await ch.receive(ch.accept(push(jsonEnter)).events);
    expect(await new ReplyWindow(ch.ctx.kv, t.clock, { hours: 48, maxMessages: 3 }).status(OPENID)).toMatchObject({ open: true, used: 0, max: 1 });
  });
});

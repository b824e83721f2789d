import type { InboundRequest } from '../sdk/channel.js';
import { createTestHost, runChannelConformance, startFakeServer, type FakeRoutes, type FakeServer } from '../sdk/testing/index.js';
import plugin, { douyinSignature } from './index.js';

const CFG = { clientKey: 'abc', clientSecret: 'test_secret', accountOpenId: 'aaa-7ae0-4399-914a-5eb1df5861ba', refreshToken: 'rft.0123456789abcdef' };
const NOW = 1681303286000;
const CUSTOMER = 'aaa-ae9b-4dbf-add1-bf67e4093fab';
const CONV = '@9Vxc1/yDU8sqaS+gN4koEc7912foPPiLPZVyrQmgKVQabPH460zdRmYqig357zEBMaXjKvvhvwY02ISB7llsWQ==';
const SERVER_ID = '@9Vxc1/yDU8sqaS+gN4koEc7912foPPyAPpF2rgykLFgbafb560zdRmYqig357zEBmWXVPshhwyd/y/7BQpXy/w==';

const req = (body: string | Buffer, headers: Record<string, string> = {}): InboundRequest => ({
  method: 'POST', path: '/webhooks/dy', query: {},
  headers: { 'content-type': 'application/json', 'x-douyin-signature': douyinSignature(CFG.clientSecret, Buffer.from(body)), 'msg-id': 'MSG-7000000000000000001', ...headers },
  rawBody: Buffer.from(body), receivedAt: new Date(NOW),
});

/** §3.1 verify_webhook vector body. */
const VERIFY = '{"event":"verify_webhook","client_key":"abc","content":{"challenge":12345}}';
/** im_receive_msg (SKIT IMReceiveMessageEvent sample). */
const receiveContent = { conversation_short_id: CONV, server_message_id: SERVER_ID, conversation_type: 1, create_time: 1681303285997, message_type: 'text', source: '', scene_type: 100, text: '捷途70',
  user_infos: [{ open_id: CUSTOMER, nick_name: '刘东', avatar: 'https://p3.douyinpic.com/a.jpeg' }, { open_id: CFG.accountOpenId, nick_name: '毕节--捷途万丰店', avatar: 'https://p3.douyinpic.com/b.jpeg' }] };
const RECEIVE_OBJ = JSON.stringify({ event: 'im_receive_msg', client_key: 'abc', from_user_id: CUSTOMER, to_user_id: CFG.accountOpenId, content: receiveContent });
const RECEIVE_STR = JSON.stringify({ event: 'im_receive_msg', client_key: 'abc', from_user_id: CUSTOMER, to_user_id: CFG.accountOpenId, content: JSON.stringify(receiveContent) });

const routes: FakeRoutes = {
  'POST /oauth/refresh_token/': () => ({ json: { data: { access_token: 'act.DOUYIN_1', expires_in: 1296000, refresh_token: 'rft.rotated', open_id: CFG.accountOpenId, error_code: 0, description: '' }, message: 'success' } }),
  'POST /im/send/msg/': () => ({ json: { extra: { error_code: 0, description: '', logid: '0216' }, data: { error_code: 0, description: '' }, msg_id: '@c29bfc000+MNggFhRkwGuX1ntuc0RPc0VHKefj/yWEJ8DtjU==' } }),
};

runChannelConformance({
  plugin,
  channelType: 'douyin',
  pluginConfig: (url) => ({ apiBaseUrl: url }),
  channelConfig: CFG,
  now: NOW,
  signedRequest: (body) => req(body),
  bodyIsSigned: true,
  inbound: [
    { name: 'im_receive_msg with content as an object', request: () => req(RECEIVE_OBJ), events: 1 },
    { name: 'im_receive_msg with content as a JSON string', request: () => req(RECEIVE_STR), events: 1 },
    { name: 'the verify_webhook challenge (§3.1 vector)', request: () => req(VERIFY), events: 0, response: { body: '{"challenge":12345}' } },
  ],
  rejected: [
    { name: 'a wrong X-Douyin-Signature', request: () => req(RECEIVE_OBJ, { 'x-douyin-signature': 'f'.repeat(40) }) },
    { name: 'a missing X-Douyin-Signature', request: () => { const r = req(RECEIVE_OBJ); delete r.headers['x-douyin-signature']; return r; } },
  ],
  outbound: {
    routes,
    message: { id: 'm-dy', recipient: { channelType: 'douyin', externalId: CUSTOMER }, content: { kind: 'text', text: '您好，请问想了解哪款车？' }, context: { conversationId: CONV, lastMessageId: SERVER_ID } },
    check: (res, reqs) => {
      expect(res).toEqual({ externalMessageId: '@c29bfc000+MNggFhRkwGuX1ntuc0RPc0VHKefj/yWEJ8DtjU==', status: 'sent' });
      const send = reqs.find((r) => r.path === '/im/send/msg/')!;
      expect(send.query).toEqual({ open_id: CFG.accountOpenId });
      expect(send.headers['access-token']).toBe('act.DOUYIN_1');
      expect(send.json).toEqual({ msg_id: SERVER_ID, conversation_id: CONV, to_user_id: CUSTOMER, content: { msg_type: 1, text: { text: '您好，请问想了解哪款车？' } }, scene: 'im_replay_msg' });
    },
    failures: [
      { name: 'HTTP 429', routes: { 'POST /im/send/msg/': () => ({ status: 429, headers: { 'retry-after': '3' }, body: '' }) }, code: 'RATE_LIMITED', retryable: true },
      { name: 'a token refused twice (2190008)', routes: { 'POST /im/send/msg/': () => ({ json: { data: { error_code: 2190008, description: 'access_token过期' } } }) }, code: 'AUTH', retryable: false },
      { name: 'HTTP 502', routes: { 'POST /im/send/msg/': () => ({ status: 502, body: 'bad gateway' }) }, code: 'UNAVAILABLE', retryable: true },
    ],
  },
});

describe('douyin', () => {
  const t = createTestHost(plugin, { now: NOW });
  const ch = t.bind(CFG);

  it('signs like the §3.1 vector', () => {
    expect(douyinSignature('test_secret', Buffer.from(VERIFY))).toBe('ff779a3b9e9daa2d1484d22450cd02e9fcfc4e62');
  });

  it('echoes the challenge whether content is an object or a JSON string', () => {
    expect(ch.accept(req(VERIFY)).response.body).toBe('{"challenge":12345}');
    expect(ch.accept(req('{"event":"verify_webhook","client_key":"abc","content":"{\\"challenge\\":678}"}')).response.body).toBe('{"challenge":678}');
    expect(() => ch.accept(req('{"event":"verify_webhook","content":{}}'))).toThrow(expect.objectContaining({ code: 'BAD_REQUEST' }));
  });

  it('maps im_receive_msg identically from both content forms, deduped on Msg-Id', () => {
    const [a] = ch.accept(req(RECEIVE_OBJ)).events;
    const [b] = ch.accept(req(RECEIVE_STR)).events;
    expect({ ...a, raw: undefined }).toEqual({ ...b, raw: undefined });
    expect(a).toMatchObject({
      externalMessageId: SERVER_ID, dedupeKey: 'msg:MSG-7000000000000000001', origin: 'customer',
      sender: { channelType: 'douyin', externalId: CUSTOMER, displayName: '刘东', avatarUrl: 'https://p3.douyinpic.com/a.jpeg' },
      content: { kind: 'text', text: '捷途70' }, sentAt: new Date(1681303285997),
      context: { conversationId: CONV, lastMessageId: SERVER_ID, accountOpenId: CFG.accountOpenId },
    });
    const noHeader = req(RECEIVE_OBJ);
    delete noHeader.headers['msg-id'];
    expect(ch.parse(noHeader)[0].dedupeKey).toBe(`srv:${SERVER_ID}`);
  });

  it('maps im_send_msg as an agent message to the customer, and read/enter events', () => {
    const sent = JSON.stringify({ event: 'im_send_msg', from_user_id: CFG.accountOpenId, to_user_id: CUSTOMER, content: { ...receiveContent, text: '已发货' } });
    expect(ch.accept(req(sent)).events[0]).toMatchObject({ origin: 'agent', sender: { externalId: CUSTOMER }, content: { text: '已发货' } });
    const read = JSON.stringify({ event: 'im_message_read', client_key: 'ttddf8ab4542c7d76601', from_user_id: '_000f9p', to_user_id: '_000bfe', content: { conversation_short_id: '@4F8A==', index: '1672502407220000', conversation_type: 1, read_open_id: '_000bfe' } });
    expect(ch.accept(req(read)).events[0]).toMatchObject({ sender: { externalId: '_000bfe' }, content: { kind: 'event', name: 'read', key: '1672502407220000' }, signal: true });
    const enter = JSON.stringify({ event: 'im_enter_direct_msg', from_user_id: CUSTOMER, to_user_id: CFG.accountOpenId, content: '{"conversation_short_id":"@c"}' });
    expect(ch.accept(req(enter)).events[0].content).toEqual({ kind: 'event', name: 'enter_session' });
  });

  it('refuses content that is neither an object nor a JSON object string', () => {
    expect(() => ch.accept(req('{"event":"im_receive_msg","from_user_id":"u","content":"not json"}'))).toThrow(expect.objectContaining({ code: 'BAD_REQUEST' }));
    expect(() => ch.accept(req('{"event":"im_receive_msg","from_user_id":"u","content":[1]}'))).toThrow(expect.objectContaining({ code: 'BAD_REQUEST' }));
    expect(() => ch.accept(req('{"content":{}}'))).toThrow(expect.objectContaining({ code: 'BAD_REQUEST' }));
  });
});

describe('douyin send', () => {
  let fake: FakeServer;
  beforeAll(async () => { fake = await startFakeServer(routes); });
  afterAll(() => fake.close());
  beforeEach(() => fake.reset(routes));

  it('refreshes the access token once, keeps the rotated refresh token, and retries a refused token once', async () => {
    let sends = 0;
    fake.route({ 'POST /im/send/msg/': () => ({ json: ++sends === 2 ? { data: { error_code: 2190008, description: 'access_token过期' } } : { data: { error_code: 0 }, msg_id: `m${sends}` } }) });
    const t = createTestHost(plugin, { now: NOW, config: { apiBaseUrl: fake.url } });
    const ch = t.bind(CFG);
    const msg = { id: 'x', recipient: { channelType: 'douyin', externalId: CUSTOMER }, content: { kind: 'text' as const, text: 'hi' }, context: { conversationId: CONV } };
    await ch.send(msg);
    await expect(ch.send(msg)).resolves.toEqual({ externalMessageId: 'm3', status: 'sent' });
    const refreshes = fake.calls('POST /oauth/refresh_token/');
    expect(refreshes.map((r) => r.form)).toEqual([
      { client_key: 'abc', grant_type: 'refresh_token', refresh_token: CFG.refreshToken },
      { client_key: 'abc', grant_type: 'refresh_token', refresh_token: 'rft.rotated' },
    ]);
    await expect(ch.send({ ...msg, context: {} })).rejects.toMatchObject({ code: 'BAD_REQUEST', message: expect.stringContaining('conversation') });
  });

  it('reports an expired refresh token as AUTH (the account must be authorised again)', async () => {
    fake.route({ 'POST /oauth/refresh_token/': () => ({ json: { data: { error_code: 10010, description: 'refresh_token过期' } } }) });
    const ch = createTestHost(plugin, { now: NOW, config: { apiBaseUrl: fake.url } }).bind(CFG);
    await expect(ch.send({ id: 'x', recipient: { channelType: 'douyin', externalId: CUSTOMER }, content: { kind: 'text', text: 'hi' }, context: { conversationId: CONV } }))
      .rejects.toMatchObject({ code: 'AUTH', platformCode: 10010 });
    expect(ch.health().status).toBe('DEGRADED');
  });
});

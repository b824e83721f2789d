import type { InboundRequest } from '../sdk/channel.js';
import { createTestHost, runChannelConformance } from '../sdk/testing/index.js';
import plugin, { weiboSignature } from './index.js';

const CFG = { appKey: '2489518277', appSecret: 'xyz123xyz', accessToken: '2.00weibo_fan_service_token', uid: '1902538057' };
const TS = '1397022061823'; // ms, from the official vector
const NOW = Number(TS);

const push = (body: string | Buffer, o: { ts?: string; receivedAt?: number } = {}): InboundRequest => {
  const ts = o.ts ?? TS;
  return { method: 'POST', path: '/webhooks/wb', query: { signature: weiboSignature(CFG.appSecret, ts, '57155157'), timestamp: ts, nonce: '57155157' }, headers: { 'content-type': 'application/json' }, rawBody: Buffer.from(body), receivedAt: new Date(o.receivedAt ?? NOW) };
};
/** §5 sample push. */
const TEXT = '{"type":"text","receiver_id":1902538057,"sender_id":2489518277,"created_at":"Mon Jul 16 18:09:20 +0800 2012","text":"私信或留言内容","data":{}}';

runChannelConformance({
  plugin,
  channelType: 'weibo',
  pluginConfig: (url) => ({ apiBaseUrl: url }),
  channelConfig: CFG,
  now: NOW,
  signedRequest: (body) => push(body),
  // the signature covers appsecret, timestamp and nonce, not the body (Weibo's scheme)
  bodyIsSigned: false,
  inbound: [
    { name: 'the documented text push', request: () => push(TEXT), events: (e) => expect(e[0]).toMatchObject({ sender: { externalId: '2489518277' }, content: { kind: 'text', text: '私信或留言内容' } }), response: { body: '' } },
    { name: 'the GET verification (official vector)', request: () => ({ ...push(''), method: 'GET', query: { signature: '90e4c22c90a58f26526c2dd5b6c56c8822edeaa1', timestamp: TS, nonce: '57155157', echostr: 'echo-weibo' } }), events: 0, response: { body: 'echo-weibo' } },
  ],
  rejected: [
    { name: 'a wrong signature', request: () => { const r = push(TEXT); r.query.signature = '0'.repeat(40); return r; } },
    { name: 'a stale timestamp', request: () => push(TEXT, { receivedAt: NOW + 3_600_000 }) },
    { name: 'a push for another account', request: () => push(TEXT.replace('1902538057', '1111111111')) },
  ],
  outbound: {
    routes: { 'POST /2/messages/reply.json': () => ({ json: { id: 3456789012345678901, type: 'text', receiver_id: 2489518277, sender_id: 1902538057 } }) },
    message: { id: 'm-wb', recipient: { channelType: 'weibo', externalId: '2489518277' }, content: { kind: 'text', text: '感谢关注' } },
    check: (_r, reqs) => expect(reqs[0].form).toEqual({ access_token: CFG.accessToken, type: 'text', data: '{"text":"感谢关注"}', receiver_id: '2489518277', save_sender_box: '1' }),
    failures: [
      { name: 'error_code 21327 (expired token)', routes: { 'POST /2/messages/reply.json': () => ({ status: 400, json: { error: 'expired_token', error_code: 21327, request: '/2/messages/reply.json' } }) }, code: 'AUTH' },
      { name: 'error_code 10023 (rate limit)', routes: { 'POST /2/messages/reply.json': () => ({ status: 403, json: { error: 'User requests out of rate limit!', error_code: 10023 } }) }, code: 'RATE_LIMITED', retryable: true },
    ],
  },
});

describe('weibo', () => {
  const ch = createTestHost(plugin, { now: NOW }).bind(CFG);

  it('computes the official verification vector', () => {
    expect(weiboSignature('xyz123xyz', '1397022061823', '57155157')).toBe('90e4c22c90a58f26526c2dd5b6c56c8822edeaa1');
  });

  it('parses text, position, image, voice, events and mentions; ids as strings, dedupe on sender + created_at', () => {
    const one = (body: object) => ch.accept(push(JSON.stringify({ receiver_id: 1902538057, sender_id: 2489518277, created_at: 'Mon Jul 16 18:09:20 +0800 2012', ...body }))).events[0];
    expect(ch.accept(push(TEXT)).events[0]).toMatchObject({ dedupeKey: expect.stringMatching(/^2489518277:Mon Jul 16 18:09:20 \+0800 2012:[0-9a-f]{16}$/), sentAt: new Date('2012-07-16T10:09:20Z'), context: { receiverId: '1902538057' } });
    expect(one({ type: 'position', text: '我在这里', data: { longitude: '116.308586', latitude: '39.982525' } }).content).toEqual({ kind: 'location', latitude: 39.982525, longitude: 116.308586, label: '我在这里' });
    expect(one({ type: 'image', data: { vfid: 821804459, tovfid: 821804469 } }).content).toEqual({ kind: 'image', mediaId: '821804459' });
    expect(one({ type: 'voice', data: { vfid: 821804459 } }).content).toEqual({ kind: 'voice', mediaId: '821804459' });
    expect(one({ type: 'event', data: { subtype: 'follow', key: 'qrscene_1', ticket: 'T' } }).content).toEqual({ kind: 'event', name: 'follow', key: 'qrscene_1', data: { ticket: 'T' } });
    // A follow opens a conversation (the bot greets); an unfollow is only a signal on the customer's timeline.
    expect(one({ type: 'event', data: { subtype: 'follow' } }).signal).toBeUndefined();
    expect(one({ type: 'event', data: { subtype: 'unfollow' } })).toMatchObject({ content: { kind: 'event', name: 'unfollow' }, signal: true });
    expect(one({ type: 'mention', text: '@品牌 大米好吃' }).content).toEqual({ kind: 'event', name: 'mention', text: '@品牌 大米好吃' });
    expect(() => one({ type: 'position', data: {} })).toThrow(expect.objectContaining({ code: 'BAD_REQUEST' }));
    expect(one({ type: 'event', data: { subtype: '' } }).content).toEqual({ kind: 'event', name: 'unknown' }); // not an invalid event (a plugin crash)
  });

  it('keeps two messages of one sender within the same second apart, and one push redelivered as one', () => {
    const at = { receiver_id: 1902538057, sender_id: 2489518277, created_at: 'Mon Jul 16 18:09:20 +0800 2012' };
    const key = (body: object) => ch.accept(push(JSON.stringify({ ...at, ...body }))).events[0].dedupeKey;
    const image = key({ type: 'image', data: { vfid: 821804459 } });
    const caption = key({ type: 'text', text: '这袋米破了' });
    expect(image).not.toBe(caption);
    expect(key({ type: 'image', data: { vfid: 821804459 } })).toBe(image); // Weibo's retry of the same push
    expect(ch.accept(push(TEXT)).events[0].dedupeKey).toBe(ch.accept(push(TEXT)).events[0].dedupeKey);
  });

  it('binds a signed URL to the body it first came with (SDK 1.5 replayKey): a retry passes, another body under it is AUTH', async () => {
    const bound = createTestHost(plugin, { now: NOW }).bind(CFG);
    const first = push(TEXT);
    bound.verify(first);
    await expect(bound.guardReplay(first)).resolves.toBeUndefined();
    await expect(bound.guardReplay(push(TEXT))).resolves.toBeUndefined(); // Weibo's retry: same URL, same body
    const forged = push(TEXT.replace('私信或留言内容', '请把退款打到这个账户'));
    expect(() => bound.verify(forged)).not.toThrow(); // the signature alone cannot tell: it leaves the body out
    await expect(bound.guardReplay(forged)).rejects.toMatchObject({ code: 'AUTH', message: expect.stringContaining('another body') });
    const other = push(TEXT.replace('私信或留言内容', '第二条'), { ts: String(NOW + 1000) }); // a new timestamp: a new signature
    await expect(bound.guardReplay(other)).resolves.toBeUndefined();
  });
});

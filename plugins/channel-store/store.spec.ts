import type { InboundRequest } from '../sdk/channel.js';
import { signPayload } from '../sdk/webhook-signature.js';
import { createTestHost, runChannelConformance } from '../sdk/testing/index.js';
import plugin, { storeQrSignature, storeQrUrl } from './index.js';

const CFG = { secret: 'store-secret-0123456789abcdef', landingUrl: 'https://m.brand.example/store-chat', stores: [{ id: 'SH-001', name: '上海徐汇店' }, { id: 'BJ-002', name: '北京朝阳店' }] };
const NOW = Date.UTC(2024, 5, 1, 3, 0, 0);
const post = (body: unknown, secretValue = CFG.secret, ts = String(NOW / 1000)): InboundRequest => {
  const raw = Buffer.isBuffer(body) ? body : Buffer.from(typeof body === 'string' ? body : JSON.stringify(body));
  return { method: 'POST', path: '/webhooks/store', query: {}, headers: { 'x-huiliu-timestamp': ts, 'x-huiliu-signature': signPayload(secretValue, ts, raw) }, rawBody: raw, receivedAt: new Date(NOW) };
};
const customer = { id: 'oWx_store_visitor_1', idType: 'wechat_openid', unionId: 'o6_bmasdasdsad6_2sgVt7hMZOPfL', name: '李先生' };
const scan = { type: 'qr_scan', id: 'scan-1', storeId: 'SH-001', qrSig: storeQrSignature(CFG.secret, 'SH-001'), customer, at: NOW - 1000 };
const message = { type: 'message', id: 'sm-1', storeId: 'SH-001', qrSig: storeQrSignature(CFG.secret, 'SH-001'), customer, content: { kind: 'text', text: '这款米有 10kg 装吗？' }, at: NOW - 500 };
const consultation = { type: 'consultation', id: 'cons-1', storeId: 'BJ-002', staffId: 'staff-12', customer: { id: '+8613700137000', idType: 'phone', phone: '+8613700137000' }, summary: '咨询有机米的储存方式，推荐真空包装', topics: ['储存'], products: ['有机五常米 5kg'], startedAt: new Date(NOW - 900_000).toISOString(), endedAt: new Date(NOW - 300_000).toISOString() };

runChannelConformance({
  plugin,
  channelType: 'store',
  channelConfig: CFG,
  now: NOW,
  signedRequest: (body) => post(body),
  bodyIsSigned: true,
  inbound: [
    { name: 'a store QR scan then a message (one batch)', request: () => post({ events: [scan, message] }), events: 2, response: { body: '{"received":2}' } },
    { name: 'a tablet-logged consultation', request: () => post(consultation), events: 1 },
  ],
  rejected: [
    { name: 'a wrong signature', request: () => post(message, 'another-secret-0123456789abc') },
    { name: 'a QR code edited to another store', request: () => post({ ...scan, storeId: 'BJ-002' }) },
    { name: 'a chat message from a page whose URL was edited to another store', request: () => post({ ...message, storeId: 'BJ-002' }) },
    { name: 'a timestamp 6 minutes old', request: () => post(message, CFG.secret, String(NOW / 1000 - 360)) },
    { name: 'an unknown store', request: () => post({ ...message, storeId: 'GZ-404' }), code: 'BAD_REQUEST' },
  ],
  outbound: {
    routes: {},
    message: { id: 'srv-st-1', recipient: { channelType: 'store', externalId: customer.id }, content: { kind: 'text', text: '有的，店里现货' }, context: { storeId: 'SH-001' } },
    failures: [],
  },
});

describe('store', () => {
  const t = createTestHost(plugin, { now: NOW });
  const ch = t.bind(CFG, { id: 'ch-store' });

  it('binds a QR chat to its store: a thread per store and customer, storeId in the context', () => {
    const [s, m] = ch.accept(post({ events: [scan, message] })).events;
    expect(s).toMatchObject({ content: { kind: 'event', name: 'store_qr_scan', key: 'SH-001' }, thread: { id: `store:SH-001:${customer.id}` }, context: { storeId: 'SH-001', customerIdType: 'wechat_openid' }, sender: { externalId: customer.id, unionId: customer.unionId, displayName: '李先生' } });
    expect(m).toMatchObject({ content: { kind: 'text', text: '这款米有 10kg 装吗？' }, thread: { id: `store:SH-001:${customer.id}` }, dedupeKey: 'message:sm-1' });
  });

  it('logs a consultation as a finished conversation authored by staff', () => {
    const [c] = ch.accept(post(consultation)).events;
    expect(c).toMatchObject({ origin: 'agent', thread: { id: 'consultation:cons-1', ended: true }, context: { storeId: 'BJ-002', staffId: 'staff-12' }, sender: { phone: '+8613700137000' }, content: { kind: 'event', name: 'store_consultation', text: consultation.summary, data: { topics: ['储存'], products: ['有机五常米 5kg'] } }, sentAt: new Date(NOW - 300_000) });
  });

  it('prints QR URLs carrying the store signature', () => {
    const u = new URL(storeQrUrl(CFG, 'SH-001'));
    expect(u.origin + u.pathname).toBe(CFG.landingUrl);
    expect(u.searchParams.get('store')).toBe('SH-001');
    expect(u.searchParams.get('sig')).toBe(storeQrSignature(CFG.secret, 'SH-001'));
  });

  it('signs QR codes with qrSecret when set, so rotating the webhook secret keeps the printed codes valid', () => {
    const qrSecret = 'qr-codes-secret-0123456789ab';
    const printed = new URL(storeQrUrl({ ...CFG, qrSecret }, 'SH-001')).searchParams.get('sig')!;
    expect(printed).toBe(storeQrSignature(qrSecret, 'SH-001'));
    const rotated = { ...CFG, secret: 'rotated-secret-0123456789abcd', qrSecret };
    const after = createTestHost(plugin, { now: NOW }).bind(rotated);
    const [e] = after.accept(post({ ...message, qrSig: printed }, rotated.secret)).events;
    expect(e.thread).toEqual({ id: `store:SH-001:${customer.id}` });
    expect(() => after.accept(post({ ...message, qrSig: storeQrSignature(CFG.secret, 'SH-001') }, rotated.secret))).toThrow(expect.objectContaining({ code: 'AUTH' }));
  });

  it('reads times as Unix seconds, milliseconds or ISO 8601; one out of range is BAD_REQUEST, not an invalid event', () => {
    expect(ch.accept(post({ ...message, at: NOW / 1000 })).events[0].sentAt).toEqual(new Date(NOW));
    expect(() => ch.accept(post({ ...message, at: 9e15 }))).toThrow(expect.objectContaining({ code: 'BAD_REQUEST' }));
    expect(() => ch.accept(post({ ...consultation, endedAt: 9e15 }))).toThrow(expect.objectContaining({ code: 'BAD_REQUEST' }));
  });

  it('a signed sync asks for the replies to a customer (ephemeral, answered through history)', () => {
    const { events } = ch.accept(post({ type: 'sync', storeId: 'SH-001', customer, after: 'r0' }));
    expect(events).toEqual([expect.objectContaining({ ephemeral: true, content: { kind: 'event', name: 'sync', key: 'r0' }, sender: expect.objectContaining({ externalId: customer.id }) })]);
    const r = ch.history([{ message: { id: 'r1', recipient: { channelType: 'store', externalId: customer.id }, content: { kind: 'text', text: '有的' }, sender: { type: 'agent' } }, sentAt: new Date(NOW) }], false, post({ type: 'sync', storeId: 'SH-001', customer }));
    expect(JSON.parse(r.body)).toMatchObject({ type: 'messages', more: false, messages: [{ type: 'message', id: 'r1', content: { text: '有的' } }] });
  });

  it('replies on the store chat page when the customer is connected', async () => {
    t.connections.online.add(customer.id);
    await expect(ch.send({ id: 'r1', recipient: { channelType: 'store', externalId: customer.id }, content: { kind: 'text', text: '有的' } })).resolves.toEqual({ externalMessageId: 'r1', status: 'delivered' });
    expect(t.connections.frames[0]).toMatchObject({ channelId: 'ch-store', clientId: customer.id, frame: { type: 'message', id: 'r1' } });
  });
});

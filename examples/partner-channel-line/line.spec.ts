import { createTestHost, runChannelConformance, startFakeServer } from '../../plugins/sdk/testing/index.js';
import plugin from './index.js';
import { CFG, NOW, post, TEXT } from './line.testing.js';

runChannelConformance({
  plugin,
  channelType: 'line',
  pluginConfig: (url) => ({ apiBaseUrl: url }),
  channelConfig: CFG,
  now: NOW,
  signedRequest: (body) => post(body),
  bodyIsSigned: true,
  inbound: [
    { name: 'a text message event', request: () => post(TEXT), events: (e) => expect(e[0]).toMatchObject({ dedupeKey: 'evt:01FZ74A0TDDPYRVKNK77XKC3ZR', externalMessageId: '444573844083572737', content: { kind: 'text', text: 'Hello, world' } }) },
    { name: 'the console\'s verification (no events)', request: () => post({ destination: 'xxxxxxxxxx', events: [] }), events: 0, response: { body: '{}' } },
  ],
  rejected: [{ name: 'a wrong x-line-signature', request: () => post(TEXT, 'AAAA') }],
  outbound: {
    routes: { 'POST /v2/bot/message/push': () => ({ json: { sentMessages: [{ id: '461230966842064897', quoteToken: 'IStG5h1Tz7b' }] } }) },
    message: { id: '2f6a3c1e-8d4b-4b7a-9e0f-1a2b3c4d5e6f', recipient: { channelType: 'line', externalId: 'U4af4980629aaaaaaaaaaaaaaaaaaaaaaa' }, content: { kind: 'text', text: 'Thanks!' } },
    check: (res, reqs) => {
      expect(res).toEqual({ externalMessageId: '461230966842064897', status: 'sent' });
      expect(reqs[0].headers['x-line-retry-key']).toBe('2f6a3c1e-8d4b-4b7a-9e0f-1a2b3c4d5e6f');
      expect(reqs[0].headers.authorization).toBe(`Bearer ${CFG.channelAccessToken}`);
    },
    failures: [
      { name: '429', routes: { 'POST /v2/bot/message/push': () => ({ status: 429, json: { message: 'The API rate limit has been exceeded.' } }) }, code: 'RATE_LIMITED', retryable: true },
      { name: '401', routes: { 'POST /v2/bot/message/push': () => ({ status: 401, json: { message: 'Authentication failed' } }) }, code: 'AUTH' },
    ],
  },
});

describe('example partner plugin', () => {
  it('treats a 409 (retry key already accepted) as sent, so a retried push is not doubled', async () => {
    const fake = await startFakeServer({ 'POST /v2/bot/message/push': () => ({ status: 409, headers: { 'x-line-accepted-request-id': 'req-1' }, json: { message: 'The retry key is already accepted' } }) });
    try {
      const ch = createTestHost(plugin, { now: NOW, config: { apiBaseUrl: fake.url } }).bind(CFG);
      await expect(ch.send({ id: 'not-a-uuid', recipient: { channelType: 'line', externalId: 'U1' }, content: { kind: 'text', text: 'x' } })).resolves.toEqual({ externalMessageId: 'req-1', status: 'sent' });
      expect(fake.requests[0].headers['x-line-retry-key']).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-a[0-9a-f]{3}-[0-9a-f]{12}$/);
    } finally {
      await fake.close();
    }
  });

  const event = (e: object) => post({ destination: 'xxxxxxxxxx', events: [{ ...TEXT.events[0], ...e }] });
  it('names LINE events in lower_snake_case, makes a block a signal, and refuses a time or a place that is none', () => {
    const ch = createTestHost(plugin, { now: NOW, config: { apiBaseUrl: 'http://127.0.0.1:9' } }).bind(CFG);
    const { message: _, ...joined } = { ...TEXT.events[0], type: 'memberJoined' };
    expect(ch.accept(post({ destination: 'x', events: [joined] })).events[0].content).toEqual({ kind: 'event', name: 'member_joined' });
    const { message: __, ...blocked } = { ...TEXT.events[0], type: 'unfollow' };
    expect(ch.accept(post({ destination: 'x', events: [blocked] })).events[0]).toMatchObject({ signal: true, content: { kind: 'event', name: 'unfollow' } });
    expect(() => ch.accept(event({ timestamp: 1e20 }))).toThrow(expect.objectContaining({ code: 'BAD_REQUEST' }));
    expect(() => ch.accept(event({ message: { id: '1', type: 'location', latitude: 95, longitude: 120 } }))).toThrow(expect.objectContaining({ code: 'BAD_REQUEST' }));
    expect(() => ch.accept(event({ message: { id: '3', type: 'location', latitude: null, longitude: null } }))).toThrow(expect.objectContaining({ code: 'BAD_REQUEST' }));
    expect(ch.accept(event({ timestamp: null })).events[0].sentAt).toEqual(new Date(NOW)); // no time given: our receipt
    expect(ch.accept(event({ message: { id: '2', type: 'location', title: '门店', latitude: 31.23, longitude: 121.47 } })).events[0].content).toMatchObject({ kind: 'location', latitude: 31.23 });
  });
});

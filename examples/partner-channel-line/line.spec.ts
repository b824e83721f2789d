import { resolve } from 'node:path';
import type { InboundRequest } from '../../plugins/sdk/channel.js';
import { createTestHost, runChannelConformance, startFakeServer } from '../../plugins/sdk/testing/index.js';
import { BUILTIN_PLUGINS } from '../../plugins/host/builtins.js';
import { PluginHost } from '../../plugins/host/plugin-host.js';
import { createMemoryLogger } from '../../plugins/host/plugin-logger.js';
import plugin, { lineSignature } from './index.js';

const CFG = { channelSecret: '8c570fa6dd201bb328f1c1eac23a96d8', channelAccessToken: 'W1tLINEchannelAccessToken0123456789abcdefABCDEF=' };
const NOW = 1625665242211;
const post = (body: unknown, sig?: string): InboundRequest => {
  const raw = Buffer.isBuffer(body) ? body : Buffer.from(typeof body === 'string' ? body : JSON.stringify(body));
  return { method: 'POST', path: '/webhooks/line', query: {}, headers: { 'content-type': 'application/json', 'x-line-signature': sig ?? lineSignature(CFG.channelSecret, raw) }, rawBody: raw, receivedAt: new Date(NOW) };
};
/** A message event as in LINE's Messaging API reference. */
const TEXT = { destination: 'xxxxxxxxxx', events: [{ replyToken: 'nHuyWiB7yP5Zw52FIkcQobQuGDXCTA', type: 'message', mode: 'active', timestamp: NOW, source: { type: 'user', userId: 'U4af4980629aaaaaaaaaaaaaaaaaaaaaaa' }, webhookEventId: '01FZ74A0TDDPYRVKNK77XKC3ZR', deliveryContext: { isRedelivery: false }, message: { id: '444573844083572737', type: 'text', quoteToken: 'q3Plxr4AgKd', text: 'Hello, world' } }] };

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

describe('example partner plugin loaded from a path', () => {
  it('loads next to the built-ins from a relative path in the plugin list, and works', () => {
    const host = new PluginHost({ plugins: ['builtins', { plugin: './examples/partner-channel-line', config: { apiBaseUrl: 'http://127.0.0.1:9' } }], builtins: BUILTIN_PLUGINS, baseDir: resolve(__dirname, '../..'), logger: createMemoryLogger() });
    const line = host.plugins().find((p) => p.id === 'example-line')!;
    expect(line).toMatchObject({ source: `path:${resolve(__dirname)}`, channelTypes: ['line'], health: { status: 'UP' } });
    expect(host.channelTypes()).toEqual(expect.arrayContaining(['line', 'wechat-oa', 'partner-api']));
    const ch = host.bindChannel({ id: 'c1', tenantId: 't1', type: 'line', config: CFG });
    expect(ch.accept(post(TEXT)).events).toHaveLength(1);
  });

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
});

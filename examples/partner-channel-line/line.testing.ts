import type { InboundRequest } from '../../plugins/sdk/index.js';
import { lineSignature } from './index.js';

/** Fixtures of the example LINE plugin's tests (its own spec, and the host's loading it from a path). */
export const CFG = { channelSecret: '8c570fa6dd201bb328f1c1eac23a96d8', channelAccessToken: 'W1tLINEchannelAccessToken0123456789abcdefABCDEF=' };
export const NOW = 1625665242211;
export const post = (body: unknown, sig?: string): InboundRequest => {
  const raw = Buffer.isBuffer(body) ? body : Buffer.from(typeof body === 'string' ? body : JSON.stringify(body));
  return { method: 'POST', path: '/webhooks/line', query: {}, headers: { 'content-type': 'application/json', 'x-line-signature': sig ?? lineSignature(CFG.channelSecret, raw) }, rawBody: raw, receivedAt: new Date(NOW) };
};
/** A message event as in LINE's Messaging API reference. */
export const TEXT = { destination: 'xxxxxxxxxx', events: [{ replyToken: 'nHuyWiB7yP5Zw52FIkcQobQuGDXCTA', type: 'message', mode: 'active', timestamp: NOW, source: { type: 'user', userId: 'U4af4980629aaaaaaaaaaaaaaaaaaaaaaa' }, webhookEventId: '01FZ74A0TDDPYRVKNK77XKC3ZR', deliveryContext: { isRedelivery: false }, message: { id: '444573844083572737', type: 'text', quoteToken: 'q3Plxr4AgKd', text: 'Hello, world' } }] };


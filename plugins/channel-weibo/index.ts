import {
  ChannelError, DEFAULT_CAPABILITIES, SDK_API_VERSION, assertFreshTimestamp, authError, badRequest, boundedKey, defineChannel, definePlugin, idString,
  parseJsonLossless, safeEqual, secret, sha1Hex, textResponse, timestampNonceReplayKey, z, type InboundEvent, type InboundRequest, type MessageContent,
} from '../sdk/index.js';

export const weiboPluginConfig = z.object({
  apiBaseUrl: z.string().url().default('https://m.api.weibo.com'),
  httpTimeoutMs: z.number().int().positive().default(10_000),
  maxClockSkewSeconds: z.number().int().min(0).default(300),
});
export type WeiboPluginConfig = z.output<typeof weiboPluginConfig>;

/** Names of the Weibo 粉丝服务平台 console (App Key / App Secret) and the fan-service access token. */
export const weiboChannelConfig = z.object({
  appKey: z.string().min(1).optional(),
  appSecret: secret(z.string().min(1, 'must be the App Secret')),
  /** 粉丝服务 access_token, for replies. */
  accessToken: secret(z.string().min(1, 'must be the fan-service access_token')),
  /** The brand account's uid (receiver_id of pushes); pushes for another account are refused. */
  uid: z.string().regex(/^\d+$/).optional(),
});
export type WeiboChannelConfig = z.output<typeof weiboChannelConfig>;

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

/** sha1 of the sorted, concatenated [appsecret, timestamp, nonce] (§5 vector). */
export const weiboSignature = (appSecret: string, timestamp: string, nonce: string) => sha1Hex([appSecret, timestamp, nonce].sort().join(''));

function message(req: InboundRequest): Json {
  const v = parseJsonLossless(req.rawBody.toString('utf8'));
  if (!v || typeof v !== 'object' || Array.isArray(v)) throw badRequest('Weibo push must be a JSON object');
  if (typeof v.type !== 'string' || !idString(v.sender_id)) throw badRequest('Weibo push without type or sender_id');
  return v;
}

/**
 * Events that tell of the fan without them reaching out (SDK 1.4 `signal`): an unfollow is kept on the customer's
 * timeline but opens no conversation, as WeChat's unsubscribe does. A follow or a scan still does (the bot greets).
 */
const SIGNAL_EVENTS = new Set(['unfollow', 'unsubscribe']);

function weiboEvent(m: Json, receivedAt: Date): InboundEvent {
  const sender = idString(m.sender_id)!;
  const receiver = idString(m.receiver_id);
  const data: Json = m.data && typeof m.data === 'object' ? m.data : {};
  const text = typeof m.text === 'string' ? m.text : '';
  let content: MessageContent;
  switch (m.type) {
    case 'text': content = { kind: 'text', text }; break;
    case 'position': {
      const lat = Number(data.latitude);
      const lng = Number(data.longitude);
      if (!Number.isFinite(lat) || !Number.isFinite(lng) || Math.abs(lat) > 90 || Math.abs(lng) > 180) throw badRequest('position without valid latitude/longitude');
      content = { kind: 'location', latitude: lat, longitude: lng, label: text || undefined };
      break;
    }
    case 'voice': content = { kind: 'voice', mediaId: idString(data.vfid) ?? idString(data.tovfid) }; break;
    case 'image': content = { kind: 'image', mediaId: idString(data.vfid) ?? idString(data.tovfid) }; break;
    case 'event': content = { kind: 'event', name: String(data.subtype || 'unknown').toLowerCase(), key: typeof data.key === 'string' && data.key ? data.key : undefined, data: data.ticket ? { ticket: data.ticket } : undefined }; break;
    case 'mention': content = { kind: 'event', name: 'mention', text }; break;
    default: content = { kind: 'event', name: 'unsupported', key: String(m.type) };
  }
  const created = typeof m.created_at === 'string' ? new Date(m.created_at) : undefined;
  return {
    channelType: 'weibo',
    // Weibo's documented dedupe is sender_id + created_at, but created_at has whole seconds: an image and its
    // caption sent in the same second would collapse into one. A digest of the content tells them apart and is the
    // same in Weibo's retries of one push.
    dedupeKey: boundedKey(sender, String(m.created_at ?? ''), sha1Hex(JSON.stringify([m.type, m.text ?? null, m.data ?? null])).slice(0, 16)),
    sender: { channelType: 'weibo', externalId: sender },
    origin: 'customer',
    content,
    ...(content.kind === 'event' && SIGNAL_EVENTS.has(content.name) ? { signal: true } : {}),
    sentAt: created && !Number.isNaN(created.getTime()) ? created : receivedAt,
    receivedAt,
    context: receiver ? { receiverId: receiver } : undefined,
    raw: { ...m },
  };
}

function replyBody(c: MessageContent): { type: string; data: Json } {
  switch (c.kind) {
    case 'text': return { type: 'text', data: { text: c.text } };
    case 'location': return { type: 'position', data: { longitude: String(c.longitude), latitude: String(c.latitude) } };
    case 'link': return { type: 'articles', data: { articles: [{ display_name: c.title ?? c.url, summary: c.description ?? '', image: c.thumbUrl ?? '', url: c.url }] } };
    default: throw new ChannelError('BAD_REQUEST', `weibo cannot send ${c.kind}`);
  }
}

function weiboError(code: number, error: string): ChannelError {
  const message = `messages/reply: Weibo error_code ${code}: ${String(error ?? '').slice(0, 200)}`;
  if (code >= 21301 && code <= 21332) return new ChannelError('AUTH', message, { platformCode: code });
  if ([10022, 10023, 10024].includes(code)) return new ChannelError('RATE_LIMITED', message, { platformCode: code, retryAfterMs: 60_000 });
  if ([10001, 10009, 10010].includes(code)) return new ChannelError('UNAVAILABLE', message, { platformCode: code });
  if ([20003, 20101].includes(code)) return new ChannelError('INVALID_RECIPIENT', message, { platformCode: code });
  return new ChannelError('BAD_REQUEST', message, { platformCode: code });
}

export function createWeiboAdapter(pc: WeiboPluginConfig) {
  return defineChannel<typeof weiboChannelConfig, WeiboPluginConfig>({
    type: 'weibo',
    displayName: 'Weibo fan service (微博粉丝服务)',
    capabilities: { ...DEFAULT_CAPABILITIES, media: false, maxTextLength: 1000, sendWindow: null, outboundKinds: ['text', 'location', 'link'], ackDeadlineMs: 5000, maxBodyBytes: 128 * 1024 },
    configSchema: weiboChannelConfig,

    verify(req, config) {
      const { signature, timestamp, nonce } = req.query;
      const method = req.method.toUpperCase();
      if (method !== 'GET' && method !== 'POST') throw badRequest(`method ${req.method} not supported`);
      if (!signature || !timestamp || nonce === undefined) throw authError('missing signature, timestamp or nonce');
      if (!safeEqual(signature.toLowerCase(), weiboSignature(config.appSecret, timestamp, nonce))) throw authError('signature mismatch');
      assertFreshTimestamp(timestamp, req.receivedAt, pc.maxClockSkewSeconds);
      if (method === 'GET' && req.query.echostr === undefined) throw badRequest('GET without echostr');
    },

    // The signature covers the timestamp and nonce, not the body: one signed URL, once seen, must not carry another body.
    replayKey: (req) => (req.method.toUpperCase() === 'POST' ? timestampNonceReplayKey(req, pc.maxClockSkewSeconds) : undefined),

    parse(req, config) {
      if (req.method.toUpperCase() === 'GET') return [];
      const m = message(req);
      if (config.uid && idString(m.receiver_id) !== config.uid) throw authError('push for another Weibo account');
      return [weiboEvent(m, req.receivedAt)];
    },

    // a blank body acknowledges a push; GET verification echoes echostr
    respond: (req) => textResponse(req.method.toUpperCase() === 'GET' ? req.query.echostr ?? '' : ''),

    async send(msg, ctx) {
      const { type, data } = replyBody(msg.content);
      const res = await ctx.http.request({
        method: 'POST', url: '/2/messages/reply.json', headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({ access_token: ctx.channel.config.accessToken, type, data: JSON.stringify(data), receiver_id: msg.recipient.externalId, save_sender_box: '1' }).toString(),
      });
      if (res.status >= 500) throw new ChannelError('UNAVAILABLE', `messages/reply: HTTP ${res.status}`, { platformCode: res.status });
      let r: Json;
      try { r = res.json<Json>(); } catch { throw new ChannelError('UNAVAILABLE', `messages/reply: HTTP ${res.status}, not JSON`); }
      if (r?.error_code) throw weiboError(Number(r.error_code), r.error);
      if (res.status === 429) throw new ChannelError('RATE_LIMITED', 'messages/reply: HTTP 429', { platformCode: 429 });
      if (res.status !== 200) throw new ChannelError('BAD_REQUEST', `messages/reply: HTTP ${res.status}`, { platformCode: res.status });
      return { externalMessageId: idString(r?.id) ?? msg.id, status: 'sent' };
    },
  });
}

export default definePlugin({
  manifest: { id: 'channel-weibo', kind: 'channel', version: '1.0.0', apiVersion: SDK_API_VERSION, capabilities: ['http'], description: 'Weibo fan-service platform pushes and replies' },
  configSchema: weiboPluginConfig,
  register(host) {
    host.channels.register(createWeiboAdapter(host.config));
  },
});

/**
 * An example partner channel plugin: LINE Messaging API. It lives outside Huiliu's built-ins, imports only
 * the plugin SDK, and is loaded from a path in the host's plugin list:
 *
 *   CHANNEL_PLUGINS='["builtins", {"plugin": "./dist/examples/partner-channel-line", "config": {}}]'
 *
 * Inbound: LINE webhooks (x-line-signature = base64 HMAC-SHA256 of the body with the channel secret).
 * Outbound: the push API, idempotent through X-Line-Retry-Key.
 */
import { createHash, createHmac } from 'node:crypto';
import {
  ChannelError, DEFAULT_CAPABILITIES, SDK_API_VERSION, authError, badRequest, defineChannel, definePlugin, jsonResponse, parseJsonLossless, safeEqual,
  secret, z, type InboundEvent, type InboundRequest, type MessageContent, type OutboundMessage,
} from '../../plugins/sdk/index.js';

export const linePluginConfig = z.object({
  apiBaseUrl: z.string().url().default('https://api.line.me'),
  httpTimeoutMs: z.number().int().positive().default(10_000),
});
type LinePluginConfig = z.output<typeof linePluginConfig>;

/** Names of the LINE Developers console (Basic settings → Channel secret; Messaging API → Channel access token). */
export const lineChannelConfig = z.object({
  channelSecret: secret(z.string().regex(/^[0-9a-f]{32}$/, 'must be the 32-character channel secret')),
  channelAccessToken: secret(z.string().min(20, 'must be the long-lived channel access token')),
});
type LineChannelConfig = z.output<typeof lineChannelConfig>;

export const lineSignature = (channelSecret: string, body: Buffer) => createHmac('sha256', channelSecret).update(body).digest('base64');

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

function lineContent(e: Json): MessageContent {
  if (e.type === 'message') {
    const m: Json = e.message ?? {};
    switch (m.type) {
      case 'text': return { kind: 'text', text: String(m.text ?? '') };
      case 'image': return { kind: 'image', mediaId: String(m.id), url: m.contentProvider?.originalContentUrl };
      case 'video': return { kind: 'video', mediaId: String(m.id) };
      case 'audio': return { kind: 'voice', mediaId: String(m.id), durationMs: typeof m.duration === 'number' ? m.duration : undefined };
      case 'file': return { kind: 'file', mediaId: String(m.id), name: m.fileName, size: m.fileSize };
      // NaN when not a number (null is not 0°): refused below
      case 'location': return { kind: 'location', latitude: typeof m.latitude === 'number' ? m.latitude : NaN, longitude: typeof m.longitude === 'number' ? m.longitude : NaN, label: [m.title, m.address].filter(Boolean).join(' ') || undefined };
      case 'sticker': return { kind: 'event', name: 'sticker', key: `${m.packageId}/${m.stickerId}` };
      default: return { kind: 'event', name: 'unsupported', key: String(m.type) };
    }
  }
  if (e.type === 'postback') return { kind: 'event', name: 'postback', key: String(e.postback?.data ?? '') };
  // LINE names events in camelCase (memberJoined); Huiliu's event names are lower_snake_case
  return { kind: 'event', name: String(e.type ?? 'unknown').replace(/([a-z0-9])([A-Z])/g, '$1_$2').toLowerCase() };
}

/** The platform's time of an event, or a badRequest: a timestamp that is no date would fail the unified model. */
function sentAt(e: Json, req: InboundRequest): Date {
  if (e.timestamp == null) return req.receivedAt;
  const at = new Date(typeof e.timestamp === 'number' ? e.timestamp : NaN);
  if (!Number.isFinite(at.getTime())) throw badRequest('event timestamp is not a time');
  return at;
}

function lineEvents(req: InboundRequest): InboundEvent[] {
  const body = parseJsonLossless(req.rawBody.toString('utf8'));
  if (!body || typeof body !== 'object' || !Array.isArray(body.events)) throw badRequest('LINE webhook body must be { destination, events: [...] }');
  return (body.events as Json[]).flatMap((e) => {
    const userId = e?.source?.userId;
    // no user (e.g. a group without consent): nothing to attach a conversation to
    if (typeof userId !== 'string' || !userId || typeof e.webhookEventId !== 'string') return [];
    const content = lineContent(e);
    if (content.kind === 'location' && !(Math.abs(content.latitude) <= 90 && Math.abs(content.longitude) <= 180)) throw badRequest('location without valid coordinates');
    return [{
      channelType: 'line',
      externalMessageId: e.message?.id !== undefined ? String(e.message.id) : undefined,
      // the same on redeliveries (deliveryContext.isRedelivery)
      dedupeKey: `evt:${e.webhookEventId}`,
      sender: { channelType: 'line', externalId: userId },
      origin: 'customer' as const,
      content,
      // a block: the customer tells us something without writing to us (opens no conversation)
      ...(e.type === 'unfollow' ? { signal: true } : {}),
      sentAt: sentAt(e, req),
      receivedAt: req.receivedAt,
      context: { destination: String(body.destination ?? '') },
      raw: { ...e },
    }];
  });
}

/** X-Line-Retry-Key must be a UUID: ours when it is one, else one derived from our id. */
function retryKey(id: string): string {
  if (/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(id)) return id;
  const h = createHash('sha1').update(id).digest('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-5${h.slice(13, 16)}-a${h.slice(17, 20)}-${h.slice(20, 32)}`;
}

function lineMessage(c: MessageContent): Json {
  switch (c.kind) {
    case 'text': return { type: 'text', text: c.text };
    case 'image':
      if (!c.url) throw new ChannelError('BAD_REQUEST', 'line: images need a public https url');
      return { type: 'image', originalContentUrl: c.url, previewImageUrl: c.url };
    case 'location': return { type: 'location', title: c.label ?? 'Location', address: c.label ?? '', latitude: c.latitude, longitude: c.longitude };
    case 'link': return { type: 'text', text: [c.title, c.url].filter(Boolean).join('\n') };
    default: throw new ChannelError('BAD_REQUEST', `line cannot send ${c.kind}`);
  }
}

export const lineAdapter = defineChannel<typeof lineChannelConfig, LinePluginConfig>({
  type: 'line',
  displayName: 'LINE Official Account',
  capabilities: { ...DEFAULT_CAPABILITIES, media: true, maxTextLength: 5000, outboundKinds: ['text', 'image', 'location', 'link'], ackDeadlineMs: 2000, maxBodyBytes: 1024 * 1024 },
  configSchema: lineChannelConfig,

  verify(req, config: LineChannelConfig) {
    const sig = req.headers['x-line-signature'];
    if (!sig) throw authError('missing x-line-signature');
    if (!safeEqual(sig, lineSignature(config.channelSecret, req.rawBody))) throw authError('x-line-signature mismatch');
  },

  parse: (req) => lineEvents(req),

  respond: () => jsonResponse({}),

  async send(message: OutboundMessage, ctx) {
    const res = await ctx.http.request({
      method: 'POST', url: '/v2/bot/message/push',
      headers: { authorization: `Bearer ${ctx.channel.config.channelAccessToken}`, 'x-line-retry-key': retryKey(message.id) },
      json: { to: message.recipient.externalId, messages: [lineMessage(message.content)] },
    });
    const where = `LINE push: HTTP ${res.status}`;
    // 409: this retry key was already accepted, so the message went out on an earlier attempt
    if (res.status === 200 || res.status === 409) {
      let id: string | undefined;
      try { id = res.json<{ sentMessages?: Array<{ id?: string }> }>()?.sentMessages?.[0]?.id; } catch { /* 409 bodies vary */ }
      return { externalMessageId: id ?? res.headers['x-line-accepted-request-id'] ?? message.id, status: 'sent' };
    }
    if (res.status === 401 || res.status === 403) throw new ChannelError('AUTH', where, { platformCode: res.status });
    if (res.status === 429) throw new ChannelError('RATE_LIMITED', where, { platformCode: 429, retryAfterMs: 1000 });
    if (res.status >= 500) throw new ChannelError('UNAVAILABLE', where, { platformCode: res.status });
    if (res.status === 400 && /not found|invalid.*(to|user)/i.test(res.text())) throw new ChannelError('INVALID_RECIPIENT', where, { platformCode: 400 });
    throw new ChannelError('BAD_REQUEST', where, { platformCode: res.status });
  },
});

export default definePlugin({
  manifest: { id: 'example-line', kind: 'channel', version: '0.1.0', apiVersion: SDK_API_VERSION, capabilities: ['http'], description: 'Example partner plugin: LINE Messaging API' },
  configSchema: linePluginConfig,
  register(host) {
    host.channels.register(lineAdapter);
  },
});

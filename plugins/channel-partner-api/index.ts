import { randomBytes } from 'node:crypto';
import {
  ChannelError, DEFAULT_CAPABILITIES, HUILIU_SIGNATURE_HEADERS, SDK_API_VERSION, badRequest, configIssues, defineChannel, definePlugin, idString,
  jsonResponse, messageContentSchema, parseJsonLossless, secret, signPayload, verifySignedPayload, z, type InboundEvent, type InboundRequest, type MessageContent,
} from '../sdk/index.js';

export const partnerApiPluginConfig = z.object({
  maxClockSkewSeconds: z.number().int().min(0).default(300),
  httpTimeoutMs: z.number().int().positive().default(5000),
});
export type PartnerApiPluginConfig = z.output<typeof partnerApiPluginConfig>;

/**
 * A partner channel registered at runtime: the partner POSTs messages to its webhook URL and receives ours
 * at its callback URL, both signed `sha256=HMAC-SHA256(secret, timestamp + "." + rawBody)`, ±5 minutes.
 */
export const partnerApiChannelConfig = z.object({
  secret: secret(z.string().min(32, 'must be at least 32 characters')),
  /** Accepted for inbound signatures during a rotation. */
  previousSecret: secret(z.string().min(32)).optional(),
  callbackUrl: z.string().url().refine((u) => /^https?:\/\//.test(u), 'must be an http(s) URL'),
});
export type PartnerApiChannelConfig = z.output<typeof partnerApiChannelConfig>;

/** A fresh partner secret (256 bits, base64url). */
export const newPartnerSecret = () => randomBytes(32).toString('base64url');

/**
 * A new signing secret for a partner channel. With `keepPrevious` the current one stays accepted for inbound
 * signatures (`previousSecret`) until the next rotation, and our outbound callbacks carry both signatures, so the
 * partner can switch its side whenever it likes without losing messages either way.
 */
export function rotatePartnerSecret(config: PartnerApiChannelConfig, keepPrevious: boolean): { config: PartnerApiChannelConfig; secret: string } {
  const secret = newPartnerSecret();
  const { previousSecret: _dropped, ...rest } = config;
  return { secret, config: { ...rest, secret, ...(keepPrevious ? { previousSecret: config.secret } : {}) } };
}

const time = z.union([z.number().int().positive(), z.string().datetime({ offset: true })]);
export const partnerMessageSchema = z.object({
  id: z.string().min(1).max(128),
  contact: z.object({ identifier: z.string().min(1).max(191), name: z.string().max(100).optional(), phone: z.string().max(32).optional(), email: z.string().email().optional() }),
  content: messageContentSchema.refine((c) => c.kind !== 'order' || c.action === 'query', 'partners send customer content').optional(),
  text: z.string().max(10_000).optional(),
  sentAt: time.optional(),
  conversation: z.object({ id: z.string().min(1).max(128) }).optional(),
}).refine((m) => m.content || m.text !== undefined, { message: 'give content or text', path: ['content'] });
export type PartnerMessage = z.output<typeof partnerMessageSchema>;

function messages(req: InboundRequest): PartnerMessage[] {
  const v = parseJsonLossless(req.rawBody.toString('utf8'));
  const list: unknown[] | null = v && typeof v === 'object' && !Array.isArray(v) ? (Array.isArray(v.messages) ? v.messages : [v]) : null;
  if (!list || !list.length || list.length > 100) throw badRequest('body must be a message or { messages: [...] } (1–100)');
  return list.map((m, i) => {
    const r = partnerMessageSchema.safeParse(m);
    if (!r.success) throw badRequest(`invalid message${list.length > 1 ? ` #${i}` : ''}: ${configIssues(r.error).map((x) => `${x.path} ${x.message}`).join('; ')}`);
    return r.data;
  });
}

function partnerEvent(m: PartnerMessage, receivedAt: Date): InboundEvent {
  const sentAt = m.sentAt !== undefined ? new Date(m.sentAt) : receivedAt;
  const c = m.contact;
  return {
    channelType: 'partner-api',
    externalMessageId: m.id,
    dedupeKey: `msg:${m.id}`,
    sender: { channelType: 'partner-api', externalId: c.identifier, ...(c.name ? { displayName: c.name } : {}), ...(c.phone ? { phone: c.phone } : {}) },
    origin: 'customer',
    content: (m.content as MessageContent | undefined) ?? { kind: 'text', text: m.text ?? '' },
    sentAt: Number.isNaN(sentAt.getTime()) ? receivedAt : sentAt,
    receivedAt,
    ...(m.conversation ? { thread: { id: m.conversation.id }, context: { conversationId: m.conversation.id } } : {}),
    raw: { ...m },
  };
}

export function createPartnerApiAdapter(pc: PartnerApiPluginConfig) {
  return defineChannel<typeof partnerApiChannelConfig, PartnerApiPluginConfig>({
    type: 'partner-api',
    displayName: 'Partner API channel',
    capabilities: { ...DEFAULT_CAPABILITIES, media: true, maxTextLength: 10_000, outboundKinds: ['text', 'image', 'voice', 'video', 'file', 'location', 'link', 'card'], ackDeadlineMs: 5000, maxBodyBytes: 1024 * 1024 },
    configSchema: partnerApiChannelConfig,
    verify(req, c) {
      if (req.method.toUpperCase() !== 'POST') throw badRequest(`method ${req.method} not supported`);
      verifySignedPayload(req, [c.secret, c.previousSecret ?? ''], { toleranceSeconds: pc.maxClockSkewSeconds });
    },
    parse: (req) => messages(req).map((m) => partnerEvent(m, req.receivedAt)),
    respond: (_req, events) => jsonResponse({ received: events.length, ids: events.map((e) => e.externalMessageId) }),

    /** POSTs `message.created` to the partner's callback URL, signed like inbound; `x-huiliu-delivery` is the idempotency key. */
    async send(message, ctx) {
      const cfg = ctx.channel.config;
      const body = JSON.stringify({
        event: 'message.created',
        id: message.id,
        channelId: ctx.channel.id,
        recipient: { identifier: message.recipient.externalId },
        ...(message.context?.conversationId ? { conversation: { id: message.context.conversationId } } : {}),
        content: message.content,
        sender: message.sender ?? { type: 'agent' },
        createdAt: new Date(ctx.clock.now()).toISOString(),
      });
      const ts = String(Math.floor(ctx.clock.now() / 1000));
      // During a rotation both signatures (new first), as verifySignedPayload accepts: a partner still checking with
      // the old secret would answer 401, which is not retried, and the agent's replies would fail for good.
      const signature = [cfg.secret, cfg.previousSecret].filter((x): x is string => !!x).map((k) => signPayload(k, ts, body)).join(',');
      const res = await ctx.http.request({
        method: 'POST', url: cfg.callbackUrl, body,
        headers: { 'content-type': 'application/json', [HUILIU_SIGNATURE_HEADERS.timestampHeader]: ts, [HUILIU_SIGNATURE_HEADERS.signatureHeader]: signature, 'x-huiliu-delivery': message.id },
      });
      const where = `partner callback: HTTP ${res.status}`;
      if (res.status >= 200 && res.status < 300) {
        let id: string | undefined;
        try { id = idString(res.json<{ id?: unknown }>()?.id); } catch { /* an empty 2xx is fine */ }
        return { externalMessageId: id ?? message.id, status: 'sent' };
      }
      if (res.status === 401 || res.status === 403) throw new ChannelError('AUTH', where, { platformCode: res.status });
      if (res.status === 404 || res.status === 410) throw new ChannelError('INVALID_RECIPIENT', where, { platformCode: res.status });
      if (res.status === 429) throw new ChannelError('RATE_LIMITED', where, { platformCode: 429, retryAfterMs: Number(res.headers['retry-after']) * 1000 || undefined });
      if (res.status >= 500 || res.status === 408) throw new ChannelError('UNAVAILABLE', where, { platformCode: res.status });
      throw new ChannelError('BAD_REQUEST', where, { platformCode: res.status });
    },
  });
}

export default definePlugin({
  manifest: { id: 'channel-partner-api', kind: 'channel', version: '1.0.0', apiVersion: SDK_API_VERSION, capabilities: ['http'], description: 'Partner channels registered at runtime: HMAC-signed webhook in, signed callback out' },
  configSchema: partnerApiPluginConfig,
  register(host) {
    host.channels.register(createPartnerApiAdapter(host.config));
  },
});

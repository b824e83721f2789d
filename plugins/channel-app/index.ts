import {
  ChannelError, DEFAULT_CAPABILITIES, isChannelError, SDK_API_VERSION, defineChannel, definePlugin, jsonResponse, secret, signPayload, z, type ChannelContext,
} from '../sdk/index.js';
import { frameEvents, frameResponse, historyFrame, pushTyping, preview, pushLive, verifyFrames, type WidgetOptions } from '../channel-web/widget.protocol.js';

export { mintClientToken } from '../channel-web/widget.protocol.js';

/** Plugin config: the brand's push gateway (APNs/FCM/vendor relay), `POST <apiBaseUrl>/v1/push`. Without it, offline users get no push. */
export const appPluginConfig = z.object({
  apiBaseUrl: z.string().url().optional(),
  httpTimeoutMs: z.number().int().positive().default(5000),
});
export type AppPluginConfig = z.output<typeof appPluginConfig>;

/** The brand app's in-app chat: same protocol as the widget, with tokens the brand's backend mints for logged-in users. */
export const appChannelConfig = z.object({
  /** Shared with the brand's backend, which mints user tokens with it (mintClientToken, kind "user"). */
  appSecret: secret(z.string().min(32, 'must be at least 32 characters')),
  /** Signs push requests to the gateway (x-huiliu-signature). */
  pushSecret: secret(z.string().min(16)).optional(),
  /** Notification title. */
  pushTitle: z.string().min(1).max(50).default('新消息'),
});
export type AppChannelConfig = z.output<typeof appChannelConfig>;

const options: WidgetOptions = { channelType: 'app', kind: 'user', anonymousHello: false };

type Ctx = ChannelContext<AppPluginConfig, AppChannelConfig>;

/** Offline user: a notification through the push gateway; the app loads the message when opened. */
async function pushNotification(ctx: Ctx, userId: string, messageId: string, body: string): Promise<boolean> {
  if (!ctx.config.apiBaseUrl) return false;
  const stored = await ctx.kv.get(`push:${userId}`);
  if (!stored) return false;
  const { token, platform } = JSON.parse(stored) as { token: string; platform?: string };
  const payload = JSON.stringify({ to: token, platform, title: ctx.channel.config.pushTitle, body, data: { messageId, channelId: ctx.channel.id } });
  const ts = String(Math.floor(ctx.clock.now() / 1000));
  const headers: Record<string, string> = { 'content-type': 'application/json', 'idempotency-key': messageId };
  if (ctx.channel.config.pushSecret) Object.assign(headers, { 'x-huiliu-timestamp': ts, 'x-huiliu-signature': signPayload(ctx.channel.config.pushSecret, ts, payload) });
  const res = await ctx.http.request({ method: 'POST', url: '/v1/push', headers, body: payload });
  if (res.status >= 200 && res.status < 300) return true;
  const where = `push gateway: HTTP ${res.status}`;
  if (res.status === 404 || res.status === 410) {
    await ctx.kv.delete(`push:${userId}`); // the device token is gone; do not try it again
    throw new ChannelError('INVALID_RECIPIENT', `${where} (push token no longer valid)`, { platformCode: res.status });
  }
  if (res.status === 401 || res.status === 403) throw new ChannelError('AUTH', where, { platformCode: res.status });
  if (res.status === 429) throw new ChannelError('RATE_LIMITED', where, { platformCode: 429, retryAfterMs: Number(res.headers['retry-after']) * 1000 || undefined });
  if (res.status >= 500) throw new ChannelError('UNAVAILABLE', where, { platformCode: res.status });
  throw new ChannelError('BAD_REQUEST', where, { platformCode: res.status });
}

export const appAdapter = defineChannel<typeof appChannelConfig, AppPluginConfig>({
  type: 'app',
  displayName: 'Brand app in-app chat',
  capabilities: { ...DEFAULT_CAPABILITIES, media: true, maxTextLength: 5000, sendWindow: null, outboundKinds: ['text', 'image', 'video', 'file', 'link', 'card', 'location'], ackDeadlineMs: 10_000, maxBodyBytes: 64 * 1024 },
  configSchema: appChannelConfig,
  verify: (req, c) => verifyFrames(req, c.appSecret, options),
  parse: (req, c) => frameEvents(req, c.appSecret, options),
  respond: (req, _e, c) => jsonResponse(frameResponse(req, c.appSecret, options, 0)),
  /** SDK 1.2: what a client that comes back online missed (a `sync` frame). */
  history: (messages, more) => jsonResponse(historyFrame(messages, more)),
  /** SDK 1.2: an agent typing, on the live connection. */
  typing: (to, state, ctx) => pushTyping(to, state, ctx),
  /** Remembers each user's latest push token (per channel, shared by replicas). */
  async receive(events, ctx) {
    for (const ev of events) {
      const data = ev.content.kind === 'event' && ev.content.name === 'push_token' ? ev.content.data : undefined;
      if (data?.pushToken) await ctx.kv.set(`push:${ev.sender.externalId}`, JSON.stringify({ token: data.pushToken, platform: data.platform }), { ttlMs: 180 * 86_400_000 });
    }
    return { events };
  },
  async send(message, ctx) {
    if (await pushLive(message, ctx)) return { externalMessageId: message.id, status: 'delivered' };
    // One notification per message: its first part (the text, or the first attachment) says it all.
    if (message.part && message.part.index > 0) return { externalMessageId: message.id, status: 'queued' };
    // The push is only the notification: the message waits for the app's next sync whatever the push gateway says.
    // Failing the delivery on it hid the message from that sync (only sent messages are synced), so a stale device
    // token cost the user the reply itself. A failed push is the send's `problem` (the channel's health shows a
    // refused credential or a gateway down); a gone token is forgotten.
    try {
      const pushed = await pushNotification(ctx, message.recipient.externalId, message.id, preview(message.content));
      return { externalMessageId: message.id, status: pushed ? 'sent' : 'queued' };
    } catch (err) {
      if (!isChannelError(err)) throw err;
      ctx.logger.warn({ code: err.code, platformCode: err.platformCode }, 'push notification failed; the app gets the message when it syncs');
      return { externalMessageId: message.id, status: 'queued', problem: err };
    }
  },
});

export default definePlugin({
  manifest: { id: 'channel-app', kind: 'channel', version: '1.0.0', apiVersion: SDK_API_VERSION, capabilities: ['connections', 'kv', 'http'], description: 'Brand app in-app chat (widget protocol, logged-in users, push for offline replies)' },
  configSchema: appPluginConfig,
  register(host) {
    host.channels.register(appAdapter);
  },
});

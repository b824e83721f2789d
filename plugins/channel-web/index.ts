import { DEFAULT_CAPABILITIES, SDK_API_VERSION, defineChannel, definePlugin, jsonResponse, secret, z } from '../sdk/index.js';
import { frameEvents, frameResponse, historyFrame, pushTyping, pushLive, verifyFrames, type WidgetOptions } from './widget.protocol.js';

export * from './widget.protocol.js';

export const webPluginConfig = z.object({});

/** The web chat widget: visitors chat anonymously with a token Huiliu mints on their first hello. */
export const webChannelConfig = z.object({
  /** Signs visitor tokens; generate 32+ random characters. */
  widgetSecret: secret(z.string().min(32, 'must be at least 32 characters')),
  /** Sites allowed to embed the widget (Origin header); empty: any. */
  allowedOrigins: z.array(z.string().url()).default([]),
  visitorTokenTtlDays: z.number().int().min(1).max(3650).default(365),
});
export type WebChannelConfig = z.output<typeof webChannelConfig>;

const options = (c: WebChannelConfig): WidgetOptions => ({ channelType: 'web', kind: 'visitor', anonymousHello: true, allowedOrigins: c.allowedOrigins });

export const webAdapter = defineChannel({
  type: 'web',
  displayName: 'Web chat widget',
  capabilities: { ...DEFAULT_CAPABILITIES, media: true, maxTextLength: 5000, sendWindow: null, outboundKinds: ['text', 'image', 'video', 'file', 'link', 'card', 'location'], ackDeadlineMs: 10_000, maxBodyBytes: 64 * 1024 },
  configSchema: webChannelConfig,
  verify: (req, c) => verifyFrames(req, c.widgetSecret, options(c)),
  parse: (req, c) => frameEvents(req, c.widgetSecret, options(c)),
  respond: (req, _e, c) => jsonResponse(frameResponse(req, c.widgetSecret, options(c), c.visitorTokenTtlDays * 86_400)),
  /** SDK 1.2: what a client that comes back online missed (a `sync` frame). */
  history: (messages, more) => jsonResponse(historyFrame(messages, more)),
  /** SDK 1.2: an agent typing, on the live connection. */
  typing: (to, state, ctx) => pushTyping(to, state, ctx),
  /** Over the visitor's live connection; offline visitors get it from the history when they come back. */
  async send(message, ctx) {
    const live = await pushLive(message, ctx);
    return { externalMessageId: message.id, status: live ? 'delivered' : 'queued' };
  },
});

export default definePlugin({
  manifest: { id: 'channel-web', kind: 'channel', version: '1.0.0', apiVersion: SDK_API_VERSION, capabilities: ['connections'], description: 'Web chat widget over WebSocket with an HTTP fallback' },
  configSchema: webPluginConfig,
  register(host) {
    host.channels.register(webAdapter);
  },
});

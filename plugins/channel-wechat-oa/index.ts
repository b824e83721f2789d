import { DEFAULT_CAPABILITIES, ReplyWindow, SDK_API_VERSION, defineChannel, definePlugin, secret, textResponse, z } from '../sdk/index.js';
import { callWithToken, customMessageBody, officialAccountToken } from '../wechat-common/wechat.api.js';
import { ENCODING_AES_KEY } from '../wechat-common/wechat.crypto.js';
import { echoFor, readWechatMessage, verifyWechatRequest, wechatEvent, type WechatInboundConfig } from '../wechat-common/wechat.inbound.js';

const windowRule = z.object({ hours: z.number().positive(), maxMessages: z.number().int().positive() });

/** Plugin config (the host's plugin list): API base URL, reply windows, replay tolerance. */
export const wechatOaPluginConfig = z.object({
  apiBaseUrl: z.string().url().default('https://api.weixin.qq.com'),
  httpTimeoutMs: z.number().int().positive().default(10_000),
  /** After a customer message: 5 messages within 48 h (WeChat's rule since 2023-06; configurable). */
  replyWindow: windowRule.default({ hours: 48, maxMessages: 5 }),
  /** After a menu click, follow or QR scan: 3 messages within 1 minute. */
  eventWindow: windowRule.default({ hours: 1 / 60, maxMessages: 3 }),
  /** Refuse sends outside the window before calling WeChat (WeChat would answer 45015 anyway). */
  enforceReplyWindow: z.boolean().default(true),
  /** A push whose timestamp is further from its receipt is a replay. 0 disables the check. */
  maxClockSkewSeconds: z.number().int().min(0).default(300),
});
export type WechatOaPluginConfig = z.output<typeof wechatOaPluginConfig>;

/** The channel config, with the names of the WeChat console (开发 → 基本配置). */
export const wechatOaChannelConfig = z.object({
  appId: z.string().regex(/^wx[0-9A-Za-z]{16}$/, 'must be the 18-character AppID starting with wx'),
  appSecret: secret(z.string().min(16, 'must be the AppSecret from the console')),
  token: secret(z.string().regex(/^[A-Za-z0-9]{3,32}$/, 'must be the 3–32 letters and digits set as Token in the console')),
  encodingAESKey: secret(z.string().regex(ENCODING_AES_KEY, 'must be the 43-character EncodingAESKey')).optional(),
  /** 明文 plaintext / 兼容 compatible / 安全 safe. Default: compatible when encodingAESKey is set, else plaintext. */
  mode: z.enum(['plaintext', 'compatible', 'safe']).optional(),
}).refine((c) => !c.mode || c.mode === 'plaintext' || !!c.encodingAESKey, { message: 'compatible and safe mode need the encodingAESKey', path: ['encodingAESKey'] });
export type WechatOaChannelConfig = z.output<typeof wechatOaChannelConfig>;

export function inboundConfig(c: WechatOaChannelConfig, pc: WechatOaPluginConfig): WechatInboundConfig {
  return { token: c.token, appId: c.appId, encodingAESKey: c.encodingAESKey, mode: c.mode ?? (c.encodingAESKey ? 'compatible' : 'plaintext'), maxClockSkewSeconds: pc.maxClockSkewSeconds };
}

const WINDOW_OPENING_EVENTS = new Set(['click', 'subscribe', 'scan', 'view']);

export function createWechatOaAdapter(pc: WechatOaPluginConfig) {
  return defineChannel<typeof wechatOaChannelConfig, WechatOaPluginConfig>({
    type: 'wechat-oa',
    displayName: 'WeChat Official Account (公众号)',
    capabilities: {
      ...DEFAULT_CAPABILITIES,
      media: true,
      // 客服消息 text: 2048 bytes; 600 characters stay under it even in Chinese
      maxTextLength: 600,
      sendWindow: pc.replyWindow,
      outboundKinds: ['text', 'image', 'voice', 'video', 'link', 'card'],
      ackDeadlineMs: 5000,
      maxBodyBytes: 256 * 1024,
    },
    configSchema: wechatOaChannelConfig,

    verify(req, config) {
      verifyWechatRequest(req, inboundConfig(config, pc));
    },

    parse(req, config) {
      if (req.method.toUpperCase() === 'GET') return []; // URL verification
      const { fields } = readWechatMessage(req, inboundConfig(config, pc));
      return [wechatEvent(fields, 'wechat-oa', req.receivedAt)];
    },

    respond(req, _events, config) {
      if (req.method.toUpperCase() === 'GET') return textResponse(echoFor(req, inboundConfig(config, pc)));
      // answer at once; replies go out through the customer-service API
      return textResponse('success');
    },

    async receive(events, ctx) {
      const window = new ReplyWindow(ctx.kv, ctx.clock, pc.replyWindow, 'WeChat reply window');
      for (const ev of events) {
        if (ev.origin !== 'customer') continue;
        const c = ev.content;
        if (c.kind !== 'event') await window.open(ev.sender.externalId, ev.sentAt.getTime());
        else if (WINDOW_OPENING_EVENTS.has(c.name)) await window.open(ev.sender.externalId, ev.sentAt.getTime(), pc.eventWindow);
      }
      return { events };
    },

    async send(message, ctx) {
      const cfg = ctx.channel.config;
      const to = message.recipient.externalId;
      const body = customMessageBody(to, message.content, 'wechat-oa');
      const slot = pc.enforceReplyWindow ? await new ReplyWindow(ctx.kv, ctx.clock, pc.replyWindow, 'WeChat reply window').reserve(to) : null;
      try {
        await callWithToken(ctx, officialAccountToken(cfg.appId, cfg.appSecret), '/cgi-bin/message/custom/send', body);
      } catch (e) {
        await slot?.release();
        throw e;
      }
      // the customer-service API returns no message id
      return { externalMessageId: message.id, status: 'sent' };
    },
  });
}

export default definePlugin({
  manifest: { id: 'channel-wechat-oa', kind: 'channel', version: '1.0.0', apiVersion: SDK_API_VERSION, capabilities: ['http', 'kv'], description: 'WeChat Official Account (公众号) message push and customer-service messages' },
  configSchema: wechatOaPluginConfig,
  register(host) {
    host.channels.register(createWechatOaAdapter(host.config));
  },
});

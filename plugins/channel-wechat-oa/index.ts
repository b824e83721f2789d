import { DEFAULT_CAPABILITIES, SDK_API_VERSION, defineChannel, definePlugin, textResponse, z } from '../sdk/index.js';
import { openReplyWindows, sendCustomerServiceMessage, type CustomerServiceRules } from '../wechat-common/wechat.customer-service.js';
import { wechatAccountConfig, wechatInboundConfig, windowRule } from '../wechat-common/wechat.config.js';
import { echoFor, readWechatMessage, verifyWechatRequest, wechatEvent, wechatReplayKey, type WechatInboundConfig } from '../wechat-common/wechat.inbound.js';

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
export const wechatOaChannelConfig = wechatAccountConfig;
export type WechatOaChannelConfig = z.output<typeof wechatOaChannelConfig>;

export function inboundConfig(c: WechatOaChannelConfig, pc: WechatOaPluginConfig): WechatInboundConfig {
  return wechatInboundConfig(c, pc.maxClockSkewSeconds);
}

const WINDOW_OPENING_EVENTS = new Set(['click', 'subscribe', 'scan', 'view']);

export function createWechatOaAdapter(pc: WechatOaPluginConfig) {
  const rules: CustomerServiceRules = {
    replyWindow: pc.replyWindow, enforceReplyWindow: pc.enforceReplyWindow, label: 'WeChat reply window',
    eventWindow: (name) => (WINDOW_OPENING_EVENTS.has(name) ? pc.eventWindow : null),
  };
  return defineChannel<typeof wechatOaChannelConfig, WechatOaPluginConfig>({
    type: 'wechat-oa',
    displayName: 'WeChat Official Account (公众号)',
    capabilities: {
      ...DEFAULT_CAPABILITIES,
      media: true,
      // 客服消息 text: 2048 bytes; 512 characters stay under it whatever they are (at most 4 bytes each in UTF-8)
      maxTextLength: 512,
      sendWindow: pc.replyWindow,
      outboundKinds: ['text', 'image', 'voice', 'video', 'link', 'card'],
      ackDeadlineMs: 5000,
      maxBodyBytes: 256 * 1024,
    },
    configSchema: wechatOaChannelConfig,

    verify(req, config) {
      verifyWechatRequest(req, inboundConfig(config, pc));
    },
    replayKey: (req, config) => wechatReplayKey(req, inboundConfig(config, pc)),

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

    receive: (events, ctx) => openReplyWindows(events, ctx, rules),
    send: (message, ctx) => sendCustomerServiceMessage(message, ctx, 'wechat-oa', rules),
  });
}

export default definePlugin({
  manifest: { id: 'channel-wechat-oa', kind: 'channel', version: '1.0.0', apiVersion: SDK_API_VERSION, capabilities: ['http', 'kv'], description: 'WeChat Official Account (公众号) message push and customer-service messages' },
  configSchema: wechatOaPluginConfig,
  register(host) {
    host.channels.register(createWechatOaAdapter(host.config));
  },
});

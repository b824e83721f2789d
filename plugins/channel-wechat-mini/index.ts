import { DEFAULT_CAPABILITIES, SDK_API_VERSION, defineChannel, definePlugin, textResponse, z } from '../sdk/index.js';
import { openReplyWindows, sendCustomerServiceMessage, type CustomerServiceRules } from '../wechat-common/wechat.customer-service.js';
import { wechatAccountConfig, wechatInboundConfig, windowRule } from '../wechat-common/wechat.config.js';
import { echoFor, readWechatMessage, verifyWechatRequest, wechatEvent, wechatReplayKey, type WechatInboundConfig } from '../wechat-common/wechat.inbound.js';

export const wechatMiniPluginConfig = z.object({
  apiBaseUrl: z.string().url().default('https://api.weixin.qq.com'),
  httpTimeoutMs: z.number().int().positive().default(10_000),
  /** After a customer message: 3 messages within 48 h (mini program CS doc; configurable). */
  replyWindow: windowRule.default({ hours: 48, maxMessages: 3 }),
  /** After the customer opens the chat (user_enter_tempsession): 1 message within 1 minute. */
  enterWindow: windowRule.default({ hours: 1 / 60, maxMessages: 1 }),
  enforceReplyWindow: z.boolean().default(true),
  maxClockSkewSeconds: z.number().int().min(0).default(300),
});
export type WechatMiniPluginConfig = z.output<typeof wechatMiniPluginConfig>;

/** Names of the mini program console (开发管理 → 消息推送). The push format (XML or JSON) is detected per request. */
export const wechatMiniChannelConfig = wechatAccountConfig;
export type WechatMiniChannelConfig = z.output<typeof wechatMiniChannelConfig>;

const inbound = (c: WechatMiniChannelConfig, pc: WechatMiniPluginConfig): WechatInboundConfig => wechatInboundConfig(c, pc.maxClockSkewSeconds);

export function createWechatMiniAdapter(pc: WechatMiniPluginConfig) {
  const rules: CustomerServiceRules = {
    replyWindow: pc.replyWindow, enforceReplyWindow: pc.enforceReplyWindow, label: 'mini program reply window',
    eventWindow: (name) => (name === 'user_enter_tempsession' ? pc.enterWindow : null),
  };
  return defineChannel<typeof wechatMiniChannelConfig, WechatMiniPluginConfig>({
    type: 'wechat-mini',
    displayName: 'WeChat Mini Program customer service (小程序客服)',
    capabilities: {
      ...DEFAULT_CAPABILITIES,
      media: true,
      // custom send text: 2048 bytes; 512 characters stay under it whatever they are (at most 4 bytes each in UTF-8)
      maxTextLength: 512,
      sendWindow: pc.replyWindow,
      outboundKinds: ['text', 'image', 'link', 'card'],
      ackDeadlineMs: 5000,
      maxBodyBytes: 256 * 1024,
    },
    configSchema: wechatMiniChannelConfig,
    verify: (req, config) => verifyWechatRequest(req, inbound(config, pc)),
    replayKey: (req, config) => wechatReplayKey(req, inbound(config, pc)),
    parse(req, config) {
      if (req.method.toUpperCase() === 'GET') return [];
      const { fields } = readWechatMessage(req, inbound(config, pc));
      return [wechatEvent(fields, 'wechat-mini', req.receivedAt)];
    },
    respond: (req, _events, config) => textResponse(req.method.toUpperCase() === 'GET' ? echoFor(req, inbound(config, pc)) : 'success'),
    receive: (events, ctx) => openReplyWindows(events, ctx, rules),
    send: (message, ctx) => sendCustomerServiceMessage(message, ctx, 'wechat-mini', rules),
  });
}

export default definePlugin({
  manifest: { id: 'channel-wechat-mini', kind: 'channel', version: '1.0.0', apiVersion: SDK_API_VERSION, capabilities: ['http', 'kv'], description: 'WeChat Mini Program customer-service messages (XML or JSON push)' },
  configSchema: wechatMiniPluginConfig,
  register(host) {
    host.channels.register(createWechatMiniAdapter(host.config));
  },
});

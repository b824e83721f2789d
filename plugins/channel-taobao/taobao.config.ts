import { secret, z } from '../sdk/index.js';

export const taobaoPluginConfig = z.object({
  /** TOP gateway; requests go to `<apiBaseUrl>/router/rest`. */
  apiBaseUrl: z.string().url().default('https://eco.taobao.com'),
  httpTimeoutMs: z.number().int().positive().default(10_000),
  /** TOP accepts timestamps within ±10 minutes. */
  maxClockSkewSeconds: z.number().int().min(0).default(600),
  /** Look orders up (taobao.trade.fullinfo.get) to give agents the order with each order message. */
  lookupOrders: z.boolean().default(true),
});
export type TaobaoPluginConfig = z.output<typeof taobaoPluginConfig>;

/** Names of the Taobao open platform console (应用管理 → App Key / App Secret) and the shop's authorisation. */
export const taobaoChannelConfig = z.object({
  appKey: z.string().regex(/^\d{6,12}$/, 'must be the numeric App Key'),
  appSecret: secret(z.string().min(16, 'must be the App Secret')),
  /** The shop's session key (SessionKey from 授权), for order look-ups. */
  sessionKey: secret(z.string().min(8)).optional(),
  /** The shop's nick: when set, messages of other shops on the same app key (TMC user_nick, seller_nick) are dropped. */
  sellerNick: z.string().min(1).optional(),
  signMethod: z.enum(['md5', 'hmac', 'hmac-sha256']).default('md5'),
  /**
   * Pull TMC messages from TOP (taobao.tmc.messages.consume, then .confirm) instead of waiting for a relay to
   * POST them. Both paths can run at once: a message has the same dedupe key on each.
   */
  tmcPull: z.boolean().default(false),
  /** The TMC user group (taobao.tmc.group.add); `default` is the app's default group (no group_name sent). */
  tmcGroup: z.string().regex(/^[A-Za-z0-9_-]{1,32}$/, 'must be a TMC group name (letters, digits, _ and -, at most 32)').default('default'),
  /** Messages per consume call (TOP: 10 to 200). */
  tmcBatchSize: z.number().int().min(10).max(200).default(100),
});
export type TaobaoChannelConfig = z.output<typeof taobaoChannelConfig>;

import { secret, z } from '../sdk/index.js';
import { ENCODING_AES_KEY } from './wechat.crypto.js';
import type { WechatInboundConfig } from './wechat.inbound.js';

/** A send window: at most maxMessages within `hours` after the opening event. */
export const windowRule = z.object({ hours: z.number().positive(), maxMessages: z.number().int().positive() });

/**
 * The channel config of a WeChat account (official account or mini program), with the console's own names.
 * 明文 plaintext / 兼容 compatible / 安全 safe; default: compatible when encodingAESKey is set, else plaintext.
 */
export const wechatAccountConfig = z.object({
  appId: z.string().regex(/^wx[0-9A-Za-z]{16}$/, 'must be the 18-character AppID starting with wx'),
  appSecret: secret(z.string().min(16, 'must be the AppSecret from the console')),
  token: secret(z.string().regex(/^[A-Za-z0-9]{3,32}$/, 'must be the 3–32 letters and digits set as Token in the console')),
  encodingAESKey: secret(z.string().regex(ENCODING_AES_KEY, 'must be the 43-character EncodingAESKey')).optional(),
  mode: z.enum(['plaintext', 'compatible', 'safe']).optional(),
}).refine((c) => !c.mode || c.mode === 'plaintext' || !!c.encodingAESKey, { message: 'compatible and safe mode need the encodingAESKey', path: ['encodingAESKey'] });
export type WechatAccountConfig = z.output<typeof wechatAccountConfig>;

/** What the shared inbound code (signature, decryption, echo) needs from the account and plugin configs. */
export function wechatInboundConfig(c: WechatAccountConfig, maxClockSkewSeconds: number): WechatInboundConfig {
  return { token: c.token, appId: c.appId, encodingAESKey: c.encodingAESKey, mode: c.mode ?? (c.encodingAESKey ? 'compatible' : 'plaintext'), maxClockSkewSeconds };
}

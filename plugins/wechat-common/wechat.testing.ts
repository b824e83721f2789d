import * as wecom from '@wecom/crypto';
import type { InboundRequest } from '../sdk/channel.js';
import { wechatSignature } from './wechat.crypto.js';

export interface WechatPushOptions {
  token: string;
  appId: string;
  encodingAESKey?: string;
  /** plaintext: body as is; compatible: plaintext fields + Encrypt; safe: Encrypt only. */
  mode: 'plaintext' | 'compatible' | 'safe';
  /** The plaintext message (XML or JSON). */
  body: string;
  timestamp?: string;
  nonce?: string;
  /** Default: the timestamp. */
  receivedAt?: Date;
  /** Outer envelope format for encrypted modes. */
  format?: 'xml' | 'json';
  /** Leave out the plain `signature` (WeCom callbacks carry only msg_signature). */
  withoutPlainSignature?: boolean;
}

/**
 * A push as WeChat sends it, encrypted with @wecom/crypto (an implementation independent of ours), so
 * the fixtures do not just mirror our own code.
 */
export function wechatPush(o: WechatPushOptions): InboundRequest {
  const timestamp = o.timestamp ?? '1409735669';
  const nonce = o.nonce ?? '1320562132';
  const query: Record<string, string> = { timestamp, nonce };
  if (!o.withoutPlainSignature) query.signature = wechatSignature(o.token, timestamp, nonce);
  let raw = o.body;
  if (o.mode !== 'plaintext') {
    const enc = wecom.encrypt(o.encodingAESKey!, o.body, o.appId);
    query.encrypt_type = 'aes';
    query.msg_signature = wecom.getSignature(o.token, timestamp, nonce, enc);
    if ((o.format ?? 'xml') === 'json') {
      let plain: Record<string, unknown> = {};
      try { const v = JSON.parse(o.body); if (v && typeof v === 'object' && !Array.isArray(v)) plain = v; } catch { /* not JSON: send the ciphertext only */ }
      raw = JSON.stringify(o.mode === 'compatible' ? { ...plain, Encrypt: enc } : { ToUserName: plain.ToUserName ?? 'gh_test', Encrypt: enc });
    } else {
      const to = /<ToUserName><!\[CDATA\[(.*?)]]>/.exec(o.body)?.[1] ?? 'gh_test';
      raw = o.mode === 'compatible'
        ? o.body.replace(/<\/xml>\s*$/, `<Encrypt><![CDATA[${enc}]]></Encrypt></xml>`)
        : `<xml><ToUserName><![CDATA[${to}]]></ToUserName><Encrypt><![CDATA[${enc}]]></Encrypt></xml>`;
    }
  }
  return {
    method: 'POST',
    path: '/webhooks/wx',
    query,
    headers: { 'content-type': (o.format ?? 'xml') === 'json' ? 'application/json' : 'text/xml' },
    rawBody: Buffer.from(raw),
    receivedAt: o.receivedAt ?? new Date(Number(timestamp) * 1000),
  };
}

/** WeChat's XML for a plaintext message (§1.2). */
export function wechatXml(fields: Record<string, string | number>): string {
  return '<xml>' + Object.entries(fields).map(([k, v]) => (typeof v === 'number' ? `<${k}>${v}</${k}>` : `<${k}><![CDATA[${v}]]></${k}>`)).join('\n') + '</xml>';
}

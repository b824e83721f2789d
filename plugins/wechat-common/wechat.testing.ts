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

/** A customer's text message as a safe-mode push stamped now (a fresh nonce each); `badSignature` forges its msg_signature. */
export function safeTextPush(account: { token: string; appId: string; encodingAESKey: string }, o: { to: string; from: string; text: string; msgId: string; badSignature?: boolean }): InboundRequest {
  const ts = String(Math.floor(Date.now() / 1000));
  const body = wechatXml({ ToUserName: o.to, FromUserName: o.from, CreateTime: Number(ts), MsgType: 'text', Content: o.text, MsgId: o.msgId });
  const req = wechatPush({ token: account.token, appId: account.appId, encodingAESKey: account.encodingAESKey, mode: 'safe', body, timestamp: ts, nonce: String(Math.floor(Math.random() * 1e9)) });
  if (o.badSignature) req.query.msg_signature = '0'.repeat(40);
  return req;
}

/** Posts a push to a webhook URL as WeChat does (its query string, an XML body); the answer's status and text. */
export async function postPush(webhookUrl: string, req: Pick<InboundRequest, 'query' | 'rawBody'>): Promise<{ status: number; body: string }> {
  const res = await fetch(`${webhookUrl}?${new URLSearchParams(req.query)}`, { method: 'POST', headers: { 'content-type': 'text/xml' }, body: new Uint8Array(req.rawBody) });
  return { status: res.status, body: await res.text() };
}

import type { InboundRequest } from '../sdk/channel.js';
import { assertFreshTimestamp, safeEqual } from '../sdk/crypto.js';
import { authError, badRequest } from '../sdk/errors.js';
import { idString, parseJsonLossless } from '../sdk/json.js';
import type { InboundEvent, MessageContent } from '../sdk/messages.js';
import { timestampNonceReplayKey } from '../sdk/webhook-signature.js';
import { WechatCrypto, wechatSignature } from './wechat.crypto.js';
import { field, parseWechatXml, type XmlFields } from './wechat.xml.js';

/** 明文 / 兼容 / 安全: plaintext, compatible (plaintext fields + Encrypt), safe (ciphertext only). */
export type WechatMode = 'plaintext' | 'compatible' | 'safe';

export interface WechatInboundConfig {
  token: string;
  /** appid (OA, mini program) or corpid (WeCom): the id trailing every decrypted message. */
  appId: string;
  encodingAESKey?: string;
  mode: WechatMode;
  maxClockSkewSeconds: number;
}

const cryptos = new Map<string, WechatCrypto>();

export function cryptoFor(c: WechatInboundConfig): WechatCrypto | null {
  if (!c.encodingAESKey) return null;
  const k = `${c.token}\0${c.encodingAESKey}\0${c.appId}`;
  let x = cryptos.get(k);
  if (!x) {
    if (cryptos.size > 1000) cryptos.clear();
    cryptos.set(k, (x = new WechatCrypto(c.token, c.encodingAESKey, c.appId)));
  }
  return x;
}

type Outer = { fields: XmlFields; format: 'xml' | 'json' };
/** verify and parse both read the envelope of the same request: parsed once per body (read-only results). */
const outers = new WeakMap<Buffer, Outer>();

/** The outer body: XML or JSON (mini programs may push either). */
export function readOuter(req: InboundRequest): Outer {
  let outer = outers.get(req.rawBody);
  if (!outer) {
    outer = parseOuter(req);
    outers.set(req.rawBody, outer);
  }
  return outer;
}

function parseOuter(req: InboundRequest): Outer {
  const text = req.rawBody.toString('utf8').trim();
  if (!text) throw badRequest('empty body');
  if (text.startsWith('{')) {
    const v = parseJsonLossless(text);
    if (!v || typeof v !== 'object' || Array.isArray(v)) throw badRequest('JSON body must be an object');
    return { fields: v as XmlFields, format: 'json' };
  }
  return { fields: parseWechatXml(text), format: 'xml' };
}

/**
 * Authenticates a push. GET (URL verification): `signature` over token/timestamp/nonce, or `msg_signature`
 * over the encrypted echostr. POST: `signature` when present (required outside safe mode), `msg_signature`
 * over `Encrypt` when the body is encrypted (required in compatible and safe mode: the plain signature does not
 * cover the body). The timestamp must be within `maxClockSkewSeconds` of receipt (replays).
 */
/**
 * SDK 1.5 replayKey: in plaintext mode WeChat's signature covers the timestamp and nonce, not the body, so the host
 * binds them to the first body they came with. Encrypted pushes need none: msg_signature covers the ciphertext.
 */
export function wechatReplayKey(req: InboundRequest, c: Pick<WechatInboundConfig, 'mode' | 'maxClockSkewSeconds'>): { key: string; ttlSeconds: number } | undefined {
  return req.method.toUpperCase() === 'POST' && c.mode === 'plaintext' ? timestampNonceReplayKey(req, c.maxClockSkewSeconds) : undefined;
}

export function verifyWechatRequest(req: InboundRequest, c: WechatInboundConfig): void {
  const q = req.query;
  const method = req.method.toUpperCase();
  if (method !== 'GET' && method !== 'POST') throw badRequest(`method ${req.method} not supported`);
  if (q.timestamp === undefined || q.nonce === undefined) throw authError('missing timestamp or nonce');
  const plainOk = () => !!q.signature && safeEqual(q.signature.toLowerCase(), wechatSignature(c.token, q.timestamp, q.nonce));
  if (method === 'GET') {
    if (q.echostr === undefined) throw badRequest('GET without echostr');
    if (q.msg_signature) {
      const crypto = cryptoFor(c);
      if (!crypto) throw authError('msg_signature given but no encodingAESKey is configured');
      crypto.verify(q.msg_signature, q.timestamp, q.nonce, q.echostr);
    } else if (!plainOk()) throw authError('signature mismatch');
    assertFreshTimestamp(q.timestamp, req.receivedAt, c.maxClockSkewSeconds);
    return;
  }
  if (q.signature !== undefined && !plainOk()) throw authError('signature mismatch');
  const { fields } = readOuter(req);
  const encrypt = typeof fields.Encrypt === 'string' ? fields.Encrypt : undefined;
  if (encrypt !== undefined) {
    const crypto = cryptoFor(c);
    if (!crypto) throw authError('encrypted message but no encodingAESKey is configured');
    crypto.verify(q.msg_signature, q.timestamp, q.nonce, encrypt);
  } else {
    // Compatible mode's pushes carry the ciphertext beside the plaintext; one without it would be trusted on the plain
    // signature alone, which covers the timestamp and nonce but not the body (a replayed query could carry any body).
    // The console shows an EncodingAESKey in every mode, and a pasted key without `mode` means compatible: say so,
    // since the URL check passed and only the customers' messages fail.
    if (c.mode !== 'plaintext') throw authError(`${c.mode} mode: the body must carry Encrypt (if the console's 消息加解密方式 is 明文模式, set the channel's mode to plaintext)`);
    if (q.signature === undefined) throw authError('missing signature');
  }
  assertFreshTimestamp(q.timestamp, req.receivedAt, c.maxClockSkewSeconds);
}

/** The message fields after decryption (compatible mode prefers the authenticated ciphertext). */
export function readWechatMessage(req: InboundRequest, c: WechatInboundConfig): { fields: XmlFields; format: 'xml' | 'json'; encrypted: boolean } {
  const outer = readOuter(req);
  const encrypt = typeof outer.fields.Encrypt === 'string' ? outer.fields.Encrypt : undefined;
  if (encrypt === undefined) return { ...outer, encrypted: false };
  const crypto = cryptoFor(c);
  if (!crypto) throw authError('encrypted message but no encodingAESKey is configured');
  const inner = crypto.decrypt(encrypt).message.trim();
  if (inner.startsWith('{')) {
    const v = parseJsonLossless(inner);
    if (!v || typeof v !== 'object' || Array.isArray(v)) throw badRequest('decrypted JSON must be an object');
    return { fields: v as XmlFields, format: 'json', encrypted: true };
  }
  return { fields: parseWechatXml(inner), format: 'xml', encrypted: true };
}

/** The echostr to answer a GET verification with (decrypted when it was encrypted). */
export function echoFor(req: InboundRequest, c: WechatInboundConfig): string {
  const echostr = req.query.echostr ?? '';
  if (req.query.msg_signature) return cryptoFor(c)!.decrypt(echostr).message;
  return echostr;
}

const num = (s: string) => {
  const n = Number(s);
  return Number.isFinite(n) ? n : undefined;
};

function createdAt(f: XmlFields, fallback: Date): Date {
  const t = field(f, 'CreateTime');
  if (!/^\d{1,13}$/.test(t)) return fallback;
  return new Date(t.length >= 13 ? Number(t) : Number(t) * 1000);
}

/**
 * Events that tell of the user without them reaching out (SDK 1.4 `signal`): an unfollow, the automatic location
 * report of an account that asks for it (every few seconds while the chat is open), a menu link or mini program
 * opened, the platform's report of a template or mass send. Menu clicks (`click`), follows and scans still open a
 * conversation: the bot answers them.
 */
const SIGNAL_EVENTS = new Set(['unsubscribe', 'location', 'view', 'view_miniprogram', 'templatesendjobfinish', 'masssendjobfinish']);

/** Normalised event names: subscribe, unsubscribe, scan, click, view, location, user_enter_tempsession... */
export const eventName = (e: string) => e.trim().replace(/([a-z0-9])([A-Z])/g, '$1_$2').toLowerCase() || 'unknown';

/**
 * One WeChat push (OA or mini program; XML or JSON, same field names) as an InboundEvent. Unknown message
 * types become an `unsupported` event rather than being dropped.
 */
export function wechatEvent(f: XmlFields, channelType: string, receivedAt: Date): InboundEvent {
  const from = field(f, 'FromUserName');
  const to = field(f, 'ToUserName');
  const msgType = field(f, 'MsgType');
  if (!from || !msgType) throw badRequest('message without FromUserName or MsgType');
  const msgId = idString(f.MsgId);
  const sentAt = createdAt(f, receivedAt);
  let content: MessageContent;
  switch (msgType) {
    case 'text':
      content = { kind: 'text', text: field(f, 'Content') };
      break;
    case 'image':
      content = { kind: 'image', url: field(f, 'PicUrl') || undefined, mediaId: field(f, 'MediaId') || undefined };
      break;
    case 'voice':
      content = { kind: 'voice', mediaId: field(f, 'MediaId') || undefined, format: field(f, 'Format') || undefined, recognition: field(f, 'Recognition') || undefined };
      break;
    case 'video':
    case 'shortvideo':
      content = { kind: 'video', mediaId: field(f, 'MediaId') || undefined, thumbMediaId: field(f, 'ThumbMediaId') || undefined };
      break;
    case 'location': {
      const lat = num(field(f, 'Location_X'));
      const lng = num(field(f, 'Location_Y'));
      if (lat === undefined || lng === undefined || Math.abs(lat) > 90 || Math.abs(lng) > 180) throw badRequest('location without valid Location_X/Location_Y');
      content = { kind: 'location', latitude: lat, longitude: lng, scale: num(field(f, 'Scale')), label: field(f, 'Label') || undefined };
      break;
    }
    case 'link':
      content = { kind: 'link', url: field(f, 'Url'), title: field(f, 'Title') || undefined, description: field(f, 'Description') || undefined };
      break;
    case 'miniprogrampage':
      content = { kind: 'card', title: field(f, 'Title'), appId: field(f, 'AppId') || undefined, pagePath: field(f, 'PagePath') || undefined, thumbUrl: field(f, 'ThumbUrl') || undefined, thumbMediaId: field(f, 'ThumbMediaId') || undefined };
      break;
    case 'event': {
      const name = eventName(field(f, 'Event'));
      const key = field(f, 'EventKey');
      const data: Record<string, unknown> = {};
      for (const k of ['Ticket', 'Latitude', 'Longitude', 'Precision', 'SessionFrom', 'MenuId']) if (field(f, k)) data[k[0].toLowerCase() + k.slice(1)] = field(f, k);
      // a new follower from a scene QR code: EventKey is qrscene_<scene>
      if (name === 'subscribe' && key.startsWith('qrscene_')) data.scene = key.slice('qrscene_'.length);
      if (name === 'scan' && key) data.scene = key;
      content = { kind: 'event', name, key: key || undefined, data: Object.keys(data).length ? data : undefined };
      break;
    }
    default:
      content = { kind: 'event', name: 'unsupported', key: msgType };
  }
  const eventKey = content.kind === 'event' ? content.name : '';
  const context: Record<string, string> = {};
  if (to) context.account = to;
  const sessionFrom = field(f, 'SessionFrom');
  if (sessionFrom) context.sessionFrom = sessionFrom;
  if (content.kind === 'event' && typeof content.data?.scene === 'string') context.scene = content.data.scene;
  return {
    channelType,
    externalMessageId: msgId,
    // WeChat: dedupe messages by MsgId, events by FromUserName + CreateTime
    dedupeKey: msgId ? `msg:${msgId}` : `evt:${from}:${field(f, 'CreateTime')}:${eventKey}`,
    sender: { channelType, externalId: from },
    origin: 'customer',
    content,
    sentAt,
    receivedAt,
    context: Object.keys(context).length ? context : undefined,
    ...(content.kind === 'event' && SIGNAL_EVENTS.has(content.name) ? { signal: true } : {}),
    raw: { ...f },
  };
}

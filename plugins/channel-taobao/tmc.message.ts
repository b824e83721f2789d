import { badRequest, idString, parseJsonLossless, type InboundEvent, type InboundRequest, type MessageContent } from '../sdk/index.js';
import type { Json } from './top.api.js';
import { parseTopTime } from './top.sign.js';

const TRADE_STATUS: Record<string, string> = {
  TradeCreate: 'created', TradeBuyerPay: 'paid', TradeSellerShip: 'shipped', TradePartlySellerShip: 'partly_shipped', TradeSuccess: 'finished',
  TradeClose: 'closed', TradeCloseAndModifyDetailOrder: 'closed', TradeChanged: 'changed', TradeMemoModified: 'memo_changed', TradeAlipayCreate: 'created', TradeRated: 'rated',
};

/** The messages of a relay's push: one message, an array, or `{ messages: [...] }`. */
export function pushedItems(req: InboundRequest): Json[] {
  const v = parseJsonLossless(req.rawBody.toString('utf8'));
  const list = Array.isArray(v) ? v : v && typeof v === 'object' && Array.isArray(v.messages) ? v.messages : v && typeof v === 'object' ? [v] : null;
  if (!list || list.length === 0) throw badRequest('Taobao push must be a message, an array of messages or { messages: [...] }');
  if (list.length > 500) throw badRequest('too many messages in one push');
  for (const m of list) if (!m || typeof m !== 'object' || Array.isArray(m)) throw badRequest('each Taobao message must be an object');
  return list;
}

const text = (v: unknown): string | undefined => (typeof v === 'string' && v ? v : undefined);

/** Taobao masks buyer nicks nowadays (`t**1`): one masked nick stands for many buyers. */
export const isMaskedNick = (nick: string): boolean => nick.includes('*');

/** The sender of an order's messages while nothing names its buyer; `receive` swaps it for the order's buyer_open_uid. */
export const orderIdentity = (tid: string): string => `order:${tid}`;

/**
 * Who the buyer is: buyer_open_uid (stable), else an unmasked nick (what customers were keyed on before Taobao
 * masked nicks, so they keep their history), else the order. A masked nick would merge unrelated buyers into one
 * customer: it is only the display name.
 */
function buyer(content: Json, tid: string | undefined) {
  const nick = text(content.buyer_nick);
  const openUid = text(content.buyer_open_uid);
  const externalId = openUid ?? (nick && !isMaskedNick(nick) ? nick : undefined) ?? (tid ? orderIdentity(tid) : undefined);
  return { externalId, nick, openUid };
}

/** The message's content: TOP sends a JSON string; a relay may send the object. */
function tmcContent(m: Json): Json {
  if (typeof m.content === 'string' && m.content) {
    const c = parseJsonLossless(m.content);
    if (!c || typeof c !== 'object' || Array.isArray(c)) throw badRequest('TMC content is not a JSON object');
    return c;
  }
  return m.content && typeof m.content === 'object' ? m.content : {};
}

/**
 * True when `sellerNick` is set and the message names another shop (TMC `user_nick`, content or question
 * `seller_nick`): one app key can serve several shops, and their orders and buyers must not reach this channel.
 * A message that names no shop is kept. Unreadable content is left to tmcEvent to report.
 */
export function ofOtherShop(m: Json, sellerNick: string | undefined): boolean {
  if (!sellerNick || !m || typeof m !== 'object') return false;
  let content: Json = {};
  // a question's content is the buyer's text, not JSON
  if (typeof m.topic === 'string') try { content = tmcContent(m); } catch { /* reported by tmcEvent */ }
  return [m.user_nick, m.seller_nick, content.seller_nick].some((nick) => text(nick) !== undefined && nick !== sellerNick);
}

/**
 * A TMC message (§4: {id, topic, pub_app_key, pub_time, user_id, user_nick, content}) as an order event. The
 * same function serves relayed pushes and pulled batches, so a message has the dedupe key `tmc:<id>` on both.
 */
export function tmcEvent(m: Json, receivedAt: Date): InboundEvent {
  if (!m || typeof m !== 'object' || Array.isArray(m)) throw badRequest('TMC message is not an object');
  const id = idString(m.id);
  const topic = typeof m.topic === 'string' ? m.topic : '';
  if (!id || !topic) throw badRequest('TMC message without id or topic');
  const content = tmcContent(m);
  const tid = idString(content.tid);
  const who = buyer(content, tid);
  if (!who.externalId) throw badRequest(`${topic} without tid or an unmasked buyer`);
  const [, group, name] = /^taobao_(trade|refund|[a-z]+)_(.+)$/.exec(topic) ?? [];
  let c: MessageContent;
  if ((group === 'trade' || group === 'refund') && tid) {
    c = {
      kind: 'order', action: group, orderId: tid, topic,
      status: typeof content.status === 'string' ? content.status : group === 'trade' ? TRADE_STATUS[name] : name,
      subOrderIds: content.oid !== undefined ? String(idString(content.oid) ?? '').split(',').filter(Boolean) : undefined,
      refundId: idString(content.refund_id),
      amount: idString(content.payment) ?? idString(content.refund_fee),
    };
  } else {
    c = { kind: 'event', name: 'tmc', key: topic, data: { ...content } };
  }
  const context: Record<string, string> = {};
  if (tid) context.tid = tid;
  if (who.nick) context.buyerNick = who.nick;
  const seller = typeof content.seller_nick === 'string' ? content.seller_nick : typeof m.user_nick === 'string' ? m.user_nick : undefined;
  if (seller) context.sellerNick = seller;
  return {
    channelType: 'taobao',
    externalMessageId: id,
    dedupeKey: `tmc:${id}`,
    sender: { channelType: 'taobao', externalId: who.externalId, displayName: who.nick },
    origin: 'system',
    content: c,
    sentAt: parseTopTime(m.pub_time) ?? receivedAt,
    receivedAt,
    context,
    raw: { ...m, content },
  };
}

/** A buyer's question about an order, relayed from 千牛 (no public chat push API): {type:"order_query", msg_id, tid, buyer_nick, content}. */
export function questionEvent(m: Json, receivedAt: Date): InboundEvent {
  const id = idString(m.msg_id);
  const tid = idString(m.tid);
  const who = buyer(m, tid);
  // the tid alone would do as identity, but agents need to see whose question it is
  if (!id || !tid || !who.externalId || !(who.nick || who.openUid)) throw badRequest('order_query needs msg_id, tid and buyer_nick');
  const text = typeof m.content === 'string' ? m.content : typeof m.text === 'string' ? m.text : '';
  return {
    channelType: 'taobao',
    externalMessageId: id,
    dedupeKey: `q:${id}`,
    sender: { channelType: 'taobao', externalId: who.externalId, displayName: who.nick },
    origin: 'customer',
    content: { kind: 'order', action: 'query', orderId: tid, text },
    sentAt: parseTopTime(m.created) ?? receivedAt,
    receivedAt,
    context: { tid, ...(who.nick ? { buyerNick: who.nick } : {}) },
    raw: { ...m },
  };
}

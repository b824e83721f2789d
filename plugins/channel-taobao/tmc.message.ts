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

function buyer(content: Json, fallback: string | undefined) {
  const nick = typeof content.buyer_nick === 'string' && content.buyer_nick ? content.buyer_nick : undefined;
  const openUid = typeof content.buyer_open_uid === 'string' && content.buyer_open_uid ? content.buyer_open_uid : undefined;
  // buyer_open_uid is stable; buyer_nick is masked on newer apps but is what agents see
  const externalId = openUid ?? nick ?? fallback;
  return { externalId, nick };
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
  let content: Json = {};
  if (typeof m.content === 'string' && m.content) {
    const c = parseJsonLossless(m.content);
    if (!c || typeof c !== 'object' || Array.isArray(c)) throw badRequest('TMC content is not a JSON object');
    content = c;
  } else if (m.content && typeof m.content === 'object') content = m.content;
  const tid = idString(content.tid);
  const who = buyer(content, tid ? `order:${tid}` : undefined);
  if (!who.externalId) throw badRequest(`${topic} without buyer or tid`);
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
  const who = buyer(m, undefined);
  if (!id || !tid || !who.externalId) throw badRequest('order_query needs msg_id, tid and buyer_nick');
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

import {
  ChannelError, DEFAULT_CAPABILITIES, SDK_API_VERSION, authError, badRequest, defineChannel, definePlugin, idString, jsonResponse, parseJsonLossless,
  safeEqual, secret, z, type ChannelContext, type InboundEvent, type InboundRequest, type MessageContent,
} from '../sdk/index.js';
import { parseTopTime, topSign, topTimestamp, type TopSignMethod } from './top.sign.js';

export { topSign, topTimestamp, parseTopTime } from './top.sign.js';

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
  sellerNick: z.string().min(1).optional(),
  signMethod: z.enum(['md5', 'hmac', 'hmac-sha256']).default('md5'),
});
export type TaobaoChannelConfig = z.output<typeof taobaoChannelConfig>;

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

const TRADE_STATUS: Record<string, string> = {
  TradeCreate: 'created', TradeBuyerPay: 'paid', TradeSellerShip: 'shipped', TradePartlySellerShip: 'partly_shipped', TradeSuccess: 'finished',
  TradeClose: 'closed', TradeCloseAndModifyDetailOrder: 'closed', TradeChanged: 'changed', TradeMemoModified: 'memo_changed', TradeAlipayCreate: 'created', TradeRated: 'rated',
};

function items(req: InboundRequest): Json[] {
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

/** A TMC message (§4: {id, topic, pub_app_key, pub_time, user_id, user_nick, content}) as an order event. */
function tmcEvent(m: Json, receivedAt: Date): InboundEvent {
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
function questionEvent(m: Json, receivedAt: Date): InboundEvent {
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

/** One TOP API call (POST form to /router/rest), signed; TOP errors mapped to typed errors. */
export async function topCall(ctx: ChannelContext<TaobaoPluginConfig, TaobaoChannelConfig>, method: string, params: Record<string, string>): Promise<Json> {
  const cfg = ctx.channel.config;
  const all: Record<string, string> = {
    method, app_key: cfg.appKey, timestamp: topTimestamp(ctx.clock.now()), format: 'json', v: '2.0', sign_method: cfg.signMethod,
    ...(cfg.sessionKey ? { session: cfg.sessionKey } : {}), ...params,
  };
  all.sign = topSign(all, cfg.appSecret, cfg.signMethod as TopSignMethod);
  const res = await ctx.http.request({ method: 'POST', url: '/router/rest', headers: { 'content-type': 'application/x-www-form-urlencoded;charset=utf-8' }, body: new URLSearchParams(all).toString() });
  if (res.status === 429) throw new ChannelError('RATE_LIMITED', `${method}: HTTP 429`, { platformCode: 429 });
  if (res.status >= 500) throw new ChannelError('UNAVAILABLE', `${method}: HTTP ${res.status}`, { platformCode: res.status });
  const r = res.json<Json>();
  const e = r?.error_response;
  if (e) {
    const code = Number(e.code);
    const message = `${method}: TOP error ${code} ${e.sub_code ?? ''} ${String(e.sub_msg ?? e.msg ?? '').slice(0, 200)}`.trim();
    if ([25, 26, 27, 11, 12, 28, 29].includes(code)) throw new ChannelError('AUTH', message, { platformCode: code });
    if (code === 7) throw new ChannelError('RATE_LIMITED', message, { platformCode: code, retryAfterMs: 60_000 });
    if ([15, 520].includes(code) && !String(e.sub_code ?? '').startsWith('isv.')) throw new ChannelError('UNAVAILABLE', message, { platformCode: code });
    throw new ChannelError('BAD_REQUEST', message, { platformCode: code });
  }
  return r;
}

const ORDER_FIELDS = 'tid,status,type,payment,total_fee,post_fee,created,pay_time,consign_time,end_time,seller_nick,orders.oid,orders.title,orders.num,orders.price,orders.status,orders.refund_status';

/** The order (taobao.trade.fullinfo.get), without the buyer's address or other personal data. */
export async function lookupOrder(ctx: ChannelContext<TaobaoPluginConfig, TaobaoChannelConfig>, tid: string): Promise<Record<string, unknown>> {
  const r = await topCall(ctx, 'taobao.trade.fullinfo.get', { fields: ORDER_FIELDS, tid });
  const t = (r.trade_fullinfo_get_response?.trade ?? {}) as Json;
  const orders = (t.orders?.order ?? []) as Json[];
  return {
    tid: idString(t.tid) ?? tid, status: t.status, type: t.type, payment: t.payment, totalFee: t.total_fee, postFee: t.post_fee,
    created: t.created, payTime: t.pay_time, consignTime: t.consign_time, endTime: t.end_time,
    items: orders.map((o) => ({ oid: idString(o.oid), title: o.title, num: o.num, price: o.price, status: o.status, refundStatus: o.refund_status })),
  };
}

export function createTaobaoAdapter(pc: TaobaoPluginConfig) {
  return defineChannel<typeof taobaoChannelConfig, TaobaoPluginConfig>({
    type: 'taobao',
    displayName: 'Taobao / Tmall (TMC order messages, buyer questions)',
    // no public API sends chat messages to buyers (千牛/旺旺): Taobao is inbound order context only
    capabilities: { ...DEFAULT_CAPABILITIES, outbound: false, outboundKinds: [], maxTextLength: 2000, ackDeadlineMs: 5000, maxBodyBytes: 1024 * 1024 },
    configSchema: taobaoChannelConfig,

    /** The relay signs its POST like a TOP request: query app_key, timestamp, sign_method, sign over the query plus the raw body. */
    verify(req, config) {
      if (req.method.toUpperCase() !== 'POST') throw badRequest(`method ${req.method} not supported`);
      const q = req.query;
      if (!q.sign || !q.timestamp) throw authError('missing sign or timestamp');
      if (q.app_key !== config.appKey) throw authError('app_key does not match the channel');
      const method = (q.sign_method ?? 'md5') as TopSignMethod;
      if (!['md5', 'hmac', 'hmac-sha256'].includes(method)) throw authError('unsupported sign_method');
      if (!safeEqual(q.sign.toUpperCase(), topSign(q, config.appSecret, method, req.rawBody.toString('utf8')))) throw authError('sign mismatch');
      const ts = parseTopTime(q.timestamp) ?? (/^\d{13}$/.test(q.timestamp) ? new Date(Number(q.timestamp)) : undefined);
      if (!ts) throw authError('invalid timestamp');
      if (pc.maxClockSkewSeconds > 0 && Math.abs(ts.getTime() - req.receivedAt.getTime()) > pc.maxClockSkewSeconds * 1000) throw authError('stale timestamp');
    },

    parse(req) {
      return items(req).map((m) => {
        if (typeof m.topic === 'string') return tmcEvent(m, req.receivedAt);
        if (m.type === 'order_query') return questionEvent(m, req.receivedAt);
        throw badRequest('unknown Taobao message (expected a TMC message with topic, or type "order_query")');
      });
    },

    respond: (_req, events) => jsonResponse({ success: true, received: events.length }),

    /** Gives order messages their order (best effort: a failed look-up is logged and the message kept). */
    async receive(events, ctx) {
      if (!pc.lookupOrders || !ctx.channel.config.sessionKey) return { events };
      const cache = new Map<string, Promise<Record<string, unknown> | undefined>>();
      const out: InboundEvent[] = [];
      for (const ev of events) {
        if (ev.content.kind !== 'order') { out.push(ev); continue; }
        const tid = ev.content.orderId;
        if (!cache.has(tid)) {
          cache.set(tid, lookupOrder(ctx, tid).catch((err) => {
            ctx.logger.warn({ code: (err as ChannelError).code, platformCode: (err as ChannelError).platformCode }, 'order look-up failed');
            return undefined;
          }));
        }
        const details = await cache.get(tid);
        out.push(details ? { ...ev, content: { ...ev.content, details } } : ev);
      }
      return { events: out };
    },

    async send() {
      throw new ChannelError('BAD_REQUEST', 'Taobao has no public API to message buyers; reply in 千牛');
    },
  });
}

export default definePlugin({
  manifest: { id: 'channel-taobao', kind: 'channel', version: '1.0.0', apiVersion: SDK_API_VERSION, capabilities: ['http'], description: 'Taobao/Tmall TMC trade and refund messages, buyer order questions, TOP order look-ups' },
  configSchema: taobaoPluginConfig,
  register(host) {
    host.channels.register(createTaobaoAdapter(host.config));
  },
});

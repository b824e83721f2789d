import { ChannelError, idString, type ChannelContext } from '../sdk/index.js';
import type { TaobaoChannelConfig, TaobaoPluginConfig } from './taobao.config.js';
import { topSign, topTimestamp, type TopSignMethod } from './top.sign.js';

export type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any
export type TaobaoContext = ChannelContext<TaobaoPluginConfig, TaobaoChannelConfig>;

// TOP platform error codes (error_response.code) by what the caller can do about them. 7, 11, 12, 25-29 are
// the ones TOP SDKs and the existing look-up tests meet; 10 (service unavailable), 13, 24, 31 (timestamp) are
// from TOP's platform error list, not re-checked against a stored copy.
const AUTH_CODES = new Set([11, 12, 13, 24, 25, 26, 27, 28, 29, 31]);
const UNAVAILABLE_CODES = new Set([10, 15, 520]);

/**
 * A TOP `error_response` ({ code, msg, sub_code, sub_msg }) as a typed error: credentials/signing → AUTH;
 * call limits (code 7, sub_code `*limited*`) → RATE_LIMITED; `isp.*` sub-codes (TOP's own or the remote
 * service's failures: isp.top-remote-connection-timeout, isp.top-remote-service-unavailable...) and the
 * platform's "service unavailable"/remote errors → UNAVAILABLE; the rest (isv.* business and argument
 * errors) → BAD_REQUEST. Only codes and TOP's messages go into the text, never a parameter value.
 */
export function topError(method: string, e: Json): ChannelError {
  const code = Number(e.code);
  const sub = typeof e.sub_code === 'string' ? e.sub_code : '';
  const message = `${method}: TOP error ${Number.isFinite(code) ? code : '?'} ${sub} ${String(e.sub_msg ?? e.msg ?? '').slice(0, 200)}`.replace(/\s+/g, ' ').trim();
  const platformCode = Number.isFinite(code) ? code : sub || 'unknown';
  if (AUTH_CODES.has(code)) return new ChannelError('AUTH', message, { platformCode });
  if (code === 7 || /limited/i.test(sub)) return new ChannelError('RATE_LIMITED', message, { platformCode, retryAfterMs: 60_000 });
  if (sub.startsWith('isp.') || (UNAVAILABLE_CODES.has(code) && !sub.startsWith('isv.'))) return new ChannelError('UNAVAILABLE', message, { platformCode });
  return new ChannelError('BAD_REQUEST', message, { platformCode });
}

/**
 * One TOP API call (POST form to /router/rest), signed; TOP errors mapped to typed errors. `session: false`
 * leaves the shop's session key out (app-level APIs such as TMC need none).
 */
export async function topCall(ctx: TaobaoContext, method: string, params: Record<string, string>, options: { session?: boolean } = {}): Promise<Json> {
  const cfg = ctx.channel.config;
  const all: Record<string, string> = {
    method, app_key: cfg.appKey, timestamp: topTimestamp(ctx.clock.now()), format: 'json', v: '2.0', sign_method: cfg.signMethod,
    ...(cfg.sessionKey && options.session !== false ? { session: cfg.sessionKey } : {}), ...params,
  };
  all.sign = topSign(all, cfg.appSecret, cfg.signMethod as TopSignMethod);
  const res = await ctx.http.request({ method: 'POST', url: '/router/rest', headers: { 'content-type': 'application/x-www-form-urlencoded;charset=utf-8' }, body: new URLSearchParams(all).toString() });
  if (res.status === 429) throw new ChannelError('RATE_LIMITED', `${method}: HTTP 429`, { platformCode: 429 });
  if (res.status >= 500) throw new ChannelError('UNAVAILABLE', `${method}: HTTP ${res.status}`, { platformCode: res.status });
  let r: Json;
  try {
    r = res.json<Json>();
  } catch {
    // a gateway page instead of TOP's JSON: the platform, not our request, is at fault
    throw new ChannelError('UNAVAILABLE', `${method}: HTTP ${res.status} without a JSON body`, { platformCode: res.status });
  }
  if (!r || typeof r !== 'object') throw new ChannelError('UNAVAILABLE', `${method}: HTTP ${res.status} without a JSON object`, { platformCode: res.status });
  if (r.error_response) throw topError(method, r.error_response as Json);
  if (res.status >= 400) throw new ChannelError('BAD_REQUEST', `${method}: HTTP ${res.status}`, { platformCode: res.status });
  return r;
}

// buyer_open_uid comes back only when buyer_nick is asked for too; neither goes into the details
const ORDER_FIELDS = 'tid,status,type,payment,total_fee,post_fee,created,pay_time,consign_time,end_time,seller_nick,buyer_nick,buyer_open_uid,orders.oid,orders.title,orders.num,orders.price,orders.status,orders.refund_status';

export interface OrderLookup {
  /** What agents see: the order without the buyer's nick, address or other personal data. */
  details: Record<string, unknown>;
  /** The buyer's stable id for this app, the identity a masked nick cannot be. */
  buyerOpenUid?: string;
}

/** The order (taobao.trade.fullinfo.get) and its buyer's open uid. */
export async function lookupOrder(ctx: TaobaoContext, tid: string): Promise<OrderLookup> {
  const r = await topCall(ctx, 'taobao.trade.fullinfo.get', { fields: ORDER_FIELDS, tid });
  const t = (r.trade_fullinfo_get_response?.trade ?? {}) as Json;
  const orders = (t.orders?.order ?? []) as Json[];
  const details = {
    tid: idString(t.tid) ?? tid, status: t.status, type: t.type, payment: t.payment, totalFee: t.total_fee, postFee: t.post_fee,
    created: t.created, payTime: t.pay_time, consignTime: t.consign_time, endTime: t.end_time,
    items: orders.map((o) => ({ oid: idString(o.oid), title: o.title, num: o.num, price: o.price, status: o.status, refundStatus: o.refund_status })),
  };
  const uid = t.buyer_open_uid;
  return typeof uid === 'string' && uid ? { details, buyerOpenUid: uid } : { details };
}

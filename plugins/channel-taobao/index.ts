import {
  ChannelError, DEFAULT_CAPABILITIES, SDK_API_VERSION, authError, badRequest, defineChannel, definePlugin, jsonResponse, safeEqual, type ExternalIdentity, type InboundEvent,
} from '../sdk/index.js';
import { taobaoChannelConfig, type TaobaoPluginConfig, taobaoPluginConfig } from './taobao.config.js';
import { ofOtherShop, orderIdentity, pushedItems, questionEvent, tmcEvent } from './tmc.message.js';
import { pullTmc } from './tmc.pull.js';
import { lookupOrder, type OrderLookup } from './top.api.js';
import { parseTopTime, topSign, type TopSignMethod } from './top.sign.js';

export { taobaoChannelConfig, taobaoPluginConfig, type TaobaoChannelConfig, type TaobaoPluginConfig } from './taobao.config.js';
export { isMaskedNick, ofOtherShop, orderIdentity, questionEvent, tmcEvent } from './tmc.message.js';
export { confirmTmc, consumedMessages, pullTmc, TMC_CONFIRM, TMC_CONSUME } from './tmc.pull.js';
export { lookupOrder, topCall, topError, type OrderLookup } from './top.api.js';
export { topSign, topTimestamp, parseTopTime } from './top.sign.js';

/**
 * The per-order identity (a masked nick, tmc.message.ts) becomes the buyer's open uid once the order names it.
 * An open uid or unmasked nick from the message stays: customers keyed on unmasked nicks keep their history.
 */
function withOpenUid(sender: ExternalIdentity, tid: string, openUid: string | undefined): ExternalIdentity {
  return openUid && sender.externalId === orderIdentity(tid) ? { ...sender, externalId: openUid } : sender;
}

export function createTaobaoAdapter(pc: TaobaoPluginConfig) {
  return defineChannel<typeof taobaoChannelConfig, TaobaoPluginConfig>({
    type: 'taobao',
    displayName: 'Taobao / Tmall (TMC order messages, buyer questions)',
    // no public API sends chat messages to buyers (千牛/旺旺): Taobao is inbound order context only.
    // pull (SDK 1.1): TMC consume/confirm for channels with tmcPull, besides relayed pushes on the webhook.
    capabilities: { ...DEFAULT_CAPABILITIES, outbound: false, outboundKinds: [], maxTextLength: 2000, ackDeadlineMs: 5000, maxBodyBytes: 1024 * 1024, pull: true },
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

    /** Another shop's messages (`sellerNick`, see ofOtherShop) yield no event: the relay delivered more than this channel's. */
    parse(req, config) {
      return pushedItems(req).flatMap((m) => {
        if (ofOtherShop(m, config.sellerNick)) return [];
        if (typeof m.topic === 'string') return [tmcEvent(m, req.receivedAt)];
        if (m.type === 'order_query') return [questionEvent(m, req.receivedAt)];
        throw badRequest('unknown Taobao message (expected a TMC message with topic, or type "order_query")');
      });
    },

    respond: (_req, events) => jsonResponse({ success: true, received: events.length }),

    pullEnabled: (config) => config.tmcPull === true,

    /** One TMC batch (consume); `ack` confirms it once the host stored it. */
    pull: (ctx) => pullTmc(ctx),

    /**
     * Gives order messages their order, and a buyer known only by the order its open uid (best effort: a failed
     * look-up is logged and the message kept as it is).
     */
    async receive(events, ctx) {
      if (!pc.lookupOrders || !ctx.channel.config.sessionKey) return { events };
      const cache = new Map<string, Promise<OrderLookup | undefined>>();
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
        const found = await cache.get(tid);
        out.push(found ? { ...ev, sender: withOpenUid(ev.sender, tid, found.buyerOpenUid), content: { ...ev.content, details: found.details } } : ev);
      }
      return { events: out };
    },

    async send() {
      throw new ChannelError('BAD_REQUEST', 'Taobao has no public API to message buyers; reply in 千牛');
    },
  });
}

export default definePlugin({
  manifest: {
    id: 'channel-taobao', kind: 'channel', version: '1.1.0', apiVersion: SDK_API_VERSION, capabilities: ['http'],
    description: 'Taobao/Tmall TMC trade and refund messages (relayed or pulled), buyer order questions, TOP order look-ups',
  },
  configSchema: taobaoPluginConfig,
  register(host) {
    host.channels.register(createTaobaoAdapter(host.config));
  },
});

/**
 * TMC by pulling, without a relay: `taobao.tmc.messages.consume` hands out up to `quantity` (10–200) waiting
 * messages of the group, `taobao.tmc.messages.confirm` (`s_message_ids`, comma-separated, at most 200) marks
 * them consumed — confirmed ones are never returned again, unconfirmed ones are handed out again later.
 *
 * Shapes relied on (JSON, format=json, v=2.0):
 *   {"tmc_messages_consume_response":{"messages":{"tmc_message":[{"user_id":…,"user_nick":"…","content":"<JSON string>",
 *     "id":7104300007405429232,"pub_time":"2013-10-05 10:55:58","pub_app_key":"12499723","topic":"taobao_item_ItemStockChanged"}]},
 *     "request_id":"…"}}
 *   — alibaba/top test/fixtures/tmc_messages_consume_response.json (TOP's Node SDK; ids beyond 2^53, hence lossless
 *     parsing) and bububa/opentaobao model/tmc/TaobaoTmcMessagesConsumeAPIResponse.go (`tmc_messages_consume_response`,
 *     `request_id`, `messages>tmc_message`) and TmcMessage.go (id, topic, pub_app_key, pub_time, user_id, user_nick, content);
 *   request params: bububa/opentaobao TaobaoTmcMessagesConsumeAPIRequest.go (group_name: omitted = the default group,
 *     a name the app never created is an error; quantity: 10–200) and TaobaoTmcMessagesConfirmAPIRequest.go
 *     (group_name, s_message_ids: at most 200 ids; f_message_ids deprecated);
 *   {"tmc_messages_confirm_response":{"is_success":true,"request_id":"…"}} — TaobaoTmcMessagesConfirmAPIResponse.go;
 *   errors: {"error_response":{"code":27,"msg":"Invalid session","sub_code":"…","sub_msg":"…"}} (alibaba/top client.js).
 * Consumers in the wild read `messages.tmc_message` and treat a missing `messages` as an empty batch; some
 * gateways' simplified JSON gives `messages` as the array itself, accepted too.
 */
import { ChannelError, idString, isChannelError, type PulledItem, type PullResult } from '../sdk/index.js';
import { ofOtherShop, tmcEvent } from './tmc.message.js';
import { topCall, type Json, type TaobaoContext } from './top.api.js';

export const TMC_CONSUME = 'taobao.tmc.messages.consume';
export const TMC_CONFIRM = 'taobao.tmc.messages.confirm';
/** TOP takes at most 200 ids per confirm. */
const CONFIRM_CHUNK = 200;

const groupParam = (ctx: TaobaoContext): Record<string, string> => (ctx.channel.config.tmcGroup && ctx.channel.config.tmcGroup !== 'default' ? { group_name: ctx.channel.config.tmcGroup } : {});

/** The list inside a consume response: `messages.tmc_message` (array or a lone object), `messages` as an array, or nothing. */
export function consumedMessages(response: Json): unknown[] {
  const body = response.tmc_messages_consume_response;
  if (!body || typeof body !== 'object') throw new ChannelError('UNAVAILABLE', `${TMC_CONSUME}: response without tmc_messages_consume_response`);
  const m = (body as Json).messages;
  if (m === undefined || m === null || m === '') return [];
  if (Array.isArray(m)) return m;
  if (typeof m === 'object') {
    const list = (m as Json).tmc_message;
    if (list === undefined || list === null) return [];
    return Array.isArray(list) ? list : [list];
  }
  throw new ChannelError('UNAVAILABLE', `${TMC_CONSUME}: messages is neither a list nor { tmc_message }`);
}

/** Confirms consumed messages (chunks of 200). A refusal is retryable: unconfirmed messages come back and dedupe collapses them. */
export async function confirmTmc(ctx: TaobaoContext, ids: string[]): Promise<void> {
  for (let i = 0; i < ids.length; i += CONFIRM_CHUNK) {
    const chunk = ids.slice(i, i + CONFIRM_CHUNK);
    const r = await topCall(ctx, TMC_CONFIRM, { ...groupParam(ctx), s_message_ids: chunk.join(',') }, { session: false });
    const ok = (r.tmc_messages_confirm_response as Json | undefined)?.is_success;
    if (ok === false || ok === 'false') throw new ChannelError('UNAVAILABLE', `${TMC_CONFIRM}: is_success false for ${chunk.length} messages`);
  }
}

/**
 * One consume call → one item per message (its JSON, with 64-bit ids kept exact, and its order event). A
 * message the plugin cannot read becomes an item with `error` (kept by the host for an operator) and is
 * confirmed with the rest, so it cannot block the group. Another shop's message (`sellerNick`) becomes no
 * item. `ack` confirms every id of the batch.
 */
export async function pullTmc(ctx: TaobaoContext): Promise<PullResult> {
  const cfg = ctx.channel.config;
  const r = await topCall(ctx, TMC_CONSUME, { ...groupParam(ctx), quantity: String(cfg.tmcBatchSize) }, { session: false });
  const list = consumedMessages(r);
  const receivedAt = new Date(ctx.clock.now());
  const ids: string[] = [];
  const items: PulledItem[] = [];
  let otherShops = 0;
  for (const m of list) {
    const raw = JSON.stringify(m) ?? 'null';
    const id = m && typeof m === 'object' ? idString((m as Json).id) : undefined;
    if (id && /^\d{1,20}$/.test(id) && !ids.includes(id)) ids.push(id);
    // Another shop's message is confirmed but not stored. Stored, even as a failed item, it would put that shop's
    // buyer and order in this channel for its operators; unconfirmed, TMC would hand it back to this group (one
    // channel per group, docs/channels.md) after every redelivery delay until it expires: it is never ours.
    if (ofOtherShop(m as Json, cfg.sellerNick)) { otherShops++; continue; }
    try {
      items.push({ raw, events: [tmcEvent(m as Json, receivedAt)] });
    } catch (e) {
      if (!isChannelError(e)) throw e;
      items.push({ raw, events: [], error: e });
    }
  }
  if (otherShops) ctx.logger.warn({ count: otherShops }, 'TMC messages of other shops than sellerNick confirmed and dropped');
  const requestId = idString((r.tmc_messages_consume_response as Json).request_id);
  return {
    items,
    more: list.length >= cfg.tmcBatchSize,
    meta: { api: TMC_CONSUME, ...(cfg.tmcGroup !== 'default' ? { group: cfg.tmcGroup } : {}), ...(requestId ? { requestId } : {}) },
    ack: () => confirmTmc(ctx, ids),
  };
}

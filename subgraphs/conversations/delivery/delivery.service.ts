import { Brackets, In, IsNull, LessThanOrEqual, Not, type DataSource, type Repository } from 'typeorm';
import { backoffDelay, type BoundChannel } from '../../../plugins/host/index.js';
import type { ChannelCapabilities } from '../../../plugins/sdk/index.js';
import { ChannelError, isChannelError, type HistoryMessage, type MessageContent, type OutboundMessage, type SendResult } from '../../../plugins/sdk/index.js';
import { badInput } from '../../_shared/errors.js';
import { idCeiling, isUuid } from '../../_shared/ids.js';
import type { Logger } from '../../_shared/logger.js';
import { ActivityKind, type ActivityService } from '../activity/activity.service.js';
import type { ChannelEntity } from '../channel/channel.entity.js';
import type { ChannelService } from '../channel/channel.service.js';
import { ConversationEntity } from '../conversation/conversation.entity.js';
import type { ChannelBindings } from '../ingest/channel-bindings.js';
import type { ChannelMetrics } from '../ingest/channel.metrics.js';
import type { IngestConfig } from '../ingest/ingest.config.js';
import { MEDIA_KINDS, MessageEntity, MessageSenderType } from '../message/message.entity.js';
import { DeliveryStatus as D, MessageDeliveryEntity, MessageDeliveryPartEntity } from './delivery.entity.js';

const LOCK_MS = 60_000;
/** How long sendMessage waits for the first attempt before answering with PENDING. */
const FIRST_ATTEMPT_WAIT_MS = 5000;
/** A first attempt the enqueuing replica has not started by then is the sweeper's. */
const FIRST_ATTEMPT_GRACE_MS = FIRST_ATTEMPT_WAIT_MS + 5000;

const senderTypeOf = (m: MessageEntity): 'bot' | 'agent' | 'system' => (m.senderType === MessageSenderType.BOT ? 'bot' : m.senderType === MessageSenderType.AGENT ? 'agent' : 'system');
const describe = (e: unknown) => (e instanceof Error ? e.message : String(e)).split('\n')[0].slice(0, 1000);

/** The id a message's part `i` goes out under: the message id, then `<id>:1`, `<id>:2`... (ids stay unique per send). */
export const partId = (messageId: string, i: number) => (i === 0 ? messageId : `${messageId}:${i}`);
/** The message id and part index in an id a client sends back (a read receipt, the widget's last-seen id). */
export function fromPartId(id: string): { messageId: string; part: number } {
  const [messageId, part] = id.split(':');
  return { messageId, part: Number(part) || 0 };
}

const isUrl = (ref: string) => /^https?:\/\//.test(ref);

/** Pieces of at most `max` characters, cut after a line break or a sentence's end where one falls late enough. */
export function splitText(text: string, max: number): string[] {
  const chars = [...text];
  if (chars.length <= max) return [text];
  const out: string[] = [];
  let rest = chars;
  while (rest.length > max) {
    const window = rest.slice(0, max);
    let cut = -1;
    for (let i = window.length - 1; i >= max / 2; i--) if ('\n。！？!?；;'.includes(window[i])) { cut = i + 1; break; }
    if (cut < 0) cut = max;
    out.push(rest.slice(0, cut).join(''));
    rest = rest.slice(cut);
  }
  if (rest.length) out.push(rest.join(''));
  return out;
}

/**
 * A message row as what a plugin sends, in order: its text (in pieces the channel takes, `maxText` characters
 * each), then each attachment as a message of its own. One content per row lost things: platforms' media
 * messages carry no text (WeChat, WeCom kf and Douyin drop a caption), so an agent's "顺丰 SF123" sent with a photo
 * arrived as the photo alone, a second attachment never went, and a reply longer than the channel's limit failed.
 */
export function outboundParts(m: Pick<MessageEntity, 'text' | 'attachments'>, caps: Partial<Pick<ChannelCapabilities, 'maxTextLength' | 'outboundKinds'>> = {}): MessageContent[] {
  const parts: MessageContent[] = m.text ? splitText(m.text, caps.maxTextLength ?? Number.POSITIVE_INFINITY).map((text) => ({ kind: 'text' as const, text })) : [];
  for (const a of m.attachments ?? []) {
    if (!MEDIA_KINDS.includes(a.kind)) continue;
    const url = isUrl(a.mediaRef);
    // A kind the channel does not send, at a URL: the customer gets the link (a ticket's file on WeChat). Without
    // a URL it stays a media part and fails with the channel's own reason (sendMessage refuses it before).
    if (url && caps.outboundKinds && !caps.outboundKinds.includes(a.kind as MessageContent['kind'])) {
      parts.push({ kind: 'text', text: `${a.name ?? a.kind}: ${a.mediaRef}` });
      continue;
    }
    const ref = url ? { url: a.mediaRef } : { mediaId: a.mediaRef };
    if (a.kind === 'image') parts.push({ kind: 'image', ...ref });
    else if (a.kind === 'voice') parts.push({ kind: 'voice', ...ref });
    else if (a.kind === 'video') parts.push({ kind: 'video', ...ref });
    else parts.push({ kind: 'file', ...ref, ...(a.name ? { name: a.name } : {}), ...(a.size != null ? { size: a.size } : {}) });
  }
  return parts.length ? parts : [{ kind: 'text', text: m.text }];
}

/**
 * Outbound delivery: an agent's or the bot's message goes out through its conversation's channel plugin. The
 * status is a row per message (PENDING → SENDING → SENT | FAILED with the ChannelError code); retryable
 * failures wait with exponential backoff (a persistent outbox: the sweeper retries, across restarts too).
 */
export class DeliveryService {
  private readonly repo: Repository<MessageDeliveryEntity>;
  private readonly parts: Repository<MessageDeliveryPartEntity>;
  private readonly messages: Repository<MessageEntity>;
  private readonly conversations: Repository<ConversationEntity>;

  constructor(
    ds: DataSource, private readonly channels: ChannelService, private readonly bindings: ChannelBindings, private readonly config: IngestConfig,
    private readonly log: Logger, private readonly metrics: ChannelMetrics, private readonly activity: Pick<ActivityService, 'publish'>,
  ) {
    this.repo = ds.getRepository(MessageDeliveryEntity);
    this.parts = ds.getRepository(MessageDeliveryPartEntity);
    this.messages = ds.getRepository(MessageEntity);
    this.conversations = ds.getRepository(ConversationEntity);
  }

  /**
   * A read receipt from a client: our messages sent to it on the channel up to `upTo` (our message id, as the
   * widget and the app send it) are read at `at`; without a usable id (Douyin's read index), those sent up to
   * `at`. Message ids are time-ordered (UUIDv7), so "up to" is an id range on the recipient index.
   */
  async markRead(tenantId: string, channelId: string, recipientId: string, upTo: string | undefined, at: Date): Promise<number> {
    const ceiling = idCeiling(at);
    const upToId = upTo ? fromPartId(upTo).messageId : undefined; // a part's receipt reads its whole message
    const bound = isUuid(upToId) && upToId.toLowerCase() < ceiling ? upToId.toLowerCase() : ceiling;
    const r = await this.repo.update({ tenantId, channelId, recipientId: recipientId.slice(0, 191), id: LessThanOrEqual(bound), status: D.SENT, readAt: IsNull() }, { readAt: at });
    return r.affected ?? 0;
  }

  /**
   * A platform's report, after it accepted one of our messages, that the message did not reach the customer (an
   * event `send_failed` whose `key` is the id `send` returned: WeCom kf's msg_send_fail): the delivery turns FAILED,
   * so the agent does not trust a SENT that was not (a report while later parts are still going stops them). The
   * id is the first part's (on the delivery) or a later part's (`message_delivery_parts`): the error says which.
   */
  async markSendFailed(tenantId: string, channelId: string, externalMessageId: string, detail?: Record<string, unknown>): Promise<number> {
    const key = externalMessageId.slice(0, 191);
    const why = detail && Object.keys(detail).length ? ` (${Object.entries(detail).map(([k, v]) => `${k} ${String(v)}`).join(', ')})` : '';
    const first = await this.repo.findOne({ select: { id: true, conversationId: true }, where: { tenantId, channelId, externalMessageId: key, status: In([D.SENT, D.SENDING]) } });
    const part = first ? null : await this.parts.findOneBy({ tenantId, channelId, externalMessageId: key });
    const id = first?.id ?? part?.id;
    if (!id) return 0;
    const what = part ? `its part ${part.part + 1} (the text first, then each attachment)` : 'it';
    const r = await this.repo.update({ tenantId, id, status: In([D.SENT, D.SENDING]) }, {
      status: D.FAILED, errorCode: 'UNDELIVERED', error: `the platform reported that ${what} did not reach the customer${why}`.slice(0, 1000), updatedAt: new Date(),
    });
    if (r.affected) await this.announce(tenantId, id, first?.conversationId);
    return r.affected ?? 0;
  }

  /**
   * A delivery turned SENT, FAILED or back to a retry (its MESSAGE item usually went out while it was PENDING, and
   * a retry, a sweep or a platform's later report happens where its sender is not looking): the conversation's
   * watchers get a DELIVERY activity, whose message carries the delivery. Read receipts are not announced. Best effort.
   */
  private async announce(tenantId: string, id: string, conversationId?: string): Promise<void> {
    try {
      const cid = conversationId ?? (await this.repo.findOne({ select: { conversationId: true }, where: { tenantId, id } }))?.conversationId;
      const c = cid ? await this.conversations.findOneBy({ tenantId, id: cid }) : null;
      if (c) await this.activity.publish(ActivityKind.DELIVERY, c, id);
    } catch (err) {
      this.log.warn({ err, tenantId, messageId: id }, 'delivery change not announced');
    }
  }

  async byIds(tenantId: string, ids: readonly string[]): Promise<MessageDeliveryEntity[]> {
    if (!ids.length) return [];
    return this.repo.findBy({ tenantId, id: In([...ids]) });
  }

  /** A conversation's channel and its plugin binding (null when the channel cannot be bound now). */
  private async channelOf(tenantId: string, channelId: string | null): Promise<{ channel: ChannelEntity; bound: BoundChannel | null } | null> {
    if (!channelId) return null;
    const [channel] = await this.channels.byIds(tenantId, [channelId]);
    if (!channel) return null;
    let bound: BoundChannel | null;
    try { bound = this.bindings.bind(channel); } catch { bound = null; }
    return { channel, bound };
  }

  /**
   * Refuses, before anything is stored, a reply that could never go out: the conversation's channel sends nothing
   * (Taobao is an order source, a phone call is answered on the phone). Without it the agent's reply sat in the
   * conversation with no delivery and no error, and the customer never got it. Notes (an agent's `internal`, the
   * bot's `system`) are always fine; `instead` names the one the caller has.
   */
  async assertCanReply(tenantId: string, conversation: Pick<ConversationEntity, 'channelId' | 'channelType'>, instead: 'internal' | 'system' = 'internal', reply?: Pick<MessageEntity, 'text' | 'attachments'>): Promise<void> {
    const found = await this.channelOf(tenantId, conversation.channelId);
    if (!found?.bound) return; // a channel that cannot be bound now is not refused here: its delivery says why
    const caps = found.bound.capabilities;
    if (!caps.outbound) {
      const note = instead === 'internal' ? 'write an internal note (internal: true)' : 'post a system notice (system: true)';
      throw badInput(`the ${conversation.channelType} channel cannot send messages: reply on another of the customer's channels, or ${note}`, instead);
    }
    if (!reply) return;
    // Each attachment goes out as a message of its own (outboundParts). One of a kind the channel does not send,
    // and not at a URL it could send as a link, would fail the delivery after the parts before it went.
    const refused = (reply.attachments ?? []).find((a) => MEDIA_KINDS.includes(a.kind) && !isUrl(a.mediaRef) && !caps.outboundKinds.includes(a.kind as MessageContent['kind']));
    if (refused) throw badInput(`the ${conversation.channelType} channel cannot send ${refused.kind} attachments (it sends ${caps.outboundKinds.join(', ')}): share it as a link instead`, 'attachments');
    // Every part uses a slot of the channel's reply window (WeChat's mini program: 3 in 48 h): one that can never fit
    // is refused whole, instead of going out in part.
    const parts = outboundParts(reply, caps).length;
    if (caps.sendWindow && parts > caps.sendWindow.maxMessages) {
      throw badInput(`this reply would go out as ${parts} messages, and the ${conversation.channelType} channel allows ${caps.sendWindow.maxMessages} per ${caps.sendWindow.hours} h after the customer writes: send fewer attachments, or a shorter text`, 'attachments');
    }
  }

  /**
   * Called for a new message (sendMessage, bot replies, ticket replies): records a PENDING delivery when the
   * message goes to a channel that sends, then makes the first attempt (waited for briefly, so the caller usually
   * sees SENT or the refusal, e.g. WINDOW_CLOSED). Internal notes, customer messages and channels without a plugin
   * get none; a reply on a channel that sends nothing is recorded FAILED (CANNOT_SEND).
   */
  async enqueue(tenantId: string, message: MessageEntity, conversation: ConversationEntity): Promise<MessageDeliveryEntity | null> {
    if (message.internal || message.senderType === MessageSenderType.CUSTOMER) return null;
    const found = await this.channelOf(tenantId, conversation.channelId);
    if (!found?.bound) return null;
    // A reply that reached a channel which sends nothing (a public ticket comment: sendMessage and the bot are
    // refused before) is marked as never sent, so whoever wrote it sees that the customer did not get it. A
    // system notice there is only a line in the conversation.
    const cannotSend = !found.bound.capabilities.outbound;
    if (cannotSend && message.senderType === MessageSenderType.SYSTEM) return null;
    const { channel } = found;
    const now = new Date();
    await this.repo.createQueryBuilder().insert().into(MessageDeliveryEntity).values({
      id: message.id, tenantId, conversationId: conversation.id, channelId: channel.id, status: cannotSend ? D.FAILED : D.PENDING, attempts: 0, partsSent: 0,
      errorCode: cannotSend ? 'CANNOT_SEND' : null, error: cannotSend ? `the ${channel.type} channel cannot send messages: the customer has not received this` : null,
      externalMessageId: null, recipientId: null, outcome: null, readAt: null, nextAttemptAt: null, lockedUntil: null, createdAt: now, updatedAt: now,
    }).orIgnore().execute();
    if (cannotSend) {
      await this.activity.publish(ActivityKind.DELIVERY, conversation, message.id);
      return this.repo.findOneBy({ tenantId, id: message.id });
    }
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([this.attempt(message.id).catch((err) => this.log.error({ err, messageId: message.id }, 'delivery attempt crashed')), new Promise((r) => (timer = setTimeout(r, FIRST_ATTEMPT_WAIT_MS)))]);
    clearTimeout(timer);
    return this.repo.findOneBy({ tenantId, id: message.id });
  }

  /** Claims a due delivery and sends it once; a retryable failure is rescheduled with backoff. */
  async attempt(id: string): Promise<D | 'skipped'> {
    const now = new Date();
    const claimed = await this.repo.createQueryBuilder().update(MessageDeliveryEntity)
      .set({ status: D.SENDING, lockedUntil: new Date(now.getTime() + LOCK_MS), attempts: () => 'attempts + 1', updatedAt: now })
      .where('id = :id', { id })
      .andWhere(new Brackets((w) => w
        .where('(status = :pending AND (next_attempt_at IS NULL OR next_attempt_at <= :now))', { pending: D.PENDING, now })
        .orWhere('(status = :sending AND locked_until < :now)', { sending: D.SENDING, now })))
      .execute();
    if (!claimed.affected) return 'skipped';
    const d = (await this.repo.findOneBy({ id }))!;
    let channelType = 'unknown';
    let sent = d.partsSent;
    let parts = 0;
    // Every write after the claim holds only while the row is still this attempt's: SENDING, at the part this
    // attempt reached. A claim that ran out (slow sends) and was taken by the sweeper, or a platform's failure report
    // meanwhile, leaves this attempt nothing to write, so it stops instead of sending parts twice.
    const mine = () => ({ id, status: D.SENDING, partsSent: sent });
    try {
      const { message: m, to } = await this.outbound(d);
      const [channel] = await this.channels.byIds(d.tenantId, [d.channelId]);
      if (channel) channelType = channel.type;
      const bound = channel ? this.bindings.bind(channel) : null;
      if (!channel || !bound) throw new ChannelError('BAD_REQUEST', 'the channel is gone or no longer configured');
      if (!channel.enabled) throw new ChannelError('UNAVAILABLE', 'the channel is disabled', { retryable: false });
      const contents = outboundParts(m, bound.capabilities);
      parts = contents.length;
      const sender = { type: senderTypeOf(m), ...(m.senderId ? { id: m.senderId } : {}) };
      let r: SendResult | undefined;
      // Part by part; each one sent is recorded (and the claim renewed), so a retry resumes after it.
      for (; sent < contents.length; sent++) {
        r = await bound.send({ id: partId(m.id, sent), ...to, content: contents[sent], sender, part: { index: sent, count: contents.length } });
        // A later part's platform id, for the platform's report that it failed; written whatever becomes of this
        // attempt, since the part did go out. Part 0's goes on the delivery. Its failure is only logged: failing the
        // attempt here would send the part again.
        if (sent > 0 && r.externalMessageId) {
          await this.parts.upsert({ id, part: sent, tenantId: d.tenantId, channelId: d.channelId, externalMessageId: r.externalMessageId.slice(0, 191), sentAt: new Date() }, ['id', 'part'])
            .catch((err: unknown) => this.log.warn({ err, messageId: id, part: sent }, "a sent part's platform id was not kept; a failure report on it will find nothing"));
        }
        const moved = await this.repo.update(mine(), { partsSent: sent + 1, lockedUntil: new Date(Date.now() + LOCK_MS), ...(sent === 0 ? { externalMessageId: r.externalMessageId.slice(0, 191) } : {}) });
        if (!moved.affected) return 'skipped';
      }
      const done = await this.repo.update(mine(), {
        status: D.SENT, recipientId: (to.context?.clientId ?? to.recipient.externalId).slice(0, 191), outcome: r?.status ?? d.outcome,
        errorCode: null, error: null, lockedUntil: null, nextAttemptAt: null, updatedAt: new Date(),
      });
      if (!done.affected) return 'skipped';
      this.metrics.sent(channelType, 'sent');
      await this.announce(d.tenantId, id, d.conversationId);
      return D.SENT;
    } catch (err) {
      const code = isChannelError(err) ? err.code : (err as { code?: string }).code ?? 'SEND_FAILED';
      const retry = isChannelError(err) && err.retryable && d.attempts < this.config.maxAttempts;
      const next = retry ? new Date(Date.now() + backoffDelay(d.attempts, { baseMs: this.config.retryBaseMs, maxMs: 5 * 60_000 }, err)) : null;
      const partly = sent > 0 ? ` (${sent} of its ${parts || 'several'} parts sent before this)` : '';
      const message = (code === 'WINDOW_CLOSED' ? `reply window closed: ${describe(err)}` : describe(err)) + partly;
      const failed = await this.repo.update(mine(), { status: retry ? D.PENDING : D.FAILED, errorCode: String(code).slice(0, 40), error: message, nextAttemptAt: next, lockedUntil: null, updatedAt: new Date() });
      if (!failed.affected) return 'skipped';
      this.log.warn({ messageId: id, channelId: d.channelId, tenantId: d.tenantId, code, attempts: d.attempts, retryAt: next?.toISOString() ?? null }, 'delivery failed');
      this.metrics.sent(channelType, retry ? 'retry' : 'failed');
      await this.announce(d.tenantId, id, d.conversationId);
      return retry ? D.PENDING : D.FAILED;
    }
  }

  /**
   * Whom a conversation's replies go to: the customer's identity on the channel and the reply context, from their
   * latest message in it or, when none of theirs there carries it (a follow-up staff opened for a ticket reply, a
   * conversation opened by API), in their latest conversation on the same channel. Null when they never wrote there.
   */
  async recipientOf(tenantId: string, conversationId: string): Promise<Pick<OutboundMessage, 'recipient' | 'context'> | null> {
    const senderOf = (m: MessageEntity | null) => (m?.payload as { sender?: OutboundMessage['recipient'] } | null)?.sender;
    // Their latest message here, unless it came without their identity on the channel (a conversation opened by API
    // with the customer's words): then their latest conversation on the same channel.
    let last = await this.lastCustomerMessage(tenantId, [conversationId]);
    if (!senderOf(last)?.externalId) last = await this.lastCustomerMessage(tenantId, await this.earlierOnChannel(tenantId, conversationId));
    const sender = senderOf(last);
    if (!sender?.externalId) return null;
    const context = (last?.payload as { context?: Record<string, string> } | null)?.context;
    return { recipient: sender, ...(context ? { context } : {}) };
  }

  private lastCustomerMessage(tenantId: string, conversationIds: string[]): Promise<MessageEntity | null> {
    if (!conversationIds.length) return Promise.resolve(null);
    return this.messages.findOne({ where: { tenantId, conversationId: In(conversationIds), senderType: MessageSenderType.CUSTOMER }, order: { createdAt: 'DESC' } });
  }

  /** The customer's other conversations on this one's channel (and thread), latest first. */
  private async earlierOnChannel(tenantId: string, conversationId: string): Promise<string[]> {
    const c = await this.conversations.findOneBy({ tenantId, id: conversationId });
    if (!c?.channelId) return [];
    const rows = await this.conversations.find({
      select: { id: true },
      where: { tenantId, customerId: c.customerId, channelId: c.channelId, threadId: c.threadId ?? IsNull(), id: Not(c.id) },
      order: { lastMessageAt: 'DESC' },
      take: 20,
    });
    return rows.map((r) => r.id);
  }

  /** The recipient and reply context come from the customer's latest message on the channel (their identity there). */
  private async outbound(d: MessageDeliveryEntity): Promise<{ message: MessageEntity; to: Pick<OutboundMessage, 'recipient' | 'context'> }> {
    const m = await this.messages.findOneBy({ tenantId: d.tenantId, id: d.id });
    if (!m) throw new ChannelError('BAD_REQUEST', 'the message is gone');
    const to = await this.recipientOf(d.tenantId, d.conversationId);
    if (!to) throw new ChannelError('INVALID_RECIPIENT', 'the conversation has no customer identity on this channel');
    return { message: m, to };
  }

  /**
   * Our messages sent to one client of a channel after the message `after` (ids are time-ordered), oldest first;
   * without `after`, the latest. For a widget client that comes back online (`ChannelAdapter.history`).
   */
  async sentTo(tenantId: string, channel: { id: string; type: string; capabilities?: Partial<Pick<ChannelCapabilities, 'maxTextLength' | 'outboundKinds'>> }, recipientId: string, after: string | undefined, limit = 50): Promise<{ messages: HistoryMessage[]; more: boolean }> {
    // `after` may name a part (`<id>:2`): that message's later parts come first, then later messages.
    const seen = after ? fromPartId(after) : undefined;
    const q = this.repo.createQueryBuilder('d').select('d.id', 'id')
      .where('d.channel_id = :channelId AND d.recipient_id = :recipientId AND d.tenant_id = :tenantId AND d.status = :sent', { channelId: channel.id, recipientId, tenantId, sent: D.SENT });
    if (seen) q.andWhere('d.id >= :after', { after: seen.messageId });
    const rows = await q.orderBy('d.id', after ? 'ASC' : 'DESC').limit(limit + 1).getRawMany<{ id: string }>();
    const more = rows.length > limit;
    const ids = rows.slice(0, limit).map((r) => r.id);
    if (!after) ids.reverse();
    const byId = new Map((ids.length ? await this.messages.findBy({ tenantId, id: In(ids) }) : []).map((m) => [m.id, m]));
    // The same parts, under the same ids, as they went out live (the caller's binding gives the channel's limits).
    const messages = ids.flatMap((id) => {
      const m = byId.get(id);
      if (!m) return [];
      return outboundParts(m, channel.capabilities).flatMap((content, i) => (seen && m.id === seen.messageId && i <= seen.part ? []
        : [{ message: { id: partId(m.id, i), recipient: { channelType: channel.type, externalId: recipientId }, content, sender: { type: senderTypeOf(m) } }, sentAt: m.createdAt }]));
    });
    return { messages, more };
  }

  /**
   * Deliveries nobody is sending: retries that are due, claims that ran out, and first attempts that the
   * enqueuing replica has not made within the grace (it crashed). A fresh one is left to that replica, whose
   * caller waits for it: a sweep taking it would have sendMessage answer SENDING instead of the outcome.
   */
  async due(limit = 200): Promise<string[]> {
    const now = new Date();
    const fresh = new Date(now.getTime() - FIRST_ATTEMPT_GRACE_MS);
    const rows = await this.repo.createQueryBuilder('d').select('d.id', 'id')
      .where('(d.status = :pending AND ((d.next_attempt_at IS NULL AND d.created_at <= :fresh) OR d.next_attempt_at <= :now))', { pending: D.PENDING, now, fresh })
      .orWhere('(d.status = :sending AND d.locked_until < :now)', { sending: D.SENDING, now })
      .orderBy('d.created_at', 'ASC').limit(limit).getRawMany<{ id: string }>();
    return rows.map((r) => r.id);
  }

  async sweep(): Promise<number> {
    const ids = await this.due();
    for (const id of ids) await this.attempt(id).catch((err) => this.log.error({ err, messageId: id }, 'delivery attempt crashed'));
    return ids.length;
  }
}

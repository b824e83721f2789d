import { In, IsNull, Not, type DataSource, type EntityManager, type Repository } from 'typeorm';
import { isRetryableTransactionError } from '../../_shared/db-errors.js';
import { badInput, conflict, forbidden, notFound } from '../../_shared/errors.js';
import type { EventBus } from '../../_shared/events.js';
import { MultiRowInsert } from '../../_shared/multi-row-insert.js';
import { newId } from '../../_shared/ids.js';
import type { Logger } from '../../_shared/logger.js';
import { NamedLocks } from '../../_shared/named-lock.js';
import { clampFirst, decodeCursor, toPage } from '../../_shared/pagination.js';
import { RowsUpdate } from '../../_shared/rows-update.js';
import type { PubSub } from '../../_shared/pubsub.js';
import { ActivityKind, type ActivityService } from '../activity/activity.service.js';
import type { AgentService } from '../agent/agent.service.js';
import type { ChannelService } from '../channel/channel.service.js';
import type { ConversationContextService } from '../context/context.service.js';
import { firstChildren } from '../conversations.paging.js';
import { ConversationEventType as E, SYSTEM_ACTOR, type Actor, ActorType, type ConversationEventEntity } from '../event/event.entity.js';
import type { ConversationEventService } from '../event/event.service.js';
import type { HandoffSummaryEntity } from '../handoff/handoff.entity.js';
import { HandoffTrigger } from '../handoff/handoff.entity.js';
import type { HandoffService } from '../handoff/handoff.service.js';
import { liveRows, TOPICS } from '../live/live.stream.js';
import { MessageEntity, MessageSenderType, type Attachment, type JsonObject } from '../message/message.entity.js';
import type { ReadService } from '../read/read.service.js';
import type { ConversationSettingsService } from '../settings/settings.service.js';
import { ConversationEntity, ConversationStatus as S } from './conversation.entity.js';

/** Where a customer's conversation lives: their channel, and the platform's thread if it has one. */
type ChannelPlace = Pick<ConversationEntity, 'customerId' | 'channelType'> & { channelId?: string | null; threadId?: string | null };

export interface NewConversation {
  id?: string;
  customerId: string;
  channelType: string;
  channelId?: string | null;
  groupId?: string | null;
  subject: string;
  /** The customer's first message. */
  text?: string | null;
  messageId?: string;
  /** A first message richer than `text` (attachments, another sender). */
  firstMessage?: Omit<NewMessage, 'at'> | null;
  at?: Date;
  /** Start with the bot (BOT) instead of the human queue (QUEUED). */
  startWithBot?: boolean | null;
  /**
   * A record of something that happened (an order event, a call, a consultation logged in a store), not a
   * customer waiting for an answer: opened RESOLVED, so it joins the customer's history and no agent's queue. A
   * customer's message reopens it within the reopen window, like any resolved conversation.
   */
  asRecord?: boolean;
  /** The platform's thread this conversation is alone for (InboundEvent.thread.id). */
  threadId?: string | null;
  /** The conversation this one follows (a customer writing again after it was closed). */
  previousConversationId?: string | null;
  /** With asRecord: the agent who handled it, to whom the customer's answer reopens it (an agent of the tenant). */
  assigneeId?: string | null;
}

export interface NewMessage {
  id?: string;
  senderType: MessageSenderType;
  senderId?: string | null;
  kind?: string;
  text: string;
  payload?: JsonObject | null;
  attachments?: Attachment[] | null;
  internal?: boolean;
  at?: Date;
}

/** A customer's message on a channel, when the conversation is not known. */
export interface ReceiveInput {
  customerId: string;
  channelType: string;
  channelId?: string | null;
  /** A platform thread (a call, a store's QR chat): the message goes to that thread's conversation, or opens one. */
  threadId?: string | null;
  /** The agent group a conversation this message opens goes to (a channel's routing hint); ignored if not the tenant's. */
  groupId?: string | null;
  subject?: string | null;
  message: Omit<NewMessage, 'senderType'>;
}

export interface ConversationFilter {
  first?: number | null;
  after?: string | null;
  status?: S | null;
  assigneeId?: string | null;
  customerId?: string | null;
}

/** What the rest of the subgraph contributes to the aggregate's writes (passed down by createServices). */
export interface ConversationCollaborators {
  lifecycle: ConversationEventService;
  activity: ActivityService;
  settings: ConversationSettingsService;
  context: ConversationContextService;
  handoffs: HandoffService;
  reads: ReadService;
}

/** One lifecycle step a rule decided on; null means "nothing to do" (the operation is idempotent). */
interface Step {
  type: E;
  to: S;
  patch?: Partial<Pick<ConversationEntity, 'assigneeId' | 'groupId' | 'resolvedAt' | 'closedAt'>>;
  data?: JsonObject;
}

const HOUR_MS = 3600_000;

/**
 * Conversations and their messages (the aggregate's writes). Every method is scoped by tenant.
 *
 * Lifecycle: BOT → QUEUED → ASSIGNED → RESOLVED → CLOSED, plus PENDING (waiting on the customer). A customer
 * message resumes a PENDING conversation, reopens a RESOLVED one within the tenant's reopen window, and
 * otherwise (past the window, or CLOSED) goes to a new conversation. Each transition is a row in
 * conversation_events (same transaction) and a domain event `conversation.<type>` after the commit.
 */
export class ConversationService {
  private readonly repo: Repository<ConversationEntity>;
  /** SQLite (one connection, serialised transactions) has no row locks and needs none. */
  private readonly rowLocks: boolean;
  private readonly openLocks: NamedLocks;
  /** The batch of inbound messages (receiveMany) is written by one hand-built INSERT: the hot path of ingest. */
  private readonly messageInsert: MultiRowInsert<MessageEntity>;
  /** And its conversations' last activity by one hand-built UPDATE. */
  private readonly conversationTouch: RowsUpdate<ConversationEntity>;

  constructor(
    private readonly ds: DataSource,
    private readonly events: EventBus,
    private readonly pubsub: PubSub,
    private readonly agents: AgentService,
    private readonly channels: ChannelService,
    private readonly log: Logger,
    private readonly x: ConversationCollaborators,
  ) {
    this.repo = ds.getRepository(ConversationEntity);
    this.rowLocks = ds.options.type !== 'better-sqlite3';
    this.openLocks = new NamedLocks(ds);
    this.messageInsert = new MultiRowInsert(ds, MessageEntity, { log });
    this.conversationTouch = new RowsUpdate(ds, ConversationEntity);
  }

  async byIds(tenantId: string, ids: readonly string[]): Promise<ConversationEntity[]> {
    if (!ids.length) return [];
    return this.repo.findBy({ tenantId, id: In([...ids]) });
  }

  async get(tenantId: string, id: string): Promise<ConversationEntity> {
    const c = await this.repo.findOneBy({ tenantId, id });
    if (!c) throw notFound('conversation', id);
    return c;
  }

  /** Newest activity first. */
  async list(tenantId: string, f: ConversationFilter) {
    const first = clampFirst(f.first);
    const after = decodeCursor(f.after);
    const qb = this.repo.createQueryBuilder('c').where('c.tenant_id = :tenantId', { tenantId });
    if (f.status) qb.andWhere('c.status = :status', { status: f.status });
    if (f.assigneeId) qb.andWhere('c.assignee_id = :assigneeId', { assigneeId: f.assigneeId });
    if (f.customerId) qb.andWhere('c.customer_id = :customerId', { customerId: f.customerId });
    if (after) qb.andWhere('(c.last_message_at < :at OR (c.last_message_at = :at AND c.id < :id))', { at: after.at, id: after.id });
    const rows = await qb.orderBy('c.last_message_at', 'DESC').addOrderBy('c.id', 'DESC').take(first + 1).getMany();
    return toPage(rows, first, (r) => r.lastMessageAt);
  }

  /** The open (not CLOSED) conversation of a platform thread on a channel, if there is one. */
  findThread(tenantId: string, channelId: string, threadId: string): Promise<ConversationEntity | null> {
    return this.repo.findOne({ where: { tenantId, channelId, threadId, status: Not(S.CLOSED) }, order: { lastMessageAt: 'DESC', id: 'DESC' } });
  }

  /** The first `limit` conversations of each customer (latest activity first), after a cursor: one round of queries. */
  firstOfCustomers(tenantId: string, customerIds: readonly string[], limit: number, after?: { at: Date; id: string }): Promise<ConversationEntity[]> {
    return firstChildren(this.repo, { tenantId, parentColumn: 'customer_id', orderColumn: 'last_message_at', direction: 'DESC' }, customerIds, limit, after);
  }

  /** Opens a conversation in the queue (or with the bot), with the customer's first message when there is one. */
  async open(tenantId: string, input: NewConversation, actor: Actor = SYSTEM_ACTOR): Promise<ConversationEntity> {
    return (await this.openWithMessage(tenantId, input, actor)).conversation;
  }

  private async openWithMessage(tenantId: string, input: NewConversation, actor: Actor): Promise<{ conversation: ConversationEntity; message: MessageEntity | null }> {
    if (input.channelId) {
      const [channel] = await this.channels.byIds(tenantId, [input.channelId]);
      if (!channel) throw notFound('channel', input.channelId);
      if (channel.type !== input.channelType) throw badInput(`channel ${channel.id} is of type ${channel.type}`, 'channelType');
    }
    if (input.groupId && !(await this.agents.groupsByIds(tenantId, [input.groupId])).length) throw notFound('agent group', input.groupId);
    const now = input.at ?? new Date();
    const first = input.firstMessage ?? (input.text ? { id: input.messageId, senderType: MessageSenderType.CUSTOMER, text: input.text } : null);
    // The OPENED event comes first in the timeline, then the message that opened it.
    const messageAt = first ? new Date(now.getTime() + 1) : null;
    const status = input.asRecord ? S.RESOLVED : input.startWithBot ? S.BOT : S.QUEUED;
    // Opened by staff's message (a ticket's follow-up): nothing of the customer's waits for an answer here.
    const staffFirst = first?.senderType === MessageSenderType.AGENT && !first.internal;
    const c = this.repo.create({
      id: input.id ?? newId(), tenantId, customerId: input.customerId, channelId: input.channelId ?? null, channelType: input.channelType, threadId: input.threadId ?? null,
      subject: input.subject, status, assigneeId: input.asRecord ? input.assigneeId ?? null : null, groupId: input.groupId ?? null, firstResponseAt: staffFirst ? messageAt : null, resolvedAt: input.asRecord ? now : null, closedAt: null,
      lastMessageAt: messageAt ?? now, createdAt: now, updatedAt: now,
    });
    const { event, message } = await this.tx(async (m) => {
      await m.insert(ConversationEntity, c);
      const data = input.previousConversationId ? { previousConversationId: input.previousConversationId } : null;
      const event = await this.x.lifecycle.record(m, c, { type: E.OPENED, from: null, to: status, actor, data, at: now });
      return { event, message: first ? await this.insertMessage(m, c, { ...first, at: messageAt! }) : null };
    });
    await this.events.publish({ type: 'conversation.opened', tenantId, occurredAt: now.toISOString(), data: { ...this.eventData(c, event), channelType: c.channelType } });
    await this.x.activity.publish(ActivityKind.EVENT, c, event.id);
    if (message) await this.announceMessage(c, message);
    await this.live(TOPICS.conversationUpdated, c);
    if (message) await this.x.context.invalidate(tenantId, c.customerId);
    if (await this.x.handoffs.cameFromAnotherChannel(c)) {
      // No agent yet: the summary waits on the conversation and is written again for whoever is assigned.
      const summary = await this.x.handoffs.summarize(c);
      if (summary) await this.announceHandoff(c, await this.x.handoffs.store(c, HandoffTrigger.CHANNEL_SWITCH, null, summary));
    }
    return { conversation: c, message };
  }

  /**
   * A message from the customer on a channel, when the channel knows the customer but not the conversation:
   * it goes to the customer's latest open (not CLOSED) conversation on that channel, which may reopen it, or
   * to a new one.
   */
  async receive(
    tenantId: string,
    input: ReceiveInput,
  ): Promise<{ message: MessageEntity; conversation: ConversationEntity }> {
    const latestOpen = () => this.latestOpenOn(tenantId, input);
    const message = { ...input.message, senderType: MessageSenderType.CUSTOMER };
    const latest = await latestOpen();
    if (latest) return this.addMessage(tenantId, latest.id, message);
    // The first message opens the conversation. Two first messages at once (two replicas, or the webhook and the
    // widget) must not open two: opening is serialised per customer and channel, and the second finds the first's.
    return this.openLocks.with(this.openKey(tenantId, input), async () => {
      const opened = await latestOpen();
      if (opened) return this.append(tenantId, opened.id, message, {}, true);
      const subject = input.subject ?? (input.message.text.trim().slice(0, 60) || `[${input.message.attachments?.[0]?.kind ?? 'message'}]`);
      // A channel's hint, not a caller's choice: a group that is not the tenant's (deleted, mistyped) is dropped.
      const groupId = input.groupId && (await this.agents.groupsByIds(tenantId, [input.groupId])).length ? input.groupId : null;
      if (input.groupId && !groupId) this.log.warn({ tenantId, groupId: input.groupId }, 'routing hint names no agent group of the tenant; the conversation opens without it');
      const r = await this.openWithMessage(
        tenantId,
        { customerId: input.customerId, channelType: input.channelType, channelId: input.channelId, threadId: input.threadId, groupId, subject, firstMessage: message, at: input.message.at },
        { type: ActorType.CUSTOMER, id: input.customerId },
      );
      return { message: r.message!, conversation: r.conversation };
    });
  }

  /** The customer's latest open (not CLOSED) conversation on a channel; a thread's only for that thread. */
  private latestOpenOn(tenantId: string, on: ChannelPlace): Promise<ConversationEntity | null> {
    return this.repo.findOne({
      where: { tenantId, customerId: on.customerId, channelType: on.channelType, ...(on.channelId ? { channelId: on.channelId } : {}), threadId: on.threadId ?? IsNull(), status: Not(S.CLOSED) },
      order: { lastMessageAt: 'DESC', id: 'DESC' },
    });
  }

  /** Opening a conversation is serialised per customer and channel (and thread), across replicas. */
  private openKey(tenantId: string, on: ChannelPlace): string {
    return `open:${tenantId}:${on.customerId}:${on.channelId ?? on.channelType}${on.threadId ? `:${on.threadId}` : ''}`;
  }

  /**
   * Staff's reply from outside the conversation's screen (a public ticket comment, often days later): into the
   * conversation while it is not CLOSED. After that the customer must still get it, so it goes, like their own
   * next message would, to their latest open conversation on the same channel, or to a follow-up opened for it.
   * The follow-up opens RESOLVED (asRecord): it waits in nobody's queue, and the customer's answer reopens it, to
   * the agent who wrote when the reply is an agent's (as a resolved conversation reopens to its assignee).
   */
  async addStaffReply(tenantId: string, conversationId: string, input: NewMessage, actor: Actor): Promise<{ message: MessageEntity; conversation: ConversationEntity }> {
    const c = await this.repo.findOneBy({ tenantId, id: conversationId });
    if (!c) throw notFound('conversation', conversationId);
    if (c.status !== S.CLOSED) {
      try {
        return await this.addMessage(tenantId, c.id, input);
      } catch (err) {
        const now = await this.repo.findOneBy({ tenantId, id: conversationId });
        if (now?.status !== S.CLOSED) throw err; // not a close that raced this reply
      }
    }
    const on: ChannelPlace = { customerId: c.customerId, channelType: c.channelType, channelId: c.channelId, threadId: c.threadId };
    return this.openLocks.with(this.openKey(tenantId, on), async () => {
      // Their newer conversation there (perhaps a question still in the queue): the reply joins it, as a message
      // the customer sees there, but not as that conversation's answer.
      const open = await this.latestOpenOn(tenantId, on);
      if (open) return this.append(tenantId, open.id, input, { aside: true }, true);
      const agent = actor.type === ActorType.AGENT && actor.id ? (await this.agents.byIds(tenantId, [actor.id]))[0] : undefined;
      const r = await this.openWithMessage(tenantId, { ...on, groupId: c.groupId, subject: c.subject, firstMessage: input, at: input.at, asRecord: true, previousConversationId: c.id, assigneeId: agent?.id ?? null }, actor);
      return { message: r.message!, conversation: r.conversation };
    });
  }

  /**
   * Many customers' messages at once (inbound processing), in order. Messages for conversations that are open
   * and need no step (BOT, QUEUED, ASSIGNED) are written by one transaction: the rows locked together, one
   * multi-row INSERT, one UPDATE, their announcements issued together — a handful of round trips per batch
   * instead of six per message. The rest (a first message, a resumed or reopened conversation), and the whole
   * batch when its transaction fails, go through `receive` one at a time, in order per customer and channel.
   */
  async receiveMany(tenantId: string, items: ReceiveInput[]): Promise<Array<{ message: MessageEntity; conversation: ConversationEntity } | { error: unknown }>> {
    const out: Array<{ message: MessageEntity; conversation: ConversationEntity } | { error: unknown } | undefined> = new Array(items.length);
    const keyOf = (i: ReceiveInput) => `${i.customerId}\u0000${i.channelId ?? i.channelType}`;
    const SIMPLE = new Set([S.BOT, S.QUEUED, S.ASSIGNED]);
    const open = items.length > 1
      ? await this.repo.find({ where: { tenantId, customerId: In([...new Set(items.map((i) => i.customerId))]), status: Not(S.CLOSED) }, order: { lastMessageAt: 'DESC', id: 'DESC' } })
      : [];
    const latest = new Map<string, ConversationEntity>();
    for (const c of open) {
      for (const k of [`${c.customerId}\u0000${c.channelId ?? c.channelType}`, `${c.customerId}\u0000${c.channelType}`]) if (!latest.has(k)) latest.set(k, c);
    }
    const fast: number[] = [];
    for (const [n, i] of items.entries()) {
      const c = latest.get(keyOf(i));
      if (c && !i.threadId && !c.threadId && c.channelType === i.channelType && SIMPLE.has(c.status)) fast.push(n);
    }
    const written = fast.length ? await this.appendMany(tenantId, fast.map((n) => ({ n, item: items[n], conversationId: latest.get(keyOf(items[n]))!.id })), SIMPLE).catch((err) => {
      this.log.warn({ err, tenantId, messages: fast.length }, 'batched append failed; the messages go one by one');
      return new Map<number, { message: MessageEntity; conversation: ConversationEntity }>();
    }) : new Map<number, { message: MessageEntity; conversation: ConversationEntity }>();
    // Committed: announced together (the Redis connections are auto-pipelined, so a batch shares a few socket
    // writes). A failed announcement fails its items, as it fails addMessage; a retry finds the messages stored.
    const conversations = [...new Set([...written.values()].map((d) => d.conversation))];
    const announced = await Promise.all([
      ...[...written.values()].map((d) => this.announceMessage(d.conversation, d.message)),
      ...conversations.map((c) => this.live(TOPICS.conversationUpdated, c)),
      this.x.context.invalidateMany(tenantId, conversations.map((c) => c.customerId)),
    ]).then(() => null, (error: unknown) => ({ error }));
    for (const [n, r] of written) out[n] = announced ?? r;
    // One at a time per customer and channel (in order), customers in parallel.
    const slow = new Map<string, number[]>();
    for (const n of items.keys()) if (!out[n]) slow.set(keyOf(items[n]), [...(slow.get(keyOf(items[n])) ?? []), n]);
    await Promise.all([...slow.values()].map(async (ns) => {
      for (const n of ns) out[n] = await this.receive(tenantId, items[n]).catch((error: unknown) => ({ error }));
    }));
    return out as Array<{ message: MessageEntity; conversation: ConversationEntity } | { error: unknown }>;
  }

  /** receiveMany's one transaction; a conversation whose state changed meanwhile is left to the one-by-one path. */
  private async appendMany(tenantId: string, writes: Array<{ n: number; item: ReceiveInput; conversationId: string }>, simple: Set<S>): Promise<Map<number, { message: MessageEntity; conversation: ConversationEntity }>> {
    const ids = [...new Set(writes.map((w) => w.conversationId))];
    return this.tx(async (m) => {
      const rows = await m.find(ConversationEntity, { where: { tenantId, id: In(ids) }, order: { id: 'ASC' }, ...(this.rowLocks ? { lock: { mode: 'pessimistic_write' as const } } : {}) });
      const byId = new Map(rows.filter((c) => simple.has(c.status)).map((c) => [c.id, c]));
      const done = new Map<number, { message: MessageEntity; conversation: ConversationEntity }>();
      const messages: MessageEntity[] = [];
      for (const w of writes) {
        const c = byId.get(w.conversationId);
        if (!c) continue;
        // Strictly increasing within a conversation, as in addMessage.
        const at = new Date(Math.max((w.item.message.at ?? new Date()).getTime(), c.lastMessageAt.getTime() + 1));
        const msg = this.messageRow(m, c, { ...w.item.message, senderType: MessageSenderType.CUSTOMER, at });
        c.lastMessageAt = at;
        c.updatedAt = at;
        messages.push(msg);
        done.set(w.n, { message: msg, conversation: c });
      }
      if (!messages.length) return done;
      await this.messageInsert.run(m, messages);
      const touched = [...new Set([...done.values()].map((d) => d.conversation))];
      const at = new Map(touched.map((c) => [c.id, c.lastMessageAt]));
      await this.conversationTouch.run(m, [...at.keys()], { perRow: { lastMessageAt: at, updatedAt: at }, where: { tenantId } });
      return done;
    });
  }

  /**
   * Appends a message and moves the conversation on: last activity, resuming/reopening on a customer message
   * (or a new conversation when it is too late to reopen), and the first response (first agent message the
   * customer sees), which is counted exactly once. `asRecord`: the message is a line of a record (a call's
   * transcript, the call handled on the phone): a customer's then changes no status, as anyone else's does not.
   * `aside`: staff's message is not an answer to this conversation (a ticket's reply that joined the customer's
   * newer question): no first response, and its writer has not read the conversation.
   */
  addMessage(tenantId: string, conversationId: string, input: NewMessage, opts: { asRecord?: boolean; aside?: boolean } = {}): Promise<{ message: MessageEntity; conversation: ConversationEntity }> {
    return this.append(tenantId, conversationId, input, opts, false);
  }

  /**
   * addMessage; `underLock`: the caller holds an open lock. NamedLocks do not nest: a follow-up to open while one is
   * held opens under it.
   */
  private async append(tenantId: string, conversationId: string, input: NewMessage, opts: { asRecord?: boolean; aside?: boolean }, underLock: boolean): Promise<{ message: MessageEntity; conversation: ConversationEntity }> {
    let firstResponse: number | undefined;
    const isCustomer = input.senderType === MessageSenderType.CUSTOMER;
    const steps = isCustomer && !opts.asRecord; // a customer's message resumes, reopens or follows up
    const customerActor = (c: ConversationEntity): Actor => ({ type: ActorType.CUSTOMER, id: c.customerId });
    const r = await this.tx(async (m) => {
      const c = await this.lock(m, tenantId, conversationId);
      // Strictly increasing within a conversation, so (created_at, id) order is the order of arrival.
      let at = new Date(Math.max((input.at ?? new Date()).getTime(), c.lastMessageAt.getTime() + 1));
      let step: Step | null = null;
      if (c.status === S.CLOSED) {
        if (!steps) throw conflict(`conversation ${c.id} is closed`);
        return { kind: 'follow' as const, follow: c, closed: null };
      }
      if (steps && c.status === S.RESOLVED) {
        const { reopenWindowHours } = await this.x.settings.get(tenantId, m);
        const window = reopenWindowHours * HOUR_MS;
        const resolvedAt = (c.resolvedAt ?? c.updatedAt).getTime();
        // From the resolution, or from our latest message the customer saw after it (a ticket's reply days later):
        // the customer answering that is answering us. Looked up only once the resolution's window has passed.
        const ours = at.getTime() - resolvedAt > window
          ? await m.findOne(MessageEntity, { where: { tenantId, conversationId: c.id, senderType: Not(MessageSenderType.CUSTOMER), internal: false }, order: { createdAt: 'DESC', id: 'DESC' } })
          : null;
        if (at.getTime() - Math.max(resolvedAt, ours?.createdAt.getTime() ?? 0) > window) {
          // Too late to reopen: this one is closed for good and the message starts a new conversation.
          const closed = await this.applyStep(m, c, SYSTEM_ACTOR, { type: E.CLOSED, to: S.CLOSED, patch: { closedAt: at }, data: { reason: 'reopen_window_passed' } }, at);
          return { kind: 'follow' as const, follow: c, closed };
        }
        step = { type: E.REOPENED, to: c.assigneeId ? S.ASSIGNED : S.QUEUED };
      } else if (steps && c.status === S.PENDING) {
        step = { type: E.RESUMED, to: c.assigneeId ? S.ASSIGNED : S.QUEUED };
      }
      const event = step ? await this.applyStep(m, c, customerActor(c), step, at) : null;
      if (event) at = new Date(at.getTime() + 1); // the event that the message caused comes first
      const msg = await this.insertMessage(m, c, { ...input, at });
      c.lastMessageAt = at;
      c.updatedAt = at;
      await m.update(ConversationEntity, { tenantId, id: c.id }, { lastMessageAt: at, updatedAt: at });
      if (input.senderType === MessageSenderType.AGENT && !msg.internal && !c.firstResponseAt && !opts.aside) {
        const u = await m.update(ConversationEntity, { tenantId, id: c.id, firstResponseAt: IsNull() }, { firstResponseAt: at });
        if (u.affected) {
          c.firstResponseAt = at;
          firstResponse = (at.getTime() - c.createdAt.getTime()) / 1000;
        }
      }
      return { kind: 'added' as const, message: msg, conversation: c, event };
    });
    if (r.kind === 'follow') {
      if (r.closed) await this.announceTransition(r.follow, r.closed);
      const c = r.follow;
      const on: ChannelPlace = { customerId: c.customerId, channelType: c.channelType, channelId: c.channelId, threadId: c.threadId };
      // Opened under the place's lock, as a first message is: two messages that both found this conversation
      // closed (two replicas) open one follow-up, and the second joins it.
      const follow = async () => {
        const open = await this.latestOpenOn(tenantId, on);
        if (open) return this.append(tenantId, open.id, input, opts, true);
        const next = await this.openWithMessage(
          tenantId,
          { ...on, groupId: c.groupId, subject: c.subject, firstMessage: input, at: input.at, previousConversationId: c.id },
          customerActor(c),
        );
        return { message: next.message!, conversation: next.conversation };
      };
      // Never a second lock while one is held: NamedLocks hold at most 4 at once, and waits for a second one could
      // fill them. The held one is this place's, except for a message received without its channel id (by API) on a
      // conversation that has one: that follow-up is serialised with API calls, not with the channel's webhooks.
      return underLock ? follow() : this.openLocks.with(this.openKey(tenantId, on), follow);
    }
    const { message, conversation, event } = r;
    if (event) await this.announceTransition(conversation, event);
    // Issued together: on the auto-pipelined Redis connections they share socket writes, in this order.
    await Promise.all([
      this.announceMessage(conversation, message),
      firstResponse !== undefined
        ? this.events.publish({ type: 'conversation.first_response', tenantId, occurredAt: conversation.firstResponseAt!.toISOString(), data: { conversationId, seconds: firstResponse } })
        : null,
      this.live(TOPICS.conversationUpdated, conversation),
      message.internal ? null : this.x.context.invalidate(tenantId, conversation.customerId),
    ]);
    // Replying means having read what came before.
    if (message.senderType === MessageSenderType.AGENT && message.senderId && !opts.aside) await this.x.reads.markRead(tenantId, conversation.id, message.senderId, message.createdAt);
    return { message, conversation };
  }

  /**
   * ASSIGNED to an agent of the tenant (NOT_FOUND otherwise); TRANSFERRED when another agent had it. When the
   * agent takes over from a colleague, from the bot or from another channel, a handoff summary is written for
   * them and pushed BEFORE the assignment itself, so it is on their screen before they can reply.
   * `onlyIf` runs in the transaction, with the conversation's row locked: false leaves the conversation as it is
   * (routing passes "the entry still names this agent", so an overtaken step cannot undo a newer one).
   */
  async assign(
    tenantId: string, conversationId: string, agentId: string, actor: Actor = SYSTEM_ACTOR,
    opts: { onlyIf?: (m: EntityManager) => Promise<boolean> } = {},
  ): Promise<ConversationEntity> {
    await this.agents.get(tenantId, agentId);
    const before = await this.get(tenantId, conversationId);
    if (before.status === S.CLOSED) throw conflict(`conversation ${before.id} is closed`);
    if (before.status === S.ASSIGNED && before.assigneeId === agentId) return before;
    // Summarised outside the transaction: a slow LLM provider must not hold the row lock.
    const trigger = await this.x.handoffs.triggerForAssignment(before, agentId);
    const summary = trigger ? await this.x.handoffs.summarize(before) : null;
    const r = await this.tx(async (m) => {
      const c = await this.lock(m, tenantId, conversationId);
      if (c.status === S.CLOSED) throw conflict(`conversation ${c.id} is closed`);
      if (c.status === S.ASSIGNED && c.assigneeId === agentId) return { c, event: null, handoff: null, previous: null };
      if (opts.onlyIf && !(await opts.onlyIf(m))) return { c, event: null, handoff: null, previous: null };
      const previous = c.assigneeId;
      const type = previous && previous !== agentId ? E.TRANSFERRED : E.ASSIGNED;
      const data = previous && previous !== agentId ? { agentId, previousAgentId: previous } : { agentId };
      const event = await this.applyStep(m, c, actor, { type, to: S.ASSIGNED, patch: { assigneeId: agentId }, data }, new Date());
      const handoff = summary && trigger ? await this.x.handoffs.store(c, trigger, agentId, summary, m) : null;
      return { c, event, handoff, previous };
    });
    if (r.handoff) await this.announceHandoff(r.c, r.handoff);
    if (r.event) await this.announceTransition(r.c, r.event, [agentId, r.previous]);
    return r.c;
  }

  /**
   * Who handled a record on the platform (a call answered on the phone: InboundEvent.thread.agentId): its assignee,
   * as an ASSIGNED (or TRANSFERRED) event, its status unchanged. Only while it is a RESOLVED record: reopened, it is
   * routing's to assign. NOT_FOUND for an agent that is not the tenant's.
   */
  async recordHandledBy(tenantId: string, conversationId: string, agentId: string): Promise<ConversationEntity> {
    await this.agents.get(tenantId, agentId);
    return this.transition(tenantId, conversationId, SYSTEM_ACTOR, (c) => {
      if (c.status !== S.RESOLVED || c.assigneeId === agentId) return null;
      const previous = c.assigneeId;
      return { type: previous ? E.TRANSFERRED : E.ASSIGNED, to: S.RESOLVED, patch: { assigneeId: agentId }, data: previous ? { agentId, previousAgentId: previous } : { agentId } };
    });
  }

  /** The bot hands the customer to the human queue (BOT → QUEUED), optionally to a skill group. */
  async escalate(tenantId: string, conversationId: string, input: { groupId?: string | null; reason?: string | null }, actor: Actor = SYSTEM_ACTOR): Promise<ConversationEntity> {
    if (input.groupId && !(await this.agents.groupsByIds(tenantId, [input.groupId])).length) throw notFound('agent group', input.groupId);
    return this.transition(tenantId, conversationId, actor, (c) => {
      if (c.status === S.QUEUED) return null;
      if (c.status !== S.BOT) throw conflict(`only a conversation with the bot can be escalated (it is ${c.status})`);
      return { type: E.ESCALATED, to: S.QUEUED, patch: input.groupId ? { groupId: input.groupId } : {}, data: { ...(input.groupId ? { groupId: input.groupId } : {}), ...(input.reason ? { reason: input.reason } : {}) } };
    });
  }

  /** Waiting on the customer: their next message brings it back. */
  async setPending(tenantId: string, conversationId: string, actor: Actor = SYSTEM_ACTOR): Promise<ConversationEntity> {
    return this.transition(tenantId, conversationId, actor, (c) => {
      if (c.status === S.PENDING) return null;
      if (c.status !== S.ASSIGNED && c.status !== S.QUEUED) throw conflict(`a ${c.status} conversation cannot wait on the customer`);
      return { type: E.PENDING, to: S.PENDING };
    });
  }

  /** Idempotent: resolving a resolved conversation changes nothing and publishes nothing. */
  async resolve(tenantId: string, conversationId: string, actor: Actor = SYSTEM_ACTOR): Promise<ConversationEntity> {
    return this.transition(tenantId, conversationId, actor, (c, at) => {
      if (c.status === S.RESOLVED) return null;
      if (c.status === S.CLOSED) throw conflict(`conversation ${c.id} is closed`);
      return { type: E.RESOLVED, to: S.RESOLVED, patch: { resolvedAt: at } };
    });
  }

  /**
   * CLOSED for good: a later customer message opens a new conversation. A RESOLVED conversation may be closed by
   * anyone allowed to write; closing an unresolved one takes `force` (supervisors and admins).
   */
  async close(tenantId: string, conversationId: string, input: { force: boolean; reason?: string | null }, actor: Actor = SYSTEM_ACTOR): Promise<ConversationEntity> {
    return this.transition(tenantId, conversationId, actor, (c, at) => {
      if (c.status === S.CLOSED) return null;
      if (c.status !== S.RESOLVED && !input.force) throw forbidden('only a supervisor or an admin may close a conversation that is not resolved');
      return { type: E.CLOSED, to: S.CLOSED, patch: { closedAt: at }, data: input.reason ? { reason: input.reason } : undefined };
    });
  }

  /** Staff reopen a RESOLVED conversation (any time; the window only limits automatic reopening). */
  async reopen(tenantId: string, conversationId: string, actor: Actor = SYSTEM_ACTOR): Promise<ConversationEntity> {
    return this.transition(tenantId, conversationId, actor, (c) => {
      if (c.status === S.CLOSED) throw conflict(`conversation ${c.id} is closed; the customer's next message opens a new one`);
      if (c.status !== S.RESOLVED) return null;
      return { type: E.REOPENED, to: c.assigneeId ? S.ASSIGNED : S.QUEUED };
    });
  }

  /** Every update of the tenant's conversations, reloaded. */
  watchUpdated(tenantId: string): AsyncIterableIterator<ConversationEntity> {
    return liveRows(this.pubsub, TOPICS.conversationUpdated, tenantId, () => true, async (e) => (await this.byIds(tenantId, [e.id]))[0] ?? null);
  }

  /** Locks the conversation, lets `decide` pick a step (or none), applies and records it; announces after commit. */
  private async transition(tenantId: string, conversationId: string, actor: Actor, decide: (c: ConversationEntity, at: Date) => Step | null): Promise<ConversationEntity> {
    const r = await this.tx(async (m) => {
      const c = await this.lock(m, tenantId, conversationId);
      const at = new Date();
      const step = decide(c, at);
      return { c, event: step ? await this.applyStep(m, c, actor, step, at) : null };
    });
    if (r.event) await this.announceTransition(r.c, r.event);
    return r.c;
  }

  private async applyStep(m: EntityManager, c: ConversationEntity, actor: Actor, step: Step, at: Date): Promise<ConversationEventEntity> {
    const from = c.status;
    Object.assign(c, { status: step.to, updatedAt: at, ...step.patch });
    await m.update(ConversationEntity, { tenantId: c.tenantId, id: c.id }, { status: step.to, updatedAt: at, ...step.patch });
    return this.x.lifecycle.record(m, c, { type: step.type, from, to: step.to, actor, data: step.data ?? null, at });
  }

  private async lock(m: EntityManager, tenantId: string, id: string): Promise<ConversationEntity> {
    const c = await m.findOne(ConversationEntity, { where: { tenantId, id }, ...(this.rowLocks ? { lock: { mode: 'pessimistic_write' as const } } : {}) });
    if (!c) throw notFound('conversation', id);
    return c;
  }

  /** A transaction, run again when it lost a lock race (deadlock, lock wait timeout). */
  private async tx<T>(work: (m: EntityManager) => Promise<T>): Promise<T> {
    for (let attempt = 1; ; attempt++) {
      try {
        return await this.ds.transaction(work);
      } catch (e) {
        if (attempt >= 3 || !isRetryableTransactionError(e)) throw e;
      }
    }
  }

  private eventData(c: ConversationEntity, e: ConversationEventEntity): Record<string, unknown> {
    return { conversationId: c.id, customerId: c.customerId, eventId: e.id, from: e.fromStatus, to: e.toStatus, actorType: e.actorType, actorId: e.actorId, ...(e.data ?? {}) };
  }

  /** conversation.<type> on the bus, the event live, and the conversation's update. */
  private async announceTransition(c: ConversationEntity, e: ConversationEventEntity, agentIds: Array<string | null | undefined> = [c.assigneeId]): Promise<void> {
    await this.events.publish({ type: `conversation.${e.type.toLowerCase()}`, tenantId: c.tenantId, occurredAt: e.at.toISOString(), data: this.eventData(c, e) });
    await this.x.activity.publish(ActivityKind.EVENT, c, e.id, agentIds);
    await this.live(TOPICS.conversationUpdated, c);
    // A resolution settles the customer's open asks in the context's summary.
    if (e.type === E.RESOLVED || e.type === E.CLOSED) await this.x.context.invalidate(c.tenantId, c.customerId);
  }

  private async announceHandoff(c: ConversationEntity, h: HandoffSummaryEntity): Promise<void> {
    await this.events.publish({
      type: 'conversation.handoff_summarized', tenantId: c.tenantId, occurredAt: h.createdAt.toISOString(),
      data: { conversationId: c.id, customerId: c.customerId, summaryId: h.id, trigger: h.trigger, agentId: h.agentId, provider: h.provider },
    });
    await this.x.activity.publish(ActivityKind.HANDOFF, c, h.id, [h.agentId]);
  }

  private async insertMessage(m: EntityManager, c: ConversationEntity, input: NewMessage & { at: Date }): Promise<MessageEntity> {
    const msg = this.messageRow(m, c, input);
    await m.insert(MessageEntity, msg);
    return msg;
  }

  private messageRow(m: EntityManager, c: ConversationEntity, input: NewMessage & { at: Date }): MessageEntity {
    const attachments = input.attachments?.length ? input.attachments : null;
    return m.create(MessageEntity, {
      id: input.id ?? newId(), tenantId: c.tenantId, conversationId: c.id, customerId: c.customerId, channelType: c.channelType,
      senderType: input.senderType, senderId: input.senderId ?? null, kind: input.kind ?? (attachments && !input.text ? attachments[0].kind : 'text'),
      text: input.text, payload: input.payload ?? null, attachments, internal: input.internal ?? false, createdAt: input.at,
    });
  }

  /** message.received (from the customer) or message.sent (to the customer; internal notes are not sent). */
  private async announceMessage(c: ConversationEntity, msg: MessageEntity): Promise<void> {
    const type = msg.senderType === MessageSenderType.CUSTOMER ? 'message.received' : msg.internal ? undefined : 'message.sent';
    // message.received also carries who wrote what, so consumers (ticket rules) need not read this subgraph's rows.
    const received = type === 'message.received' ? { customerId: c.customerId, text: msg.text } : {};
    await Promise.all([
      type ? this.events.publish({ type, tenantId: c.tenantId, occurredAt: msg.createdAt.toISOString(), data: { conversationId: c.id, messageId: msg.id, ...received } }) : null,
      this.live(TOPICS.messageAdded, c, msg.id),
      this.x.activity.publish(ActivityKind.MESSAGE, c, msg.id),
    ]);
  }

  /** Live updates are best effort: a pub/sub hiccup must not fail a write that is already committed. */
  private async live(topic: string, c: ConversationEntity, id = c.id): Promise<void> {
    try {
      await this.pubsub.publish(topic, { id, tenantId: c.tenantId, conversationId: c.id });
    } catch (err) {
      this.log.warn({ err, topic, tenantId: c.tenantId, conversationId: c.id }, 'live update not published');
    }
  }
}

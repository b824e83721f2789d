import { In, IsNull, type DataSource, type EntityManager, type Repository } from 'typeorm';
import { badInput, conflict, notFound } from '../../_shared/errors.js';
import type { EventBus } from '../../_shared/events.js';
import { newId } from '../../_shared/ids.js';
import type { Logger } from '../../_shared/logger.js';
import { clampFirst, decodeCursor, toPage } from '../../_shared/pagination.js';
import type { PubSub } from '../../_shared/pubsub.js';
import type { AgentService } from '../agent/agent.service.js';
import type { ChannelService } from '../channel/channel.service.js';
import { firstChildren } from '../conversations.paging.js';
import { liveRows, TOPICS } from '../live/live.stream.js';
import { MessageEntity, MessageSenderType, type JsonObject } from '../message/message.entity.js';
import { ConversationEntity, ConversationStatus as S } from './conversation.entity.js';

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
  at?: Date;
}

export interface NewMessage {
  id?: string;
  senderType: MessageSenderType;
  senderId?: string | null;
  kind?: string;
  text: string;
  payload?: JsonObject | null;
  internal?: boolean;
  at?: Date;
}

export interface ConversationFilter {
  first?: number | null;
  after?: string | null;
  status?: S | null;
  assigneeId?: string | null;
  customerId?: string | null;
}

/** A customer message on a waiting or resolved conversation hands it back to the agents. */
const REOPEN_ON_CUSTOMER = new Set([S.PENDING, S.RESOLVED]);

/** Conversations and their messages (the aggregate's writes). Every method is scoped by tenant. */
export class ConversationService {
  private readonly repo: Repository<ConversationEntity>;

  constructor(
    private readonly ds: DataSource,
    private readonly events: EventBus,
    private readonly pubsub: PubSub,
    private readonly agents: AgentService,
    private readonly channels: ChannelService,
    private readonly log: Logger,
  ) {
    this.repo = ds.getRepository(ConversationEntity);
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

  /** The first `limit` conversations of each customer (latest activity first), after a cursor: one round of queries. */
  firstOfCustomers(tenantId: string, customerIds: readonly string[], limit: number, after?: { at: Date; id: string }): Promise<ConversationEntity[]> {
    return firstChildren(this.repo, { tenantId, parentColumn: 'customer_id', orderColumn: 'last_message_at', direction: 'DESC' }, customerIds, limit, after);
  }

  /** Opens a conversation in the queue, with the customer's first message when there is one. */
  async open(tenantId: string, input: NewConversation): Promise<ConversationEntity> {
    if (input.channelId) {
      const [channel] = await this.channels.byIds(tenantId, [input.channelId]);
      if (!channel) throw notFound('channel', input.channelId);
      if (channel.type !== input.channelType) throw badInput(`channel ${channel.id} is of type ${channel.type}`, 'channelType');
    }
    if (input.groupId && !(await this.agents.groupsByIds(tenantId, [input.groupId])).length) throw notFound('agent group', input.groupId);
    const now = input.at ?? new Date();
    const c = this.repo.create({
      id: input.id ?? newId(), tenantId, customerId: input.customerId, channelId: input.channelId ?? null, channelType: input.channelType,
      subject: input.subject, status: S.QUEUED, assigneeId: null, groupId: input.groupId ?? null, firstResponseAt: null,
      lastMessageAt: now, createdAt: now, updatedAt: now,
    });
    const message = await this.ds.transaction(async (m) => {
      await m.insert(ConversationEntity, c);
      return input.text ? this.insertMessage(m, c, { id: input.messageId, senderType: MessageSenderType.CUSTOMER, text: input.text, at: now }) : null;
    });
    await this.events.publish({ type: 'conversation.opened', tenantId, occurredAt: now.toISOString(), data: { conversationId: c.id, customerId: c.customerId, channelType: c.channelType } });
    if (message) await this.announceMessage(c, message);
    await this.live(TOPICS.conversationUpdated, c);
    return c;
  }

  /**
   * Appends a message and moves the conversation on: last activity, reopening on a customer message, and the
   * first response (first agent message the customer sees), which is counted exactly once.
   */
  async addMessage(tenantId: string, conversationId: string, input: NewMessage): Promise<{ message: MessageEntity; conversation: ConversationEntity }> {
    let firstResponse: number | undefined;
    const { message, conversation } = await this.ds.transaction(async (m) => {
      const c = await m.findOneBy(ConversationEntity, { tenantId, id: conversationId });
      if (!c) throw notFound('conversation', conversationId);
      if (c.status === S.CLOSED) throw conflict(`conversation ${c.id} is closed`);
      // Strictly increasing within a conversation, so (created_at, id) order is the order of arrival.
      const at = new Date(Math.max((input.at ?? new Date()).getTime(), c.lastMessageAt.getTime() + 1));
      const msg = await this.insertMessage(m, c, { ...input, at });
      c.lastMessageAt = at;
      c.updatedAt = at;
      if (input.senderType === MessageSenderType.CUSTOMER && REOPEN_ON_CUSTOMER.has(c.status)) c.status = c.assigneeId ? S.ASSIGNED : S.QUEUED;
      await m.update(ConversationEntity, { tenantId, id: c.id }, { lastMessageAt: at, updatedAt: at, status: c.status });
      if (input.senderType === MessageSenderType.AGENT && !msg.internal && !c.firstResponseAt) {
        const r = await m.update(ConversationEntity, { tenantId, id: c.id, firstResponseAt: IsNull() }, { firstResponseAt: at });
        if (r.affected) {
          c.firstResponseAt = at;
          firstResponse = (at.getTime() - c.createdAt.getTime()) / 1000;
        }
      }
      return { message: msg, conversation: c };
    });
    await this.announceMessage(conversation, message);
    if (firstResponse !== undefined) {
      await this.events.publish({ type: 'conversation.first_response', tenantId, occurredAt: conversation.firstResponseAt!.toISOString(), data: { conversationId, seconds: firstResponse } });
    }
    await this.live(TOPICS.conversationUpdated, conversation);
    return { message, conversation };
  }

  /** The agent must be one of the tenant's: NOT_FOUND otherwise. */
  async assign(tenantId: string, conversationId: string, agentId: string): Promise<ConversationEntity> {
    await this.agents.get(tenantId, agentId);
    const c = await this.get(tenantId, conversationId);
    if (c.status === S.CLOSED) throw conflict(`conversation ${c.id} is closed`);
    if (c.status === S.ASSIGNED && c.assigneeId === agentId) return c;
    Object.assign(c, { assigneeId: agentId, status: S.ASSIGNED, updatedAt: new Date() });
    await this.repo.update({ tenantId, id: c.id }, { assigneeId: c.assigneeId, status: c.status, updatedAt: c.updatedAt });
    await this.events.publish({ type: 'conversation.assigned', tenantId, data: { conversationId: c.id, agentId } });
    await this.live(TOPICS.conversationUpdated, c);
    return c;
  }

  /** Idempotent: resolving a resolved conversation changes nothing and publishes nothing. */
  async resolve(tenantId: string, conversationId: string): Promise<ConversationEntity> {
    const c = await this.get(tenantId, conversationId);
    if (c.status === S.RESOLVED) return c;
    if (c.status === S.CLOSED) throw conflict(`conversation ${c.id} is closed`);
    Object.assign(c, { status: S.RESOLVED, updatedAt: new Date() });
    await this.repo.update({ tenantId, id: c.id }, { status: c.status, updatedAt: c.updatedAt });
    await this.events.publish({ type: 'conversation.resolved', tenantId, data: { conversationId: c.id } });
    await this.live(TOPICS.conversationUpdated, c);
    return c;
  }

  /** Every update of the tenant's conversations, reloaded. */
  watchUpdated(tenantId: string): AsyncIterableIterator<ConversationEntity> {
    return liveRows(this.pubsub, TOPICS.conversationUpdated, tenantId, () => true, async (e) => (await this.byIds(tenantId, [e.id]))[0] ?? null);
  }

  private async insertMessage(m: EntityManager, c: ConversationEntity, input: NewMessage & { at: Date }): Promise<MessageEntity> {
    const msg = m.create(MessageEntity, {
      id: input.id ?? newId(), tenantId: c.tenantId, conversationId: c.id, senderType: input.senderType, senderId: input.senderId ?? null,
      kind: input.kind ?? 'text', text: input.text, payload: input.payload ?? null, internal: input.internal ?? false, createdAt: input.at,
    });
    await m.insert(MessageEntity, msg);
    return msg;
  }

  /** message.received (from the customer) or message.sent (to the customer; internal notes are not sent). */
  private async announceMessage(c: ConversationEntity, msg: MessageEntity): Promise<void> {
    const type = msg.senderType === MessageSenderType.CUSTOMER ? 'message.received' : msg.internal ? undefined : 'message.sent';
    if (type) await this.events.publish({ type, tenantId: c.tenantId, occurredAt: msg.createdAt.toISOString(), data: { conversationId: c.id, messageId: msg.id } });
    await this.live(TOPICS.messageAdded, c, msg.id);
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

import { In, type DataSource, type EntityManager, type Repository } from 'typeorm';
import { newId } from '../../_shared/ids.js';
import type { ConversationEntity } from '../conversation/conversation.entity.js';
import { firstChildren } from '../conversations.paging.js';
import type { JsonObject } from '../message/message.entity.js';
import { ConversationEventEntity, type Actor, type ConversationEventType } from './event.entity.js';

export interface NewConversationEvent {
  type: ConversationEventType;
  from: string | null;
  to: string | null;
  actor: Actor;
  data?: JsonObject | null;
  at: Date;
}

/** The lifecycle log: every transition of every conversation, written in the transaction that makes it. */
export class ConversationEventService {
  private readonly repo: Repository<ConversationEventEntity>;

  constructor(ds: DataSource) {
    this.repo = ds.getRepository(ConversationEventEntity);
  }

  async record(m: EntityManager, c: ConversationEntity, e: NewConversationEvent): Promise<ConversationEventEntity> {
    const row = m.create(ConversationEventEntity, {
      id: newId(), tenantId: c.tenantId, conversationId: c.id, customerId: c.customerId, channelType: c.channelType, type: e.type,
      fromStatus: e.from, toStatus: e.to, actorType: e.actor.type, actorId: e.actor.id, data: e.data ?? null, at: e.at,
    });
    await m.insert(ConversationEventEntity, row);
    return row;
  }

  async byIds(tenantId: string, ids: readonly string[]): Promise<ConversationEventEntity[]> {
    if (!ids.length) return [];
    return this.repo.findBy({ tenantId, id: In([...ids]) });
  }

  /** The first `limit` events of each conversation, oldest first, after a cursor: one round of queries. */
  firstOf(tenantId: string, conversationIds: readonly string[], limit: number, after?: { at: Date; id: string }): Promise<ConversationEventEntity[]> {
    return firstChildren(this.repo, { tenantId, parentColumn: 'conversation_id', orderColumn: 'at', direction: 'ASC' }, conversationIds, limit, after);
  }

  /** Whether any of the conversation's events is of one of the types (e.g. it was ever with the bot). */
  async has(tenantId: string, conversationId: string, types: ConversationEventType[]): Promise<boolean> {
    return (await this.repo.count({ where: { tenantId, conversationId, type: In(types) } })) > 0;
  }
}

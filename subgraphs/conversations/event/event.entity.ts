import { Column, Entity, Index, PrimaryColumn } from 'typeorm';
import type { JsonObject } from '../message/message.entity.js';

/** What happened to a conversation. Each one is a row here and a domain event `conversation.<type lower>`. */
export enum ConversationEventType {
  OPENED = 'OPENED',
  ESCALATED = 'ESCALATED',
  ASSIGNED = 'ASSIGNED',
  TRANSFERRED = 'TRANSFERRED',
  PENDING = 'PENDING',
  RESUMED = 'RESUMED',
  RESOLVED = 'RESOLVED',
  REOPENED = 'REOPENED',
  CLOSED = 'CLOSED',
}

/** Who made it happen. */
export enum ActorType {
  CUSTOMER = 'CUSTOMER',
  AGENT = 'AGENT',
  BOT = 'BOT',
  SYSTEM = 'SYSTEM',
}

export interface Actor {
  type: ActorType;
  /** The agent's (or service's) token subject, the customer id for CUSTOMER; null for the system itself. */
  id: string | null;
}

export const SYSTEM_ACTOR: Actor = { type: ActorType.SYSTEM, id: null };

@Entity('conversation_events')
@Index('idx_conversation_events_tenant_customer_at', ['tenantId', 'customerId', 'at', 'id'])
@Index('idx_conversation_events_conversation_at', ['conversationId', 'at'])
export class ConversationEventEntity {
  @PrimaryColumn({ type: 'varchar', length: 36 })
  id: string;

  @Column({ name: 'tenant_id', type: 'varchar', length: 64 })
  tenantId: string;

  @Column({ name: 'conversation_id', type: 'varchar', length: 36 })
  conversationId: string;

  /** Copied from the conversation: the customer timeline reads events by customer. */
  @Column({ name: 'customer_id', type: 'varchar', length: 36 })
  customerId: string;

  @Column({ name: 'channel_type', type: 'varchar', length: 40 })
  channelType: string;

  @Column({ name: 'type', type: 'varchar', length: 30 })
  type: ConversationEventType;

  @Column({ name: 'from_status', type: 'varchar', length: 20, nullable: true })
  fromStatus: string | null;

  @Column({ name: 'to_status', type: 'varchar', length: 20, nullable: true })
  toStatus: string | null;

  @Column({ name: 'actor_type', type: 'varchar', length: 20 })
  actorType: ActorType;

  @Column({ name: 'actor_id', type: 'varchar', length: 191, nullable: true })
  actorId: string | null;

  /** Type-specific: agentId and previousAgentId, groupId, reason, newConversationId... ids only. */
  @Column({ name: 'data', type: 'json', nullable: true })
  data: JsonObject | null;

  @Column({ name: 'at', type: 'datetime', precision: 3 })
  at: Date;
}

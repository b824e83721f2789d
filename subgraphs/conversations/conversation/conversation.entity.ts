import { Column, Entity, Index, PrimaryColumn } from 'typeorm';

export enum ConversationStatus {
  BOT = 'BOT',
  QUEUED = 'QUEUED',
  ASSIGNED = 'ASSIGNED',
  PENDING = 'PENDING',
  RESOLVED = 'RESOLVED',
  CLOSED = 'CLOSED',
}

@Entity('conversations')
@Index('idx_conversations_tenant_customer', ['tenantId', 'customerId'])
@Index('idx_conversations_tenant_assignee_status', ['tenantId', 'assigneeId', 'status'])
@Index('idx_conversations_tenant_last_message', ['tenantId', 'lastMessageAt'])
@Index('idx_conversations_thread', ['tenantId', 'channelId', 'threadId'])
export class ConversationEntity {
  @PrimaryColumn({ type: 'varchar', length: 36 })
  id: string;

  @Column({ name: 'tenant_id', type: 'varchar', length: 64 })
  tenantId: string;

  /** Owned by the customers subgraph: a reference, never joined. */
  @Column({ name: 'customer_id', type: 'varchar', length: 36 })
  customerId: string;

  @Column({ name: 'channel_id', type: 'varchar', length: 36, nullable: true })
  channelId: string | null;

  @Column({ name: 'channel_type', type: 'varchar', length: 40 })
  channelType: string;

  /** The platform's thread (a call, a consultation, a store's QR chat): its events make this conversation alone. */
  @Column({ name: 'thread_id', type: 'varchar', length: 191, nullable: true })
  threadId: string | null;

  @Column({ name: 'subject', type: 'varchar', length: 200 })
  subject: string;

  @Column({ name: 'status', type: 'varchar', length: 20 })
  status: ConversationStatus;

  @Column({ name: 'assignee_id', type: 'varchar', length: 36, nullable: true })
  assigneeId: string | null;

  @Column({ name: 'group_id', type: 'varchar', length: 36, nullable: true })
  groupId: string | null;

  @Column({ name: 'first_response_at', type: 'datetime', precision: 3, nullable: true })
  firstResponseAt: Date | null;

  /** When it was last resolved: the reopen window counts from here. */
  @Column({ name: 'resolved_at', type: 'datetime', precision: 3, nullable: true })
  resolvedAt: Date | null;

  @Column({ name: 'closed_at', type: 'datetime', precision: 3, nullable: true })
  closedAt: Date | null;

  @Column({ name: 'last_message_at', type: 'datetime', precision: 3 })
  lastMessageAt: Date;

  @Column({ name: 'created_at', type: 'datetime', precision: 3 })
  createdAt: Date;

  @Column({ name: 'updated_at', type: 'datetime', precision: 3 })
  updatedAt: Date;
}

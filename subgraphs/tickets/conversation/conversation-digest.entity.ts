import { Column, Entity, Index, PrimaryColumn } from 'typeorm';

/**
 * What the customer said lately in a conversation, projected from conversations' `message.received` events, so a
 * ticket opened from that conversation keeps its summary without reading another subgraph's tables.
 */
@Entity('conversation_digests')
@Index('idx_conversation_digests_tenant', ['tenantId', 'conversationId'], { unique: true })
export class ConversationDigestEntity {
  @PrimaryColumn({ type: 'varchar', length: 36 })
  id: string;

  @Column({ name: 'tenant_id', type: 'varchar', length: 64 })
  tenantId: string;

  @Column({ name: 'conversation_id', type: 'varchar', length: 36 })
  conversationId: string;

  /** The last customer messages, oldest first. */
  @Column({ name: 'lines', type: 'json' })
  lines: string[];

  @Column({ name: 'updated_at', type: 'datetime', precision: 3 })
  updatedAt: Date;
}

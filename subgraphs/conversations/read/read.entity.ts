import { Column, Entity, Index, PrimaryColumn } from 'typeorm';

/** How far one reader (a token subject) has read one conversation. */
@Entity('conversation_reads')
@Index('uq_conversation_reads', ['tenantId', 'conversationId', 'readerId'], { unique: true })
export class ConversationReadEntity {
  @PrimaryColumn({ type: 'varchar', length: 36 })
  id: string;

  @Column({ name: 'tenant_id', type: 'varchar', length: 64 })
  tenantId: string;

  @Column({ name: 'conversation_id', type: 'varchar', length: 36 })
  conversationId: string;

  @Column({ name: 'reader_id', type: 'varchar', length: 191 })
  readerId: string;

  /** Messages up to this instant are read; it never moves backwards. */
  @Column({ name: 'last_read_at', type: 'datetime', precision: 3 })
  lastReadAt: Date;

  @Column({ name: 'updated_at', type: 'datetime', precision: 3 })
  updatedAt: Date;
}

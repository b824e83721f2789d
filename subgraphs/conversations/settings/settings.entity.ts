import { Column, Entity, Index, PrimaryColumn } from 'typeorm';

/** A tenant's conversation rules; a tenant without a row gets the deployment's defaults. */
@Entity('conversation_settings')
@Index('uq_conversation_settings_tenant', ['tenantId'], { unique: true })
export class ConversationSettingsEntity {
  @PrimaryColumn({ type: 'varchar', length: 36 })
  id: string;

  @Column({ name: 'tenant_id', type: 'varchar', length: 64 })
  tenantId: string;

  /** A customer message this long after RESOLVED reopens the conversation; later, a new one is opened. */
  @Column({ name: 'reopen_window_hours', type: 'int' })
  reopenWindowHours: number;

  @Column({ name: 'updated_at', type: 'datetime', precision: 3 })
  updatedAt: Date;
}

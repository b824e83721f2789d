import { Column, Entity, Index, PrimaryColumn } from 'typeorm';

/** A canned reply for agents, with {{variables}} filled in when rendered. Names are unique per tenant. */
@Entity('reply_templates')
@Index('uq_reply_templates_tenant_name', ['tenantId', 'name'], { unique: true })
export class ReplyTemplateEntity {
  @PrimaryColumn({ type: 'varchar', length: 36 })
  id: string;

  @Column({ name: 'tenant_id', type: 'varchar', length: 64 })
  tenantId: string;

  @Column({ name: 'name', type: 'varchar', length: 100 })
  name: string;

  @Column({ name: 'body', type: 'text' })
  body: string;

  @Column({ name: 'created_by', type: 'varchar', length: 64 })
  createdBy: string;

  @Column({ name: 'updated_by', type: 'varchar', length: 64 })
  updatedBy: string;

  @Column({ name: 'created_at', type: 'datetime', precision: 3 })
  createdAt: Date;

  @Column({ name: 'updated_at', type: 'datetime', precision: 3 })
  updatedAt: Date;
}

import { Column, Entity, Index, PrimaryColumn } from 'typeorm';

@Entity('customers')
@Index('idx_customers_tenant_created', ['tenantId', 'createdAt'])
export class CustomerEntity {
  @PrimaryColumn({ type: 'varchar', length: 36 })
  id: string;

  @Column({ name: 'tenant_id', type: 'varchar', length: 64 })
  tenantId: string;

  @Column({ name: 'name', type: 'varchar', length: 200 })
  name: string;

  /** NORMAL | VIP | SVIP: drives routing (L2) and SLA targets. */
  @Column({ name: 'level', type: 'varchar', length: 20 })
  level: string;

  @Column({ name: 'created_at', type: 'datetime', precision: 3 })
  createdAt: Date;

  @Column({ name: 'updated_at', type: 'datetime', precision: 3 })
  updatedAt: Date;
}

@Entity('channel_identities')
@Index('uq_channel_identities_external', ['tenantId', 'channelType', 'externalId'], { unique: true })
@Index('idx_channel_identities_customer', ['customerId'])
export class ChannelIdentityEntity {
  @PrimaryColumn({ type: 'varchar', length: 36 })
  id: string;

  @Column({ name: 'tenant_id', type: 'varchar', length: 64 })
  tenantId: string;

  @Column({ name: 'customer_id', type: 'varchar', length: 36 })
  customerId: string;

  /** wechat-oa, wechat-unionid, douyin, taobao, app, web, phone, ... */
  @Column({ name: 'channel_type', type: 'varchar', length: 40 })
  channelType: string;

  /** OpenID, buyer nick, app user id...; 64-bit ids are kept as strings. */
  @Column({ name: 'external_id', type: 'varchar', length: 191 })
  externalId: string;

  @Column({ name: 'created_at', type: 'datetime', precision: 3 })
  createdAt: Date;
}

@Entity('customer_tags')
@Index('uq_customer_tags', ['customerId', 'tag'], { unique: true })
@Index('idx_customer_tags_tenant_tag', ['tenantId', 'tag'])
export class CustomerTagEntity {
  @PrimaryColumn({ type: 'varchar', length: 36 })
  id: string;

  @Column({ name: 'tenant_id', type: 'varchar', length: 64 })
  tenantId: string;

  @Column({ name: 'customer_id', type: 'varchar', length: 36 })
  customerId: string;

  @Column({ name: 'tag', type: 'varchar', length: 64 })
  tag: string;
}

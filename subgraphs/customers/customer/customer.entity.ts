import { Column, Entity, Index, PrimaryColumn } from 'typeorm';

@Entity('customers')
// Lists show unmerged customers newest first: merged_into IS NULL is an equality on this index.
@Index('idx_customers_tenant_merged_created', ['tenantId', 'mergedInto', 'createdAt'])
@Index('idx_customers_tenant_phone_hash', ['tenantId', 'phoneHash'])
@Index('idx_customers_tenant_name_address_hash', ['tenantId', 'nameAddressHash'])
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

  /** The profile phone number (E.164), encrypted (PiiVault); not a proof of identity unless also an identity. */
  @Column({ name: 'phone_enc', type: 'text', nullable: true })
  phoneEnc: string | null;

  /** Keyed hash of the normalised number: finds customers by phone without decrypting. */
  @Column({ name: 'phone_hash', type: 'varchar', length: 64, nullable: true })
  phoneHash: string | null;

  @Column({ name: 'address_enc', type: 'text', nullable: true })
  addressEnc: string | null;

  /** Keyed hash of name + address: the weak "same person?" signal. */
  @Column({ name: 'name_address_hash', type: 'varchar', length: 64, nullable: true })
  nameAddressHash: string | null;

  /** Set while this customer is merged into another (its survivor): it then appears in no list. */
  @Column({ name: 'merged_into', type: 'varchar', length: 36, nullable: true })
  mergedInto: string | null;

  @Column({ name: 'created_at', type: 'datetime', precision: 3 })
  createdAt: Date;

  @Column({ name: 'updated_at', type: 'datetime', precision: 3 })
  updatedAt: Date;
}

@Entity('channel_identities')
@Index('uq_channel_identities_key', ['tenantId', 'kind', 'appId', 'externalId'], { unique: true })
@Index('idx_channel_identities_customer', ['customerId'])
export class ChannelIdentityEntity {
  @PrimaryColumn({ type: 'varchar', length: 36 })
  id: string;

  @Column({ name: 'tenant_id', type: 'varchar', length: 64 })
  tenantId: string;

  @Column({ name: 'customer_id', type: 'varchar', length: 36 })
  customerId: string;

  /** The channel it was first seen on: wechat-oa, wechat-mini, douyin, taobao, app, web, phone, ... */
  @Column({ name: 'channel_type', type: 'varchar', length: 40 })
  channelType: string;

  /** What the id is (identity.kinds.ts): wechat-openid, wechat-unionid, app-user, phone, ... */
  @Column({ name: 'kind', type: 'varchar', length: 40 })
  kind: string;

  /** The app id that namespaces app-scoped ids (OpenIDs, open_uid); '' for global ones. */
  @Column({ name: 'app_id', type: 'varchar', length: 64 })
  appId: string;

  /** OpenID, buyer nick, app user id...; 64-bit ids are kept as strings. For phones: the keyed hash. */
  @Column({ name: 'external_id', type: 'varchar', length: 191 })
  externalId: string;

  /** For phones: the number, encrypted. Null for other kinds (and for phones not yet upgraded by the PII sweep). */
  @Column({ name: 'value_enc', type: 'text', nullable: true })
  valueEnc: string | null;

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

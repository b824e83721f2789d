import { Column, Entity, Index, PrimaryColumn } from 'typeorm';

/** One place customers reach the brand: a WeChat OA, a Taobao shop, the app, a store... */
@Entity('channels')
@Index('idx_channels_tenant_type', ['tenantId', 'type'])
@Index('idx_channels_tenant_owner', ['tenantId', 'ownerId'])
export class ChannelEntity {
  @PrimaryColumn({ type: 'varchar', length: 36 })
  id: string;

  @Column({ name: 'tenant_id', type: 'varchar', length: 64 })
  tenantId: string;

  /** wechat-oa, wechat-mini, wecom-kf, douyin, taobao, weibo, app, web, phone, store, ... */
  @Column({ name: 'type', type: 'varchar', length: 40 })
  type: string;

  @Column({ name: 'name', type: 'varchar', length: 200 })
  name: string;

  @Column({ name: 'enabled', type: 'boolean', default: true })
  enabled: boolean;

  /**
   * The channel's settings with the platform's own names (validated by its plugin). Secret fields are sealed
   * (`{ "$enc": "<keyId>:<base64>" }`, see ChannelSecrets) and opened only where the plugin is bound; never returned.
   */
  @Column({ name: 'config', type: 'json', nullable: true })
  config: Record<string, any> | null; // eslint-disable-line @typescript-eslint/no-explicit-any

  /** The partner (JWT `sub`) that registered it (registerPartnerChannel); a partner reaches only its own channels. */
  @Column({ name: 'owner_id', type: 'varchar', length: 191, nullable: true })
  ownerId: string | null;

  @Column({ name: 'created_at', type: 'datetime', precision: 3 })
  createdAt: Date;
}

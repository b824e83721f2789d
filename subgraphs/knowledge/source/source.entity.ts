import { Column, Entity, Index, PrimaryColumn } from 'typeorm';

/** A JSON object as stored in a json column (kept shallow for typeorm's deep-partial types). */
export type JsonObject = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

/** Where a tenant's product facts come from, and when to crawl it again. */
@Entity('knowledge_sources')
@Index('idx_knowledge_sources_tenant_created', ['tenantId', 'createdAt'])
@Index('idx_knowledge_sources_due', ['enabled', 'nextRunAt'])
export class KnowledgeSourceEntity {
  @PrimaryColumn({ type: 'varchar', length: 36 })
  id: string;

  @Column({ name: 'tenant_id', type: 'varchar', length: 64 })
  tenantId: string;

  @Column({ name: 'name', type: 'varchar', length: 100 })
  name: string;

  /** PRODUCT_PAGES | JSON_FEED | CSV_FEED */
  @Column({ name: 'kind', type: 'varchar', length: 20 })
  kind: string;

  /** Product page URLs, or the feed URL(s). */
  @Column({ name: 'urls', type: 'json' })
  urls: string[];

  /** A cron pattern (croner; five fields, or six with seconds). */
  @Column({ name: 'schedule', type: 'varchar', length: 100 })
  schedule: string;

  @Column({ name: 'timezone', type: 'varchar', length: 64 })
  timezone: string;

  /** The category of the articles it creates. */
  @Column({ name: 'category_id', type: 'varchar', length: 36, nullable: true })
  categoryId: string | null;

  @Column({ name: 'enabled', type: 'boolean', default: true })
  enabled: boolean;

  /** Publish the articles it creates at once (so the bot can answer with them). */
  @Column({ name: 'auto_publish', type: 'boolean', default: true })
  autoPublish: boolean;

  @Column({ name: 'next_run_at', type: 'datetime', precision: 3, nullable: true })
  nextRunAt: Date | null;

  /** The replica crawling it right now, and until when its claim holds (a crashed crawl expires). */
  @Column({ name: 'lease_owner', type: 'varchar', length: 100, nullable: true })
  leaseOwner: string | null;

  @Column({ name: 'lease_until', type: 'datetime', precision: 3, nullable: true })
  leaseUntil: Date | null;

  @Column({ name: 'last_run_at', type: 'datetime', precision: 3, nullable: true })
  lastRunAt: Date | null;

  /** OK | PARTIAL | FAILED */
  @Column({ name: 'last_status', type: 'varchar', length: 10, nullable: true })
  lastStatus: string | null;

  @Column({ name: 'last_report', type: 'json', nullable: true })
  lastReport: JsonObject | null;

  /** Per fetched URL: { etag, lastModified } for the next conditional request. */
  @Column({ name: 'fetch_state', type: 'json', nullable: true })
  fetchState: JsonObject | null;

  @Column({ name: 'created_by', type: 'varchar', length: 64 })
  createdBy: string;

  @Column({ name: 'created_at', type: 'datetime', precision: 3 })
  createdAt: Date;

  @Column({ name: 'updated_at', type: 'datetime', precision: 3 })
  updatedAt: Date;
}

/** One product a source listed: the facts last seen and the article that presents them. */
@Entity('knowledge_source_items')
@Index('uq_knowledge_source_items_source_key', ['sourceId', 'itemKey'], { unique: true })
export class KnowledgeSourceItemEntity {
  @PrimaryColumn({ type: 'varchar', length: 36 })
  id: string;

  @Column({ name: 'tenant_id', type: 'varchar', length: 64 })
  tenantId: string;

  @Column({ name: 'source_id', type: 'varchar', length: 36 })
  sourceId: string;

  /** The SKU when the source gives one, else the product's URL. */
  @Column({ name: 'item_key', type: 'varchar', length: 191 })
  itemKey: string;

  /** The page or feed it was read from (a 304 for that URL keeps it alive). */
  @Column({ name: 'origin_url', type: 'varchar', length: 1000 })
  originUrl: string;

  @Column({ name: 'article_id', type: 'varchar', length: 36 })
  articleId: string;

  @Column({ name: 'facts', type: 'json' })
  facts: JsonObject;

  @Column({ name: 'last_seen_at', type: 'datetime', precision: 3 })
  lastSeenAt: Date;

  @Column({ name: 'vanished_at', type: 'datetime', precision: 3, nullable: true })
  vanishedAt: Date | null;

  @Column({ name: 'created_at', type: 'datetime', precision: 3 })
  createdAt: Date;

  @Column({ name: 'updated_at', type: 'datetime', precision: 3 })
  updatedAt: Date;
}

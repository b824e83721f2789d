import { Column, Entity, Index, PrimaryColumn } from 'typeorm';

/** The article's head: its status and which version is current. The text lives in article_versions. */
@Entity('articles')
@Index('idx_articles_tenant_created', ['tenantId', 'createdAt'])
@Index('idx_articles_tenant_status_created', ['tenantId', 'status', 'createdAt'])
@Index('idx_articles_tenant_category', ['tenantId', 'categoryId'])
@Index('idx_articles_tenant_updated', ['tenantId', 'updatedAt'])
@Index('idx_articles_tenant_source', ['tenantId', 'sourceId'])
export class ArticleEntity {
  @PrimaryColumn({ type: 'varchar', length: 36 })
  id: string;

  @Column({ name: 'tenant_id', type: 'varchar', length: 64 })
  tenantId: string;

  @Column({ name: 'category_id', type: 'varchar', length: 36, nullable: true })
  categoryId: string | null;

  /** The current version's title, kept here for lists and search. */
  @Column({ name: 'title', type: 'varchar', length: 200 })
  title: string;

  /** DRAFT | PUBLISHED | ARCHIVED */
  @Column({ name: 'status', type: 'varchar', length: 10 })
  status: string;

  @Column({ name: 'current_version', type: 'int' })
  currentVersion: number;

  /** The current version's tags, validity and the like, copied here for the index and lists. */
  @Column({ name: 'tags', type: 'json', nullable: true })
  tags: string[] | null;

  /** The article applies from/until these instants (null: open-ended); bots see it only in between. */
  @Column({ name: 'valid_from', type: 'datetime', precision: 3, nullable: true })
  validFrom: Date | null;

  @Column({ name: 'valid_to', type: 'datetime', precision: 3, nullable: true })
  validTo: Date | null;

  /** Its crawled source no longer lists the product: the facts may be outdated. Bots do not see it. */
  @Column({ name: 'stale', type: 'boolean', default: false })
  stale: boolean;

  @Column({ name: 'stale_since', type: 'datetime', precision: 3, nullable: true })
  staleSince: Date | null;

  /** The knowledge source whose crawl keeps this article current; null for hand-written articles. */
  @Column({ name: 'source_id', type: 'varchar', length: 36, nullable: true })
  sourceId: string | null;

  @Column({ name: 'created_at', type: 'datetime', precision: 3 })
  createdAt: Date;

  /** Every change moves it (the index's safety sweep reads changes since a time by it). */
  @Column({ name: 'updated_at', type: 'datetime', precision: 3 })
  updatedAt: Date;
}

/** One immutable revision. Versions count 1, 2, 3... per article; a rollback appends a copy. */
@Entity('article_versions')
@Index('uq_article_versions_article_version', ['articleId', 'version'], { unique: true })
export class ArticleVersionEntity {
  @PrimaryColumn({ type: 'varchar', length: 36 })
  id: string;

  @Column({ name: 'tenant_id', type: 'varchar', length: 64 })
  tenantId: string;

  @Column({ name: 'article_id', type: 'varchar', length: 36 })
  articleId: string;

  @Column({ name: 'version', type: 'int' })
  version: number;

  @Column({ name: 'title', type: 'varchar', length: 200 })
  title: string;

  @Column({ name: 'body', type: 'text' })
  body: string;

  /** The JWT `sub` of the writer, or `source:<id>` for a crawl. */
  @Column({ name: 'author_id', type: 'varchar', length: 64 })
  authorId: string;

  /** Why this version exists ("价格：¥59.90 → ¥49.90", "回滚到第 2 版"). */
  @Column({ name: 'change_note', type: 'varchar', length: 500, nullable: true })
  changeNote: string | null;

  @Column({ name: 'tags', type: 'json', nullable: true })
  tags: string[] | null;

  @Column({ name: 'valid_from', type: 'datetime', precision: 3, nullable: true })
  validFrom: Date | null;

  @Column({ name: 'valid_to', type: 'datetime', precision: 3, nullable: true })
  validTo: Date | null;

  @Column({ name: 'created_at', type: 'datetime', precision: 3 })
  createdAt: Date;
}

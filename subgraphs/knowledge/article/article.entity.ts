import { Column, Entity, Index, PrimaryColumn } from 'typeorm';

/** The article's head: its status and which version is current. The text lives in article_versions. */
@Entity('articles')
@Index('idx_articles_tenant_created', ['tenantId', 'createdAt'])
@Index('idx_articles_tenant_status_created', ['tenantId', 'status', 'createdAt'])
@Index('idx_articles_tenant_category', ['tenantId', 'categoryId'])
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

  @Column({ name: 'created_at', type: 'datetime', precision: 3 })
  createdAt: Date;

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

  /** The JWT `sub` of the writer. */
  @Column({ name: 'author_id', type: 'varchar', length: 64 })
  authorId: string;

  @Column({ name: 'created_at', type: 'datetime', precision: 3 })
  createdAt: Date;
}

import { Table, TableIndex, type MigrationInterface, type QueryRunner } from 'typeorm';
import { col } from '../../subgraphs/_shared/migration-helpers.js';

export class KnowledgeInitial1764400000000 implements MigrationInterface {
  name = 'KnowledgeInitial1764400000000';

  async up(q: QueryRunner): Promise<void> {
    await q.createTable(
      new Table({
        name: 'knowledge_categories',
        columns: [col.id(), col.tenant(), col.varchar('name', 100), col.uuid('parent_id', true)],
        indices: [new TableIndex({ name: 'idx_knowledge_categories_tenant_name', columnNames: ['tenant_id', 'name'] })],
      }),
    );
    await q.createTable(
      new Table({
        name: 'articles',
        columns: [
          col.id(), col.tenant(), col.uuid('category_id', true), col.varchar('title', 200), col.varchar('status', 10), col.int('current_version'),
          col.datetime('created_at'), col.datetime('updated_at'),
        ],
        indices: [
          new TableIndex({ name: 'idx_articles_tenant_created', columnNames: ['tenant_id', 'created_at'] }),
          new TableIndex({ name: 'idx_articles_tenant_status_created', columnNames: ['tenant_id', 'status', 'created_at'] }),
          new TableIndex({ name: 'idx_articles_tenant_category', columnNames: ['tenant_id', 'category_id'] }),
        ],
      }),
    );
    await q.createTable(
      new Table({
        name: 'article_versions',
        columns: [
          col.id(), col.tenant(), col.uuid('article_id'), col.int('version'), col.varchar('title', 200), col.text('body'), col.varchar('author_id', 64),
          col.datetime('created_at'),
        ],
        indices: [new TableIndex({ name: 'uq_article_versions_article_version', columnNames: ['article_id', 'version'], isUnique: true })],
      }),
    );
  }

  async down(q: QueryRunner): Promise<void> {
    await q.dropTable('article_versions');
    await q.dropTable('articles');
    await q.dropTable('knowledge_categories');
  }
}

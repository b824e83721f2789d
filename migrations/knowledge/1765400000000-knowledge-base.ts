import { Table, TableIndex, type MigrationInterface, type QueryRunner } from 'typeorm';
import { col, column } from '../../subgraphs/_shared/migration-helpers.js';

/**
 * Issue 7: articles gain tags, validity dates, staleness and a source; versions record tags, validity and a
 * change note; FAQs with several phrasings, reply templates, per-tenant synonyms, and crawled sources.
 */
export class KnowledgeBase1765400000000 implements MigrationInterface {
  name = 'KnowledgeBase1765400000000';

  async up(q: QueryRunner): Promise<void> {
    await q.addColumns('articles', [
      column(col.json('tags', true)),
      column(col.datetime('valid_from', true)),
      column(col.datetime('valid_to', true)),
      column(col.bool('stale', false)),
      column(col.datetime('stale_since', true)),
      column(col.uuid('source_id', true)),
    ]);
    await q.createIndex('articles', new TableIndex({ name: 'idx_articles_tenant_updated', columnNames: ['tenant_id', 'updated_at'] }));
    await q.createIndex('articles', new TableIndex({ name: 'idx_articles_tenant_source', columnNames: ['tenant_id', 'source_id'] }));
    await q.addColumns('article_versions', [
      column(col.varchar('change_note', 500, true)),
      column(col.json('tags', true)),
      column(col.datetime('valid_from', true)),
      column(col.datetime('valid_to', true)),
    ]);

    await q.createTable(
      new Table({
        name: 'faqs',
        columns: [
          col.id(), col.tenant(), col.uuid('category_id', true), col.text('answer'), col.varchar('status', 10), col.json('tags', true),
          col.datetime('valid_from', true), col.datetime('valid_to', true), col.varchar('created_by', 64), col.varchar('updated_by', 64),
          col.datetime('created_at'), col.datetime('updated_at'),
        ],
        indices: [
          new TableIndex({ name: 'idx_faqs_tenant_created', columnNames: ['tenant_id', 'created_at'] }),
          new TableIndex({ name: 'idx_faqs_tenant_updated', columnNames: ['tenant_id', 'updated_at'] }),
        ],
      }),
    );
    await q.createTable(
      new Table({
        name: 'faq_questions',
        columns: [col.id(), col.tenant(), col.uuid('faq_id'), col.int('position'), col.varchar('question', 200)],
        indices: [new TableIndex({ name: 'idx_faq_questions_tenant_faq', columnNames: ['tenant_id', 'faq_id'] })],
      }),
    );
    await q.createTable(
      new Table({
        name: 'reply_templates',
        columns: [
          col.id(), col.tenant(), col.varchar('name', 100), col.text('body'), col.varchar('created_by', 64), col.varchar('updated_by', 64),
          col.datetime('created_at'), col.datetime('updated_at'),
        ],
        indices: [new TableIndex({ name: 'uq_reply_templates_tenant_name', columnNames: ['tenant_id', 'name'], isUnique: true })],
      }),
    );
    await q.createTable(
      new Table({
        name: 'knowledge_synonyms',
        columns: [col.id(), col.tenant(), col.json('terms'), col.varchar('created_by', 64), col.datetime('created_at')],
        indices: [new TableIndex({ name: 'idx_knowledge_synonyms_tenant', columnNames: ['tenant_id', 'created_at'] })],
      }),
    );
    await q.createTable(
      new Table({
        name: 'knowledge_sources',
        columns: [
          col.id(), col.tenant(), col.varchar('name', 100), col.varchar('kind', 20), col.json('urls'), col.varchar('schedule', 100),
          col.varchar('timezone', 64), col.uuid('category_id', true), col.bool('enabled', true), col.bool('auto_publish', true),
          col.datetime('next_run_at', true), col.varchar('lease_owner', 100, true), col.datetime('lease_until', true),
          col.datetime('last_run_at', true), col.varchar('last_status', 10, true), col.json('last_report', true), col.json('fetch_state', true),
          col.varchar('created_by', 64), col.datetime('created_at'), col.datetime('updated_at'),
        ],
        indices: [
          new TableIndex({ name: 'idx_knowledge_sources_tenant_created', columnNames: ['tenant_id', 'created_at'] }),
          new TableIndex({ name: 'idx_knowledge_sources_due', columnNames: ['enabled', 'next_run_at'] }),
        ],
      }),
    );
    await q.createTable(
      new Table({
        name: 'knowledge_source_items',
        columns: [
          col.id(), col.tenant(), col.uuid('source_id'), col.varchar('item_key', 191), col.varchar('origin_url', 1000), col.uuid('article_id'),
          col.json('facts'), col.datetime('last_seen_at'), col.datetime('vanished_at', true), col.datetime('created_at'), col.datetime('updated_at'),
        ],
        indices: [new TableIndex({ name: 'uq_knowledge_source_items_source_key', columnNames: ['source_id', 'item_key'], isUnique: true })],
      }),
    );
  }

  async down(q: QueryRunner): Promise<void> {
    await q.dropTable('knowledge_source_items');
    await q.dropTable('knowledge_sources');
    await q.dropTable('knowledge_synonyms');
    await q.dropTable('reply_templates');
    await q.dropTable('faq_questions');
    await q.dropTable('faqs');
    for (const c of ['valid_to', 'valid_from', 'tags', 'change_note']) await q.dropColumn('article_versions', c);
    await q.dropIndex('articles', 'idx_articles_tenant_source');
    await q.dropIndex('articles', 'idx_articles_tenant_updated');
    for (const c of ['source_id', 'stale_since', 'stale', 'valid_to', 'valid_from', 'tags']) await q.dropColumn('articles', c);
  }
}

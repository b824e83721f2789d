import { Table, TableColumn, TableIndex, type MigrationInterface, type QueryRunner } from 'typeorm';
import { col } from '../../subgraphs/_shared/migration-helpers.js';

/**
 * Issue 5 (conversations half): the customer timeline, lifecycle events, read state, attachments, handoff
 * summaries and per-tenant settings.
 *
 * messages gets customer_id and channel_type copied from its conversation (which never changes either), so a
 * customer's timeline is one range scan of (tenant_id, customer_id, created_at, id) in time order instead of a
 * join that reads and sorts every message of every conversation of the customer. Existing rows are backfilled.
 */
export class ConversationsTimeline1764800000000 implements MigrationInterface {
  name = 'ConversationsTimeline1764800000000';

  async up(q: QueryRunner): Promise<void> {
    await q.addColumns('messages', [
      new TableColumn(col.uuid('customer_id', true)),
      new TableColumn(col.varchar('channel_type', 40, true)),
      new TableColumn(col.json('attachments', true)),
    ]);
    await q.query(
      `UPDATE messages SET customer_id = (SELECT c.customer_id FROM conversations c WHERE c.id = messages.conversation_id),
         channel_type = (SELECT c.channel_type FROM conversations c WHERE c.id = messages.conversation_id)`,
    );
    // A message whose conversation is gone (never happens through the services) would block NOT NULL.
    await q.query(`UPDATE messages SET customer_id = '', channel_type = '' WHERE customer_id IS NULL OR channel_type IS NULL`);
    await q.changeColumn('messages', 'customer_id', new TableColumn(col.uuid('customer_id')));
    await q.changeColumn('messages', 'channel_type', new TableColumn(col.varchar('channel_type', 40)));
    await q.createIndex('messages', new TableIndex({ name: 'idx_messages_tenant_customer_created', columnNames: ['tenant_id', 'customer_id', 'created_at', 'id'] }));

    await q.addColumns('conversations', [new TableColumn(col.datetime('resolved_at', true)), new TableColumn(col.datetime('closed_at', true))]);

    await q.createTable(
      new Table({
        name: 'conversation_events',
        columns: [
          col.id(), col.tenant(), col.uuid('conversation_id'), col.uuid('customer_id'), col.varchar('channel_type', 40), col.varchar('type', 30),
          col.varchar('from_status', 20, true), col.varchar('to_status', 20, true), col.varchar('actor_type', 20), col.varchar('actor_id', 191, true),
          col.json('data', true), col.datetime('at'),
        ],
        indices: [
          new TableIndex({ name: 'idx_conversation_events_tenant_customer_at', columnNames: ['tenant_id', 'customer_id', 'at', 'id'] }),
          new TableIndex({ name: 'idx_conversation_events_conversation_at', columnNames: ['conversation_id', 'at'] }),
        ],
      }),
    );
    await q.createTable(
      new Table({
        name: 'conversation_reads',
        columns: [col.id(), col.tenant(), col.uuid('conversation_id'), col.varchar('reader_id', 191), col.datetime('last_read_at'), col.datetime('updated_at')],
        indices: [new TableIndex({ name: 'uq_conversation_reads', columnNames: ['tenant_id', 'conversation_id', 'reader_id'], isUnique: true })],
      }),
    );
    await q.createTable(
      new Table({
        name: 'handoff_summaries',
        columns: [
          col.id(), col.tenant(), col.uuid('conversation_id'), col.uuid('customer_id'), col.uuid('agent_id', true), col.varchar('trigger_type', 30),
          col.varchar('provider', 100), col.json('summary'), col.datetime('created_at'),
        ],
        indices: [new TableIndex({ name: 'idx_handoff_summaries_conversation', columnNames: ['tenant_id', 'conversation_id', 'created_at'] })],
      }),
    );
    await q.createTable(
      new Table({
        name: 'conversation_settings',
        columns: [col.id(), col.tenant(), col.int('reopen_window_hours'), col.datetime('updated_at')],
        indices: [new TableIndex({ name: 'uq_conversation_settings_tenant', columnNames: ['tenant_id'], isUnique: true })],
      }),
    );
  }

  async down(q: QueryRunner): Promise<void> {
    await q.dropTable('conversation_settings');
    await q.dropTable('handoff_summaries');
    await q.dropTable('conversation_reads');
    await q.dropTable('conversation_events');
    await q.dropColumns('conversations', ['resolved_at', 'closed_at']);
    await q.dropIndex('messages', 'idx_messages_tenant_customer_created');
    await q.dropColumns('messages', ['customer_id', 'channel_type', 'attachments']);
  }
}

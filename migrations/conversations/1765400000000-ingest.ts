import { Table, TableIndex, type MigrationInterface, type QueryRunner } from 'typeorm';
import { col, column } from '../../subgraphs/_shared/migration-helpers.js';

/** Channel ingest and delivery: channel configs, the inbound payload store (dedupe + retries), outbound delivery status. */
export class ConversationsIngest1765400000000 implements MigrationInterface {
  name = 'ConversationsIngest1765400000000';

  async up(q: QueryRunner): Promise<void> {
    await q.addColumn('channels', column(col.json('config', true)));
    await q.createTable(
      new Table({
        name: 'inbound_payloads',
        columns: [
          col.id(), col.tenant(), col.uuid('channel_id'), col.varchar('channel_type', 40), col.varchar('dedupe_key', 191), col.varchar('external_message_id', 191, true),
          col.varchar('status', 16), col.json('event', true), col.json('request'), col.int('attempts'), col.varchar('error_code', 40, true), col.text('error', true),
          col.uuid('message_id', true), col.datetime('received_at'), col.datetime('next_attempt_at', true), col.datetime('locked_until', true), col.datetime('processed_at', true),
        ],
        indices: [
          // Redeliveries collapse here: one row per channel and logical message.
          new TableIndex({ name: 'uq_inbound_payloads_dedupe', columnNames: ['channel_id', 'dedupe_key'], isUnique: true }),
          new TableIndex({ name: 'idx_inbound_payloads_due', columnNames: ['status', 'next_attempt_at'] }),
          new TableIndex({ name: 'idx_inbound_payloads_tenant_status', columnNames: ['tenant_id', 'status', 'received_at'] }),
        ],
      }),
    );
    await q.createTable(
      new Table({
        name: 'message_deliveries',
        columns: [
          col.id(), col.tenant(), col.uuid('conversation_id'), col.uuid('channel_id'), col.varchar('status', 16), col.int('attempts'),
          col.varchar('error_code', 40, true), col.text('error', true), col.varchar('external_message_id', 191, true),
          col.datetime('next_attempt_at', true), col.datetime('locked_until', true), col.datetime('created_at'), col.datetime('updated_at'),
        ],
        indices: [new TableIndex({ name: 'idx_message_deliveries_due', columnNames: ['status', 'next_attempt_at'] })],
      }),
    );
  }

  async down(q: QueryRunner): Promise<void> {
    await q.dropTable('message_deliveries');
    await q.dropTable('inbound_payloads');
    await q.dropColumn('channels', 'config');
  }
}

import { Table, TableIndex, type MigrationInterface, type QueryRunner } from 'typeorm';
import { col } from '../../subgraphs/_shared/migration-helpers.js';

/** Bookkeeping for conversations following customer merges: which rows each merge moved, and each merge's state. */
export class ConversationsCustomerMerge1764900000000 implements MigrationInterface {
  name = 'ConversationsCustomerMerge1764900000000';

  async up(q: QueryRunner): Promise<void> {
    await q.createTable(
      new Table({
        name: 'conversation_customer_moves',
        columns: [col.id(), col.tenant(), col.uuid('merge_id'), col.uuid('conversation_id'), col.uuid('from_customer_id'), col.uuid('to_customer_id'), col.datetime('created_at')],
        indices: [new TableIndex({ name: 'uq_conversation_customer_moves', columnNames: ['merge_id', 'conversation_id'], isUnique: true })],
      }),
    );
    await q.createTable(
      new Table({
        name: 'conversation_customer_merges',
        columns: [{ ...col.uuid('merge_id'), isPrimary: true }, col.tenant(), col.varchar('state', 10), col.datetime('updated_at')],
      }),
    );
  }

  async down(q: QueryRunner): Promise<void> {
    await q.dropTable('conversation_customer_merges');
    await q.dropTable('conversation_customer_moves');
  }
}

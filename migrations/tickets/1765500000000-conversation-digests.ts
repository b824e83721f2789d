import { Table, TableIndex, type MigrationInterface, type QueryRunner } from 'typeorm';
import { col } from '../../subgraphs/_shared/migration-helpers.js';

export class TicketsConversationDigests1765500000000 implements MigrationInterface {
  name = 'TicketsConversationDigests1765500000000';

  async up(q: QueryRunner): Promise<void> {
    await q.createTable(
      new Table({
        name: 'conversation_digests',
        columns: [col.id(), col.tenant(), col.uuid('conversation_id'), col.json('lines'), col.datetime('updated_at')],
        indices: [new TableIndex({ name: 'idx_conversation_digests_tenant', columnNames: ['tenant_id', 'conversation_id'], isUnique: true })],
      }),
    );
  }

  async down(q: QueryRunner): Promise<void> {
    await q.dropTable('conversation_digests');
  }
}

import { TableIndex, type MigrationInterface, type QueryRunner } from 'typeorm';

/** Finds processed payloads past their retention (payload.retention.ts) without reading the whole table. */
export class ConversationsPayloadRetention1765900000000 implements MigrationInterface {
  name = 'ConversationsPayloadRetention1765900000000';

  async up(q: QueryRunner): Promise<void> {
    await q.createIndex('inbound_payloads', new TableIndex({ name: 'idx_inbound_payloads_processed', columnNames: ['status', 'processed_at'] }));
  }

  async down(q: QueryRunner): Promise<void> {
    await q.dropIndex('inbound_payloads', 'idx_inbound_payloads_processed');
  }
}

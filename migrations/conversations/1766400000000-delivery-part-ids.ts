import { Table, TableIndex, type MigrationInterface, type QueryRunner } from 'typeorm';
import { col } from '../../subgraphs/_shared/migration-helpers.js';

/**
 * The platform's id of each part after a message's first (its attachments, the rest of a long text): a platform's
 * later report that one of them failed (WeCom kf's msg_send_fail) finds its delivery by channel and that id, as
 * the first part's is found on the delivery itself.
 */
export class ConversationsDeliveryPartIds1766400000000 implements MigrationInterface {
  name = 'ConversationsDeliveryPartIds1766400000000';

  async up(q: QueryRunner): Promise<void> {
    await q.createTable(new Table({
      name: 'message_delivery_parts',
      columns: [col.id(), { ...col.int('part'), isPrimary: true }, col.tenant(), col.uuid('channel_id'), col.varchar('external_message_id', 191), col.datetime('sent_at')],
      indices: [new TableIndex({ name: 'idx_message_delivery_parts_external', columnNames: ['channel_id', 'external_message_id'] })],
    }));
  }

  async down(q: QueryRunner): Promise<void> {
    await q.dropTable('message_delivery_parts');
  }
}

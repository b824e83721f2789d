import { TableIndex, type MigrationInterface, type QueryRunner } from 'typeorm';
import { col, column } from '../../subgraphs/_shared/migration-helpers.js';

/**
 * A message goes out in parts (its text, then each attachment): how many went, so a retry resumes after them
 * instead of sending the customer the first ones again. And a platform's later report that a sent message failed
 * (WeCom kf's msg_send_fail) finds its delivery by the id the platform gave it.
 */
export class ConversationsDeliveryParts1766200000000 implements MigrationInterface {
  name = 'ConversationsDeliveryParts1766200000000';

  async up(q: QueryRunner): Promise<void> {
    await q.addColumn('message_deliveries', column(col.int('parts_sent', false, 0)));
    await q.createIndex('message_deliveries', new TableIndex({ name: 'idx_message_deliveries_external', columnNames: ['channel_id', 'external_message_id'] }));
  }

  async down(q: QueryRunner): Promise<void> {
    await q.dropIndex('message_deliveries', 'idx_message_deliveries_external');
    await q.dropColumn('message_deliveries', 'parts_sent');
  }
}

import { TableIndex, type MigrationInterface, type QueryRunner } from 'typeorm';

/**
 * A platform's later report that a sent message failed (WeCom kf's msg_send_fail) names the id the platform gave
 * the message: its delivery is found by channel and that id.
 */
export class ConversationsDeliveryExternalIndex1766300000000 implements MigrationInterface {
  name = 'ConversationsDeliveryExternalIndex1766300000000';

  async up(q: QueryRunner): Promise<void> {
    await q.createIndex('message_deliveries', new TableIndex({ name: 'idx_message_deliveries_external', columnNames: ['channel_id', 'external_message_id'] }));
  }

  async down(q: QueryRunner): Promise<void> {
    await q.dropIndex('message_deliveries', 'idx_message_deliveries_external');
  }
}

import { TableIndex, type MigrationInterface, type QueryRunner } from 'typeorm';
import { col, column } from '../../subgraphs/_shared/migration-helpers.js';

/**
 * Who a delivery went to (the recipient's id on the channel) and what the channel said of it (sent, delivered to
 * a live client, queued for an offline one): a widget client coming back online asks for the messages sent to it
 * since the last one it has, looked up by channel, recipient and (time-ordered) message id.
 */
export class ConversationsDeliveryRecipient1765700000000 implements MigrationInterface {
  name = 'ConversationsDeliveryRecipient1765700000000';

  async up(q: QueryRunner): Promise<void> {
    await q.addColumn('message_deliveries', column(col.varchar('recipient_id', 191, true)));
    await q.addColumn('message_deliveries', column(col.varchar('outcome', 16, true)));
    await q.createIndex('message_deliveries', new TableIndex({ name: 'idx_message_deliveries_recipient', columnNames: ['channel_id', 'recipient_id', 'id'] }));
  }

  async down(q: QueryRunner): Promise<void> {
    await q.dropIndex('message_deliveries', 'idx_message_deliveries_recipient');
    await q.dropColumn('message_deliveries', 'outcome');
    await q.dropColumn('message_deliveries', 'recipient_id');
  }
}

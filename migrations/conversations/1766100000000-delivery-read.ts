import { type MigrationInterface, type QueryRunner } from 'typeorm';
import { col, column } from '../../subgraphs/_shared/migration-helpers.js';

/**
 * When the customer's client said it read an outbound message (a widget's or app's `read` frame, Douyin's
 * im_message_read): found by the recipient index (channel, recipient, time-ordered id), so no new index.
 */
export class ConversationsDeliveryRead1766100000000 implements MigrationInterface {
  name = 'ConversationsDeliveryRead1766100000000';

  async up(q: QueryRunner): Promise<void> {
    await q.addColumn('message_deliveries', column(col.datetime('read_at', true)));
  }

  async down(q: QueryRunner): Promise<void> {
    await q.dropColumn('message_deliveries', 'read_at');
  }
}

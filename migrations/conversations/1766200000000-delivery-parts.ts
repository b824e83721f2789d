import { type MigrationInterface, type QueryRunner } from 'typeorm';
import { col, column } from '../../subgraphs/_shared/migration-helpers.js';

/**
 * A message goes out in parts (its text, then each attachment): how many went, so a retry resumes after them
 * instead of sending the customer the first ones again.
 */
export class ConversationsDeliveryParts1766200000000 implements MigrationInterface {
  name = 'ConversationsDeliveryParts1766200000000';

  async up(q: QueryRunner): Promise<void> {
    await q.addColumn('message_deliveries', column(col.int('parts_sent', false, 0)));
  }

  async down(q: QueryRunner): Promise<void> {
    await q.dropColumn('message_deliveries', 'parts_sent');
  }
}

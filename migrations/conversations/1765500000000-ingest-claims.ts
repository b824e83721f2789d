import type { MigrationInterface, QueryRunner } from 'typeorm';
import { col, column } from '../../subgraphs/_shared/migration-helpers.js';

/** Inbound payloads are claimed in batches: the claim id tells a processor which rows of its UPDATE are its own. */
export class ConversationsIngestClaims1765500000000 implements MigrationInterface {
  name = 'ConversationsIngestClaims1765500000000';

  async up(q: QueryRunner): Promise<void> {
    await q.addColumn('inbound_payloads', column(col.varchar('claimed_by', 36, true)));
  }

  async down(q: QueryRunner): Promise<void> {
    await q.dropColumn('inbound_payloads', 'claimed_by');
  }
}

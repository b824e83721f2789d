import { Table, type MigrationInterface, type QueryRunner } from 'typeorm';
import { col } from '../../subgraphs/_shared/migration-helpers.js';

/**
 * The channel plugins' key-value state (WeCom kf cursors, access tokens, reply-window counters, app push tokens)
 * in the embedded mode, which has no Redis: kept in the database so a restart does not lose it. `expires_at` is
 * unix milliseconds (null: no expiry).
 */
export class ConversationsPluginState1765800000000 implements MigrationInterface {
  name = 'ConversationsPluginState1765800000000';

  async up(q: QueryRunner): Promise<void> {
    await q.createTable(new Table({ name: 'plugin_state', columns: [{ ...col.varchar('k', 255), isPrimary: true }, col.text('v'), col.double('expires_at', true)] }));
  }

  async down(q: QueryRunner): Promise<void> {
    await q.dropTable('plugin_state');
  }
}

import { TableIndex, type MigrationInterface, type QueryRunner } from 'typeorm';
import { col, column } from '../../subgraphs/_shared/migration-helpers.js';

/**
 * Partner ownership of channels: the partner (JWT `sub`) that registered a partner-api channel. Channels from
 * before have no owner (only admins reach them). Channel secrets are encrypted by the subgraph's boot sweep, not
 * here: the keys are configuration (docs/channels.md).
 */
export class ConversationsChannelOwner1765600000000 implements MigrationInterface {
  name = 'ConversationsChannelOwner1765600000000';

  async up(q: QueryRunner): Promise<void> {
    await q.addColumn('channels', column(col.varchar('owner_id', 191, true)));
    await q.createIndex('channels', new TableIndex({ name: 'idx_channels_tenant_owner', columnNames: ['tenant_id', 'owner_id'] }));
  }

  async down(q: QueryRunner): Promise<void> {
    await q.dropIndex('channels', 'idx_channels_tenant_owner');
    await q.dropColumn('channels', 'owner_id');
  }
}

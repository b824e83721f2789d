import { TableColumn, TableIndex, type MigrationInterface, type QueryRunner } from 'typeorm';

/**
 * A conversation of its own per platform thread (a phone call, an in-store consultation, a store's QR chat):
 * the thread's id as the channel's plugin gives it (InboundEvent.thread.id), found by channel and id.
 */
export class ConversationsThread1766000000000 implements MigrationInterface {
  name = 'ConversationsThread1766000000000';

  async up(q: QueryRunner): Promise<void> {
    await q.addColumn('conversations', new TableColumn({ name: 'thread_id', type: 'varchar', length: '191', isNullable: true }));
    await q.createIndex('conversations', new TableIndex({ name: 'idx_conversations_thread', columnNames: ['tenant_id', 'channel_id', 'thread_id'] }));
  }

  async down(q: QueryRunner): Promise<void> {
    await q.dropIndex('conversations', 'idx_conversations_thread');
    await q.dropColumn('conversations', 'thread_id');
  }
}

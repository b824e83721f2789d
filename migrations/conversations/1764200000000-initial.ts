import { Table, TableIndex, type MigrationInterface, type QueryRunner } from 'typeorm';
import { col } from '../../subgraphs/_shared/migration-helpers.js';

export class ConversationsInitial1764200000000 implements MigrationInterface {
  name = 'ConversationsInitial1764200000000';

  async up(q: QueryRunner): Promise<void> {
    await q.createTable(
      new Table({
        name: 'channels',
        columns: [col.id(), col.tenant(), col.varchar('type', 40), col.varchar('name', 200), col.bool('enabled', true), col.datetime('created_at')],
        indices: [new TableIndex({ name: 'idx_channels_tenant_type', columnNames: ['tenant_id', 'type'] })],
      }),
    );
    await q.createTable(
      new Table({
        name: 'agents',
        columns: [col.id(), col.tenant(), col.varchar('name', 100), col.varchar('email', 191), col.varchar('status', 20), col.int('max_chats'), col.datetime('created_at')],
        indices: [new TableIndex({ name: 'uq_agents_tenant_email', columnNames: ['tenant_id', 'email'], isUnique: true })],
      }),
    );
    await q.createTable(
      new Table({
        name: 'agent_groups',
        columns: [col.id(), col.tenant(), col.varchar('name', 100), col.varchar('description', 500, true)],
        indices: [new TableIndex({ name: 'uq_agent_groups_tenant_name', columnNames: ['tenant_id', 'name'], isUnique: true })],
      }),
    );
    await q.createTable(
      new Table({
        name: 'agent_group_members',
        columns: [col.id(), col.tenant(), col.uuid('agent_id'), col.uuid('group_id')],
        indices: [
          new TableIndex({ name: 'uq_agent_group_members', columnNames: ['agent_id', 'group_id'], isUnique: true }),
          new TableIndex({ name: 'idx_agent_group_members_group', columnNames: ['group_id'] }),
        ],
      }),
    );
    await q.createTable(
      new Table({
        name: 'conversations',
        columns: [
          col.id(), col.tenant(), col.uuid('customer_id'), col.uuid('channel_id', true), col.varchar('channel_type', 40),
          col.varchar('subject', 200), col.varchar('status', 20), col.uuid('assignee_id', true), col.uuid('group_id', true),
          col.datetime('first_response_at', true), col.datetime('last_message_at'), col.datetime('created_at'), col.datetime('updated_at'),
        ],
        indices: [
          new TableIndex({ name: 'idx_conversations_tenant_customer', columnNames: ['tenant_id', 'customer_id'] }),
          new TableIndex({ name: 'idx_conversations_tenant_assignee_status', columnNames: ['tenant_id', 'assignee_id', 'status'] }),
          new TableIndex({ name: 'idx_conversations_tenant_last_message', columnNames: ['tenant_id', 'last_message_at'] }),
        ],
      }),
    );
    await q.createTable(
      new Table({
        name: 'messages',
        columns: [
          col.id(), col.tenant(), col.uuid('conversation_id'), col.varchar('sender_type', 20), col.varchar('sender_id', 191, true),
          col.varchar('kind', 20), col.text('text'), col.json('payload', true), col.bool('internal', false), col.datetime('created_at'),
        ],
        indices: [new TableIndex({ name: 'idx_messages_conversation_created', columnNames: ['conversation_id', 'created_at'] })],
      }),
    );
  }

  async down(q: QueryRunner): Promise<void> {
    await q.dropTable('messages');
    await q.dropTable('conversations');
    await q.dropTable('agent_group_members');
    await q.dropTable('agent_groups');
    await q.dropTable('agents');
    await q.dropTable('channels');
  }
}

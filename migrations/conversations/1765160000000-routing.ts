import { Table, TableIndex, type MigrationInterface, type QueryRunner } from 'typeorm';
import { col } from '../../subgraphs/_shared/migration-helpers.js';

/** Three-level routing: rules per tenant, agents' skills and loads, the queue entries and the offers. */
export class ConversationsRouting1765160000000 implements MigrationInterface {
  name = 'ConversationsRouting1765160000000';

  async up(q: QueryRunner): Promise<void> {
    await q.createTable(
      new Table({
        name: 'routing_rule_sets',
        columns: [col.id(), col.tenant(), col.int('version'), col.json('rules'), col.datetime('updated_at'), col.varchar('updated_by', 191, true)],
        indices: [new TableIndex({ name: 'uq_routing_rule_sets_tenant', columnNames: ['tenant_id'], isUnique: true })],
      }),
    );
    await q.createTable(
      new Table({
        name: 'routing_agent_profiles',
        columns: [col.id(), col.tenant(), col.uuid('agent_id'), col.json('skills'), col.datetime('updated_at')],
        indices: [new TableIndex({ name: 'uq_routing_agent_profiles_agent', columnNames: ['tenant_id', 'agent_id'], isUnique: true })],
      }),
    );
    await q.createTable(
      new Table({
        name: 'routing_agent_loads',
        columns: [
          col.id(), col.tenant(), col.uuid('agent_id'), col.varchar('channel_class', 10), col.int('capacity'), col.int('active'),
          col.datetime('last_assigned_at', true), col.datetime('last_released_at', true),
        ],
        indices: [new TableIndex({ name: 'uq_routing_agent_loads', columnNames: ['tenant_id', 'agent_id', 'channel_class'], isUnique: true })],
      }),
    );
    await q.createTable(
      new Table({
        name: 'routing_entries',
        columns: [
          col.id(), col.tenant(), col.uuid('conversation_id'), col.varchar('channel_type', 40), col.varchar('channel_class', 10),
          col.uuid('group_id', true), col.varchar('state', 16), col.uuid('agent_id', true), col.uuid('offer_id', true), col.uuid('reassign_from', true),
          col.int('priority'), col.json('preferred_agent_ids', true), col.json('required_skills', true), col.json('excluded_agent_ids', true),
          col.json('hints', true), col.json('trace', true), col.datetime('enqueued_at'), col.datetime('group_since'), col.bool('overflowed', false),
          col.datetime('out_of_hours_notified_at', true), col.int('notified_ahead', true), col.datetime('notified_at', true),
          col.datetime('assigned_at', true), col.int('version'), col.datetime('updated_at'),
        ],
        indices: [
          new TableIndex({ name: 'uq_routing_entries_conversation', columnNames: ['conversation_id'], isUnique: true }),
          new TableIndex({ name: 'idx_routing_entries_queue', columnNames: ['tenant_id', 'group_id', 'state', 'priority', 'enqueued_at'] }),
          new TableIndex({ name: 'idx_routing_entries_agent', columnNames: ['tenant_id', 'agent_id', 'state'] }),
        ],
      }),
    );
    await q.createTable(
      new Table({
        name: 'routing_offers',
        columns: [
          col.id(), col.tenant(), col.uuid('conversation_id'), col.uuid('agent_id'), col.varchar('kind', 16), col.varchar('status', 16),
          col.datetime('created_at'), col.datetime('expires_at', true), col.datetime('responded_at', true), col.datetime('ended_at', true),
          col.varchar('reason', 40, true),
        ],
        indices: [
          new TableIndex({ name: 'idx_routing_offers_agent', columnNames: ['tenant_id', 'agent_id', 'status'] }),
        ],
      }),
    );
  }

  async down(q: QueryRunner): Promise<void> {
    await q.dropTable('routing_offers');
    await q.dropTable('routing_entries');
    await q.dropTable('routing_agent_loads');
    await q.dropTable('routing_agent_profiles');
    await q.dropTable('routing_rule_sets');
  }
}

import { Table, TableColumn, TableIndex, type MigrationInterface, type QueryRunner } from 'typeorm';
import { col } from '../../subgraphs/_shared/migration-helpers.js';

/**
 * Issue 7: ticket workflow (assignee group, customer level, source, summary, custom fields, tags, order ids,
 * merge, links, history, attachments) and SLA (policies, business calendars, per-ticket clocks).
 */
export class TicketsWorkflowSla1764700000000 implements MigrationInterface {
  name = 'TicketsWorkflowSla1764700000000';

  async up(q: QueryRunner): Promise<void> {
    // A refund rule may know only the buyer's nick: the customer becomes optional.
    await q.changeColumn('tickets', 'customer_id', new TableColumn(col.uuid('customer_id', true)));
    await q.addColumns('tickets', [
      new TableColumn(col.uuid('group_id', true)),
      new TableColumn({ ...col.varchar('customer_level', 10), default: "'NORMAL'" }),
      new TableColumn({ ...col.varchar('source', 20), default: "'AGENT'" }),
      new TableColumn(col.varchar('source_key', 191, true)),
      new TableColumn(col.text('summary', true)),
      new TableColumn(col.json('custom_fields', true)),
      new TableColumn(col.uuid('merged_into_id', true)),
      new TableColumn(col.datetime('first_response_at', true)),
    ]);
    await q.createIndices('tickets', [
      new TableIndex({ name: 'idx_tickets_tenant_assignee', columnNames: ['tenant_id', 'assignee_id'] }),
      new TableIndex({ name: 'idx_tickets_tenant_merged_into', columnNames: ['tenant_id', 'merged_into_id'] }),
      new TableIndex({ name: 'uq_tickets_tenant_source_key', columnNames: ['tenant_id', 'source_key'], isUnique: true }),
    ]);
    await q.addColumns('ticket_comments', [
      new TableColumn({ ...col.varchar('author_type', 10), default: "'AGENT'" }),
      new TableColumn(col.json('attachments', true)),
    ]);

    await q.createTable(
      new Table({
        name: 'ticket_tags',
        columns: [col.id(), col.tenant(), col.uuid('ticket_id'), col.varchar('tag', 64), col.int('position')],
        indices: [
          new TableIndex({ name: 'uq_ticket_tags', columnNames: ['ticket_id', 'tag'], isUnique: true }),
          new TableIndex({ name: 'idx_ticket_tags_tenant_tag', columnNames: ['tenant_id', 'tag'] }),
        ],
      }),
    );
    await q.createTable(
      new Table({
        name: 'ticket_orders',
        columns: [col.id(), col.tenant(), col.uuid('ticket_id'), col.varchar('order_id', 64), col.int('position')],
        indices: [
          new TableIndex({ name: 'uq_ticket_orders', columnNames: ['ticket_id', 'order_id'], isUnique: true }),
          new TableIndex({ name: 'idx_ticket_orders_tenant_order', columnNames: ['tenant_id', 'order_id'] }),
        ],
      }),
    );
    await q.createTable(
      new Table({
        name: 'ticket_events',
        columns: [
          col.id(), col.tenant(), col.uuid('ticket_id'), col.varchar('actor_id', 64), col.varchar('action', 40), col.varchar('field', 40, true),
          col.text('old_value', true), col.text('new_value', true), col.datetime('created_at'), col.int('seq'),
        ],
        indices: [new TableIndex({ name: 'idx_ticket_events_tenant_ticket_created', columnNames: ['tenant_id', 'ticket_id', 'created_at'] })],
      }),
    );
    await q.createTable(
      new Table({
        name: 'ticket_links',
        columns: [col.id(), col.tenant(), col.uuid('ticket_id'), col.uuid('linked_ticket_id'), col.varchar('relation', 20), col.varchar('created_by', 64), col.datetime('created_at')],
        indices: [
          new TableIndex({ name: 'uq_ticket_links', columnNames: ['tenant_id', 'ticket_id', 'linked_ticket_id', 'relation'], isUnique: true }),
          new TableIndex({ name: 'idx_ticket_links_tenant_linked', columnNames: ['tenant_id', 'linked_ticket_id'] }),
        ],
      }),
    );
    await q.createTable(
      new Table({
        name: 'sla_policies',
        columns: [
          col.id(), col.tenant(), col.varchar('name', 100), col.varchar('ticket_type', 20, true), col.varchar('customer_level', 10, true), col.varchar('match_key', 40),
          col.int('first_response_minutes'), col.int('resolution_minutes'), col.int('warn_percent'), col.uuid('calendar_id', true),
          col.datetime('created_at'), col.datetime('updated_at'),
        ],
        indices: [new TableIndex({ name: 'uq_sla_policies_tenant_match', columnNames: ['tenant_id', 'match_key'], isUnique: true })],
      }),
    );
    await q.createTable(
      new Table({
        name: 'business_calendars',
        columns: [
          col.id(), col.tenant(), col.varchar('name', 100), col.varchar('time_zone', 64), col.json('hours'), col.varchar('holiday_set', 20, true),
          col.json('extra_holidays', true), col.json('extra_workdays', true), col.bool('is_default'), col.datetime('created_at'), col.datetime('updated_at'),
        ],
        indices: [new TableIndex({ name: 'idx_business_calendars_tenant', columnNames: ['tenant_id'] })],
      }),
    );
    await q.createTable(
      new Table({
        name: 'ticket_sla_clocks',
        columns: [
          col.id(), col.tenant(), col.uuid('ticket_id'), col.varchar('metric', 20), col.uuid('policy_id'), col.uuid('calendar_id', true),
          col.int('target_minutes'), col.int('warn_percent'), col.datetime('started_at'), col.varchar('state', 10), col.datetime('paused_at', true),
          col.double('paused_minutes', false, 0), col.datetime('due_at'), col.datetime('warn_at'), col.datetime('achieved_at', true),
          col.datetime('warned_at', true), col.datetime('breached_at', true), col.datetime('next_check_at', true),
        ],
        indices: [
          new TableIndex({ name: 'uq_ticket_sla_clocks_ticket_metric', columnNames: ['tenant_id', 'ticket_id', 'metric'], isUnique: true }),
          new TableIndex({ name: 'idx_ticket_sla_clocks_next_check', columnNames: ['next_check_at'] }),
        ],
      }),
    );
  }

  async down(q: QueryRunner): Promise<void> {
    for (const t of ['ticket_sla_clocks', 'business_calendars', 'sla_policies', 'ticket_links', 'ticket_events', 'ticket_orders', 'ticket_tags']) await q.dropTable(t);
    await q.dropColumns('ticket_comments', ['attachments', 'author_type']);
    for (const i of ['uq_tickets_tenant_source_key', 'idx_tickets_tenant_merged_into', 'idx_tickets_tenant_assignee']) await q.dropIndex('tickets', i);
    await q.dropColumns('tickets', ['first_response_at', 'merged_into_id', 'custom_fields', 'summary', 'source_key', 'source', 'customer_level', 'group_id']);
    // The old schema requires a customer: tickets opened without one keep an empty reference.
    await q.query(`UPDATE tickets SET customer_id = '' WHERE customer_id IS NULL`);
    await q.changeColumn('tickets', 'customer_id', new TableColumn(col.uuid('customer_id')));
  }
}

import { Table, TableIndex, type MigrationInterface, type QueryRunner } from 'typeorm';
import { col } from '../../subgraphs/_shared/migration-helpers.js';

export class TicketsInitial1764300000000 implements MigrationInterface {
  name = 'TicketsInitial1764300000000';

  async up(q: QueryRunner): Promise<void> {
    await q.createTable(
      new Table({
        name: 'tickets',
        columns: [
          col.id(), col.tenant(), col.uuid('customer_id'), col.uuid('conversation_id', true), col.varchar('subject', 200), col.text('description', true),
          col.varchar('type', 20), col.varchar('priority', 10), col.varchar('status', 10), col.uuid('assignee_id', true),
          col.datetime('created_at'), col.datetime('updated_at'), col.datetime('solved_at', true),
        ],
        indices: [
          new TableIndex({ name: 'idx_tickets_tenant_created', columnNames: ['tenant_id', 'created_at'] }),
          new TableIndex({ name: 'idx_tickets_tenant_status_created', columnNames: ['tenant_id', 'status', 'created_at'] }),
          new TableIndex({ name: 'idx_tickets_tenant_customer', columnNames: ['tenant_id', 'customer_id'] }),
          new TableIndex({ name: 'idx_tickets_tenant_conversation', columnNames: ['tenant_id', 'conversation_id'] }),
        ],
      }),
    );
    await q.createTable(
      new Table({
        name: 'ticket_comments',
        columns: [col.id(), col.tenant(), col.uuid('ticket_id'), col.varchar('author_id', 64), col.text('body'), col.bool('public'), col.datetime('created_at')],
        indices: [new TableIndex({ name: 'idx_ticket_comments_tenant_ticket', columnNames: ['tenant_id', 'ticket_id'] })],
      }),
    );
  }

  async down(q: QueryRunner): Promise<void> {
    await q.dropTable('ticket_comments');
    await q.dropTable('tickets');
  }
}

import { Table, TableIndex, type MigrationInterface, type QueryRunner } from 'typeorm';
import { col } from '../../subgraphs/_shared/migration-helpers.js';

export class CustomersInitial1764100000000 implements MigrationInterface {
  name = 'CustomersInitial1764100000000';

  async up(q: QueryRunner): Promise<void> {
    await q.createTable(new Table({ name: 'tenants', columns: [{ ...col.varchar('id', 64), isPrimary: true }, col.varchar('name', 200), col.datetime('created_at')] }));
    await q.createTable(
      new Table({
        name: 'customers',
        columns: [col.id(), col.tenant(), col.varchar('name', 200), col.varchar('level', 20), col.datetime('created_at'), col.datetime('updated_at')],
        indices: [new TableIndex({ name: 'idx_customers_tenant_created', columnNames: ['tenant_id', 'created_at'] })],
      }),
    );
    await q.createTable(
      new Table({
        name: 'channel_identities',
        columns: [col.id(), col.tenant(), col.uuid('customer_id'), col.varchar('channel_type', 40), col.varchar('external_id', 191), col.datetime('created_at')],
        indices: [
          new TableIndex({ name: 'uq_channel_identities_external', columnNames: ['tenant_id', 'channel_type', 'external_id'], isUnique: true }),
          new TableIndex({ name: 'idx_channel_identities_customer', columnNames: ['customer_id'] }),
        ],
      }),
    );
    await q.createTable(
      new Table({
        name: 'customer_tags',
        columns: [col.id(), col.tenant(), col.uuid('customer_id'), col.varchar('tag', 64)],
        indices: [
          new TableIndex({ name: 'uq_customer_tags', columnNames: ['customer_id', 'tag'], isUnique: true }),
          new TableIndex({ name: 'idx_customer_tags_tenant_tag', columnNames: ['tenant_id', 'tag'] }),
        ],
      }),
    );
  }

  async down(q: QueryRunner): Promise<void> {
    await q.dropTable('customer_tags');
    await q.dropTable('channel_identities');
    await q.dropTable('customers');
    await q.dropTable('tenants');
  }
}

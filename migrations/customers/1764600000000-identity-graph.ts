import { Table, TableIndex, type MigrationInterface, type QueryRunner } from 'typeorm';
import { col, column } from '../../subgraphs/_shared/migration-helpers.js';

/**
 * The identity graph: identity kinds with app-id namespaces, encrypted profile phone and address with their
 * lookup hashes, merges (reversible, audited) and merge suggestions.
 *
 * Existing identities get their kind from their channel type (the rules of identity.kinds.ts as of this
 * migration). Existing phone identities still hold the plain number: they have no value_enc, and the customers
 * subgraph's PII sweep (at boot) hashes and encrypts them, since the keys are configuration a migration cannot see.
 */
export class CustomersIdentityGraph1764600000000 implements MigrationInterface {
  name = 'CustomersIdentityGraph1764600000000';

  async up(q: QueryRunner): Promise<void> {
    await q.addColumns('customers', [
      column(col.text('phone_enc', true)),
      column(col.varchar('phone_hash', 64, true)),
      column(col.text('address_enc', true)),
      column(col.varchar('name_address_hash', 64, true)),
      column(col.uuid('merged_into', true)),
    ]);
    // Lists leave merged customers out: (tenant, merged_into, created_at) replaces (tenant, created_at), one index
    // less to write for every new customer.
    await q.dropIndex('customers', 'idx_customers_tenant_created');
    await q.createIndices('customers', [
      new TableIndex({ name: 'idx_customers_tenant_merged_created', columnNames: ['tenant_id', 'merged_into', 'created_at'] }),
      new TableIndex({ name: 'idx_customers_tenant_phone_hash', columnNames: ['tenant_id', 'phone_hash'] }),
      new TableIndex({ name: 'idx_customers_tenant_name_address_hash', columnNames: ['tenant_id', 'name_address_hash'] }),
    ]);

    // kind and app_id are NOT NULL: add them nullable, fill them, then tighten (SQLite cannot add a NOT NULL
    // column without a default to a table that has rows).
    await q.addColumns('channel_identities', [column(col.varchar('kind', 40, true)), column(col.varchar('app_id', 64, true)), column(col.text('value_enc', true))]);
    await q.query(`UPDATE channel_identities SET app_id = '', kind = CASE
      WHEN channel_type IN ('wechat-openid', 'wechat-unionid', 'wecom-external', 'douyin-openid', 'taobao-buyer', 'weibo', 'app-user', 'web-visitor', 'phone') THEN channel_type
      WHEN channel_type LIKE 'phone-%' THEN 'phone'
      WHEN channel_type LIKE 'wecom%' THEN 'wecom-external'
      WHEN channel_type LIKE 'wechat%' THEN 'wechat-openid'
      WHEN channel_type LIKE 'douyin%' OR channel_type = 'doudian' THEN 'douyin-openid'
      WHEN channel_type LIKE 'taobao%' OR channel_type LIKE 'tmall%' THEN 'taobao-buyer'
      WHEN channel_type LIKE 'weibo%' THEN 'weibo'
      WHEN channel_type = 'app' OR channel_type LIKE 'app-%' THEN 'app-user'
      WHEN channel_type = 'web' OR channel_type LIKE 'web-%' THEN 'web-visitor'
      ELSE channel_type END`);
    // Two rows that were distinct per channel type but are one identity per kind (a buyer on taobao and tmall)
    // would break the new unique key: the later ones keep their channel type as their kind, as before.
    const dupes = (await q.query(
      `SELECT tenant_id, kind, external_id FROM channel_identities GROUP BY tenant_id, kind, external_id HAVING COUNT(*) > 1`,
    )) as Array<{ tenant_id: string; kind: string; external_id: string }>;
    for (const d of dupes) {
      const rows = (await q.query(
        `SELECT id FROM channel_identities WHERE tenant_id = ? AND kind = ? AND external_id = ? ORDER BY created_at, id`,
        [d.tenant_id, d.kind, d.external_id],
      )) as Array<{ id: string }>;
      for (const r of rows.slice(1)) await q.query(`UPDATE channel_identities SET kind = channel_type WHERE id = ?`, [r.id]);
    }
    await q.changeColumn('channel_identities', 'kind', column(col.varchar('kind', 40)));
    await q.changeColumn('channel_identities', 'app_id', column(col.varchar('app_id', 64)));
    await q.dropIndex('channel_identities', 'uq_channel_identities_external');
    await q.createIndex('channel_identities', new TableIndex({ name: 'uq_channel_identities_key', columnNames: ['tenant_id', 'kind', 'app_id', 'external_id'], isUnique: true }));

    await q.createTable(
      new Table({
        name: 'customer_merges',
        columns: [
          col.id(), col.tenant(), col.uuid('survivor_id'), col.uuid('merged_id'), col.varchar('reason', 500), col.varchar('merged_by', 64),
          col.datetime('created_at'), col.varchar('status', 10), col.uuid('suggestion_id', true), col.json('moved'),
          col.varchar('unmerged_by', 64, true), col.datetime('unmerged_at', true), col.varchar('unmerge_reason', 500, true),
        ],
        indices: [
          new TableIndex({ name: 'idx_customer_merges_tenant_survivor', columnNames: ['tenant_id', 'survivor_id'] }),
          new TableIndex({ name: 'idx_customer_merges_tenant_merged', columnNames: ['tenant_id', 'merged_id'] }),
          new TableIndex({ name: 'idx_customer_merges_tenant_created', columnNames: ['tenant_id', 'created_at'] }),
        ],
      }),
    );
    await q.createTable(
      new Table({
        name: 'merge_suggestions',
        columns: [
          col.id(), col.tenant(), col.uuid('customer_id'), col.uuid('candidate_id'), col.varchar('pair_key', 73), col.varchar('reason', 40), col.double('score'),
          col.varchar('status', 10), col.datetime('created_at'), col.varchar('decided_by', 64, true), col.datetime('decided_at', true), col.uuid('merge_id', true),
        ],
        indices: [
          new TableIndex({ name: 'uq_merge_suggestions_pair', columnNames: ['tenant_id', 'pair_key', 'reason'], isUnique: true }),
          new TableIndex({ name: 'idx_merge_suggestions_tenant_status_created', columnNames: ['tenant_id', 'status', 'created_at'] }),
        ],
      }),
    );
  }

  async down(q: QueryRunner): Promise<void> {
    await q.dropTable('merge_suggestions');
    await q.dropTable('customer_merges');
    await q.dropIndex('channel_identities', 'uq_channel_identities_key');
    // Hashed phone identities cannot be turned back into numbers; the old key only needs distinct triples.
    await q.createIndex('channel_identities', new TableIndex({ name: 'uq_channel_identities_external', columnNames: ['tenant_id', 'channel_type', 'external_id'], isUnique: true }));
    await q.dropColumns('channel_identities', ['value_enc', 'app_id', 'kind']);
    await q.dropIndex('customers', 'idx_customers_tenant_name_address_hash');
    await q.dropIndex('customers', 'idx_customers_tenant_phone_hash');
    await q.dropIndex('customers', 'idx_customers_tenant_merged_created');
    // (a database migrated by a pre-release of this migration still has it)
    if (!(await q.getTable('customers'))?.indices.some((i) => i.name === 'idx_customers_tenant_created')) {
      await q.createIndex('customers', new TableIndex({ name: 'idx_customers_tenant_created', columnNames: ['tenant_id', 'created_at'] }));
    }
    await q.dropColumns('customers', ['merged_into', 'name_address_hash', 'address_enc', 'phone_hash', 'phone_enc']);
  }
}

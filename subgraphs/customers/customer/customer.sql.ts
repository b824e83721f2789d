import type { DataSource, EntityManager } from 'typeorm';
import { ChannelIdentityEntity, CustomerEntity } from './customer.entity.js';

/**
 * Hand-written SQL for the statements on the path of every inbound message (identity resolution), where
 * typeorm's query builders cost more CPU than the database: same tables and columns as the entities, values
 * converted by typeorm's own driver (dates for MySQL and SQLite alike), portable `?` placeholders.
 */

/** Runs a write and answers how many rows it changed, on MySQL/MariaDB and SQLite alike. */
export async function execute(target: DataSource | EntityManager, sql: string, params: unknown[]): Promise<number> {
  const m = 'manager' in target ? target.manager : target;
  const runner = m.queryRunner ?? m.connection.createQueryRunner();
  try {
    return (await runner.query(sql, params, true)).affected ?? 0;
  } finally {
    if (!m.queryRunner) await runner.release();
  }
}

const IDENTITY_COLUMNS = ['id', 'tenant_id', 'customer_id', 'channel_type', 'kind', 'app_id', 'external_id', 'value_enc', 'created_at'] as const;

export class CustomerSql {
  private readonly cache = new Map<string, string>();
  constructor(private readonly ds: DataSource) {}

  private q = (name: string) => this.ds.driver.escape(name);

  private once(key: string, build: () => string): string {
    let sql = this.cache.get(key);
    if (!sql) this.cache.set(key, (sql = build()));
    return sql;
  }

  /** A value as the driver stores it in `column` of `entity` (Date → DATETIME for MySQL, text for SQLite). */
  value(entity: typeof CustomerEntity | typeof ChannelIdentityEntity, property: string, v: unknown): unknown {
    return this.ds.driver.preparePersistentValue(v, this.ds.getMetadata(entity).findColumnWithPropertyName(property)!);
  }

  /**
   * Identities (by kind, app id, external id) joined with the customers that own them: the first query of every
   * resolution. Customer columns come back as `c_<column>`, the identity key as `ci_kind`, `ci_app_id`,
   * `ci_external_id`. Parameters: tenant id, then kind, app id, external id per key.
   */
  owners(keys: number): string {
    return this.once(`owners:${keys}`, () => {
      const q = this.q;
      const columns = this.ds.getMetadata(CustomerEntity).columns.map((col) => `c.${q(col.databaseName)} AS ${q(`c_${col.databaseName}`)}`);
      const match = Array.from({ length: keys }, () => `(ci.${q('kind')} = ? AND ci.${q('app_id')} = ? AND ci.${q('external_id')} = ?)`).join(' OR ');
      return `SELECT ${columns.join(', ')}, ci.${q('kind')} AS ${q('ci_kind')}, ci.${q('app_id')} AS ${q('ci_app_id')}, ci.${q('external_id')} AS ${q('ci_external_id')}
        FROM ${q('channel_identities')} ci JOIN ${q('customers')} c ON c.${q('id')} = ci.${q('customer_id')} AND c.${q('tenant_id')} = ci.${q('tenant_id')}
        WHERE ci.${q('tenant_id')} = ? AND (${match})`;
    });
  }

  insertCustomer(c: CustomerEntity): [string, unknown[]] {
    const cols = this.ds.getMetadata(CustomerEntity).columns;
    const sql = this.once('customer', () => `INSERT INTO ${this.q('customers')} (${cols.map((c) => this.q(c.databaseName)).join(', ')}) VALUES (${cols.map(() => '?').join(', ')})`);
    return [sql, cols.map((col) => this.ds.driver.preparePersistentValue((c as unknown as Record<string, unknown>)[col.propertyName], col))];
  }

  insertIdentities(rows: ChannelIdentityEntity[]): [string, unknown[]] {
    const sql = this.once(`identities:${rows.length}`, () => {
      const tuple = `(${IDENTITY_COLUMNS.map(() => '?').join(', ')})`;
      return `INSERT INTO ${this.q('channel_identities')} (${IDENTITY_COLUMNS.map(this.q).join(', ')}) VALUES ${rows.map(() => tuple).join(', ')}`;
    });
    return [sql, rows.flatMap((r) => this.identityValues(r))];
  }

  /**
   * Links identities to a customer in one statement, on condition that the customer is not merged: the rows are
   * selected from the customer's row, so a customer merged meanwhile yields no row and nothing is inserted. On
   * InnoDB the select takes a shared lock on the customer row: it waits for a merge that holds it, then sees the
   * merge; a merge that comes later sees these identities and moves them along.
   */
  attachIdentities(tenantId: string, customerId: string, rows: ChannelIdentityEntity[]): [string, unknown[]] {
    const sql = this.once(`attach:${rows.length}`, () => {
      const select = `SELECT ${IDENTITY_COLUMNS.map(() => '?').join(', ')} FROM ${this.q('customers')} c WHERE c.${this.q('id')} = ? AND c.${this.q('tenant_id')} = ? AND c.${this.q('merged_into')} IS NULL`;
      return `INSERT INTO ${this.q('channel_identities')} (${IDENTITY_COLUMNS.map(this.q).join(', ')}) ${rows.map(() => select).join(' UNION ALL ')}`;
    });
    return [sql, rows.flatMap((r) => [...this.identityValues(r), customerId, tenantId])];
  }

  private identityValues(r: ChannelIdentityEntity): unknown[] {
    return [r.id, r.tenantId, r.customerId, r.channelType, r.kind, r.appId, r.externalId, r.valueEnc, this.value(ChannelIdentityEntity, 'createdAt', r.createdAt)];
  }
}

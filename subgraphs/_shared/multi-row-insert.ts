import type { DataSource, EntityTarget, ObjectLiteral } from 'typeorm';

/**
 * One multi-row INSERT of plain rows of an entity, for the ingest hot paths (the webhooks' stored payloads, a batch
 * of inbound messages). typeorm's `insert` goes through its query builder: parameter names, property-name
 * replacement, escaping, all per value; on a processing replica in bench:ingest its INSERT alone was ~7 % of the
 * busy CPU. Here each column's conversion is chosen once: strings and numbers go as they are, JSON is stringified,
 * and only the other types (dates, booleans) and columns with a transformer go through the driver's conversion.
 * No entity listeners or subscribers run (this codebase has none). Written by hand: typeorm has no cheaper bulk
 * path, and no library builds typeorm-compatible inserts.
 */
export class MultiRowInsert<T extends ObjectLiteral> {
  private readonly columns: Array<{ value: (r: T) => unknown }>;
  private readonly head: string;
  private readonly one: string;

  /** `ignore`: a row whose unique key exists already is left as it is (INSERT IGNORE / INSERT OR IGNORE). */
  constructor(ds: DataSource, entity: EntityTarget<T>, opts: { ignore?: boolean } = {}) {
    const meta = ds.getMetadata(entity);
    const plain = new Set<unknown>(['varchar', 'text', 'int', String, Number]);
    this.columns = meta.columns.map((c) => {
      const prop = c.propertyName;
      const value: (r: T) => unknown = c.transformer || !(c.type === 'json' || plain.has(c.type))
        ? (r) => ds.driver.preparePersistentValue(r[prop], c)
        : c.type === 'json' ? (r) => (r[prop] == null ? null : JSON.stringify(r[prop])) : (r) => r[prop] ?? null;
      return { value };
    });
    const verb = !opts.ignore ? 'INSERT' : ds.options.type === 'better-sqlite3' ? 'INSERT OR IGNORE' : 'INSERT IGNORE';
    const q = (name: string) => ds.driver.escape(name);
    this.head = `${verb} INTO ${q(meta.tableName)} (${meta.columns.map((c) => q(c.databaseName)).join(', ')}) VALUES `;
    this.one = `(${meta.columns.map(() => '?').join(', ')})`;
  }

  /** The statement and its parameters for these rows (at least one), for `query(sql, params)`. */
  statement(rows: readonly T[]): [string, unknown[]] {
    const params: unknown[] = [];
    for (const r of rows) for (const c of this.columns) params.push(c.value(r));
    return [this.head + rows.map(() => this.one).join(', '), params];
  }
}

import type { DataSource, EntityManager, EntityTarget, ObjectLiteral } from 'typeorm';
import type { Logger } from './logger.js';

/** MariaDB/MySQL ER_MAX_PREPARED_STMT_COUNT_REACHED: the server's max_prepared_stmt_count is used up. */
const TOO_MANY_STATEMENTS = 1461;

/** The callback API of a mysql2 pool or connection (what typeorm's MySQL driver holds). */
interface Mysql2Executor {
  execute(sql: string, params: unknown[], cb: (err: Error | null, rows?: unknown) => void): void;
}

/**
 * One multi-row INSERT of plain rows of an entity, for the ingest hot paths (the webhooks' stored payloads, a batch
 * of inbound messages). typeorm's `insert` goes through its query builder: parameter names, property-name
 * replacement, escaping, all per value; on a processing replica in bench:ingest its INSERT alone was ~7 % of the
 * busy CPU. Here each column's conversion is chosen once: strings and numbers go as they are, JSON is stringified,
 * and only the other types (dates, booleans) and columns with a transformer go through the driver's conversion.
 * No entity listeners or subscribers run (this codebase has none). Written by hand: typeorm has no cheaper bulk
 * path, and no library builds typeorm-compatible inserts.
 *
 * `run` sends it on MySQL/MariaDB as a prepared statement (mysql2's `execute`, the binary protocol): values go
 * as they are, with their length. The text protocol (`query`) escapes every character of every value; for rows
 * holding ~3 KB of JSON that took twice the client CPU (57 against 27 µs per row, 20-row statements, measured).
 * mysql2 keeps a statement per distinct text per connection, at most `maxPreparedStatements` (data-source.ts)
 * of them; the number of rows makes the text, so a pool holds a few tens per table. Should the server's own limit
 * (max_prepared_stmt_count, shared by every client) be used up, the statement goes by the text protocol instead,
 * with a warning: slower, never lost.
 */
export class MultiRowInsert<T extends ObjectLiteral> {
  private readonly columns: Array<{ value: (r: T) => unknown }>;
  private readonly head: string;
  private readonly one: string;
  private readonly mysql: boolean;
  private readonly log: Logger | undefined;
  private readonly ds: DataSource;
  private readonly idColumn: string;
  private warned = false;

  /** `ignore`: a row whose unique key exists already is left as it is (INSERT IGNORE / INSERT OR IGNORE). */
  constructor(ds: DataSource, entity: EntityTarget<T>, opts: { ignore?: boolean; log?: Logger } = {}) {
    this.log = opts.log;
    this.ds = ds;
    const meta = ds.getMetadata(entity);
    this.idColumn = ds.driver.escape(meta.primaryColumns[0].databaseName);
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
    this.mysql = ds.options.type === 'mysql' || ds.options.type === 'mariadb';
  }

  /** Inserts the rows (at least one), in `manager`'s transaction when it is a transaction's manager. */
  async run(manager: EntityManager, rows: readonly T[]): Promise<void> {
    await this.send(manager, ...this.statement(rows));
  }

  /**
   * `run`, telling which rows were inserted (by primary key): with `ignore`, a row whose unique key existed is
   * not. Null where the database cannot say in the same statement (MySQL has no INSERT … RETURNING; MariaDB has
   * it from 10.5, SQLite from 3.35).
   */
  async runReturningIds(manager: EntityManager, rows: readonly T[]): Promise<Set<string> | null> {
    const [sql, params] = this.statement(rows);
    if (!(await this.returns())) {
      await this.send(manager, sql, params);
      return null;
    }
    const out = (await this.send(manager, `${sql} RETURNING ${this.idColumn}`, params)) as Array<Record<string, unknown>>;
    return new Set(out.map((r) => String(Object.values(r)[0])));
  }

  private returnsIds: Promise<boolean> | undefined;

  /** Asked once: the driver keeps only the number of the server's version, not whether it is MariaDB. */
  private returns(): Promise<boolean> {
    this.returnsIds ??= !this.mysql ? Promise.resolve(true) : this.ds.query('SELECT VERSION() AS v').then((r: Array<{ v: string }>) => {
      const version = String(r[0]?.v ?? '');
      const [major, minor] = (version.match(/^(\d+)\.(\d+)/) ?? []).slice(1).map(Number);
      return /mariadb/i.test(version) && (major > 10 || (major === 10 && minor >= 5));
    }, () => {
      this.returnsIds = undefined; // asked again next time
      return false;
    });
    return this.returnsIds;
  }

  private async send(manager: EntityManager, sql: string, params: unknown[]): Promise<unknown> {
    if (!this.mysql) return manager.query(sql, params);
    // The transaction's own connection, or the pool (which lends one for the statement).
    const executor = (manager.queryRunner && !manager.queryRunner.isReleased
      ? await manager.queryRunner.connect()
      : (manager.connection.driver as unknown as { pool: Mysql2Executor }).pool) as Mysql2Executor;
    try {
      return await new Promise<unknown>((resolve, reject) => executor.execute(sql, params, (err, out) => (err ? reject(err) : resolve(out))));
    } catch (err) {
      if ((err as { errno?: number }).errno !== TOO_MANY_STATEMENTS) throw err;
      if (!this.warned) {
        this.warned = true;
        this.log?.warn({ err: (err as Error).message }, 'the server allows no more prepared statements (max_prepared_stmt_count): these INSERTs go by the text protocol, slower; raise the limit');
      }
      return manager.query(sql, params); // a failed prepare leaves the transaction as it was
    }
  }

  /** The statement and its parameters for these rows (at least one). */
  private statement(rows: readonly T[]): [string, unknown[]] {
    const params: unknown[] = [];
    for (const r of rows) for (const c of this.columns) params.push(c.value(r) ?? null);
    return [this.head + rows.map(() => this.one).join(', '), params];
  }
}

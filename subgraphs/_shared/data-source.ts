import { mkdirSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { DataSource, type DataSourceOptions, type MixedList, type EntitySchema } from 'typeorm';
import type { Logger } from './logger.js';
import { withDatabaseLock } from './named-lock.js';

export interface DataSourceSettings {
  /** mysql://user:pass@host:3306/db, mariadb://… or sqlite:path/to/file.sqlite (sqlite::memory: for tests) */
  url: string;
  /** The subgraph's name: its migrations table is `migrations_<name>`. */
  subgraph: string;
  // eslint-disable-next-line @typescript-eslint/no-unsafe-function-type
  entities: MixedList<Function | string | EntitySchema>;
  // eslint-disable-next-line @typescript-eslint/no-unsafe-function-type
  migrations: MixedList<Function | string>;
  log?: Logger;
  /** What ensureDatabase found: typeorm reads MariaDB's schema right only with type 'mariadb'. */
  flavor?: DatabaseFlavor;
}

export type DatabaseFlavor = 'mysql' | 'mariadb' | 'sqlite';

export function isSqlite(url: string): boolean {
  return url.startsWith('sqlite:');
}

/** Builds the subgraph's DataSource. Each subgraph owns its tables and its own migrations table. */
export function buildDataSource(s: DataSourceSettings): DataSource {
  const common = {
    entities: s.entities,
    migrations: s.migrations,
    migrationsTableName: `migrations_${s.subgraph}`,
    synchronize: false,
    logging: false,
  } as const;
  let options: DataSourceOptions;
  if (isSqlite(s.url)) {
    const file = s.url.slice('sqlite:'.length);
    if (file !== ':memory:') mkdirSync(dirname(resolve(file)), { recursive: true });
    options = {
      ...common,
      type: 'better-sqlite3',
      database: file,
      enableWAL: file !== ':memory:',
      // Several processes may share a file in development: wait instead of failing on a lock.
      prepareDatabase: (db: { pragma(s: string): unknown }) => void db.pragma('busy_timeout = 5000'),
    };
  } else {
    options = {
      ...common,
      type: s.flavor === 'mariadb' || (!s.flavor && s.url.startsWith('mariadb:')) ? 'mariadb' : 'mysql',
      url: s.url.replace(/^mariadb:/, 'mysql:'),
      charset: 'utf8mb4_unicode_ci',
      timezone: 'Z',
      supportBigNumbers: true,
      bigNumberStrings: true,
      poolSize: 10,
      // Prepared statements kept per connection (only MultiRowInsert prepares; its row counts make the texts). The
      // server allows 16,382 in all (max_prepared_stmt_count): 10 connections × 64 × a few replicas stays far below.
      // trace: mysql2 captures a stack trace for every query, in case it fails (2 % of a processing replica's CPU
      // in bench:ingest). typeorm awaits each query, so a failure's QueryFailedError has its callers' async stack.
      extra: { maxPreparedStatements: 64, trace: false },
    };
  }
  const ds = new DataSource(options);
  if (isSqlite(s.url)) serializeTransactions(ds);
  return ds;
}

/**
 * better-sqlite3 gives typeorm one connection: two overlapping transactions would nest and fail
 * ("cannot start a transaction within a transaction"). Embedded mode queues them instead.
 */
function serializeTransactions(ds: DataSource): void {
  const manager = ds.manager;
  const original = manager.transaction.bind(manager) as (...args: unknown[]) => Promise<unknown>;
  let tail: Promise<unknown> = Promise.resolve();
  (manager as unknown as { transaction: (...args: unknown[]) => Promise<unknown> }).transaction = (...args: unknown[]) => {
    const run = tail.then(() => original(...args));
    tail = run.catch(() => undefined);
    return run;
  };
}

/**
 * Creates the MySQL database named in the URL if it does not exist yet, so a fresh server needs no manual step,
 * and tells MySQL from MariaDB (their information_schema differs in how defaults read back). `create: false` for a
 * process that does not migrate: its account may hold no CREATE privilege (the gateway's edge ingest).
 */
export async function ensureDatabase(url: string, create = true): Promise<DatabaseFlavor> {
  if (isSqlite(url)) return 'sqlite';
  const u = new URL(url.replace(/^mariadb:/, 'mysql:'));
  const db = decodeURIComponent(u.pathname.replace(/^\//, ''));
  if (!/^[A-Za-z0-9_]+$/.test(db)) throw new Error(`DATABASE_URL: database name "${db}" must be letters, digits and _`);
  // Not mysql2/promise: once that entry has loaded mysql2's promise wrappers, the require in mysql2's
  // PoolConnection.promise(), which typeorm calls for every query, misses Node's relative-resolve cache and looks the
  // file up on disk again each time (~10 µs a query; ~2 % of a processing replica's CPU in bench:ingest).
  const { createConnection } = await import('mysql2');
  const raw = createConnection({
    host: u.hostname,
    port: Number(u.port || 3306),
    user: decodeURIComponent(u.username || 'root'),
    password: decodeURIComponent(u.password || ''),
  });
  // connected first: a query queued before the handshake never hears of a refused login
  await new Promise<void>((resolve, reject) => raw.connect((err) => (err ? reject(err) : resolve())));
  const conn = raw.promise();
  try {
    if (create) await conn.query(`CREATE DATABASE IF NOT EXISTS \`${db}\` CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci`);
    const [rows] = (await conn.query('SELECT VERSION() AS v')) as unknown as [Array<{ v: string }>];
    return /mariadb/i.test(rows[0].v) ? 'mariadb' : 'mysql';
  } finally {
    await conn.end();
  }
}

/** Connects and (optionally) runs pending migrations. */
export async function openDataSource(s: DataSourceSettings, migrate: boolean): Promise<DataSource> {
  const flavor = await ensureDatabase(s.url, migrate);
  const ds = buildDataSource({ ...s, flavor });
  await ds.initialize();
  if (migrate) {
    const ran = await withMigrationLock(ds, s.subgraph, () => ds.runMigrations({ transaction: 'each' }));
    if (ran.length) s.log?.info({ migrations: ran.map((m) => m.name) }, 'migrations applied');
  }
  return ds;
}

/**
 * Replicas that boot together must not run the same migration twice: on MySQL/MariaDB a named lock
 * serialises them (the second finds nothing pending). SQLite is single-writer already.
 */
async function withMigrationLock<T>(ds: DataSource, subgraph: string, work: () => Promise<T>): Promise<T> {
  return withDatabaseLock(ds, `huiliu_migrate_${subgraph}`, 120, work);
}

/** SQL the entities would need beyond what the migrations created: empty means no drift. */
export async function schemaDrift(ds: DataSource): Promise<string[]> {
  const log = await ds.driver.createSchemaBuilder().log();
  return log.upQueries.map((q) => q.query);
}

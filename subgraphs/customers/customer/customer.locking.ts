import type { EntityManager } from 'typeorm';

/**
 * Find options that read the latest committed rows and lock them until the transaction ends (SELECT … FOR UPDATE)
 * on MySQL/MariaDB. Under REPEATABLE READ a plain read inside a transaction sees its snapshot, which can miss a
 * row another transaction committed while this one waited for a lock. SQLite runs one transaction at a time
 * (and typeorm refuses lock modes there), so nothing is needed.
 */
export function forUpdate(m: EntityManager): { lock?: { mode: 'pessimistic_write' } } {
  return m.connection.options.type === 'better-sqlite3' ? {} : { lock: { mode: 'pessimistic_write' } };
}

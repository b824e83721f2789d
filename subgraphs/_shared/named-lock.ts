import { createHash } from 'node:crypto';
import type { DataSource } from 'typeorm';

/**
 * MariaDB/MySQL GET_LOCK held on a dedicated connection while `work` runs (which may use other connections).
 * Names longer than the server's 64 characters are hashed. SQLite (embedded, one process) runs `work` as is.
 */
export async function withDatabaseLock<T>(ds: DataSource, name: string, timeoutSeconds: number, work: () => Promise<T>): Promise<T> {
  if (ds.options.type === 'better-sqlite3') return work();
  const key = name.length <= 64 ? name : `huiliu_${createHash('sha1').update(name).digest('hex')}`;
  const qr = ds.createQueryRunner();
  await qr.connect();
  try {
    const [row] = (await qr.query('SELECT GET_LOCK(?, ?) AS got', [key, timeoutSeconds])) as Array<{ got: number | null }>;
    if (Number(row?.got) !== 1) throw Object.assign(new Error(`lock ${name} not taken within ${timeoutSeconds} s`), { code: 'LOCK_TIMEOUT' });
    try {
      return await work();
    } finally {
      await qr.query('SELECT RELEASE_LOCK(?)', [key]);
    }
  } finally {
    await qr.release();
  }
}

/**
 * Mutual exclusion by name across replicas: callers in this process queue up in memory first (no connection
 * spent on waiting), then one of them takes the database lock. At most `maxHeld` database locks at once per
 * process, so lock holders (one connection each, plus the connection their work needs) can never take the
 * whole pool.
 */
export class NamedLocks {
  private readonly chains = new Map<string, Promise<void>>();
  private held = 0;
  private readonly waiting: Array<() => void> = [];

  constructor(private readonly ds: DataSource, private readonly maxHeld = 4, private readonly timeoutSeconds = 10) {}

  async with<T>(name: string, work: () => Promise<T>): Promise<T> {
    const prev = this.chains.get(name) ?? Promise.resolve();
    let done!: () => void;
    const mine = new Promise<void>((r) => (done = r));
    const chain = prev.then(() => mine);
    this.chains.set(name, chain);
    await prev;
    try {
      if (this.held >= this.maxHeld) await new Promise<void>((r) => this.waiting.push(r));
      this.held++;
      try {
        return await withDatabaseLock(this.ds, name, this.timeoutSeconds, work);
      } finally {
        this.held--;
        this.waiting.shift()?.();
      }
    } finally {
      done();
      if (this.chains.get(name) === chain) this.chains.delete(name);
    }
  }
}

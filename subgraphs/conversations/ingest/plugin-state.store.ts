import type { DataSource } from 'typeorm';
import { MemoryKeyValueStore } from '../../../plugins/host/index.js';
import type { Clock, KeyValueStore, KvSetOptions } from '../../../plugins/sdk/index.js';
import type { Logger } from '../../_shared/logger.js';

/**
 * The plugins' key-value store in the embedded mode (one process, no Redis): answered from memory, so every
 * operation is as atomic as the in-memory store's, and written through to the `plugin_state` table in order, so
 * a restart finds the WeCom kf cursors, tokens and reply-window counters where they were. Not for several
 * processes: distributed mode uses Redis (RedisKeyValueStore), whose operations are atomic across replicas.
 */
export class PersistentKeyValueStore implements KeyValueStore {
  private readonly memory: MemoryKeyValueStore;
  /** Writes go to the database one after another, in the order the memory took them. */
  private writes: Promise<void> = Promise.resolve();
  private readonly sqlite: boolean;

  constructor(private readonly ds: DataSource, private readonly log: Logger, private readonly clock: Clock) {
    this.memory = new MemoryKeyValueStore(clock);
    this.sqlite = ds.options.type === 'better-sqlite3';
  }

  /** Reads back what earlier processes kept (expired rows are dropped). Call before the plugins start. */
  async load(): Promise<number> {
    const now = this.clock.now();
    await this.ds.query('DELETE FROM plugin_state WHERE expires_at IS NOT NULL AND expires_at <= ?', [now]);
    const rows = (await this.ds.query('SELECT k, v, expires_at FROM plugin_state')) as Array<{ k: string; v: string; expires_at: number | null }>;
    for (const r of rows) await this.memory.set(r.k, r.v, r.expires_at == null ? undefined : { ttlMs: Math.max(1, Number(r.expires_at) - now) });
    return rows.length;
  }

  /** Resolves once every write so far is in the database (shutdown, tests). */
  flushed(): Promise<void> { return this.writes; }

  get(key: string): Promise<string | null> { return this.memory.get(key); }

  async set(key: string, value: string, options?: KvSetOptions): Promise<void> {
    await this.memory.set(key, value, options);
    this.persist(key, value, this.expiry(options));
  }

  async setIfAbsent(key: string, value: string, options?: KvSetOptions): Promise<boolean> {
    const set = await this.memory.setIfAbsent(key, value, options);
    if (set) this.persist(key, value, this.expiry(options));
    return set;
  }

  async delete(key: string): Promise<void> {
    await this.memory.delete(key);
    this.enqueue(() => this.ds.query('DELETE FROM plugin_state WHERE k = ?', [key]));
  }

  async increment(key: string, by?: number, options?: KvSetOptions): Promise<number> {
    const fresh = (await this.memory.get(key)) === null;
    const n = await this.memory.increment(key, by, options);
    // A new counter gets the TTL; an existing one keeps its row's expiry (only the value changes).
    if (fresh) this.persist(key, String(n), this.expiry(options));
    else this.enqueue(() => this.ds.query('UPDATE plugin_state SET v = ? WHERE k = ?', [String(n), key]));
    return n;
  }

  private expiry(options?: KvSetOptions): number | null {
    return options?.ttlMs ? this.clock.now() + options.ttlMs : null;
  }

  private persist(key: string, value: string, expiresAt: number | null): void {
    const upsert = this.sqlite
      ? 'INSERT INTO plugin_state (k, v, expires_at) VALUES (?, ?, ?) ON CONFLICT(k) DO UPDATE SET v = excluded.v, expires_at = excluded.expires_at'
      : 'INSERT INTO plugin_state (k, v, expires_at) VALUES (?, ?, ?) ON DUPLICATE KEY UPDATE v = VALUES(v), expires_at = VALUES(expires_at)';
    this.enqueue(() => this.ds.query(upsert, [key, value, expiresAt]));
  }

  private enqueue(write: () => Promise<unknown>): void {
    this.writes = this.writes.then(write).then(() => undefined, (err) => this.log.error({ err }, 'plugin state not saved'));
  }
}

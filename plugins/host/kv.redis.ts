import type Redis from 'ioredis';
import type { KeyValueStore, KvSetOptions } from '../sdk/context.js';

/** The plugins' key-value store on Redis (distributed mode): every replica sees the same tokens, cursors and windows. */
export class RedisKeyValueStore implements KeyValueStore {
  constructor(private readonly redis: Redis, private readonly prefix = 'huiliu:plugins:') {}

  private k(key: string) { return this.prefix + key; }

  get(key: string) { return this.redis.get(this.k(key)); }

  async set(key: string, value: string, options?: KvSetOptions) {
    if (options?.ttlMs) await this.redis.set(this.k(key), value, 'PX', Math.ceil(options.ttlMs));
    else await this.redis.set(this.k(key), value);
  }

  async setIfAbsent(key: string, value: string, options?: KvSetOptions) {
    const r = options?.ttlMs
      ? await this.redis.set(this.k(key), value, 'PX', Math.ceil(options.ttlMs), 'NX')
      : await this.redis.set(this.k(key), value, 'NX');
    return r === 'OK';
  }

  async delete(key: string) { await this.redis.del(this.k(key)); }

  async increment(key: string, by = 1, options?: KvSetOptions) {
    const m = this.redis.multi().incrby(this.k(key), by);
    // NX: only a key without expiry gets one, like the in-memory store (an existing TTL is kept)
    if (options?.ttlMs) m.pexpire(this.k(key), Math.ceil(options.ttlMs), 'NX');
    const res = await m.exec();
    const [err, n] = res?.[0] ?? [new Error('increment failed'), null];
    if (err) throw err;
    return Number(n);
  }
}

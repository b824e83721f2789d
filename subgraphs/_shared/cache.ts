import Redis from 'ioredis';

/**
 * A string cache with expiry, shared by every replica (Redis) or in process (embedded mode). The database stays
 * the source of truth: whatever lives here may vanish at any time and is rebuilt on a miss.
 */
export interface KeyValueCache {
  get(key: string): Promise<string | null>;
  mget(keys: readonly string[]): Promise<Array<string | null>>;
  set(key: string, value: string, ttlSeconds: number): Promise<void>;
  del(...keys: string[]): Promise<void>;
  /** Seconds before the key expires; -1 without expiry, -2 when absent (Redis TTL semantics). */
  ttl(key: string): Promise<number>;
  /**
   * For each entry, atomically: adds 1 to `guardKey` (a new one starts at 0) and (re)sets its expiry, and deletes `key`. Many entries in
   * one round trip: a batch of inbound messages invalidates all its customers' caches at once.
   */
  invalidate(entries: ReadonlyArray<{ key: string; guardKey: string }>, ttlSeconds: number): Promise<void>;
  /**
   * Sets `key` only while `guardKey` still holds `guard` (null: absent), atomically. A rebuild that read the
   * database before a concurrent write bumped the guard is dropped instead of caching stale data.
   */
  setIfGuard(key: string, value: string, ttlSeconds: number, guardKey: string, guard: string | null): Promise<boolean>;
  /** Sets one field of a hash and (re)sets the whole hash's expiry: state each replica reports under its own field. */
  hashSet(key: string, field: string, value: string, ttlSeconds: number): Promise<void>;
  /** Every field of a hash ({} when absent). */
  hashGetAll(key: string): Promise<Record<string, string>>;
  hashDel(key: string, ...fields: string[]): Promise<void>;
  close(): Promise<void>;
}

const SET_IF_GUARD = `
local g = redis.call('GET', KEYS[2])
if (ARGV[3] == '1' and not g) or (ARGV[3] == '0' and g == ARGV[4]) then
  redis.call('SET', KEYS[1], ARGV[1], 'EX', ARGV[2])
  return 1
end
return 0`;

/** KEYS: guard, key, guard, key, ...; ARGV[1]: the guards' TTL. */
const INVALIDATE = `
for i = 1, #KEYS, 2 do
  redis.call('INCR', KEYS[i])
  redis.call('EXPIRE', KEYS[i], ARGV[1])
  redis.call('DEL', KEYS[i + 1])
end
return #KEYS / 2`;

/** Distributed mode. Every key is prefixed, so tests and deployments sharing a Redis do not collide. */
export function createRedisCache(url: string, prefix = 'huiliu:cache:'): KeyValueCache {
  const redis = new Redis(url, { maxRetriesPerRequest: 3, enableAutoPipelining: true });
  // EVALSHA after the first call; the key count is given per call (`invalidate` takes any number of entries).
  redis.defineCommand('huiliuInvalidate', { lua: INVALIDATE });
  const invalidate = (redis as unknown as { huiliuInvalidate(n: number, ...args: string[]): Promise<unknown> }).huiliuInvalidate.bind(redis);
  const k = (key: string) => prefix + key;
  return {
    get: (key) => redis.get(k(key)),
    mget: async (keys) => (keys.length ? redis.mget(...keys.map(k)) : []),
    async set(key, value, ttlSeconds) {
      await redis.set(k(key), value, 'EX', ttlSeconds);
    },
    async del(...keys) {
      if (keys.length) await redis.del(...keys.map(k));
    },
    ttl: (key) => redis.ttl(k(key)),
    async invalidate(entries, ttlSeconds) {
      if (!entries.length) return;
      await invalidate(entries.length * 2, ...entries.flatMap((e) => [k(e.guardKey), k(e.key)]), String(ttlSeconds));
    },
    async setIfGuard(key, value, ttlSeconds, guardKey, guard) {
      const r = await redis.eval(SET_IF_GUARD, 2, k(key), k(guardKey), value, String(ttlSeconds), guard === null ? '1' : '0', guard ?? '');
      return Number(r) === 1;
    },
    async hashSet(key, field, value, ttlSeconds) {
      await redis.multi().hset(k(key), field, value).expire(k(key), ttlSeconds).exec();
    },
    hashGetAll: (key) => redis.hgetall(k(key)),
    async hashDel(key, ...fields) {
      if (fields.length) await redis.hdel(k(key), ...fields);
    },
    async close() {
      redis.disconnect();
    },
  };
}

export interface MemoryCacheOptions {
  /** Milliseconds since the epoch (tests move time). */
  now?: () => number;
  /** Oldest entries are dropped beyond this many (default 10,000: embedded mode is for small deployments). */
  maxEntries?: number;
}

/** Embedded mode (one process, no Redis): the same interface over a Map, expired lazily. */
export function createMemoryCache(o: MemoryCacheOptions = {}): KeyValueCache {
  const now = o.now ?? Date.now;
  const maxEntries = o.maxEntries ?? 10_000;
  const entries = new Map<string, { value: string; expiresAt: number }>();
  const read = (key: string): string | null => {
    const e = entries.get(key);
    if (!e) return null;
    if (e.expiresAt <= now()) {
      entries.delete(key);
      return null;
    }
    return e.value;
  };
  const write = (key: string, value: string, ttlSeconds: number) => {
    entries.delete(key); // re-inserting keeps Map order = age, for eviction
    entries.set(key, { value, expiresAt: now() + ttlSeconds * 1000 });
    while (entries.size > maxEntries) entries.delete(entries.keys().next().value!);
  };
  const readHash = (key: string): Record<string, string> => JSON.parse(read(key) ?? '{}') as Record<string, string>;
  return {
    get: async (key) => read(key),
    mget: async (keys) => keys.map(read),
    set: async (key, value, ttlSeconds) => write(key, value, ttlSeconds),
    del: async (...keys) => void keys.forEach((key) => entries.delete(key)),
    async ttl(key) {
      const e = read(key) === null ? undefined : entries.get(key);
      return e ? Math.ceil((e.expiresAt - now()) / 1000) : -2;
    },
    async invalidate(list, ttlSeconds) {
      for (const e of list) {
        write(e.guardKey, String(Number(read(e.guardKey) ?? 0) + 1), ttlSeconds);
        entries.delete(e.key);
      }
    },
    async setIfGuard(key, value, ttlSeconds, guardKey, guard) {
      if (read(guardKey) !== guard) return false;
      write(key, value, ttlSeconds);
      return true;
    },
    // A hash is one entry holding its fields as JSON: embedded mode has one process, so there is no race to mind.
    async hashSet(key, field, value, ttlSeconds) {
      write(key, JSON.stringify({ ...readHash(key), [field]: value }), ttlSeconds);
    },
    hashGetAll: async (key) => readHash(key),
    async hashDel(key, ...fields) {
      if (read(key) === null) return;
      const h = readHash(key);
      for (const f of fields) delete h[f];
      entries.get(key)!.value = JSON.stringify(h); // keeps its expiry
    },
    close: async () => entries.clear(),
  };
}

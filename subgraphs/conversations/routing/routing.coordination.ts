import { randomUUID } from 'node:crypto';
import type Redis from 'ioredis';

/**
 * Cross-replica coordination for routing's background work: short leases (one replica sweeps a tick, one replica
 * dispatches a group at a time) and "dirty" flags so that a request arriving while another replica holds the
 * lease is not lost. Leases only save duplicate work: correctness comes from the database's conditional updates.
 */
export interface Coordinator {
  /** A token when the lease was free, null when another holder has it. */
  tryLock(name: string, ttlMs: number): Promise<string | null>;
  unlock(name: string, token: string): Promise<void>;
  markDirty(name: string): Promise<void>;
  /** True (and cleared) when someone marked it since the last take. */
  takeDirty(name: string): Promise<boolean>;
  isDirty(name: string): Promise<boolean>;
}

const UNLOCK = `if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end return 0`;

export function createRedisCoordinator(redis: Redis, prefix: string): Coordinator {
  const lock = (n: string) => `${prefix}routing-lock:${n}`;
  const dirty = (n: string) => `${prefix}routing-dirty:${n}`;
  return {
    async tryLock(name, ttlMs) {
      const token = randomUUID();
      return (await redis.set(lock(name), token, 'PX', ttlMs, 'NX')) === 'OK' ? token : null;
    },
    async unlock(name, token) {
      await redis.eval(UNLOCK, 1, lock(name), token);
    },
    async markDirty(name) {
      await redis.set(dirty(name), '1', 'PX', 60_000);
    },
    async takeDirty(name) {
      return (await redis.getdel(dirty(name))) !== null;
    },
    async isDirty(name) {
      return (await redis.exists(dirty(name))) === 1;
    },
  };
}

export function createMemoryCoordinator(clock: () => number = Date.now): Coordinator {
  const locks = new Map<string, { token: string; until: number }>();
  const dirty = new Set<string>();
  return {
    async tryLock(name, ttlMs) {
      const held = locks.get(name);
      if (held && held.until > clock()) return null;
      const token = randomUUID();
      locks.set(name, { token, until: clock() + ttlMs });
      return token;
    },
    async unlock(name, token) {
      if (locks.get(name)?.token === token) locks.delete(name);
    },
    async markDirty(name) {
      dirty.add(name);
    },
    async takeDirty(name) {
      return dirty.delete(name);
    },
    async isDirty(name) {
      return dirty.has(name);
    },
  };
}

/**
 * Runs `work` until nobody asks for it any more, on one replica at a time: request() marks the job dirty and, if
 * the lease is free, drains it; a request while another replica drains is picked up by that replica's loop.
 */
export async function runCoalesced(c: Coordinator, name: string, ttlMs: number, work: () => Promise<void>): Promise<void> {
  await c.markDirty(name);
  for (;;) {
    const token = await c.tryLock(name, ttlMs);
    if (!token) return;
    try {
      while (await c.takeDirty(name)) await work();
    } finally {
      await c.unlock(name, token);
    }
    // A request that came after our last take but failed to lock while we held the lease.
    if (!(await c.isDirty(name))) return;
  }
}

/**
 * Timers shared by every replica (Redis sorted sets; a Map when embedded): offer timeouts, no-reply checks,
 * overflow, queue re-checks. The sweep asks only for what is due, so an idle system costs no database query.
 * A due item is leased (pushed back by `leaseMs`) while it is handled, so a crash retries it instead of losing it.
 */
export interface Scheduler {
  /** Keeps the earlier time when the member is already scheduled. */
  schedule(kind: string, member: string, at: number): Promise<void>;
  due(kind: string, now: number, leaseMs: number, limit: number): Promise<string[]>;
  done(kind: string, member: string): Promise<void>;
}

/** Tenants whose routing is switched on (rules saved, an agent's presence, a routing call): the others cost nothing. */
export interface Activation {
  /** True when it was newly switched on. */
  add(tenantId: string): Promise<boolean>;
  has(tenantId: string): Promise<boolean>;
}

const DUE = `
local m = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', ARGV[1], 'LIMIT', 0, ARGV[3])
for _, v in ipairs(m) do redis.call('ZADD', KEYS[1], ARGV[2], v) end
return m`;

export function createRedisScheduler(redis: Redis, prefix: string): Scheduler {
  const key = (kind: string) => `${prefix}routing-due:${kind}`;
  return {
    async schedule(kind, member, at) {
      await redis.zadd(key(kind), 'LT', at, member);
    },
    async due(kind, now, leaseMs, limit) {
      return (await redis.eval(DUE, 1, key(kind), String(now), String(now + leaseMs), String(limit))) as string[];
    },
    async done(kind, member) {
      await redis.zrem(key(kind), member);
    },
  };
}

export function createMemoryScheduler(): Scheduler {
  const kinds = new Map<string, Map<string, number>>();
  const of = (k: string) => {
    let m = kinds.get(k);
    if (!m) kinds.set(k, (m = new Map()));
    return m;
  };
  return {
    async schedule(kind, member, at) {
      const m = of(kind);
      const cur = m.get(member);
      if (cur === undefined || at < cur) m.set(member, at);
    },
    async due(kind, now, leaseMs, limit) {
      const m = of(kind);
      const out = [...m.entries()].filter(([, at]) => at <= now).sort((a, b) => a[1] - b[1]).slice(0, limit).map(([k]) => k);
      for (const k of out) m.set(k, now + leaseMs);
      return out;
    },
    async done(kind, member) {
      of(kind).delete(member);
    },
  };
}

export function createRedisActivation(redis: Redis, prefix: string): Activation {
  const key = `${prefix}routing-active`;
  return {
    add: async (t) => (await redis.sadd(key, t)) === 1,
    has: async (t) => (await redis.sismember(key, t)) === 1,
  };
}

export function createMemoryActivation(): Activation {
  const s = new Set<string>();
  return {
    async add(t) {
      const had = s.has(t);
      s.add(t);
      return !had;
    },
    has: async (t) => s.has(t),
  };
}

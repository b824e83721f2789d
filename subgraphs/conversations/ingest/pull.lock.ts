import { randomUUID } from 'node:crypto';
import type Redis from 'ioredis';

/**
 * Who polls a pull channel right now: one holder per name, with a TTL so a crashed holder's lease runs out.
 * Redis when distributed (replicas share it), memory when embedded (one process). It saves duplicate polls;
 * correctness does not depend on it — pulled items are stored with INSERT IGNORE on (channel, dedupe key).
 */
export interface PullLock {
  /** A token when the lease was free (now held for `ttlMs`), null when another holder has it. */
  acquire(name: string, ttlMs: number): Promise<string | null>;
  /** Extends a held lease; false when it ran out and someone else took it. */
  renew(name: string, token: string, ttlMs: number): Promise<boolean>;
  /** Frees the lease if this token still holds it. */
  release(name: string, token: string): Promise<void>;
  close(): Promise<void>;
}

const RENEW = `if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('PEXPIRE', KEYS[1], ARGV[2]) end return 0`;
const RELEASE = `if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end return 0`;

/** `owned`: the lock closes the connection on close(). */
export function createRedisPullLock(redis: Redis, prefix: string, owned = false): PullLock {
  const key = (n: string) => `${prefix}pull-lock:${n}`;
  return {
    async acquire(name, ttlMs) {
      const token = randomUUID();
      return (await redis.set(key(name), token, 'PX', Math.ceil(ttlMs), 'NX')) === 'OK' ? token : null;
    },
    async renew(name, token, ttlMs) {
      return Number(await redis.eval(RENEW, 1, key(name), token, String(Math.ceil(ttlMs)))) === 1;
    },
    async release(name, token) {
      await redis.eval(RELEASE, 1, key(name), token);
    },
    async close() {
      if (owned) redis.disconnect();
    },
  };
}

export function createMemoryPullLock(now: () => number = Date.now): PullLock {
  const held = new Map<string, { token: string; until: number }>();
  const live = (name: string) => { const h = held.get(name); return h && h.until > now() ? h : undefined; };
  return {
    async acquire(name, ttlMs) {
      if (live(name)) return null;
      const token = randomUUID();
      held.set(name, { token, until: now() + ttlMs });
      return token;
    },
    async renew(name, token, ttlMs) {
      const h = live(name);
      if (!h || h.token !== token) return false;
      h.until = now() + ttlMs;
      return true;
    },
    async release(name, token) {
      if (held.get(name)?.token === token) held.delete(name);
    },
    async close() { held.clear(); },
  };
}

import type { Clock, KeyValueStore } from './context.js';

export interface FetchedToken { token: string; expiresInSeconds: number }

interface Stored { token: string; exp: number }

const inflight = new WeakMap<KeyValueStore, Map<string, Promise<string>>>();

/**
 * An access token cached in the plugin's key-value store, shared by replicas: refreshed `marginSeconds`
 * before it expires, fetched by one caller at a time (a KV lock across replicas, one promise per process),
 * because platforms like WeChat invalidate the previous token when a new one is fetched.
 */
export async function cachedToken(
  kv: KeyValueStore,
  clock: Clock,
  key: string,
  fetch: () => Promise<FetchedToken>,
  options: { marginSeconds?: number; lockMs?: number; waitMs?: number } = {},
): Promise<string> {
  const margin = (options.marginSeconds ?? 300) * 1000;
  const fresh = async () => {
    const raw = await kv.get(key);
    if (!raw) return null;
    try { const s = JSON.parse(raw) as Stored; return s.exp - margin > clock.now() ? s.token : null; } catch { return null; }
  };
  const hit = await fresh();
  if (hit) return hit;

  let perKv = inflight.get(kv);
  if (!perKv) inflight.set(kv, (perKv = new Map()));
  const running = perKv.get(key);
  if (running) return running;

  const p = (async () => {
    const lockKey = `${key}:lock`;
    const locked = await kv.setIfAbsent(lockKey, '1', { ttlMs: options.lockMs ?? 10_000 });
    if (!locked) {
      // another replica is fetching: wait for its token rather than invalidating it with a second fetch
      const deadline = Date.now() + (options.waitMs ?? 3_000); // real time: a test's fake clock may stand still
      while (Date.now() < deadline) {
        await new Promise((r) => setTimeout(r, 50));
        const t = await fresh();
        if (t) return t;
      }
    }
    try {
      const got = await fetch();
      const exp = clock.now() + got.expiresInSeconds * 1000;
      await kv.set(key, JSON.stringify({ token: got.token, exp } satisfies Stored), { ttlMs: Math.max(1000, got.expiresInSeconds * 1000) });
      return got.token;
    } finally {
      if (locked) await kv.delete(lockKey);
    }
  })();
  perKv.set(key, p);
  try {
    return await p;
  } finally {
    perKv.delete(key);
  }
}

/** Drops a token the platform refused (expired early, revoked), unless another caller already replaced it. */
export async function invalidateToken(kv: KeyValueStore, key: string, stale: string): Promise<void> {
  const raw = await kv.get(key);
  if (!raw) return;
  try {
    if ((JSON.parse(raw) as Stored).token !== stale) return;
  } catch { /* unreadable: drop it */ }
  await kv.delete(key);
}

import type { KeyValueStore } from '../sdk/context.js';

/** The behaviour every KeyValueStore implementation must have (memory, Redis, a database later). */
export function describeKeyValueStore(name: string, make: () => Promise<{ kv: KeyValueStore; expire: (ms: number) => Promise<void>; close?: () => Promise<void> }>) {
  describe(`KeyValueStore contract: ${name}`, () => {
    let kv: KeyValueStore;
    let expire: (ms: number) => Promise<void>;
    let close: (() => Promise<void>) | undefined;
    const p = `t${Date.now()}${Math.random().toString(36).slice(2, 8)}:`;
    // Long enough that two calls on a loaded 2-core machine never straddle it (100 ms once did, in CI on Redis).
    const TTL = 1000;
    beforeAll(async () => { ({ kv, expire, close } = await make()); });
    afterAll(async () => { await close?.(); });

    it('gets, sets, overwrites and deletes', async () => {
      expect(await kv.get(`${p}a`)).toBeNull();
      await kv.set(`${p}a`, '1');
      await kv.set(`${p}a`, '2');
      expect(await kv.get(`${p}a`)).toBe('2');
      await kv.delete(`${p}a`);
      expect(await kv.get(`${p}a`)).toBeNull();
    });

    it('expires keys after their TTL', async () => {
      await kv.set(`${p}t`, 'v', { ttlMs: TTL });
      expect(await kv.get(`${p}t`)).toBe('v');
      await expire(TTL + 200);
      expect(await kv.get(`${p}t`)).toBeNull();
    });

    it('sets only absent keys (locks), again once the lock expired', async () => {
      expect(await kv.setIfAbsent(`${p}l`, 'a', { ttlMs: TTL })).toBe(true);
      expect(await kv.setIfAbsent(`${p}l`, 'b', { ttlMs: TTL })).toBe(false);
      expect(await kv.get(`${p}l`)).toBe('a');
      await expire(TTL + 200);
      expect(await kv.setIfAbsent(`${p}l`, 'c')).toBe(true);
    });

    it('increments atomically from 0; the first increment sets the TTL, later ones keep it', async () => {
      const results = await Promise.all(Array.from({ length: 20 }, () => kv.increment(`${p}n`, 1, { ttlMs: TTL })));
      expect(results.sort((a, b) => a - b)).toEqual(Array.from({ length: 20 }, (_, i) => i + 1));
      expect(await kv.increment(`${p}n`, -5)).toBe(15);
      await expire(TTL + 200);
      expect(await kv.get(`${p}n`)).toBeNull();
      expect(await kv.increment(`${p}m`)).toBe(1);
    });
  });
}

import { createMemoryCache } from './cache.js';

describe('in-memory cache (embedded mode)', () => {
  it('expires entries after their TTL and reports the TTL like Redis', async () => {
    let now = 1_000_000;
    const c = createMemoryCache({ now: () => now });
    await c.set('k', 'v', 30 * 24 * 3600);
    expect(await c.get('k')).toBe('v');
    expect(await c.ttl('k')).toBe(30 * 24 * 3600);
    now += 29 * 24 * 3600_000;
    expect(await c.mget(['k', 'missing'])).toEqual(['v', null]);
    expect(await c.ttl('k')).toBe(24 * 3600);
    now += 24 * 3600_000;
    expect(await c.get('k')).toBeNull();
    expect(await c.ttl('k')).toBe(-2);
  });

  it('expires a hash as a whole, its TTL renewed by each field written', async () => {
    let now = 1_000_000;
    const c = createMemoryCache({ now: () => now });
    await c.hashSet('h', 'a', '1', 10);
    now += 8_000;
    await c.hashSet('h', 'b', '2', 10);
    now += 8_000;
    expect(await c.hashGetAll('h')).toEqual({ a: '1', b: '2' });
    now += 2_000;
    expect(await c.hashGetAll('h')).toEqual({});
  });

  it('sets guarded values only while the guard is unchanged; invalidate bumps the guard and drops the value', async () => {
    const c = createMemoryCache();
    expect(await c.setIfGuard('ctx', 'a', 60, 'gen', null)).toBe(true);
    await c.invalidate([{ key: 'ctx', guardKey: 'gen' }], 60);
    expect(await c.get('ctx')).toBeNull();
    expect(await c.get('gen')).toBe('1');
    expect(await c.setIfGuard('ctx', 'stale', 60, 'gen', null)).toBe(false); // read before the bump
    expect(await c.setIfGuard('ctx', 'b', 60, 'gen', '1')).toBe(true);
    expect(await c.get('ctx')).toBe('b');
    await c.invalidate([{ key: 'ctx', guardKey: 'gen' }], 60);
    expect(await c.get('gen')).toBe('2');
    expect(await c.setIfGuard('ctx', 'stale', 60, 'gen', '1')).toBe(false);
  });

  it('drops the oldest entries beyond its bound', async () => {
    const c = createMemoryCache({ maxEntries: 2 });
    await c.set('a', '1', 60);
    await c.set('b', '2', 60);
    await c.set('c', '3', 60);
    expect(await c.mget(['a', 'b', 'c'])).toEqual([null, '2', '3']);
  });
});

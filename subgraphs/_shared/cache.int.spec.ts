import { randomUUID } from 'node:crypto';
import { createMemoryCache, createRedisCache, type KeyValueCache } from './cache.js';
import { TEST_REDIS_URL } from '../../test/helpers/env.js';

// The same contract, in process and on a real Redis.
describe.each([
  ['memory', () => createMemoryCache()],
  ['redis', () => createRedisCache(TEST_REDIS_URL, `huiliu:test:${randomUUID()}:`)],
] as Array<[string, () => KeyValueCache]>)('%s cache: invalidate', (_name, make) => {
  let c: KeyValueCache;
  beforeEach(() => { c = make(); });
  afterEach(() => c.close());

  it('bumps every guard and drops every key in one call, so guarded rebuilds that raced it are not cached', async () => {
    await c.set('ctx:a', 'A', 60);
    await c.set('ctx:b', 'B', 60);
    await c.set('ctx:c', 'C', 60);
    expect(await c.setIfGuard('ctx:a', 'A1', 60, 'gen:a', null)).toBe(true); // no invalidation yet: guard absent
    await c.invalidate([{ key: 'ctx:a', guardKey: 'gen:a' }, { key: 'ctx:b', guardKey: 'gen:b' }], 120);
    expect(await c.mget(['ctx:a', 'ctx:b', 'ctx:c'])).toEqual([null, null, 'C']);
    // A rebuild that read the guard before the invalidation (absent) must not be stored; one that read it after may.
    expect(await c.setIfGuard('ctx:a', 'stale', 60, 'gen:a', null)).toBe(false);
    expect(await c.setIfGuard('ctx:b', 'fresh', 60, 'gen:b', '1')).toBe(true);
    expect(await c.get('ctx:b')).toBe('fresh');
    expect(await c.get('gen:a')).toBe('1');
    expect(await c.ttl('gen:a')).toBeGreaterThan(60);
    await c.invalidate([{ key: 'ctx:b', guardKey: 'gen:b' }], 120);
    expect(await c.get('gen:b')).toBe('2');
    await c.invalidate([], 120); // nothing to do is not an error
  });

  it('keeps a hash of fields (one per writer), expiring as a whole, with fields removable one by one', async () => {
    expect(await c.hashGetAll('board')).toEqual({});
    await c.hashSet('board', 'replica-a', '{"n":1}', 60);
    await c.hashSet('board', 'replica-b', 'B', 60);
    await c.hashSet('board', 'replica-a', '{"n":2}', 90); // a writer replaces only its own field, and the expiry
    expect(await c.hashGetAll('board')).toEqual({ 'replica-a': '{"n":2}', 'replica-b': 'B' });
    expect(await c.ttl('board')).toBeGreaterThan(60);
    await c.hashDel('board', 'replica-b', 'never-there');
    await c.hashDel('board');
    expect(await c.hashGetAll('board')).toEqual({ 'replica-a': '{"n":2}' });
  });
});

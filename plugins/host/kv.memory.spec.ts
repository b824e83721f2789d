import { FakeClock } from './clock.js';
import { describeKeyValueStore } from './kv.contract.js';
import { MemoryKeyValueStore, namespaced } from './kv.memory.js';

describeKeyValueStore('memory', async () => {
  const clock = new FakeClock();
  return { kv: new MemoryKeyValueStore(clock), expire: async (ms) => clock.advance(ms) };
});

describe('namespaced store', () => {
  it('prefixes every key', async () => {
    const root = new MemoryKeyValueStore();
    const a = namespaced(root, 'plugin:x:ch:1:');
    await a.set('k', 'v');
    await a.increment('n');
    expect(root.keys().sort()).toEqual(['plugin:x:ch:1:k', 'plugin:x:ch:1:n']);
    expect(await namespaced(root, 'plugin:x:ch:2:').get('k')).toBeNull();
  });
});

describe('memory store', () => {
  it('drops keys written once and never read again after their TTL (signatures seen, one per webhook), not only when read', async () => {
    const clock = new FakeClock();
    const kv = new MemoryKeyValueStore(clock);
    for (let i = 0; i < 999; i++) await kv.setIfAbsent(`sig:${i}`, 'x', { ttlMs: 60_000 });
    clock.advance(61_000);
    for (let i = 0; i < 1001; i++) await kv.setIfAbsent(`sig:new:${i}`, 'x', { ttlMs: 60_000 });
    expect(kv.size).toBeLessThanOrEqual(1001); // the 999 expired ones are gone
    expect(await kv.get('sig:new:1000')).toBe('x');
  });
});

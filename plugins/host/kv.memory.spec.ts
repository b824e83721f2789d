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

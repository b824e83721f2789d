import { FakeClock } from '../host/clock.js';
import { MemoryKeyValueStore, namespaced } from '../host/kv.memory.js';
import { cachedToken, invalidateToken } from './token-cache.js';

describe('cached access tokens', () => {
  it('fetches once for concurrent callers and reuses the token until shortly before it expires', async () => {
    const clock = new FakeClock();
    const kv = new MemoryKeyValueStore(clock);
    let fetches = 0;
    const fetch = async () => { fetches++; await new Promise((r) => setTimeout(r, 10)); return { token: `T${fetches}`, expiresInSeconds: 7200 }; };
    const got = await Promise.all(Array.from({ length: 10 }, () => cachedToken(kv, clock, 'access_token', fetch)));
    expect(new Set(got)).toEqual(new Set(['T1']));
    clock.advance(6800 * 1000);
    expect(await cachedToken(kv, clock, 'access_token', fetch)).toBe('T1');
    clock.advance(200 * 1000); // now within the 300 s margin
    expect(await cachedToken(kv, clock, 'access_token', fetch)).toBe('T2');
    expect(fetches).toBe(2);
  });

  it('lets another replica wait for the token being fetched rather than fetching a second one', async () => {
    const clock = new FakeClock();
    const shared = new MemoryKeyValueStore(clock);
    // two replicas: separate store objects over the same backing store
    const r1 = namespaced(shared, '');
    const r2 = namespaced(shared, '');
    let fetches = 0;
    const fetch = async () => { fetches++; await new Promise((r) => setTimeout(r, 100)); return { token: 'ONLY', expiresInSeconds: 7200 }; };
    const [a, b] = await Promise.all([cachedToken(r1, clock, 'tok', fetch), (async () => { await new Promise((r) => setTimeout(r, 20)); return cachedToken(r2, clock, 'tok', fetch); })()]);
    expect([a, b, fetches]).toEqual(['ONLY', 'ONLY', 1]);
  });

  it('drops a refused token unless it was already replaced', async () => {
    const clock = new FakeClock();
    const kv = new MemoryKeyValueStore(clock);
    await cachedToken(kv, clock, 'tok', async () => ({ token: 'NEW', expiresInSeconds: 7200 }));
    await invalidateToken(kv, 'tok', 'OLD');
    expect(await kv.get('tok')).not.toBeNull();
    await invalidateToken(kv, 'tok', 'NEW');
    expect(await kv.get('tok')).toBeNull();
  });
});

import Redis from 'ioredis';
import { TEST_REDIS_URL } from '../../../test/helpers/env.js';
import { createMemoryPullLock, createRedisPullLock, type PullLock } from './pull.lock.js';

// The same contract on Redis (replicas) and in memory (embedded): one holder, renewable, released only by its holder, expiring.
const contract = (name: string, make: () => { a: PullLock; b: PullLock; close(): Promise<void> }) => describe(`pull lock: ${name}`, () => {
  let l: ReturnType<typeof make>;
  beforeAll(() => { l = make(); });
  afterAll(() => l.close());
  const key = () => `ch-${Math.random().toString(36).slice(2)}`;

  it('has one holder at a time across instances; only the holder renews or releases', async () => {
    const k = key();
    const t = await l.a.acquire(k, 5000);
    expect(t).toEqual(expect.any(String));
    expect(await l.b.acquire(k, 5000)).toBeNull();
    expect(await l.b.renew(k, 'not-the-token', 5000)).toBe(false);
    await l.b.release(k, 'not-the-token');
    expect(await l.b.acquire(k, 5000)).toBeNull();
    expect(await l.a.renew(k, t!, 5000)).toBe(true);
    await l.a.release(k, t!);
    expect(await l.b.acquire(k, 5000)).toEqual(expect.any(String));
  });

  it('lets a dead holder\'s lease run out, after which the old token can no longer renew', async () => {
    const k = key();
    const t = await l.a.acquire(k, 150);
    await new Promise((r) => setTimeout(r, 250));
    const t2 = await l.b.acquire(k, 5000);
    expect(t2).toEqual(expect.any(String));
    expect(await l.a.renew(k, t!, 5000)).toBe(false);
    await l.a.release(k, t!); // a late release does not free the new holder's lease
    expect(await l.a.acquire(k, 5000)).toBeNull();
  });
});

contract('Redis', () => {
  const r1 = new Redis(TEST_REDIS_URL);
  const r2 = new Redis(TEST_REDIS_URL);
  const prefix = `test:pull-lock:${process.pid}:`;
  return { a: createRedisPullLock(r1, prefix, true), b: createRedisPullLock(r2, prefix, true), async close() { r1.disconnect(); r2.disconnect(); } };
});

contract('memory', () => {
  const one = createMemoryPullLock();
  return { a: one, b: one, async close() { await one.close(); } };
});

import Redis from 'ioredis';
import { TEST_REDIS_URL } from '../../../test/helpers/env.js';
import { newId } from '../../_shared/ids.js';
import { createRedisActivation, createRedisCoordinator, createRedisScheduler, runCoalesced } from '../routing/routing.coordination.js';
import { createRedisPresenceStore, PresenceStatus } from './presence.store.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('Redis presence store and routing coordination (shared by replicas)', () => {
  const prefix = `test:presence-${newId().slice(0, 8)}:`;
  let r1: Redis;
  let r2: Redis;
  beforeAll(() => {
    r1 = new Redis(TEST_REDIS_URL);
    r2 = new Redis(TEST_REDIS_URL); // a second replica's connection
  });
  afterAll(() => {
    r1.disconnect();
    r2.disconnect();
  });

  it('keeps presence in a hash per tenant with a heartbeat key that expires after the grace period', async () => {
    const s1 = createRedisPresenceStore(r1, prefix);
    const s2 = createRedisPresenceStore(r2, prefix);
    const t = `t_${newId().slice(0, 6)}`;
    // Wide margins (grace 2 s, steps of 1.25 s): a loaded CI machine can stall a few hundred ms between commands.
    const GRACE = 2000;
    const STEP = 1250;
    const now = Date.now();
    expect(await s1.setStatus(t, 'a', PresenceStatus.ONLINE, now, GRACE)).toMatchObject({ previous: PresenceStatus.OFFLINE, changed: true, record: { status: PresenceStatus.ONLINE, since: now } });
    expect((await s2.setStatus(t, 'a', PresenceStatus.ONLINE, now + 5, GRACE)).changed).toBe(false);
    await s2.setStatus(t, 'b', PresenceStatus.BUSY, now, GRACE);
    expect(await r1.hget(`${prefix}presence:${t}`, 'a')).toBe(`ONLINE|${now}`);
    expect(await r1.pttl(`${prefix}presence-hb:${t}:a`)).toBeGreaterThan(GRACE / 2);

    await sleep(STEP);
    expect(await s2.heartbeat(t, 'a', Date.now(), GRACE)).toMatchObject({ status: PresenceStatus.ONLINE });
    await sleep(STEP); // b's heartbeat is gone, a's is not
    const both = await s1.get(t, ['a', 'b', 'c']);
    expect([...both.values()].map((p) => [p.agentId, p.status])).toEqual([['a', PresenceStatus.ONLINE], ['b', PresenceStatus.OFFLINE], ['c', PresenceStatus.OFFLINE]]);
    // Two replicas sweep at once: the change is reported by exactly one of them.
    const [x, y] = await Promise.all([s1.expire(Date.now()), s2.expire(Date.now())]);
    const mine = [...x, ...y].filter((c) => c.tenantId === t);
    expect(mine.map((c) => [c.agentId, c.previous])).toEqual([['b', PresenceStatus.BUSY]]);
    expect((await s1.all(t)).map((p) => [p.agentId, p.status]).sort()).toEqual([['a', PresenceStatus.ONLINE], ['b', PresenceStatus.OFFLINE]]);
    await s1.setStatus(t, 'a', PresenceStatus.OFFLINE, Date.now(), GRACE);
    expect(await r1.exists(`${prefix}presence-hb:${t}:a`)).toBe(0);
    expect(await s1.heartbeat(t, 'a', Date.now(), GRACE)).toBeNull();
  });

  it('leases, schedules and activation are shared across connections', async () => {
    const [c1, c2] = [createRedisCoordinator(r1, prefix), createRedisCoordinator(r2, prefix)];
    const lock = await c1.tryLock('sweep', 300);
    expect(lock).toBeTruthy();
    expect(await c2.tryLock('sweep', 300)).toBeNull();
    await c2.unlock('sweep', 'not-the-token');
    expect(await c2.tryLock('sweep', 300)).toBeNull();
    await c1.unlock('sweep', lock!);
    expect(await c2.tryLock('sweep', 300)).toBeTruthy();

    let runs = 0;
    await Promise.all([runCoalesced(c1, 'job', 2000, async () => { runs++; await sleep(50); }), runCoalesced(c2, 'job', 2000, async () => { runs++; await sleep(50); })]);
    expect(runs).toBeGreaterThanOrEqual(1);
    expect(runs).toBeLessThanOrEqual(2);

    const [s1, s2] = [createRedisScheduler(r1, prefix), createRedisScheduler(r2, prefix)];
    await s1.schedule('offer', 't|o1', 1000);
    await s2.schedule('offer', 't|o1', 5000); // the earlier time stays
    const [d1, d2] = await Promise.all([s1.due('offer', 2000, 10_000, 10), s2.due('offer', 2000, 10_000, 10)]);
    expect([...d1, ...d2]).toEqual(['t|o1']); // one replica gets it
    await s1.done('offer', 't|o1');
    expect(await s2.due('offer', 99_999, 10, 10)).toEqual([]);

    const [a1, a2] = [createRedisActivation(r1, prefix), createRedisActivation(r2, prefix)];
    const results = await Promise.all([a1.add('tenant-x'), a2.add('tenant-x')]);
    expect(results.filter(Boolean)).toHaveLength(1);
    expect(await a2.has('tenant-x')).toBe(true);
  });
});

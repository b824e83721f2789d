import { createMemoryActivation, createMemoryCoordinator, createMemoryScheduler, runCoalesced } from '../routing/routing.coordination.js';
import { createMemoryPresenceStore, PresenceStatus } from './presence.store.js';

describe('in-memory presence store (embedded mode)', () => {
  it('sets, heartbeats and expires after the grace period, reporting each change once', async () => {
    let now = 1_000;
    const s = createMemoryPresenceStore(() => now);
    expect((await s.get('t', ['a'])).get('a')).toEqual({ agentId: 'a', status: PresenceStatus.OFFLINE, since: 0, heartbeatAt: null });
    const set = await s.setStatus('t', 'a', PresenceStatus.ONLINE, now, 500);
    expect(set).toMatchObject({ previous: PresenceStatus.OFFLINE, changed: true, record: { status: PresenceStatus.ONLINE, since: 1_000, heartbeatAt: 1_000 } });
    expect((await s.setStatus('t', 'a', PresenceStatus.ONLINE, now, 500)).changed).toBe(false);
    await s.setStatus('t', 'b', PresenceStatus.AFTER_CALL_WORK, now, 500);

    now = 1_400;
    expect(await s.heartbeat('t', 'a', now, 500)).toMatchObject({ status: PresenceStatus.ONLINE, heartbeatAt: 1_400 });
    now = 1_600; // b's heartbeat (1 000 + 500) is gone; a's (1 400 + 500) is not
    expect((await s.get('t', ['a', 'b'])).get('b')?.status).toBe(PresenceStatus.OFFLINE);
    expect(await s.heartbeat('t', 'b', now, 500)).toBeNull(); // too late: set a status again
    const expired = await s.expire(now);
    expect(expired.map((c) => [c.agentId, c.previous, c.record.status])).toEqual([['b', PresenceStatus.AFTER_CALL_WORK, PresenceStatus.OFFLINE]]);
    expect(await s.expire(now)).toEqual([]);
    expect((await s.all('t')).map((r) => [r.agentId, r.status])).toEqual([['a', PresenceStatus.ONLINE], ['b', PresenceStatus.OFFLINE]]);
    expect(await s.all('other')).toEqual([]);
    expect(await s.heartbeat('t', 'nobody', now, 500)).toBeNull();
  });
});

describe('in-memory coordination', () => {
  it('leases, dirty flags and coalesced runs', async () => {
    let now = 0;
    const c = createMemoryCoordinator(() => now);
    const token = await c.tryLock('x', 100);
    expect(token).toBeTruthy();
    expect(await c.tryLock('x', 100)).toBeNull();
    now = 150;
    expect(await c.tryLock('x', 100)).toBeTruthy(); // the lease lapsed
    let runs = 0;
    await runCoalesced(c, 'job', 1000, async () => {
      runs++;
      if (runs === 1) await runCoalesced(c, 'job', 1000, async () => void runs++); // a request while running: picked up by the holder
    });
    expect(runs).toBe(2);
  });

  it('schedules timers, hands out only what is due, leases them until done', async () => {
    const s = createMemoryScheduler();
    await s.schedule('offer', 'o1', 100);
    await s.schedule('offer', 'o1', 200); // keeps the earlier time
    await s.schedule('offer', 'o2', 300);
    expect(await s.due('offer', 150, 1000, 10)).toEqual(['o1']);
    expect(await s.due('offer', 150, 1000, 10)).toEqual([]); // leased
    expect(await s.due('offer', 1200, 1000, 10)).toEqual(['o2', 'o1']); // o1's lease ran out: retried
    await s.done('offer', 'o1');
    expect(await s.due('offer', 5000, 1000, 10)).toEqual(['o2']);
    const a = createMemoryActivation();
    expect(await a.has('t')).toBe(false);
    expect(await a.add('t')).toBe(true);
    expect(await a.add('t')).toBe(false);
    expect(await a.has('t')).toBe(true);
  });
});

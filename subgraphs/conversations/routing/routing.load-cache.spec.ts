import { LoadCache } from './routing.load-cache.js';

const row = (agentId: string, channelClass: 'chat' | 'call', active: number, capacity: number) => ({
  id: `${agentId}-${channelClass}`, agentId, channelClass, active, capacity, lastAssignedAt: null as Date | null, lastReleasedAt: null as Date | null,
});
const rows = (agentId: string, chat: [number, number], call: [number, number] = [0, 1]) => [row(agentId, 'chat', ...chat), row(agentId, 'call', ...call)];

describe('LoadCache', () => {
  let now = 1_000_000;
  const clock = () => now;

  it('serves agents with room until the copy expires, and asks for the rest', () => {
    const c = new LoadCache(500, clock);
    c.put('t', [...rows('a', [1, 5]), ...rows('b', [2, 5])]);
    expect(c.split('t', ['a', 'b', 'x'], ['chat'])).toEqual({ rows: [...rows('a', [1, 5]), ...rows('b', [2, 5])], missing: ['x'] });
    expect(c.split('other-tenant', ['a'], ['chat']).missing).toEqual(['a']);
    now += 499;
    expect(c.split('t', ['a'], ['chat']).missing).toEqual([]);
    now += 1;
    expect(c.split('t', ['a', 'b'], ['chat']).missing).toEqual(['a', 'b']);
  });

  it('never trusts "no room": such an agent is read again (a unit may have come back on another replica)', () => {
    const c = new LoadCache(500, clock);
    c.put('t', [...rows('full', [5, 5]), ...rows('busy-call', [0, 5], [1, 1])]);
    expect(c.split('t', ['full', 'busy-call'], ['chat']).missing).toEqual(['full']);
    expect(c.split('t', ['full', 'busy-call'], ['call']).missing).toEqual(['busy-call']);
    expect(c.split('t', ['full', 'busy-call'], ['chat', 'call']).missing).toEqual(['full', 'busy-call']);
    expect(c.split('t', ['busy-call'], []).missing).toEqual([]);
  });

  it("takes this replica's claims from the counters the claim read back, and drops agents whose units moved", () => {
    const c = new LoadCache(500, clock);
    c.put('t', [...rows('a', [3, 5]), ...rows('b', [0, 5])]);
    const at = new Date(now);
    c.observed('t', 'a', 'chat', { active: 4, capacity: 5 }, at);
    const a = c.split('t', ['a'], ['chat']).rows.find((r) => r.channelClass === 'chat')!;
    expect([a.active, a.lastAssignedAt]).toEqual([4, at]);
    // The claim found the agent full (another replica took the last unit): read again next time.
    c.observed('t', 'a', 'chat', { active: 5, capacity: 5 }, null);
    expect(c.split('t', ['a'], ['chat']).missing).toEqual(['a']);
    c.forget('t', ['b', null]);
    expect(c.split('t', ['b'], ['chat']).missing).toEqual(['b']);
  });

  it('keeps its own copies: callers mutating what they put or got do not change it', () => {
    const c = new LoadCache(500, clock);
    const put = rows('a', [1, 5]);
    c.put('t', put);
    put[0].active = 5;
    expect(c.split('t', ['a'], ['chat']).rows[0].active).toBe(1);
  });
});

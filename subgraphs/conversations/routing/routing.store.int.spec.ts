import mysql2 from 'mysql2';
import type { DataSource } from 'typeorm';
import { mysqlUrl, newTenant } from '../../../test/helpers/env.js';
import { openDataSource } from '../../_shared/data-source.js';
import { newId } from '../../_shared/ids.js';
import { createLogger } from '../../_shared/logger.js';
import { conversationsSubgraph } from '../index.js';
import { AgentLoadEntity, EntryState, OfferKind, OfferStatus, RoutingEntryEntity, RoutingOfferEntity } from './routing.entity.js';
import { RoutingStore, type ClaimResult } from './routing.store.js';

const open = () =>
  openDataSource({ url: mysqlUrl('conversations_routing_store'), subgraph: 'conversations', entities: conversationsSubgraph.entities, migrations: conversationsSubgraph.migrations, log: createLogger('test', 'silent') }, true);

/**
 * The claim as MySQL/MariaDB runs it: claims of the same moment share one transaction and one round trip, and
 * each still keeps its own conditions (entry version and state, the agent's room).
 */
describe('RoutingStore claims on MariaDB', () => {
  let ds: DataSource;
  let ds2: DataSource;
  let store: RoutingStore;
  let replica2: RoutingStore;
  beforeAll(async () => {
    ds = await open();
    ds2 = await open();
    store = new RoutingStore(ds);
    replica2 = new RoutingStore(ds2);
  });
  afterAll(async () => {
    await store?.close();
    await replica2?.close();
    await ds?.destroy();
    await ds2?.destroy();
  });

  async function seed(agents: Record<string, number>, entries: number) {
    const tenantId = newTenant('claims');
    const now = new Date();
    const agentIds = Object.fromEntries(Object.keys(agents).map((name) => [name, newId()]));
    await ds.getRepository(AgentLoadEntity).insert(
      Object.entries(agents).flatMap(([name, capacity]) => (['chat', 'call'] as const).map((cls) => ({
        id: newId(), tenantId, agentId: agentIds[name], channelClass: cls, capacity: cls === 'chat' ? capacity : 1, active: 0, lastAssignedAt: null, lastReleasedAt: null,
      }))),
    );
    const rows = Array.from({ length: entries }, () => Object.assign(new RoutingEntryEntity(), {
      id: newId(), tenantId, conversationId: newId(), channelType: 'app', channelClass: 'chat', groupId: null, state: EntryState.WAITING, agentId: null, offerId: null,
      reassignFrom: null, priority: 0, preferredAgentIds: null, requiredSkills: null, excludedAgentIds: null, hints: null, trace: null, enqueuedAt: now, groupSince: now,
      overflowed: false, outOfHoursNotifiedAt: null, notifiedAhead: null, notifiedAt: null, assignedAt: null, version: 1, updatedAt: now,
    }));
    await ds.getRepository(RoutingEntryEntity).insert(rows);
    return { tenantId, agentIds, entries: rows };
  }

  const claim = (s: RoutingStore, e: RoutingEntryEntity, agentId: string, offerId = newId()): Promise<ClaimResult> => {
    const now = new Date();
    const offer = Object.assign(new RoutingOfferEntity(), {
      id: offerId, tenantId: e.tenantId, conversationId: e.conversationId, agentId, kind: OfferKind.OFFER, status: OfferStatus.OFFERED, createdAt: now,
      expiresAt: new Date(now.getTime() + 30_000), respondedAt: null, endedAt: null, reason: null,
    });
    return s.claimWithOffer(e, agentId, 'chat', { state: EntryState.OFFERED, agentId, offerId, trace: { chosen: agentId } as never }, now, offer);
  };

  const state = async (tenantId: string) => {
    const loads = await ds.getRepository(AgentLoadEntity).findBy({ tenantId, channelClass: 'chat' });
    const entries = await ds.getRepository(RoutingEntryEntity).findBy({ tenantId });
    const offers = await ds.getRepository(RoutingOfferEntity).findBy({ tenantId });
    return { loads, entries, offers };
  };

  it('claims of one moment: each taken only with room, the rest told why, counters read back', async () => {
    const t = await seed({ li: 3 }, 6);
    const stale = Object.assign(new RoutingEntryEntity(), t.entries[5], { version: 7 });
    // Every query of every mysql2 connection passes here: count the claim transactions sent.
    const spy = jest.spyOn(Object.getPrototypeOf(mysql2.Connection.prototype) as { query: (...a: unknown[]) => unknown }, 'query');
    const results = await Promise.all([...t.entries.slice(0, 5).map((e) => claim(store, e, t.agentIds.li)), claim(store, stale, t.agentIds.li)]);
    const sent = spy.mock.calls.map(([q]) => (typeof q === 'string' ? q : (q as { sql: string }).sql)).filter((q) => q.startsWith('START TRANSACTION'));
    spy.mockRestore();
    expect(sent).toHaveLength(1); // six claims, one transaction, one round trip
    expect(results.map((r) => r.status).sort()).toEqual(['full', 'full', 'ok', 'ok', 'ok', 'stale']);
    // Each successful claim saw the counter after its own unit; the full ones saw the agent at capacity.
    expect(results.filter((r) => r.status === 'ok').map((r) => r.load!.active).sort()).toEqual([1, 2, 3]);
    expect(results.filter((r) => r.status === 'full').map((r) => r.load)).toEqual([{ active: 3, capacity: 3 }, { active: 3, capacity: 3 }]);
    expect(results.filter((r) => r.status === 'ok').map((r) => r.version)).toEqual([2, 2, 2]);

    const s = await state(t.tenantId);
    expect(s.loads.map((l) => [l.active, l.capacity])).toEqual([[3, 3]]);
    const offered = s.entries.filter((e) => e.state === EntryState.OFFERED);
    expect(offered).toHaveLength(3);
    // Every claimed entry points at its own offer row, with the patch applied; nothing else was written.
    expect(s.offers.map((o) => o.id).sort()).toEqual(offered.map((e) => e.offerId).sort());
    expect(offered.every((e) => e.agentId === t.agentIds.li && e.version === 2 && (e.trace as { chosen: string }).chosen === t.agentIds.li)).toBe(true);
    expect(s.entries.filter((e) => e.state === EntryState.WAITING).every((e) => e.version === 1 && e.offerId === null)).toBe(true);
  });

  it('a claim the database refuses fails alone; the others of its transaction still go through', async () => {
    const t = await seed({ li: 5 }, 3);
    const taken = newId();
    await claim(store, t.entries[0], t.agentIds.li, taken);
    const fresh = (await ds.getRepository(RoutingEntryEntity).findBy({ tenantId: t.tenantId })).filter((e) => e.state === EntryState.WAITING);
    // The second reuses an existing offer id: the offer row cannot be inserted (duplicate key).
    const results = await Promise.allSettled([claim(store, fresh[0], t.agentIds.li), claim(store, fresh[1], t.agentIds.li, taken)]);
    expect(results[0]).toMatchObject({ status: 'fulfilled', value: { status: 'ok' } });
    expect(results[1]).toMatchObject({ status: 'rejected' });
    expect(String((results[1] as PromiseRejectedResult).reason)).toMatch(/Duplicate/);
    const s = await state(t.tenantId);
    // Its entry and the agent's load were rolled back with it.
    expect(s.loads[0].active).toBe(2);
    expect(s.entries.find((e) => e.id === fresh[1].id)).toMatchObject({ state: EntryState.WAITING, version: 1, offerId: null });
    expect(s.offers).toHaveLength(2);
  });

  it('two replicas racing for the same conversations and the same agents: one holder each, nobody over capacity', async () => {
    const t = await seed({ a: 2, b: 3, c: 1 }, 12);
    const agents = Object.values(t.agentIds);
    const attempts = t.entries.flatMap((e, i) => [
      claim(store, e, agents[i % 3]),
      claim(replica2, e, agents[(i + 1) % 3]),
    ]);
    const results = await Promise.all(attempts);
    expect(results.filter((r) => r.status === 'ok')).toHaveLength(6); // 2 + 3 + 1 units
    const s = await state(t.tenantId);
    const held = s.entries.filter((e) => e.state === EntryState.OFFERED);
    expect(held).toHaveLength(6);
    expect(new Set(s.offers.map((o) => o.conversationId)).size).toBe(s.offers.length);
    for (const l of s.loads) {
      expect(l.active).toBeLessThanOrEqual(l.capacity);
      expect(l.active).toBe(held.filter((e) => e.agentId === l.agentId).length);
    }
  });
});

import Redis from 'ioredis';
import type { DataSource } from 'typeorm';
import { mysqlUrl, newTenant, TEST_REDIS_URL } from '../../../test/helpers/env.js';
import { createRedisCache } from '../../_shared/cache.js';
import { openDataSource } from '../../_shared/data-source.js';
import { createRedisEventBus } from '../../_shared/events.js';
import { newId } from '../../_shared/ids.js';
import { createLogger } from '../../_shared/logger.js';
import { createRedisPubSub } from '../../_shared/pubsub.js';
import { AgentEntity, AgentGroupEntity, AgentGroupMemberEntity, AgentStatus } from '../agent/agent.entity.js';
import { ConversationEntity, ConversationStatus } from '../conversation/conversation.entity.js';
import { createConversationsServices, type ConversationsServices } from '../conversations.services.js';
import { conversationsSubgraph } from '../index.js';
import { createRedisPresenceStore, PresenceStatus } from '../presence/presence.store.js';
import { AgentLoadEntity, EntryState, RoutingEntryEntity, RoutingRuleSetEntity } from './routing.entity.js';

/**
 * A replica ranks candidates on its own short-lived copy of their loads. When that copy is wrong (another
 * replica filled the agents it shows with room), the first lost claim makes it read them all again: the
 * conversation goes to someone who really has room at once, instead of waiting in a queue.
 */
describe('routing with a stale copy of the loads', () => {
  const prefix = `test:routing-loads:${newId().slice(0, 8)}:`;
  const log = createLogger('test', 'silent');
  let ds: DataSource;
  let redis: Redis;
  let s: ConversationsServices;
  const pubsub = createRedisPubSub(TEST_REDIS_URL, prefix);
  const events = createRedisEventBus(TEST_REDIS_URL, log, { stream: `${prefix}events` });
  const cache = createRedisCache(TEST_REDIS_URL, `${prefix}cache:`);
  beforeAll(async () => {
    ds = await openDataSource({ url: mysqlUrl('conversations_routing_loads'), subgraph: 'conversations', entities: conversationsSubgraph.entities, migrations: conversationsSubgraph.migrations, log }, true);
    redis = new Redis(TEST_REDIS_URL);
    // The services without their workers: nothing routes unless the test says so.
    s = createConversationsServices({ dataSource: ds, pubsub, events, log, cache, redis: { url: TEST_REDIS_URL, prefix } });
  });
  afterAll(async () => {
    await s?.routingRuntime.close();
    await Promise.all([pubsub.close(), events.close(), cache.close()]);
    const keys = await redis.keys(`${prefix}*`);
    if (keys.length) await redis.del(...keys);
    redis.disconnect();
    await ds?.destroy();
  });

  it('reads the loads again after the first claim its copy got wrong, and offers to the fallback group at once', async () => {
    const tenantId = newTenant('loads');
    const now = new Date();
    const vipGroup = newId();
    const orders = newId();
    await ds.getRepository(AgentGroupEntity).insert([{ id: vipGroup, tenantId, name: 'VIP专席', description: null }, { id: orders, tenantId, name: '订单组', description: null }]);
    // 16 VIP agents with room for one chat each (more than the 15 claims one routing step tries), one order agent.
    const vips = Array.from({ length: 16 }, () => newId());
    const orderAgent = newId();
    const all = [...vips, orderAgent];
    await ds.getRepository(AgentEntity).insert(all.map((id, i) => ({ id, tenantId, name: `坐席${i}`, email: `${id}@example.com`, status: AgentStatus.ONLINE, maxChats: 1, createdAt: now })));
    await ds.getRepository(AgentGroupMemberEntity).insert(all.map((id) => ({ id: newId(), tenantId, agentId: id, groupId: id === orderAgent ? orders : vipGroup })));
    await ds.getRepository(AgentLoadEntity).insert(all.flatMap((id) => (['chat', 'call'] as const).map((cls) => ({
      id: newId(), tenantId, agentId: id, channelClass: cls, capacity: cls === 'chat' ? (id === orderAgent ? 5 : 1) : 1, active: 0, lastAssignedAt: null, lastReleasedAt: null,
    }))));
    await ds.getRepository(RoutingRuleSetEntity).insert({
      id: newId(), tenantId, version: 1, updatedAt: now, updatedBy: 'test',
      rules: { defaultGroupId: orders, l2: [{ id: 'vip', when: { vipLevels: ['VIP'] }, groupId: vipGroup, fallback: 'l1' }], offers: { timeoutSeconds: 600, noReplyMinutes: 0 } } as never,
    });
    const presence = createRedisPresenceStore(redis, prefix);
    for (const [i, id] of all.entries()) await presence.setStatus(tenantId, id, PresenceStatus.ONLINE, Date.now() - 60_000 + i, 600_000);
    const conversations = [newId(), newId()];
    await ds.getRepository(ConversationEntity).insert(conversations.map((id) => ({
      id, tenantId, customerId: newId(), channelId: null, channelType: 'app', subject: '咨询', status: ConversationStatus.QUEUED, assigneeId: null, groupId: null,
      firstResponseAt: null, resolvedAt: null, closedAt: null, lastMessageAt: now, createdAt: now, updatedAt: now,
    })) as never);
    await ds.getRepository(RoutingEntryEntity).insert(conversations.map((conversationId) => ({
      id: newId(), tenantId, conversationId, channelType: 'app', channelClass: 'chat' as const, groupId: null, state: EntryState.WAITING, agentId: null, offerId: null,
      reassignFrom: null, priority: 0, preferredAgentIds: null, requiredSkills: null, excludedAgentIds: null, hints: { customer: { vipLevel: 'VIP' } } as never, trace: null,
      enqueuedAt: now, groupSince: now, overflowed: false, outOfHoursNotifiedAt: null, notifiedAhead: null, notifiedAt: null, assignedAt: null, version: 1, updatedAt: now,
    })));

    // The first VIP conversation: this replica reads the 16 VIP agents' loads (all with room) and keeps them.
    const first = await s.routing.sync(tenantId, conversations[0]);
    expect(first?.outcome).toBe('OFFERED');
    const taken = first!.entry.agentId!;
    expect(vips).toContain(taken);
    // Meanwhile another replica gives every other VIP agent their one chat (as its claims would).
    await ds.createQueryBuilder().update(AgentLoadEntity).set({ active: 1 }).where('tenant_id = :tenantId AND channel_class = :cls', { tenantId, cls: 'chat' }).andWhere('agent_id IN (:...ids)', { ids: vips.filter((v) => v !== taken) }).execute();

    // The second one, within the copy's lifetime: the copy still shows 15 VIP agents with room.
    const second = await s.routing.sync(tenantId, conversations[1]);
    expect(second?.outcome).toBe('OFFERED');
    expect(second!.entry.agentId).toBe(orderAgent);
    const trace = second!.entry.trace as unknown as { groupId: string; levels: Array<{ level: string; detail: string }> };
    expect(trace.groupId).toBe(orders);
    expect(trace.levels.find((l) => l.level === 'L3')!.detail).toMatch(/^fallback tier/);
    const loads = await ds.getRepository(AgentLoadEntity).findBy({ tenantId, channelClass: 'chat' });
    expect(loads.filter((l) => l.active > l.capacity)).toEqual([]);
    expect(loads.find((l) => l.agentId === orderAgent)!.active).toBe(1);
  });
});

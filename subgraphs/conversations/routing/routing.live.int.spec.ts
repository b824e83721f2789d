import { gql, gqlOk } from '../../../test/helpers/graphql-client.js';
import { newTenant, tokenFor } from '../../../test/helpers/env.js';
import { startTestSubgraph, type TestSubgraph } from '../../../test/helpers/subgraph-harness.js';
import { newId } from '../../_shared/ids.js';
import { eventually, subscribe } from '../conversations.testing.js';
import type { ConversationsServices } from '../conversations.services.js';
import { conversationsSubgraph } from '../index.js';
import { MY_ASSIGNMENTS, offerFor, open, routedUntil, routingTenant, rules, setStatus } from './routing.testing.js';

const QUEUE_UPDATED = `subscription($g: ID) { queueUpdated(groupId: $g) { groupId waiting longestWaitSeconds entries { conversationId position priority channelType } group { name } } }`;
const MESSAGES = `query($id: ID!) { conversation(id: $id) { messages(first: 50) { nodes { senderType text } } } }`;
const texts = async (url: string, token: string, id: string) =>
  (await gqlOk(url, MESSAGES, { id }, token)).conversation.messages.nodes.filter((m: any) => m.senderType === 'SYSTEM').map((m: any) => m.text);

describe('live queues, presence and assignments across two replicas', () => {
  const db = 'conversations_routing_live';
  const stream = `routing-live-${newId().slice(0, 8)}`;
  let a: TestSubgraph;
  let b: TestSubgraph;
  beforeAll(async () => {
    a = await startTestSubgraph(conversationsSubgraph, { db, stream });
    b = await startTestSubgraph(conversationsSubgraph, { db, stream });
  });
  afterAll(async () => {
    await a?.close();
    await b?.close();
  });

  it('queueUpdated on replica B follows arrivals on replica A, computed once per event for all local subscribers', async () => {
    const t = await routingTenant(a.url, { groups: ['订单组'], agents: [{ name: 'A', groups: ['订单组'] }] });
    const g = t.groups['订单组'];
    await rules(a.url, t, { defaultGroupId: g, priority: { vipLevels: { VIP: 10 } }, queueMessages: { enabled: true } });
    const snapshots = jest.spyOn((b.services as ConversationsServices).queue, 'snapshot');
    const watchers = Array.from({ length: 20 }, () => subscribe<{ queueUpdated: any }>(b.url, t.agents.A.token, QUEUE_UPDATED, { g }));
    const spy = subscribe(b.url, await tokenFor(newTenant('x'), ['admin']), QUEUE_UPDATED, { g }); // another tenant
    try {
      await new Promise((r) => setTimeout(r, 400));
      // One after the other, so that each one's position on arrival is known.
      const queued = async (id: string) => eventually(async () => (await routingOf(a.url, t, id)).routingTrace?.outcome === 'QUEUED');
      const first = await open(a.url, t, { text: '一' });
      await queued(first);
      const second = await open(a.url, t, { text: '二' });
      await queued(second);
      const vip = await open(a.url, t, { text: '三' });
      await queued(vip);
      await gqlOk(a.url, `mutation($i: RouteConversationInput!) { routeConversation(input: $i) { routing { state } } }`, { i: { conversationId: vip, customer: { vipLevel: 'VIP' } } }, t.service);
      const last = () => watchers[0].received.at(-1)?.queueUpdated;
      await eventually(() => last()?.waiting === 3 && last()?.entries[0].conversationId === vip, 8000);
      expect(last()).toMatchObject({
        groupId: g, group: { name: '订单组' }, waiting: 3,
        entries: [{ conversationId: vip, position: 1, priority: 10 }, { conversationId: first, position: 2, priority: 0 }, { conversationId: second, position: 3, priority: 0, channelType: 'app' }],
      });
      await eventually(() => watchers.every((w) => w.received.some((r) => r.queueUpdated.waiting === 3)), 5000);
      // One snapshot per event on this replica, whatever the number of subscribers.
      const events = watchers[0].received.length;
      expect(snapshots.mock.calls.length).toBeLessThanOrEqual(events + 1);
      expect(JSON.stringify(spy.errors)).toContain('NOT_FOUND');
      expect(spy.received).toEqual([]);

      // The customer hears their position: "您前面还有 N 位".
      await eventually(async () => (await texts(a.url, t.admin, second)).includes('您前面还有 1 位，请稍候'));
      expect(await texts(a.url, t.admin, first)).toEqual(['您前面还有 0 位，请稍候']);
    } finally {
      snapshots.mockRestore();
      await Promise.all([...watchers, spy].map((w) => w.dispose()));
    }
  });

  it('an offer made on replica A reaches the agent subscribed on replica B; presence outlives a replica restart', async () => {
    const t = await routingTenant(a.url, { groups: ['订单组'], agents: [{ name: 'A', groups: ['订单组'] }] });
    await rules(a.url, t, { defaultGroupId: t.groups['订单组'] });
    const live = subscribe<{ myAssignments: any }>(b.url, t.agents.A.token, MY_ASSIGNMENTS);
    try {
      await new Promise((r) => setTimeout(r, 300));
      await setStatus(a.url, t.agents.A);
      const conv = await open(a.url, t, { text: '你好' });
      await eventually(() => live.received.some((r) => r.myAssignments.offer.conversation.id === conv), 8000);
      expect(live.received[0].myAssignments).toMatchObject({ type: 'OFFERED', offer: { kind: 'OFFER', agent: { id: t.agents.A.id } } });
    } finally {
      await live.dispose();
    }
    // Replica A goes away and comes back: the agent is still ONLINE (presence lives in Redis, not in A).
    await a.close();
    a = await startTestSubgraph(conversationsSubgraph, { db, stream });
    const p = await gqlOk(a.url, `query($id: ID!) { agent(id: $id) { presence { status since } } }`, { id: t.agents.A.id }, t.admin);
    expect(p.agent.presence.status).toBe('ONLINE');
  });

  it('business hours: out of hours the customer is told and waits; overflow moves a long wait to another group', async () => {
    const t = await routingTenant(a.url, { groups: ['夜班', '订单组', '售后组'], agents: [{ name: 'A', groups: ['订单组'] }, { name: 'B', groups: ['售后组'] }] });
    const g = t.groups;
    await rules(a.url, t, {
      defaultGroupId: g['订单组'],
      businessTypes: [{ type: 'night', keywords: ['夜'] }, { type: 'aftersales', keywords: ['退'] }],
      l1: [{ id: 'night', businessTypes: ['night'], groupId: g['夜班'] }, { id: 'aftersales', businessTypes: ['aftersales'], groupId: g['售后组'] }],
      groups: {
        // Open one minute a week (Sunday 00:00–00:01 in Asia/Shanghai): closed now in every test run but that minute.
        [g['夜班']]: { businessHours: { timezone: 'Asia/Shanghai', weekly: [{ days: [7], open: '00:00', close: '00:01' }], closedMessage: '夜班客服休息中，明天 9 点为您服务' } },
        [g['售后组']]: { overflow: { afterSeconds: 1, toGroupId: g['订单组'] } },
      },
    });
    const night = await open(a.url, t, { text: '夜里有人吗' });
    const closed = await routedUntil(a.url, t, night, (x) => x.routingTrace?.outcome === 'OUT_OF_HOURS');
    expect(closed.routing).toMatchObject({ state: 'WAITING', group: { name: '夜班' } });
    await eventually(async () => (await texts(a.url, t.admin, night)).includes('夜班客服休息中，明天 9 点为您服务'));

    // 售后组's agent is offline: after 1 s it overflows to 订单组, whose agent is online.
    await setStatus(a.url, t.agents.A);
    const refund = await open(a.url, t, { text: '我要退款' });
    const waiting = await routedUntil(a.url, t, refund, (x) => x.routingTrace?.outcome === 'QUEUED');
    expect(waiting.routing).toMatchObject({ state: 'WAITING', group: { name: '售后组' } });
    await offerFor(a.url, t.agents.A, refund, 'OFFERED', 8000);
    const moved = await routingOf(a.url, t, refund);
    expect(moved.routing.group.name).toBe('订单组');
    expect(moved.routingTrace.levels.map((l: any) => l.detail).join(' | ')).toContain('overflow after 1 s');
  });

  it('balances channels: targets adapt to queue pressure within the supervisor\'s bounds', async () => {
    const t = await routingTenant(a.url, { groups: ['订单组'], agents: [{ name: 'A', groups: ['订单组'] }] });
    await rules(a.url, t, {
      defaultGroupId: t.groups['订单组'],
      balancing: { adaptivity: 1, channels: { taobao: { target: 0.5, min: 0.2, max: 0.7 }, douyin: { target: 0.5, min: 0.2, max: 0.7 } } },
    });
    for (let i = 0; i < 4; i++) await open(a.url, t, { channelType: 'taobao', text: `淘宝${i}` });
    await open(a.url, t, { channelType: 'douyin', text: '抖音' });
    const g = await eventually(async () => {
      const s = (await gqlOk(a.url, `query($g: ID) { channelBalance(groupId: $g) { channelType waiting target min max current } }`, { g: t.groups['订单组'] }, t.admin)).channelBalance;
      return s.find((x: any) => x.channelType === 'taobao')?.waiting === 4 && s.find((x: any) => x.channelType === 'douyin')?.waiting === 1 ? s : undefined;
    });
    const by = Object.fromEntries(g.map((x: any) => [x.channelType, x]));
    expect(by.taobao).toMatchObject({ waiting: 4, min: 0.2, max: 0.7 });
    expect(by.taobao.target).toBeCloseTo(0.7); // 80 % of the pressure, capped at max
    expect(by.douyin.target).toBeCloseTo(0.2);
    expect((await gql(a.url, `{ channelBalance { channelType } }`, {}, t.agents.A.token)).errors?.[0].extensions?.code).toBe('FORBIDDEN');
  });
});

async function routingOf(url: string, t: { admin: string }, id: string) {
  return (await gqlOk(url, `query($id: ID!) { conversation(id: $id) { routing { state group { name } } routingTrace { outcome levels { detail } } } }`, { id }, t.admin)).conversation;
}

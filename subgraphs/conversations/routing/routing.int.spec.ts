import { gql, gqlOk } from '../../../test/helpers/graphql-client.js';
import { newTenant, tokenFor } from '../../../test/helpers/env.js';
import { startTestSubgraph, type TestSubgraph } from '../../../test/helpers/subgraph-harness.js';
import { newId } from '../../_shared/ids.js';
import { CUSTOMER_SAYS, eventually, RESOLVE, SEND, subscribe } from '../conversations.testing.js';
import { conversationsSubgraph } from '../index.js';
import {
  ACCEPT, BOT_TURN, DECLINE, MY_ASSIGNMENTS, open, offerFor, ROUTE, routedUntil, routingOf, routingTenant, rules, setStatus, TRANSFER, UPDATE_RULES,
} from './routing.testing.js';

const MESSAGES = `query($id: ID!) { conversation(id: $id) { status assignee { id } messages(first: 50) { nodes { senderType senderId text internal } } } }`;

// MariaDB claims in one multi-table UPDATE; SQLite (embedded mode) in a transaction: the same rules run on both.
describe.each([
  ['MariaDB', { db: 'conversations_routing' }],
  ['SQLite', { databaseUrl: 'sqlite::memory:' }],
])('routing on one replica (%s + Redis)', (_db, where) => {
  let sg: TestSubgraph;
  beforeAll(async () => {
    sg = await startTestSubgraph(conversationsSubgraph, { ...where, stream: `routing-${newId().slice(0, 8)}` });
  });
  afterAll(() => sg.close());

  it('validates rules with zod and names the offending rule path; versions guard concurrent edits', async () => {
    const t = await routingTenant(sg.url, { groups: ['订单组'], agents: [{ name: '李娜', groups: ['订单组'] }] });
    const empty = await gqlOk(sg.url, `{ routingRules { version rules effective } }`, {}, t.admin);
    expect(empty.routingRules).toMatchObject({ version: 0, rules: {}, effective: { offers: { mode: 'offer', timeoutSeconds: 30 }, defaultGroupId: null } });

    const bad = await gql(sg.url, UPDATE_RULES, { i: { rules: { l1: [{ id: 'a', groupId: t.groups['订单组'] }, { id: 'b', groupId: 'not-a-uuid' }] } } }, t.admin);
    expect(bad.errors?.[0].extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'rules.l1[1].groupId' });
    const unknownKey = await gql(sg.url, UPDATE_RULES, { i: { rules: { offers: { mode: 'offer', timeout: 5 } } } }, t.admin);
    expect(unknownKey.errors?.[0].extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'rules.offers.timeout' });
    const otherTenantGroup = await gql(sg.url, UPDATE_RULES, { i: { rules: { defaultGroupId: newId() } } }, t.admin);
    expect(otherTenantGroup.errors?.[0].extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'rules.defaultGroupId' });
    const unknownAgent = await gql(sg.url, UPDATE_RULES, { i: { rules: { l2: [{ id: 'vip', when: { vipLevels: ['VIP'] }, preferredAgentIds: [newId()] }] } } }, t.admin);
    expect(unknownAgent.errors?.[0].extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'rules.l2[0].preferredAgentIds[0]' });

    const saved = await gqlOk(sg.url, UPDATE_RULES, { i: { rules: { defaultGroupId: t.groups['订单组'] }, expectedVersion: 0 } }, t.admin);
    expect(saved.updateRoutingRules.ruleSet).toMatchObject({ version: 1, rules: { defaultGroupId: t.groups['订单组'] }, effective: { defaultGroupId: t.groups['订单组'] } });
    const stale = await gql(sg.url, UPDATE_RULES, { i: { rules: {}, expectedVersion: 0 } }, t.admin);
    expect(stale.errors?.[0].extensions?.code).toBe('CONFLICT');
    const agent = await gql(sg.url, UPDATE_RULES, { i: { rules: {} } }, t.agents['李娜'].token);
    expect(agent.errors?.[0].extensions?.code).toBe('FORBIDDEN');
    expect((await gql(sg.url, `{ routingRules { version } }`, {}, t.agents['李娜'].token)).errors?.[0].extensions?.code).toBe('FORBIDDEN');
  });

  it('L1 by business type, L2 VIP to the dedicated group with fallback, L3 longest idle; the trace explains each level', async () => {
    const t = await routingTenant(sg.url, {
      groups: ['订单组', '物流组', 'VIP专席'],
      agents: [{ name: '王芳', groups: ['物流组'] }, { name: '张伟', groups: ['物流组'] }, { name: '李娜', groups: ['订单组'] }, { name: '陈静', groups: ['VIP专席'] }],
    });
    const g = t.groups;
    await rules(sg.url, t, {
      defaultGroupId: g['订单组'],
      businessTypes: [{ type: 'logistics', keywords: ['快递', '物流'], intents: ['track_parcel'] }, { type: 'order', keywords: ['订单', '付款'] }],
      l1: [{ id: 'logistics', businessTypes: ['logistics'], groupId: g['物流组'] }, { id: 'orders', businessTypes: ['order'], groupId: g['订单组'] }],
      l2: [{ id: 'vip', when: { vipLevels: ['VIP', 'SVIP'] }, groupId: g['VIP专席'], fallback: 'l1', priority: 10 }],
    });
    const { 王芳: wang, 张伟: zhang, 陈静: chen } = t.agents;
    await setStatus(sg.url, wang);
    await new Promise((r) => setTimeout(r, 20));
    await setStatus(sg.url, zhang); // 王芳 has been idle longer

    const parcel = await open(sg.url, t, { subject: '咨询', text: '我的快递三天没动了' });
    const offer = await offerFor(sg.url, wang, parcel);
    expect(offer.kind).toBe('OFFER');
    const c = await routingOf(sg.url, t, parcel);
    expect(c.routing).toMatchObject({ state: 'OFFERED', agentId: wang.id, group: { name: '物流组' } });
    expect(c.routingTrace).toMatchObject({ outcome: 'OFFERED', businessType: 'logistics', businessTypeSource: 'keyword', chosenAgentId: wang.id, group: { name: '物流组' } });
    const [l1, l2, l3] = c.routingTrace.levels;
    expect(l1).toMatchObject({ level: 'L1', ruleId: 'logistics', matched: true, groupIds: [g['物流组']] });
    expect(l1.detail).toContain('快递');
    expect(l2).toMatchObject({ level: 'L2', ruleId: null, matched: false });
    expect(l3.level).toBe('L3');
    expect(l3.candidates.map((x: any) => [x.agentId, x.rank, x.eligible])).toEqual([[wang.id, 1, true], [zhang.id, 2, true]]);
    expect(c.routingTrace.reason).toMatch(/idle \d+ s, longest of 2 idle/);

    // The next one goes to the other idle agent, not to the one who has an offer already.
    const second = await open(sg.url, t, { text: '物流信息不更新' });
    await offerFor(sg.url, zhang, second);

    // A VIP: the dedicated group, with priority; its only agent is offline, so the fallback (L1 group) takes it.
    const vip = await open(sg.url, t, { text: '快递呢' });
    await gqlOk(sg.url, ROUTE, { i: { conversationId: vip, customer: { vipLevel: 'VIP', tags: ['五常大米'] } } }, t.service);
    const waiting = await routedUntil(sg.url, t, vip, (x) => x.routingTrace?.levels?.[1]?.ruleId === 'vip');
    expect(waiting.routing.priority).toBe(10);
    expect(waiting.routingTrace.levels[1]).toMatchObject({ level: 'L2', ruleId: 'vip', matched: true, groupIds: [g['VIP专席']] });
    expect(waiting.routingTrace.levels[2].candidates).toEqual(expect.arrayContaining([expect.objectContaining({ agentId: chen.id, eligible: false, reason: 'not online (OFFLINE)', tier: 'group' })]));
    // Both logistics agents hold an offer (load 1 of 5): the fallback tier offers it to one of them.
    expect(['fallback']).toContain(waiting.routingTrace.levels[2].candidates.find((x: any) => x.eligible)?.tier);
    expect([wang.id, zhang.id]).toContain(waiting.routing.agentId);

    // With the VIP agent online, the next VIP goes to the dedicated group.
    await setStatus(sg.url, chen);
    const vip2 = await open(sg.url, t, { text: '订单有问题' });
    await gqlOk(sg.url, ROUTE, { i: { conversationId: vip2, customer: { vipLevel: 'SVIP' } } }, t.service);
    await offerFor(sg.url, chen, vip2);

    const accepted = await gqlOk(sg.url, ACCEPT, { i: { offerId: offer.id } }, wang.token);
    expect(accepted.acceptOffer).toMatchObject({ offer: { status: 'ACCEPTED' }, conversation: { id: parcel, status: 'ASSIGNED', assignee: { id: wang.id } } });
    expect((await routingOf(sg.url, t, parcel)).routing).toMatchObject({ state: 'ASSIGNED', agentId: wang.id });
  });

  it('pushes offers and assignments to the agent (myAssignments); decline goes to the next agent and never back', async () => {
    const t = await routingTenant(sg.url, { groups: ['售后组'], agents: [{ name: 'A', groups: ['售后组'] }, { name: 'B', groups: ['售后组'] }] });
    await rules(sg.url, t, { defaultGroupId: t.groups['售后组'] });
    const { A: a, B: b } = t.agents;
    await setStatus(sg.url, a);
    await new Promise((r) => setTimeout(r, 20));
    await setStatus(sg.url, b);
    const live = subscribe<{ myAssignments: any }>(sg.url, a.token, MY_ASSIGNMENTS);
    try {
      await new Promise((r) => setTimeout(r, 300)); // the SUBSCRIBE reaches Redis
      const c = await open(sg.url, t, { text: '米里有虫' });
      await eventually(() => live.received.length > 0);
      expect(live.received[0].myAssignments).toMatchObject({ type: 'OFFERED', offer: { status: 'OFFERED', kind: 'OFFER', conversation: { id: c, status: 'QUEUED' }, agent: { id: a.id } } });
      const offer = live.received[0].myAssignments.offer;
      const declined = await gqlOk(sg.url, DECLINE, { i: { offerId: offer.id, reason: '忙' } }, a.token);
      expect(declined.declineOffer.offer).toMatchObject({ status: 'DECLINED', reason: 'declined: 忙' });
      await eventually(() => live.received.some((r) => r.myAssignments.type === 'DECLINED'));
      const toB = await offerFor(sg.url, b, c);
      // B declines too: nobody else is left, and A is never asked again for it.
      await gqlOk(sg.url, DECLINE, { i: { offerId: toB.id } }, b.token);
      const waiting = await routedUntil(sg.url, t, c, (x) => x.routing.state === 'WAITING');
      expect(waiting.routing.position).toBe(1);
      expect((await gql(sg.url, ACCEPT, { i: { offerId: offer.id } }, a.token)).errors?.[0].extensions?.code).toBe('CONFLICT');
      expect((await gql(sg.url, ACCEPT, { i: { offerId: toB.id } }, a.token)).errors?.[0].extensions?.code).toBe('FORBIDDEN');

      const next = await open(sg.url, t, { text: '退款' });
      const o2 = await offerFor(sg.url, a, next);
      await gqlOk(sg.url, ACCEPT, { i: { offerId: o2.id } }, a.token);
      await eventually(() => live.received.some((r) => r.myAssignments.type === 'ASSIGNED' && r.myAssignments.offer.conversation.id === next));
    } finally {
      await live.dispose();
    }
  });

  it('never exceeds capacity; resolving frees the unit and pulls the next waiting conversation at once', async () => {
    const t = await routingTenant(sg.url, { groups: ['订单组'], agents: [{ name: 'A', groups: ['订单组'], chat: 1 }] });
    await rules(sg.url, t, { defaultGroupId: t.groups['订单组'], offers: { mode: 'auto' } });
    const a = t.agents.A;
    await setStatus(sg.url, a);
    const first = await open(sg.url, t, { text: '一' });
    await routedUntil(sg.url, t, first, (x) => x.status === 'ASSIGNED' && x.assignee?.id === a.id);
    const second = await open(sg.url, t, { text: '二' });
    const waiting = await routedUntil(sg.url, t, second, (x) => x.routingTrace?.outcome === 'QUEUED');
    expect(waiting.routingTrace.levels[2].candidates[0]).toMatchObject({ agentId: a.id, eligible: false, reason: 'at capacity 1/1' });
    const load = async () => (await gqlOk(sg.url, `query($id: ID!) { agent(id: $id) { routing { loads { channelClass active capacity } } } }`, { id: a.id }, t.admin)).agent.routing.loads;
    expect(await load()).toEqual([{ channelClass: 'call', active: 0, capacity: 1 }, { channelClass: 'chat', active: 1, capacity: 1 }]);

    const resolvedAt = Date.now();
    await gqlOk(sg.url, RESOLVE, { input: { conversationId: first } }, a.token);
    const pulled = await routedUntil(sg.url, t, second, (x) => x.status === 'ASSIGNED', 5000);
    expect(pulled.assignee.id).toBe(a.id);
    expect(Date.now() - resolvedAt).toBeLessThan(3000);
    expect(pulled.routingTrace.levels[2].detail).toContain('from the queue');
    expect(await load()).toEqual([{ channelClass: 'call', active: 0, capacity: 1 }, { channelClass: 'chat', active: 1, capacity: 1 }]);
  });

  it('transfers to an agent with a note, and to a group where the current agent keeps it until someone takes it', async () => {
    const t = await routingTenant(sg.url, { groups: ['订单组', '售后组'], agents: [{ name: 'A', groups: ['订单组'] }, { name: 'B', groups: ['订单组'] }, { name: 'C', groups: ['售后组'] }] });
    await rules(sg.url, t, { defaultGroupId: t.groups['订单组'], offers: { mode: 'auto' } });
    const { A: a, B: b, C: c } = t.agents;
    await setStatus(sg.url, a);
    const conv = await open(sg.url, t, { text: '要退货' });
    await routedUntil(sg.url, t, conv, (x) => x.assignee?.id === a.id);
    await setStatus(sg.url, b);

    const toB = await gqlOk(sg.url, TRANSFER, { i: { conversationId: conv, toAgentId: b.id, note: '客户要退货，已核实订单' } }, a.token);
    expect(toB.transferConversation).toMatchObject({ conversation: { status: 'ASSIGNED', assignee: { id: b.id } }, routing: { state: 'ASSIGNED', agentId: b.id } });
    const msgs = (await gqlOk(sg.url, MESSAGES, { id: conv }, t.admin)).conversation.messages.nodes;
    expect(msgs).toContainEqual({ senderType: 'AGENT', senderId: a.id, text: '客户要退货，已核实订单', internal: true });
    // Only the conversation's agent (or a supervisor) may transfer it.
    expect((await gql(sg.url, TRANSFER, { i: { conversationId: conv, toAgentId: a.id } }, a.token)).errors?.[0].extensions?.code).toBe('FORBIDDEN');
    expect((await gql(sg.url, TRANSFER, { i: { conversationId: conv, toAgentId: c.id } }, b.token)).errors?.[0].extensions?.code).toBe('CONFLICT'); // C is offline

    const toGroup = await gqlOk(sg.url, TRANSFER, { i: { conversationId: conv, toGroupId: t.groups['售后组'], note: '转售后' } }, b.token);
    expect(toGroup.transferConversation).toMatchObject({ conversation: { assignee: { id: b.id } }, routing: { state: 'WAITING', groupId: t.groups['售后组'], reassignFrom: b.id } });
    await setStatus(sg.url, c);
    const taken = await routedUntil(sg.url, t, conv, (x) => x.assignee?.id === c.id);
    expect(taken.routing).toMatchObject({ state: 'ASSIGNED', agentId: c.id, reassignFrom: null });
    // The lifecycle recorded both transfers (ConversationService.assign did the writes).
    const events = await gqlOk(sg.url, `query($id: ID!) { conversation(id: $id) { events(first: 50) { nodes { type data } } } }`, { id: conv }, t.admin);
    expect(events.conversation.events.nodes.filter((e: any) => e.type === 'TRANSFERRED').map((e: any) => [e.data.previousAgentId, e.data.agentId])).toEqual([[a.id, b.id], [b.id, c.id]]);
  });

  it('bot first: starts with the bot, escalates when the customer asks for a human or the bot is unsure', async () => {
    const t = await routingTenant(sg.url, { groups: ['订单组'], agents: [{ name: 'A', groups: ['订单组'] }] });
    await rules(sg.url, t, { defaultGroupId: t.groups['订单组'], bot: { channelTypes: ['wechat-oa'] } });
    await setStatus(sg.url, t.agents.A);
    const conv = await open(sg.url, t, { channelType: 'wechat-oa', startWithBot: true, text: '你好' });
    const withBot = await routedUntil(sg.url, t, conv, (x) => x.routing?.state === 'BOT');
    expect(withBot.status).toBe('BOT');
    await gqlOk(sg.url, CUSTOMER_SAYS, { input: { conversationId: conv, text: '机器人听不懂，转人工！' } }, t.service);
    await offerFor(sg.url, t.agents.A, conv);
    expect((await routingOf(sg.url, t, conv)).status).toBe('QUEUED');

    const unsure = await open(sg.url, t, { channelType: 'wechat-oa', startWithBot: true, text: '我要开发票' });
    const sure = await gqlOk(sg.url, BOT_TURN, { i: { conversationId: unsure, confidence: 0.9, intent: 'invoice' } }, t.service);
    expect(sure.reportBotTurn).toEqual({ escalated: false, reason: null });
    const low = await gqlOk(sg.url, BOT_TURN, { i: { conversationId: unsure, confidence: 0.2 } }, t.service);
    expect(low.reportBotTurn).toEqual({ escalated: true, reason: 'low_confidence' });
    const routed = await routedUntil(sg.url, t, unsure, (x) => x.routing?.state === 'WAITING' || x.routing?.state === 'OFFERED');
    expect(routed.routing.hints).toMatchObject({ intent: 'invoice' });
  });

  it('takes routing input with createConversation: a VIP goes straight to the dedicated agent; bot channels start with the bot', async () => {
    const t = await routingTenant(sg.url, { groups: ['订单组', 'VIP专席'], agents: [{ name: 'A', groups: ['订单组'] }, { name: 'V', groups: ['VIP专席'] }] });
    await rules(sg.url, t, {
      defaultGroupId: t.groups['订单组'], offers: { mode: 'auto' }, bot: { channelTypes: ['wechat-oa'] },
      l2: [{ id: 'vip', when: { tagsAny: ['VIP'] }, groupId: t.groups['VIP专席'] }],
    });
    await setStatus(sg.url, t.agents.A);
    await setStatus(sg.url, t.agents.V);
    const vip = await open(sg.url, t, { text: '在吗', routing: { customer: { tags: ['VIP', '五常大米'], vipLevel: 'VIP' } } });
    const c = await routedUntil(sg.url, t, vip, (x) => x.status === 'ASSIGNED');
    expect(c.assignee.id).toBe(t.agents.V.id);
    expect(c.routingTrace.levels[1]).toMatchObject({ ruleId: 'vip', matched: true });
    expect(c.routing.hints).toMatchObject({ customer: { tags: ['VIP', '五常大米'], vipLevel: 'VIP' } });
    // The rules say wechat-oa is a bot channel: BOT unless told otherwise, and a VIP skips the bot.
    const botted = await open(sg.url, t, { channelType: 'wechat-oa', text: '你好' });
    expect((await routedUntil(sg.url, t, botted, (x) => x.routing?.state === 'BOT')).status).toBe('BOT');
    const vipOnBotChannel = await open(sg.url, t, { channelType: 'wechat-oa', text: '你好', routing: { customer: { vipLevel: 'VIP', tags: ['VIP'] } } });
    expect((await routedUntil(sg.url, t, vipOnBotChannel, (x) => x.status === 'ASSIGNED')).assignee.id).toBe(t.agents.V.id);
    const forced = await open(sg.url, t, { channelType: 'wechat-oa', text: '你好', startWithBot: false });
    expect((await routedUntil(sg.url, t, forced, (x) => x.status === 'ASSIGNED')).assignee.id).toBe(t.agents.A.id);
    const bad = await gql(sg.url, `mutation($input: CreateConversationInput!) { createConversation(input: $input) { conversation { id } } }`, { input: { customerId: newId(), channelType: 'app', subject: 'x', routing: { priority: 1000 } } }, t.admin);
    expect(bad.errors?.[0].extensions?.code).toBe('BAD_USER_INPUT');
  });

  it('counts assignments made outside routing for their agent, even beyond capacity, and frees them on resolve', async () => {
    const t = await routingTenant(sg.url, { groups: ['订单组'], agents: [{ name: 'A', groups: ['订单组'], chat: 1 }, { name: 'S', groups: ['订单组'] }] });
    await rules(sg.url, t, { defaultGroupId: t.groups['订单组'] });
    const a = t.agents.A; // never online: a supervisor assigns by hand
    const load = async () => (await gqlOk(sg.url, `query($id: ID!) { agent(id: $id) { routing { loads { channelClass active capacity } } } }`, { id: a.id }, t.admin)).agent.routing.loads.find((l: any) => l.channelClass === 'chat');
    const [c1, c2] = [await open(sg.url, t, { text: '一' }), await open(sg.url, t, { text: '二' })];
    await routedUntil(sg.url, t, c2, (x) => x.routingTrace?.outcome === 'QUEUED');
    for (const c of [c1, c2]) await gqlOk(sg.url, `mutation($i: AssignConversationInput!) { assignConversation(input: $i) { conversation { id } } }`, { i: { conversationId: c, agentId: a.id } }, t.admin);
    const held = await routedUntil(sg.url, t, c2, (x) => x.routing.state === 'ASSIGNED' && x.routing.agentId === a.id);
    expect(held.routing.offer).toMatchObject({ status: 'ACCEPTED' });
    await eventually(async () => (await load()).active === 2);
    expect(await load()).toEqual({ channelClass: 'chat', active: 2, capacity: 1 });
    await gqlOk(sg.url, RESOLVE, { input: { conversationId: c1 } }, t.admin);
    await eventually(async () => (await load()).active === 1);
  });

  it('tenant B can neither see nor act on tenant A routing', async () => {
    const t = await routingTenant(sg.url, { groups: ['订单组'], agents: [{ name: 'A', groups: ['订单组'] }] });
    await rules(sg.url, t, { defaultGroupId: t.groups['订单组'] });
    await setStatus(sg.url, t.agents.A);
    const conv = await open(sg.url, t, { text: '你好' });
    const offer = await offerFor(sg.url, t.agents.A, conv);
    const other = newTenant('x');
    const adminB = await tokenFor(other, ['admin']);
    const agentB = await tokenFor(other, ['agent'], t.agents.A.id); // same agent id, other tenant
    const code = async (q: string, v: Record<string, unknown>, tok = adminB) => (await gql(sg.url, q, v, tok)).errors?.[0].extensions?.code;
    expect(await code(ACCEPT, { i: { offerId: offer.id } }, agentB)).toBe('NOT_FOUND');
    expect(await code(DECLINE, { i: { offerId: offer.id } }, agentB)).toBe('NOT_FOUND');
    expect(await code(TRANSFER, { i: { conversationId: conv, toGroupId: t.groups['订单组'] } })).toBe('NOT_FOUND');
    expect(await code(ROUTE, { i: { conversationId: conv, customer: { vipLevel: 'VIP' } } })).toBe('NOT_FOUND');
    expect(await code(BOT_TURN, { i: { conversationId: conv, humanRequested: true } })).toBe('NOT_FOUND');
    expect(await code(`query($g: ID) { queue(groupId: $g) { waiting } }`, { g: t.groups['订单组'] })).toBe('NOT_FOUND');
    expect(await code(`mutation($i: SetAgentStatusInput!) { setAgentStatus(input: $i) { presence { status } } }`, { i: { status: 'AWAY', agentId: t.agents.A.id } })).toBe('NOT_FOUND');
    const mine = await gqlOk(sg.url, `{ agentPresences { agentId } queue { waiting entries { conversationId } } routingRules { version } }`, {}, adminB);
    expect(mine).toEqual({ agentPresences: [], queue: { waiting: 0, entries: [] }, routingRules: { version: 0 } });
    expect((await routingOf(sg.url, t, conv)).routing).toMatchObject({ state: 'OFFERED', agentId: t.agents.A.id });
  });
});

// Timers and presence expiry: the database plays no part in what is measured here, so MariaDB only.
describe('routing timers on one replica (MariaDB + Redis)', () => {
  let sg: TestSubgraph;
  beforeAll(async () => {
    sg = await startTestSubgraph(conversationsSubgraph, { db: 'conversations_routing', stream: `routing-t-${newId().slice(0, 8)}` });
  });
  afterAll(() => sg.close());

  it('offers time out to the next agent; an agent who never replies is replaced', async () => {
    const t = await routingTenant(sg.url, { groups: ['订单组'], agents: [{ name: 'A', groups: ['订单组'] }, { name: 'B', groups: ['订单组'] }] });
    await rules(sg.url, t, { defaultGroupId: t.groups['订单组'], offers: { timeoutSeconds: 1, noReplyMinutes: 0.02 } });
    const { A: a, B: b } = t.agents;
    await setStatus(sg.url, a);
    await new Promise((r) => setTimeout(r, 20));
    await setStatus(sg.url, b);
    const conv = await open(sg.url, t, { text: '在吗' });
    await offerFor(sg.url, a, conv);
    const o = await offerFor(sg.url, b, conv, 'OFFERED', 6000); // A let it expire
    const expired = (await routingOf(sg.url, t, conv)).routing;
    expect(expired.agentId).toBe(b.id);
    await gqlOk(sg.url, ACCEPT, { i: { offerId: o.id } }, b.token);
    // B never writes: after noReplyMinutes (1.2 s) the conversation goes back to the queue. A is excluded (it let
    // the offer expire) and B is excluded (replaced): it waits, still B's until someone takes it.
    const replaced = await routedUntil(sg.url, t, conv, (x) => x.routing.state === 'WAITING', 8000);
    expect(replaced.routing.reassignFrom).toBe(b.id);
    expect(replaced.assignee.id).toBe(b.id);

    // An agent who replies in time is left alone.
    const conv2 = await open(sg.url, t, { text: '你好' });
    const who = await eventually(async () => ((await routingOf(sg.url, t, conv2)).routing.agentId as string | null) ?? undefined);
    const agent = who === a.id ? a : b;
    const o2 = await offerFor(sg.url, agent, conv2);
    await gqlOk(sg.url, ACCEPT, { i: { offerId: o2.id } }, agent.token);
    await gqlOk(sg.url, SEND, { input: { conversationId: conv2, text: '您好，请讲' } }, agent.token);
    await new Promise((r) => setTimeout(r, 2500));
    expect((await routingOf(sg.url, t, conv2)).routing).toMatchObject({ state: 'ASSIGNED', agentId: agent.id });
  });

  it('presence: heartbeats keep an agent, the grace period expires them, leaving ONLINE withdraws offers', async () => {
    const t = await routingTenant(sg.url, { groups: ['订单组'], agents: [{ name: 'A', groups: ['订单组'] }, { name: 'B', groups: ['订单组'] }] });
    await rules(sg.url, t, { defaultGroupId: t.groups['订单组'], presence: { graceSeconds: 1.5 } });
    const { A: a, B: b } = t.agents;
    const changes = subscribe<{ agentPresenceChanged: any }>(sg.url, t.admin, `subscription { agentPresenceChanged { agentId status agent { id } } }`);
    try {
      await new Promise((r) => setTimeout(r, 300));
      await setStatus(sg.url, a);
      await setStatus(sg.url, b, 'AFTER_CALL_WORK');
      await eventually(() => changes.received.length >= 2);
      expect(changes.received.slice(0, 2).map((r) => r.agentPresenceChanged)).toEqual([
        { agentId: a.id, status: 'ONLINE', agent: { id: a.id } },
        { agentId: b.id, status: 'AFTER_CALL_WORK', agent: { id: b.id } },
      ]);
      // A keeps beating, B does not: after the grace period B is OFFLINE and supervisors hear of it.
      for (let i = 0; i < 5; i++) {
        await gqlOk(sg.url, `mutation { sendHeartbeat(input: {}) { presence { status } } }`, {}, a.token);
        await new Promise((r) => setTimeout(r, 500));
      }
      const presences = await gqlOk(sg.url, `{ agentPresences { agentId status } }`, {}, t.admin);
      expect(presences.agentPresences).toEqual(expect.arrayContaining([{ agentId: a.id, status: 'ONLINE' }, { agentId: b.id, status: 'OFFLINE' }]));
      await eventually(() => changes.received.some((r) => r.agentPresenceChanged.agentId === b.id && r.agentPresenceChanged.status === 'OFFLINE'));

      // An open offer goes back when its agent goes AWAY.
      const conv = await open(sg.url, t, { text: '你好' });
      await offerFor(sg.url, a, conv);
      await setStatus(sg.url, a, 'AWAY');
      const back = await routedUntil(sg.url, t, conv, (x) => x.routing.state === 'WAITING');
      expect(back.routing.agentId).toBeNull();
      // Agents set only their own status; supervisors anyone's.
      expect((await gql(sg.url, `mutation($i: SetAgentStatusInput!) { setAgentStatus(input: $i) { presence { status } } }`, { i: { status: 'ONLINE', agentId: b.id } }, a.token)).errors?.[0].extensions?.code).toBe('FORBIDDEN');
      await gqlOk(sg.url, `mutation($i: SetAgentStatusInput!) { setAgentStatus(input: $i) { presence { status } } }`, { i: { status: 'ONLINE', agentId: b.id } }, t.admin);
      await offerFor(sg.url, b, conv);
    } finally {
      await changes.dispose();
    }
  });
});

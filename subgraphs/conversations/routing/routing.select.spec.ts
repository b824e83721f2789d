import { PresenceStatus } from '../presence/presence.store.js';
import { DEFAULT_RULES, parseRules, type RoutingRules } from './routing.rules.js';
import { balancedOrder, channelShares, compareAgents, compareQueued, decideGroup, isOpen, selectAgents, type AgentView, type DecisionInput } from './routing.select.js';

const G = { orders: '11111111-1111-4111-8111-111111111111', logistics: '22222222-2222-4222-8222-222222222222', vip: '33333333-3333-4333-8333-333333333333' };
const agentX = '44444444-4444-4444-8444-444444444444';

const rules: RoutingRules = parseRules({
  defaultGroupId: G.orders,
  businessTypes: [
    { type: 'logistics', intents: ['track_parcel'], menuKeys: ['MENU_LOGISTICS'], orderEvents: ['shipped'], keywords: ['快递', '物流'] },
    { type: 'order', keywords: ['订单', '付款'] },
  ],
  l1: [
    { id: 'phone-logistics', channelTypes: ['phone'], businessTypes: ['logistics'], groupId: G.logistics, requiredSkills: ['voice'] },
    { id: 'logistics', businessTypes: ['logistics'], groupId: G.logistics },
  ],
  l2: [
    { id: 'vip', when: { vipLevels: ['VIP', 'SVIP'] }, groupId: G.vip, priority: 10 },
    { id: 'returning', when: { lastAgentWithinDays: 7 }, preferLastAgent: true },
    { id: 'risk', when: { riskLevels: ['high'], tagsAny: ['投诉'] }, preferredAgentIds: [agentX], priority: 5 },
  ],
  priority: { vipLevels: { SVIP: 20, VIP: 10 }, riskLevels: { high: 15 } },
});

const input = (over: Partial<DecisionInput> = {}): DecisionInput => ({ channelType: 'app', text: '', explicitGroupId: null, hints: {}, now: Date.UTC(2026, 0, 5, 3), ...over });

describe('L1 and L2: decideGroup', () => {
  it('finds the business type from input, intent, menu key, order event, then keywords', () => {
    expect(decideGroup(rules, input({ hints: { businessType: 'order', intent: 'track_parcel' } }))).toMatchObject({ businessType: 'order', businessTypeSource: 'input' });
    expect(decideGroup(rules, input({ hints: { intent: 'track_parcel' } }))).toMatchObject({ businessType: 'logistics', businessTypeSource: 'intent', groupId: G.logistics });
    expect(decideGroup(rules, input({ hints: { menuKey: 'MENU_LOGISTICS' } }))).toMatchObject({ businessTypeSource: 'menuKey', groupId: G.logistics });
    expect(decideGroup(rules, input({ hints: { orderEvent: 'shipped' } }))).toMatchObject({ businessTypeSource: 'orderEvent', groupId: G.logistics });
    const kw = decideGroup(rules, input({ text: '我的快递到哪了' }));
    expect(kw).toMatchObject({ businessType: 'logistics', businessTypeSource: 'keyword', groupId: G.logistics });
    expect(kw.levels[0]).toMatchObject({ level: 'L1', ruleId: 'logistics', matched: true });
    expect(kw.levels[0].detail).toContain('快递');
  });

  it('matches channel and business type in rule order, with skills; falls back to the default group', () => {
    expect(decideGroup(rules, input({ channelType: 'phone', text: '物流' }))).toMatchObject({ groupId: G.logistics, requiredSkills: ['voice'], levels: [{ ruleId: 'phone-logistics' }, {}] });
    const none = decideGroup(rules, input({ text: '你好' }));
    expect(none).toMatchObject({ groupId: G.orders, businessType: null, levels: [{ ruleId: null, matched: false }, { matched: false }] });
    expect(none.levels[0].detail).toContain('default group');
    expect(decideGroup(DEFAULT_RULES, input()).groupId).toBeNull(); // no rules: the tenant-wide pool
    expect(decideGroup(rules, input({ explicitGroupId: G.vip, text: '快递' }))).toMatchObject({ groupId: G.vip, levels: [{ matched: true, ruleId: null }, {}] });
  });

  it('L2: VIP to the dedicated group with the L1 group as fallback; priority adds up; last agent; preferred agents', () => {
    const vip = decideGroup(rules, input({ text: '快递', hints: { customer: { vipLevel: 'SVIP' } } }));
    expect(vip).toMatchObject({ groupId: G.vip, fallbackGroupId: G.logistics, priority: 20 + 10, levels: [{ ruleId: 'logistics' }, { ruleId: 'vip', matched: true }] });
    const now = Date.UTC(2026, 0, 10);
    const back = decideGroup(rules, input({ now, lastAgent: { agentId: 'agent-1', at: now - 3 * 86_400_000 } }));
    expect(back).toMatchObject({ preferredAgentIds: ['agent-1'], groupId: G.orders, levels: [{}, { ruleId: 'returning' }] });
    expect(decideGroup(rules, input({ now, lastAgent: { agentId: 'agent-1', at: now - 9 * 86_400_000 } })).preferredAgentIds).toEqual([]);
    const risky = decideGroup(rules, input({ hints: { customer: { riskLevel: 'high', tags: ['投诉', '复购'] }, priority: 1 } }));
    expect(risky).toMatchObject({ preferredAgentIds: [agentX], priority: 15 + 5 + 1, levels: [{}, { ruleId: 'risk' }] });
    expect(decideGroup(rules, input({ hints: { customer: { riskLevel: 'high', tags: ['复购'] } } })).levels[1].matched).toBe(false);
  });
});

const view = (id: string, o: Partial<AgentView> = {}): AgentView => ({ id, status: PresenceStatus.ONLINE, skills: [], active: 0, capacity: 5, busy: 0, idleSince: 0, lastAssignedAt: 0, ...o });

describe('L3: selectAgents', () => {
  it('longest idle first, then least loaded; skips offline, full, unskilled and excluded agents with reasons', () => {
    // no-skill has no skills at all, which is fine when none is required.
    const agents = [
      view('busy-2', { active: 2, busy: 2, lastAssignedAt: 100 }),
      view('idle-new', { idleSince: 5000 }),
      view('idle-old', { idleSince: 1000 }),
      view('busy-1', { active: 1, busy: 1, lastAssignedAt: 900 }),
      view('away', { status: PresenceStatus.AWAY }),
      view('full', { active: 5, busy: 5 }),
      view('no-skill', { idleSince: 3000 }),
      view('declined'),
    ];
    const sel = selectAgents({ tiers: [{ name: 'group', agents }], requiredSkills: [], excluded: new Set(['declined']), now: 10_000, trace: true });
    expect(sel.ranked.map((a) => a.id)).toEqual(['idle-old', 'no-skill', 'idle-new', 'busy-1', 'busy-2']);
    expect(sel.reasons.get('idle-old')).toBe('idle 9 s, longest of 3 idle');
    expect(sel.candidates.filter((c) => !c.eligible).map((c) => [c.agentId, c.reason])).toEqual([
      ['away', 'not online (AWAY)'], ['full', 'at capacity 5/5'], ['declined', 'declined or timed out on this conversation before'],
    ]);
    const skilled = selectAgents({ tiers: [{ name: 'group', agents: [view('a'), view('b', { skills: ['粤语'] })] }], requiredSkills: ['粤语'], excluded: new Set(), now: 0, trace: true });
    expect(skilled.ranked.map((a) => a.id)).toEqual(['b']);
    expect(skilled.candidates.find((c) => c.agentId === 'a')?.reason).toBe('missing skill 粤语');
  });

  it('ranks only the best few of a large pool, the same ones a full sort would give', () => {
    const pool = Array.from({ length: 500 }, (_, i) => view(`a${i}`, { busy: i % 3, active: i % 3, idleSince: (i * 7919) % 1000, lastAssignedAt: (i * 104729) % 997 }));
    const sel = selectAgents({ tiers: [{ name: 'group', agents: pool }], requiredSkills: [], excluded: new Set(), now: 0, keep: 5, trace: true, maxTraced: 10 });
    expect(sel.ranked.map((a) => a.id)).toEqual([...pool].sort(compareAgents).slice(0, 5).map((a) => a.id));
    expect(sel.candidates).toHaveLength(5); // everyone else was eligible: only the ranked ones are traced
    expect(sel.reasons.get(sel.ranked[0].id)).toMatch(/longest of 167 idle/);
  });

  it('nobody idle: least loaded by ratio, then longest since the last assignment', () => {
    const sel = selectAgents({ tiers: [{ name: 'group', agents: [view('a', { active: 2, busy: 2, capacity: 4, lastAssignedAt: 10 }), view('b', { active: 1, busy: 1, capacity: 1 }), view('c', { active: 1, busy: 1, capacity: 4, lastAssignedAt: 50 }), view('d', { active: 1, busy: 1, capacity: 4, lastAssignedAt: 20 })] }], requiredSkills: [], excluded: new Set(), now: 0 });
    expect(sel.ranked.map((a) => a.id)).toEqual(['d', 'c', 'a']);
  });

  it('tries tiers in order: preferred agents (in their order), then the group, then the fallback', () => {
    const tiers = [
      { name: 'preferred', agents: [view('p1', { status: PresenceStatus.BUSY }), view('p2', { active: 3, busy: 3 }), view('p3')] },
      { name: 'group', agents: [view('g1')] },
    ];
    const sel = selectAgents({ tiers, requiredSkills: [], excluded: new Set(), now: 0 });
    expect(sel).toMatchObject({ tier: 'preferred' });
    expect(sel.ranked.map((a) => a.id)).toEqual(['p2', 'p3']); // the rule's order, not idleness
    const none = selectAgents({ tiers: [{ name: 'preferred', agents: [view('p1', { status: PresenceStatus.OFFLINE })] }, { name: 'group', agents: [] }, { name: 'fallback', agents: [view('f1')] }], requiredSkills: [], excluded: new Set(), now: 0 });
    expect(none).toMatchObject({ tier: 'fallback' });
    expect(selectAgents({ tiers: [{ name: 'group', agents: [view('x', { status: PresenceStatus.OFFLINE })] }], requiredSkills: [], excluded: new Set(), now: 0 }).ranked).toEqual([]);
  });
});

describe('queue order and cross-channel balancing', () => {
  const item = (id: string, channelType: string, priority: number, enqueuedAt: number) => ({ id, channelType, priority, enqueuedAt });

  it('orders by priority, then waiting time', () => {
    const xs = [item('late', 'app', 0, 30), item('vip', 'app', 10, 50), item('early', 'app', 0, 10)];
    expect([...xs].sort(compareQueued).map((x) => x.id)).toEqual(['vip', 'early', 'late']);
  });

  it('targets follow queue pressure within the bounds', () => {
    const b = parseRules({ balancing: { adaptivity: 0.5, channels: { taobao: { target: 0.6, min: 0.3, max: 0.8 }, douyin: { target: 0.4, min: 0.2, max: 0.6 } } } }).balancing;
    const calm = channelShares(b, [{ channelType: 'taobao', waiting: 0, longestWaitMs: 0, active: 3 }, { channelType: 'douyin', waiting: 0, longestWaitMs: 0, active: 1 }]);
    expect(calm.map((s) => [s.channelType, s.target, s.current])).toEqual([['taobao', 0.6, 0.75], ['douyin', 0.4, 0.25]]);
    // Douyin's queue grows long: its target rises (up to its max), Taobao's falls (down to its min).
    const rush = channelShares(b, [{ channelType: 'taobao', waiting: 1, longestWaitMs: 0, active: 3 }, { channelType: 'douyin', waiting: 20, longestWaitMs: 120_000, active: 1 }]);
    expect(rush[1].target).toBeCloseTo(0.6);
    expect(rush[0].target).toBeCloseTo(0.5 * 0.6 + 0.5 * (1 / 61)); // pressure 1 against 20 · (1 + 120 s / 60 s) = 60
    expect(rush[1].deficit).toBeGreaterThan(rush[0].deficit);
    // Unconfigured channels share what the configured ones leave.
    expect(channelShares(parseRules({}).balancing, [{ channelType: 'a', waiting: 0, longestWaitMs: 0, active: 0 }, { channelType: 'b', waiting: 0, longestWaitMs: 0, active: 0 }]).map((s) => s.target)).toEqual([0.5, 0.5]);
  });

  it('hands out a burst across channels by deficit instead of draining one channel first', () => {
    const b = parseRules({ balancing: { adaptivity: 0 } }).balancing; // equal targets
    const items = [
      ...Array.from({ length: 4 }, (_, i) => item(`t${i}`, 'taobao', 0, i)),
      ...Array.from({ length: 4 }, (_, i) => item(`d${i}`, 'douyin', 0, 10 + i)),
    ];
    const order = balancedOrder(items, b, new Map([['taobao', 2]]), 100).map((x) => x.id);
    expect(order.slice(0, 4)).toEqual(['d0', 'd1', 't0', 'd2']); // douyin first: taobao already holds 2
    const withVip = balancedOrder([...items, item('vip', 'taobao', 9, 99)], b, new Map(), 100);
    expect(withVip[0].id).toBe('vip'); // priority before balancing
  });
});

describe('business hours', () => {
  const hours = parseRules({
    groups: { [G.orders]: { businessHours: { timezone: 'Asia/Shanghai', weekly: [{ days: [1, 2, 3, 4, 5], open: '09:00', close: '21:00' }, { days: [6], open: '10:00', close: '12:00' }], closedMessage: '休息中' } } },
  }).groups[G.orders].businessHours!;
  it('is open by local time in the group time zone', () => {
    expect(isOpen(hours, Date.UTC(2026, 0, 5, 1, 0))).toBe(true); // Monday 09:00 in Shanghai
    expect(isOpen(hours, Date.UTC(2026, 0, 5, 0, 59))).toBe(false); // 08:59
    expect(isOpen(hours, Date.UTC(2026, 0, 5, 13, 0))).toBe(false); // 21:00 closes
    expect(isOpen(hours, Date.UTC(2026, 0, 10, 3, 0))).toBe(true); // Saturday 11:00
    expect(isOpen(hours, Date.UTC(2026, 0, 11, 3, 0))).toBe(false); // Sunday
  });
});

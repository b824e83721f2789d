import type { ChannelClass } from './routing.entity.js';
import type { BusinessHours, RoutingRules } from './routing.rules.js';
import { PresenceStatus } from '../presence/presence.store.js';

/**
 * The routing decision as pure functions over a snapshot (no I/O): L1 and L2 pick where a conversation waits and
 * whom it prefers, L3 ranks the agents, balancing orders the queue across channels. The service feeds them rows
 * from the database and Redis; the benchmark feeds them synthetic agents.
 */

/** Routing input besides the conversation itself: what the channel, the bot and the identity lookup know. */
export interface RoutingHints {
  customer?: {
    tags?: string[] | null;
    vipLevel?: string | null;
    riskLevel?: string | null;
    attributes?: Record<string, string | number | boolean> | null;
  } | null;
  businessType?: string | null;
  intent?: string | null;
  menuKey?: string | null;
  orderEvent?: string | null;
  /** Added to the rules' priority. */
  priority?: number | null;
  requiredSkills?: string[] | null;
}

export interface DecisionInput {
  channelType: string;
  /** Subject and the customer's first message, for keyword rules. */
  text: string;
  /** A group given when the conversation was opened or escalated: it wins over L1. */
  explicitGroupId: string | null;
  hints: RoutingHints;
  /** The agent the customer talked to most recently, when an L2 rule asks. */
  lastAgent?: { agentId: string; at: number } | null;
  now: number;
}

export type BusinessTypeSource = 'input' | 'intent' | 'menuKey' | 'orderEvent' | 'keyword';

export interface LevelTrace {
  level: 'L1' | 'L2' | 'L3';
  ruleId: string | null;
  matched: boolean;
  detail: string;
  groupIds: Array<string | null>;
  candidates?: CandidateTrace[];
}

export interface GroupDecision {
  businessType: string | null;
  businessTypeSource: BusinessTypeSource | null;
  /** Where it waits when nobody can take it now. null: the tenant-wide pool. */
  groupId: string | null;
  /** The L1 group, tried after the preferred agents and a dedicated group (L2 fallback 'l1'). */
  fallbackGroupId: string | null;
  preferredAgentIds: string[];
  requiredSkills: string[];
  priority: number;
  levels: [LevelTrace, LevelTrace];
}

function detectBusinessType(rules: RoutingRules, input: DecisionInput): { type: string | null; source: BusinessTypeSource | null; detail: string } {
  const h = input.hints;
  if (h.businessType) return { type: h.businessType, source: 'input', detail: `business type ${h.businessType} given` };
  const by = (source: BusinessTypeSource, value: string | null | undefined, pick: (b: RoutingRules['businessTypes'][number]) => string[] | undefined) => {
    if (!value) return null;
    const b = rules.businessTypes.find((t) => pick(t)?.includes(value));
    return b ? { type: b.type, source, detail: `${source} ${value} → ${b.type}` } : null;
  };
  const found =
    by('intent', h.intent, (b) => b.intents) ??
    by('menuKey', h.menuKey, (b) => b.menuKeys) ??
    by('orderEvent', h.orderEvent, (b) => b.orderEvents);
  if (found) return found;
  if (input.text) {
    for (const b of rules.businessTypes) {
      const k = b.keywords?.find((w) => input.text.includes(w));
      if (k) return { type: b.type, source: 'keyword', detail: `keyword 「${k}」 → ${b.type}` };
    }
  }
  return { type: null, source: null, detail: 'no business type recognised' };
}

function l2Matches(rule: RoutingRules['l2'][number], input: DecisionInput): string | null {
  const c = input.hints.customer ?? {};
  const w = rule.when;
  const why: string[] = [];
  if (w.tagsAny) {
    const tag = w.tagsAny.find((t) => c.tags?.includes(t));
    if (!tag) return null;
    why.push(`tag ${tag}`);
  }
  if (w.vipLevels) {
    if (!c.vipLevel || !w.vipLevels.includes(c.vipLevel)) return null;
    why.push(`VIP level ${c.vipLevel}`);
  }
  if (w.riskLevels) {
    if (!c.riskLevel || !w.riskLevels.includes(c.riskLevel)) return null;
    why.push(`risk ${c.riskLevel}`);
  }
  if (w.attributes) {
    for (const [k, v] of Object.entries(w.attributes)) if (c.attributes?.[k] !== v) return null;
    why.push(`attributes ${Object.keys(w.attributes).join(', ')}`);
  }
  if (w.lastAgentWithinDays) {
    const last = input.lastAgent;
    if (!last || input.now - last.at > w.lastAgentWithinDays * 86_400_000) return null;
    why.push(`talked to an agent ${Math.floor((input.now - last.at) / 86_400_000)} day(s) ago`);
  }
  return why.join(', ') || 'always';
}

/** L1 and L2: which group the conversation belongs to, whom it prefers, and its queue priority. */
export function decideGroup(rules: RoutingRules, input: DecisionInput): GroupDecision {
  const bt = detectBusinessType(rules, input);
  let l1: LevelTrace;
  let l1Group: string | null;
  let requiredSkills = [...(input.hints.requiredSkills ?? [])];
  if (input.explicitGroupId) {
    l1Group = input.explicitGroupId;
    l1 = { level: 'L1', ruleId: null, matched: true, detail: `group given with the conversation; ${bt.detail}`, groupIds: [l1Group] };
  } else {
    const rule = rules.l1.find(
      (r) => (!r.channelTypes || r.channelTypes.includes(input.channelType)) && (!r.businessTypes || (bt.type !== null && r.businessTypes.includes(bt.type))),
    );
    if (rule) {
      l1Group = rule.groupId;
      requiredSkills = [...new Set([...requiredSkills, ...(rule.requiredSkills ?? [])])];
      l1 = { level: 'L1', ruleId: rule.id, matched: true, detail: `channel ${input.channelType}, ${bt.detail}: rule ${rule.id}`, groupIds: [l1Group] };
    } else {
      l1Group = rules.defaultGroupId;
      l1 = { level: 'L1', ruleId: null, matched: false, detail: `channel ${input.channelType}, ${bt.detail}: no rule matched, ${l1Group ? 'default group' : 'tenant-wide pool'}`, groupIds: [l1Group] };
    }
  }

  const c = input.hints.customer ?? {};
  let priority = (c.vipLevel ? rules.priority.vipLevels[c.vipLevel] ?? 0 : 0) + (c.riskLevel ? rules.priority.riskLevels[c.riskLevel] ?? 0 : 0) + (input.hints.priority ?? 0);
  let groupId = l1Group;
  let fallbackGroupId: string | null = null;
  let preferred: string[] = [];
  let l2: LevelTrace = { level: 'L2', ruleId: null, matched: false, detail: 'no customer rule matched', groupIds: [] };
  for (const rule of rules.l2) {
    const why = l2Matches(rule, input);
    if (why === null) continue;
    preferred = [...(rule.preferLastAgent && input.lastAgent ? [input.lastAgent.agentId] : []), ...(rule.preferredAgentIds ?? [])];
    preferred = [...new Set(preferred)];
    priority += rule.priority ?? 0;
    if (rule.groupId) {
      groupId = rule.groupId;
      fallbackGroupId = rule.fallback === 'l1' && l1Group !== rule.groupId ? l1Group : null;
    }
    const parts = [`${why}: rule ${rule.id}`];
    if (preferred.length) parts.push(`prefers ${preferred.length} agent(s)`);
    if (rule.groupId) parts.push(`dedicated group, fallback ${rule.fallback}`);
    if (rule.priority) parts.push(`priority ${rule.priority > 0 ? '+' : ''}${rule.priority}`);
    l2 = { level: 'L2', ruleId: rule.id, matched: true, detail: parts.join('; '), groupIds: rule.groupId ? [rule.groupId] : [] };
    break;
  }
  return { businessType: bt.type, businessTypeSource: bt.source, groupId, fallbackGroupId, preferredAgentIds: preferred, requiredSkills, priority, levels: [l1, l2] };
}

/** One agent as L3 sees them, for the conversation's channel class. */
export interface AgentView {
  id: string;
  status: PresenceStatus;
  skills: readonly string[];
  active: number;
  capacity: number;
  /** Conversations held across every channel class: 0 means idle. */
  busy: number;
  /** Since when the agent has had nothing to do (ms). */
  idleSince: number;
  lastAssignedAt: number;
}

export interface CandidateTrace {
  agentId: string;
  status: PresenceStatus;
  eligible: boolean;
  /** Why not eligible, or how it ranked. */
  reason: string;
  active: number;
  capacity: number;
  idleSeconds: number | null;
  rank: number | null;
  tier: string;
}

export interface SelectionRequest {
  /** Candidate tiers in order: preferred agents, the group, the fallback group. The first tier with an eligible agent wins. */
  tiers: Array<{ name: string; agents: readonly AgentView[] }>;
  requiredSkills: readonly string[];
  excluded: ReadonlySet<string>;
  now: number;
  /** Build the candidate list (the service always does; the benchmark measures both). */
  trace?: boolean;
  /** Capped list length in the trace. */
  maxTraced?: number;
  /** How many of the best agents to rank (default 8): the claim tries them in order. */
  keep?: number;
}

export interface Selection {
  /** The best few, best first; the service tries them in order until an atomic claim succeeds. */
  ranked: AgentView[];
  tier: string | null;
  reasons: Map<string, string>;
  candidates: CandidateTrace[];
}

function ineligible(a: AgentView, req: SelectionRequest): string | null {
  if (req.excluded.has(a.id)) return 'declined or timed out on this conversation before';
  if (a.status !== PresenceStatus.ONLINE) return `not online (${a.status})`;
  if (a.active >= a.capacity) return `at capacity ${a.active}/${a.capacity}`;
  for (const s of req.requiredSkills) if (!a.skills.includes(s)) return `missing skill ${s}`;
  return null;
}

/** Idle agents first, longest idle first; then the least loaded, longest since their last assignment. */
export function compareAgents(a: AgentView, b: AgentView): number {
  const aIdle = a.busy === 0;
  const bIdle = b.busy === 0;
  if (aIdle !== bIdle) return aIdle ? -1 : 1;
  if (aIdle) return a.idleSince - b.idleSince || a.id.localeCompare(b.id);
  return a.active / a.capacity - b.active / b.capacity || a.lastAssignedAt - b.lastAssignedAt || a.id.localeCompare(b.id);
}

const secs = (ms: number) => Math.max(0, Math.round(ms / 1000));

/** L3: the eligible agents of the first tier that has any, ranked, with the reasons the trace shows. */
export function selectAgents(req: SelectionRequest): Selection {
  const reasons = new Map<string, string>();
  const candidates: CandidateTrace[] = [];
  const maxTraced = req.maxTraced ?? 30;
  const keep = req.keep ?? 8;
  const seen = new Set<string>();
  let ranked: AgentView[] = [];
  let tier: string | null = null;
  let skipped: CandidateTrace[] = [];
  for (const t of req.tiers) {
    const eligible: AgentView[] = [];
    for (const a of t.agents) {
      if (seen.has(a.id)) continue;
      seen.add(a.id);
      const why = ineligible(a, req);
      if (why === null) eligible.push(a);
      else if (req.trace && skipped.length < maxTraced) skipped.push({ agentId: a.id, status: a.status, eligible: false, reason: why, active: a.active, capacity: a.capacity, idleSeconds: null, rank: null, tier: t.name });
    }
    if (!eligible.length) continue;
    tier = t.name;
    // Preferred agents keep the order the rule gave them; everyone else is ranked. Only the best `keep` are
    // needed (the claim tries a few), so a large pool costs a linear pass, not a sort.
    ranked = t.name === 'preferred' ? eligible.slice(0, keep) : topK(eligible, keep);
    const idle = eligible.reduce((n, a) => n + (a.busy === 0 ? 1 : 0), 0);
    ranked.forEach((a, i) => {
      const reason =
        t.name === 'preferred'
          ? `preferred agent #${i + 1} (L2)`
          : a.busy === 0
            ? `idle ${secs(req.now - a.idleSince)} s, ${i === 0 ? 'longest' : `#${i + 1}`} of ${idle} idle`
            : `load ${a.active}/${a.capacity}${idle ? '' : i === 0 ? ', least loaded (nobody idle)' : ''}`;
      reasons.set(a.id, reason);
      if (req.trace) {
        candidates.push({ agentId: a.id, status: a.status, eligible: true, reason, active: a.active, capacity: a.capacity, idleSeconds: a.busy === 0 ? secs(req.now - a.idleSince) : null, rank: i + 1, tier: t.name });
      }
    });
    break;
  }
  if (req.trace) {
    skipped = skipped.slice(0, Math.max(0, maxTraced - candidates.length));
    candidates.push(...skipped);
  }
  return { ranked, tier, reasons, candidates };
}

/** The k best agents by compareAgents, best first, in one pass (k is small). */
function topK(xs: AgentView[], k: number): AgentView[] {
  if (xs.length <= k) return xs.sort(compareAgents);
  const best: AgentView[] = [];
  for (const a of xs) {
    if (best.length === k && compareAgents(a, best[k - 1]) >= 0) continue;
    let i = best.length;
    while (i > 0 && compareAgents(a, best[i - 1]) < 0) i--;
    best.splice(i, 0, a);
    if (best.length > k) best.pop();
  }
  return best;
}

/** Queue order: priority (VIP, complaint risk) first, then waiting time. */
export interface QueuedItem {
  id: string;
  channelType: string;
  priority: number;
  enqueuedAt: number;
}

export function compareQueued(a: QueuedItem, b: QueuedItem): number {
  return b.priority - a.priority || a.enqueuedAt - b.enqueuedAt || a.id.localeCompare(b.id);
}

export interface ChannelPressure {
  channelType: string;
  waiting: number;
  longestWaitMs: number;
  /** Conversations of this channel that agents hold now (offered or assigned). */
  active: number;
}

export interface ChannelShare extends ChannelPressure {
  base: number;
  min: number;
  max: number;
  /** The adapted target share of capacity. */
  target: number;
  /** The share of held capacity the channel has now. */
  current: number;
  deficit: number;
}

/**
 * Cross-channel balancing. Each channel has a base share (the supervisor's target, or an equal split) and
 * bounds. Its queue pressure (waiting × (1 + longest wait / waitWeight)) pulls the target towards its share
 * of the total pressure by `adaptivity`, clamped to [min, max]. The channel furthest below its target goes next.
 */
export function channelShares(b: RoutingRules['balancing'], pressures: readonly ChannelPressure[]): ChannelShare[] {
  if (!pressures.length) return [];
  const configured = pressures.filter((p) => b.channels[p.channelType]);
  const configuredTotal = configured.reduce((s, p) => s + b.channels[p.channelType].target, 0);
  const rest = pressures.length - configured.length;
  const restBase = rest ? Math.max(0, 1 - configuredTotal) / rest : 0;
  const pressure = pressures.map((p) => (p.waiting ? p.waiting * (1 + p.longestWaitMs / 1000 / b.waitWeightSeconds) : 0));
  const totalPressure = pressure.reduce((s, x) => s + x, 0);
  const totalActive = pressures.reduce((s, p) => s + p.active, 0);
  return pressures.map((p, i) => {
    const c = b.channels[p.channelType];
    const base = c ? c.target : restBase;
    const [min, max] = c ? [c.min, c.max] : [0, 1];
    const demand = totalPressure ? pressure[i] / totalPressure : base;
    const target = Math.min(max, Math.max(min, (1 - b.adaptivity) * base + b.adaptivity * demand));
    const current = totalActive ? p.active / totalActive : 0;
    return { ...p, base, min, max, target, current, deficit: target - current };
  });
}

/**
 * The order in which a group's waiting conversations get agents: highest priority first; within the same
 * priority, the head of the channel furthest below its target share, then the longest wait. `active` is updated
 * as items are taken so a burst spreads across channels instead of draining one.
 */
export function balancedOrder<T extends QueuedItem>(items: readonly T[], b: RoutingRules['balancing'], active: ReadonlyMap<string, number>, now: number): T[] {
  const heads = new Map<string, T[]>();
  for (const it of [...items].sort(compareQueued)) {
    const q = heads.get(it.channelType);
    if (q) q.push(it);
    else heads.set(it.channelType, [it]);
  }
  if (heads.size <= 1) return [...items].sort(compareQueued);
  const held = new Map(active);
  const out: T[] = [];
  while (out.length < items.length) {
    const channels = [...heads.entries()].filter(([, q]) => q.length);
    const top = Math.max(...channels.map(([, q]) => q[0].priority));
    const contenders = channels.filter(([, q]) => q[0].priority === top);
    let next = contenders[0];
    if (contenders.length > 1) {
      const shares = channelShares(
        b,
        contenders.map(([type, q]) => ({ channelType: type, waiting: q.length, longestWaitMs: now - q[0].enqueuedAt, active: held.get(type) ?? 0 })),
      );
      let best = -Infinity;
      contenders.forEach((c, i) => {
        const score = shares[i].deficit;
        if (score > best + 1e-9 || (Math.abs(score - best) <= 1e-9 && c[1][0].enqueuedAt < next[1][0].enqueuedAt)) {
          best = score;
          next = c;
        }
      });
    }
    const it = next[1].shift()!;
    held.set(it.channelType, (held.get(it.channelType) ?? 0) + 1);
    out.push(it);
  }
  return out;
}

const formatters = new Map<string, Intl.DateTimeFormat>();
const DAYS: Record<string, number> = { Mon: 1, Tue: 2, Wed: 3, Thu: 4, Fri: 5, Sat: 6, Sun: 7 };

/** Open at `now` by the group's weekly hours, in its time zone. */
export function isOpen(hours: BusinessHours, now: number): boolean {
  let f = formatters.get(hours.timezone);
  if (!f) {
    f = new Intl.DateTimeFormat('en-US', { timeZone: hours.timezone, weekday: 'short', hour: '2-digit', minute: '2-digit', hourCycle: 'h23' });
    formatters.set(hours.timezone, f);
  }
  const parts = Object.fromEntries(f.formatToParts(new Date(now)).map((p) => [p.type, p.value]));
  const day = DAYS[parts.weekday];
  const hm = `${parts.hour}:${parts.minute}`;
  return hours.weekly.some((w) => w.days.includes(day) && w.open <= hm && hm < w.close);
}

export function classOf(channelClasses: Record<string, ChannelClass>, channelType: string): ChannelClass {
  return channelClasses[channelType] ?? (channelType === 'phone' ? 'call' : 'chat');
}

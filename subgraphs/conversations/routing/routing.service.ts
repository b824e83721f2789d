import { In, type EntityManager } from 'typeorm';
import { isUniqueViolation } from '../../_shared/db-errors.js';
import { DomainError, badInput, conflict, forbidden, notFound } from '../../_shared/errors.js';
import type { DomainEvent, EventBus } from '../../_shared/events.js';
import { newId } from '../../_shared/ids.js';
import type { Logger } from '../../_shared/logger.js';
import type { PubSub } from '../../_shared/pubsub.js';
import type { AgentService } from '../agent/agent.service.js';
import { ConversationEntity, ConversationStatus as S } from '../conversation/conversation.entity.js';
import type { ConversationService } from '../conversation/conversation.service.js';
import { ActorType, SYSTEM_ACTOR, type Actor } from '../event/event.entity.js';
import { MessageEntity, MessageSenderType } from '../message/message.entity.js';
import { PresenceStatus, type PresenceChange } from '../presence/presence.store.js';
import type { PresenceService } from '../presence/presence.service.js';
import type { QueueService } from '../queue/queue.service.js';
import { runCoalesced, type Activation, type Coordinator, type Scheduler } from './routing.coordination.js';
import {
  EntryState, HOLDING_STATES, OfferKind, OfferStatus, RoutingEntryEntity, RoutingOfferEntity, ownerOf, type ChannelClass,
} from './routing.entity.js';
import type { RoutingRules } from './routing.rules.js';
import type { RoutingRulesService } from './routing.rules.service.js';
import {
  balancedOrder, channelShares, classOf, decideGroup, isOpen, selectAgents, type AgentView, type ChannelShare, type LevelTrace, type RoutingHints,
} from './routing.select.js';
import { AgentFull, StaleEntry, type EntryPatch, type RoutingStore, type RosterAgent } from './routing.store.js';

/** What myAssignments tells an agent. */
export enum AssignmentEventType {
  OFFERED = 'OFFERED',
  ASSIGNED = 'ASSIGNED',
  DECLINED = 'DECLINED',
  EXPIRED = 'EXPIRED',
  REVOKED = 'REVOKED',
  ENDED = 'ENDED',
}

/** Pub/sub payload of myAssignments: ids only, on a topic per agent. */
export interface AssignmentEvent {
  id: string; // the offer
  tenantId: string;
  agentId: string;
  conversationId: string;
  type: AssignmentEventType;
  at: number;
}

export const assignmentTopic = (tenantId: string, agentId: string) => `routing.assignments.${tenantId}.${agentId}`;

export interface RoutingTraceDoc {
  decidedAt: string;
  outcome: 'OFFERED' | 'ASSIGNED' | 'QUEUED' | 'OUT_OF_HOURS';
  businessType: string | null;
  businessTypeSource: string | null;
  priority: number;
  channelClass: ChannelClass;
  groupId: string | null;
  levels: LevelTrace[];
  chosenAgentId: string | null;
  reason: string;
}

export interface RouteResult {
  entry: RoutingEntryEntity;
  outcome: RoutingTraceDoc['outcome'] | 'BOT' | 'HELD' | 'DONE';
}

/** An offer id with its timeout timer, scheduled before the claim that may use it. */
interface PreparedOffer {
  offerId: string;
  expiresAt: number;
  timer: string;
  scheduled: Promise<void>;
}

interface Roster {
  at: number;
  all: RosterAgent[];
  byId: Map<string, RosterAgent>;
  byGroup: Map<string, RosterAgent[]>;
}

export interface RoutingServiceDeps {
  store: RoutingStore;
  rules: RoutingRulesService;
  presence: PresenceService;
  queue: QueueService;
  conversations: ConversationService;
  agents: AgentService;
  coordinator: Coordinator;
  scheduler: Scheduler;
  activation: Activation;
  events: EventBus;
  pubsub: PubSub;
  log: Logger;
  clock?: () => number;
}

/** A replica trusts its copy of the roster (agents, groups, skills) this long. */
const ROSTER_TTL_MS = 2000;
/** A hold that disagrees with its conversation is left alone this long: the step that made it is still running. */
const IN_FLIGHT_MS = 15_000;
const BOT_ACTOR: Actor = { type: ActorType.BOT, id: null };
/** A waiting queue is looked at again this often (safety-net dispatch, position messages, opening hours). */
const QUEUE_RECHECK_MS = 5000;
/** Candidates kept in a stored trace: the ranked ones first, then why others were left out. */
const TRACED = 15;
/** A due timer being handled comes back after this long if the replica handling it dies. */
const LEASE_MS = 30_000;

/**
 * Three-level routing on top of the conversation lifecycle. L1/L2 (routing.select) decide where a conversation
 * waits and whom it prefers; L3 ranks the agents who are ONLINE with room; an atomic claim (routing.store) offers
 * or assigns it. Accepting, declining, expiring, transferring, replacing and resolving move the agent's load in
 * the same transaction as the entry. Conversation writes themselves go through ConversationService (its
 * lifecycle events, handoff summaries and live updates); routing follows the conversation's domain events and
 * reconciles its entry with the conversation (`sync`), so it also copes with assignments made outside it.
 */
export class RoutingService {
  private readonly store: RoutingStore;
  private readonly clock: () => number;
  private readonly rosters = new Map<string, Roster>();
  private readonly activeTenants = new Set<string>();
  private readonly dormantUntil = new Map<string, number>();

  constructor(private readonly d: RoutingServiceDeps) {
    this.store = d.store;
    this.clock = d.clock ?? Date.now;
    d.presence.onChange((c) => this.onPresence(c));
  }

  // ---------------------------------------------------------------------------------------------- reads

  entriesOf(tenantId: string, conversationIds: readonly string[]): Promise<RoutingEntryEntity[]> {
    return this.store.entriesOf(tenantId, conversationIds);
  }

  offersByIds(tenantId: string, ids: readonly string[]): Promise<RoutingOfferEntity[]> {
    return this.store.offersByIds(tenantId, ids);
  }

  openOffersOf(tenantId: string, agentId: string): Promise<RoutingOfferEntity[]> {
    return this.store.openOffersOf(tenantId, agentId);
  }

  /** The agents' load rows, created (chat: maxChats, call: 1) for agents that have none yet. */
  async loadsOf(tenantId: string, agentIds: readonly string[]) {
    const rows = await this.store.loadsOf(tenantId, agentIds);
    const missing = agentIds.filter((a) => rows.filter((r) => r.agentId === a).length < 2);
    if (missing.length) {
      const agents = await this.d.agents.byIds(tenantId, missing);
      const created = await this.store.ensureLoads(tenantId, agents, rows);
      return [...rows.filter((r) => !created.some((c) => c.id === r.id)), ...created];
    }
    return rows;
  }

  async profilesOf(tenantId: string, agentIds: readonly string[]): Promise<Map<string, string[]>> {
    if (!agentIds.length) return new Map();
    const rows = await this.store.profiles.findBy({ tenantId, agentId: In([...agentIds]) });
    return new Map(rows.map((r) => [r.agentId, r.skills]));
  }

  /** Queue positions (1 = next) of waiting entries: one query per queue involved, not per entry. */
  async positions(tenantId: string, entries: readonly RoutingEntryEntity[]): Promise<Array<number | null>> {
    const queues = new Map<string, Promise<Map<string, number>>>();
    const queueOf = (g: string | null) => {
      const k = g ?? '';
      let p = queues.get(k);
      if (!p) queues.set(k, (p = this.store.waiting(tenantId, g, 1000).then((rows) => new Map(rows.map((r, i) => [r.id, i + 1])))));
      return p;
    };
    return Promise.all(
      entries.map(async (e) => {
        if (e.state !== EntryState.WAITING) return null;
        const at = (await queueOf(e.groupId)).get(e.id);
        return at ?? (await this.store.countAhead(tenantId, e.groupId, e.priority, e.enqueuedAt, e.id)) + 1;
      }),
    );
  }

  /** Bot first: does a conversation on this channel start with the bot (BOT) under the tenant's rules? */
  async startsWithBot(tenantId: string, channelType: string, hints?: RoutingHints | null): Promise<boolean> {
    const rules = await this.d.rules.get(tenantId);
    if (!rules.bot.channelTypes.includes(channelType)) return false;
    const vip = hints?.customer?.vipLevel;
    return !(vip && rules.bot.escalation.vipLevels.includes(vip)); // VIPs go straight to a human
  }

  /** Saves the rules (see RoutingRulesService.update) and switches routing on for the tenant. */
  async updateRules(tenantId: string, raw: Record<string, unknown>, expectedVersion: number | null | undefined, by: string) {
    const view = await this.d.rules.update(tenantId, raw, expectedVersion, by);
    await this.activate(tenantId);
    return view;
  }

  /** dispatchQueue: switches routing on if needed and dispatches the queue now. */
  async dispatchNow(tenantId: string, groupId: string | null): Promise<number> {
    await this.activate(tenantId);
    return this.dispatchOnce(tenantId, groupId);
  }

  /** Skills and per-class capacity of an agent; more room pulls waiting conversations at once. */
  async updateAgent(
    tenantId: string,
    input: { agentId: string; skills?: string[] | null; chatCapacity?: number | null; callCapacity?: number | null },
  ): Promise<{ skills: string[]; loads: Array<{ channelClass: string; active: number; capacity: number }> }> {
    await this.d.agents.get(tenantId, input.agentId);
    await this.activate(tenantId);
    const now = new Date(this.clock());
    if (input.skills) {
      const skills = [...new Set(input.skills.map((s) => s.trim()).filter(Boolean))];
      const r = await this.store.profiles.update({ tenantId, agentId: input.agentId }, { skills, updatedAt: now });
      if (!r.affected) {
        try {
          await this.store.profiles.insert({ id: newId(), tenantId, agentId: input.agentId, skills, updatedAt: now });
        } catch (err) {
          if (!isUniqueViolation(err)) throw err;
          await this.store.profiles.update({ tenantId, agentId: input.agentId }, { skills, updatedAt: now });
        }
      }
    }
    this.invalidateRoster(tenantId);
    await this.loadsOf(tenantId, [input.agentId]);
    for (const [cls, capacity] of [['chat', input.chatCapacity], ['call', input.callCapacity]] as const) {
      if (capacity !== null && capacity !== undefined) await this.store.loads.update({ tenantId, agentId: input.agentId, channelClass: cls }, { capacity });
    }
    this.store.loadCache.forget(tenantId, [input.agentId]);
    if (input.chatCapacity || input.callCapacity) await this.pullFor(tenantId, input.agentId);
    const loads = await this.store.loadsOf(tenantId, [input.agentId]);
    return {
      skills: (await this.profilesOf(tenantId, [input.agentId])).get(input.agentId) ?? [],
      loads: loads.sort((a, b) => a.channelClass.localeCompare(b.channelClass)).map((l) => ({ channelClass: l.channelClass, active: l.active, capacity: l.capacity })),
    };
  }

  // ---------------------------------------------------------------------------------------------- activation

  /**
   * Routing is switched on per tenant by its first use (rules saved, an agent's presence, a routing call). Until
   * then it ignores the tenant's conversations entirely, so tenants that do not route cost nothing. Switching on
   * picks up the conversations that are already open (this replica does it once; it is idempotent).
   */
  async activate(tenantId: string): Promise<void> {
    if (this.activeTenants.has(tenantId)) return;
    await this.d.activation.add(tenantId);
    this.activeTenants.add(tenantId);
    this.dormantUntil.delete(tenantId);
    await this.backfill(tenantId);
  }

  async isActive(tenantId: string): Promise<boolean> {
    if (this.activeTenants.has(tenantId)) return true;
    if ((this.dormantUntil.get(tenantId) ?? 0) > this.clock()) return false;
    if (await this.d.activation.has(tenantId)) {
      this.activeTenants.add(tenantId);
      return true;
    }
    this.dormantUntil.set(tenantId, this.clock() + 1000);
    return false;
  }

  /** Entries for the tenant's open conversations that routing has not seen yet. */
  private async backfill(tenantId: string): Promise<void> {
    for (;;) {
      const rows = await this.store.ds
        .getRepository(ConversationEntity)
        .createQueryBuilder('c')
        .select('c.id', 'id')
        .leftJoin(RoutingEntryEntity, 'e', 'e.conversation_id = c.id')
        .where('c.tenant_id = :tenantId AND e.id IS NULL', { tenantId })
        .andWhere({ status: In([S.BOT, S.QUEUED, S.ASSIGNED, S.PENDING]) })
        .orderBy('c.created_at', 'ASC')
        .limit(500)
        .getRawMany<{ id: string }>();
      for (const r of rows) {
        try {
          await this.sync(tenantId, r.id);
        } catch (err) {
          // One conversation must not keep routing off for the others; its next event syncs it again.
          this.d.log.error({ err, tenantId, conversationId: r.id }, 'routing backfill failed for a conversation');
        }
      }
      if (rows.length < 500) return;
    }
  }

  // ---------------------------------------------------------------------------------------------- roster & views

  async roster(tenantId: string): Promise<Roster> {
    const hit = this.rosters.get(tenantId);
    if (hit && this.clock() - hit.at < ROSTER_TTL_MS) return hit;
    const all = await this.store.roster(tenantId);
    const byGroup = new Map<string, RosterAgent[]>();
    for (const a of all) {
      for (const g of a.groupIds) {
        const list = byGroup.get(g);
        if (list) list.push(a);
        else byGroup.set(g, [a]);
      }
    }
    const r: Roster = { at: this.clock(), all, byId: new Map(all.map((a) => [a.id, a])), byGroup };
    this.rosters.set(tenantId, r);
    return r;
  }

  invalidateRoster(tenantId: string): void {
    this.rosters.delete(tenantId);
  }

  private members(r: Roster, groupId: string | null): RosterAgent[] {
    return groupId ? (r.byGroup.get(groupId) ?? []) : r.all;
  }

  /**
   * Live views of agents for both channel classes: presence from Redis first, then loads for the agents who are
   * ONLINE (nobody else can take work, so nobody else costs a query). With `cached` (the arrival path) the loads
   * come from the replica's LoadCache for agents it shows with room in those classes, from the database for the
   * rest; without it (dispatching a queue, which runs because something changed) every row is read.
   */
  private async views(tenantId: string, agents: readonly RosterAgent[], cached?: readonly ChannelClass[]): Promise<Record<ChannelClass, Map<string, AgentView>>> {
    const presence = await this.d.presence.get(tenantId, agents.map((a) => a.id));
    const online = agents.filter((a) => presence.get(a.id)?.status === PresenceStatus.ONLINE);
    const hit = cached ? this.store.loadCache.split(tenantId, online.map((a) => a.id), cached) : { rows: [], missing: online.map((a) => a.id) };
    const read = hit.missing.length ? await this.store.loadsBatched(tenantId, hit.missing) : [];
    const rowsOf = new Map<string, number>();
    for (const l of read) rowsOf.set(l.agentId, (rowsOf.get(l.agentId) ?? 0) + 1);
    const toRead = new Set(hit.missing);
    const missing = online.filter((a) => toRead.has(a.id) && (rowsOf.get(a.id) ?? 0) < 2);
    const fresh = missing.length ? [...new Map([...read, ...(await this.store.ensureLoads(tenantId, missing, read))].map((l) => [l.id, l])).values()] : read;
    this.store.loadCache.put(tenantId, fresh);
    const loads = hit.rows.length ? [...hit.rows, ...fresh] : fresh;
    const by = new Map<string, typeof loads>();
    for (const l of loads) {
      const list = by.get(l.agentId);
      if (list) list.push(l);
      else by.set(l.agentId, [l]);
    }
    const out = { chat: new Map<string, AgentView>(), call: new Map<string, AgentView>() };
    for (const a of agents) {
      const rows = by.get(a.id) ?? [];
      const p = presence.get(a.id);
      const busy = rows.reduce((s, r) => s + r.active, 0);
      const released = Math.max(0, ...rows.map((r) => r.lastReleasedAt?.getTime() ?? 0));
      const assigned = Math.max(0, ...rows.map((r) => r.lastAssignedAt?.getTime() ?? 0));
      const idleSince = Math.max(p?.since ?? 0, released);
      for (const cls of ['chat', 'call'] as const) {
        const row = rows.find((r) => r.channelClass === cls);
        out[cls].set(a.id, {
          id: a.id, status: p?.status ?? PresenceStatus.OFFLINE, skills: a.skills,
          active: row?.active ?? 0, capacity: row?.capacity ?? 0, busy, idleSince, lastAssignedAt: assigned,
        });
      }
    }
    return out;
  }

  // ---------------------------------------------------------------------------------------------- entries

  private newEntry(tenantId: string, c: ConversationEntity, rules: RoutingRules, state: EntryState, now: Date, hints: RoutingHints | null = null): RoutingEntryEntity {
    return Object.assign(new RoutingEntryEntity(), {
      id: newId(), tenantId, conversationId: c.id, channelType: c.channelType, channelClass: classOf(rules.channelClasses, c.channelType),
      groupId: c.groupId, state, agentId: null, offerId: null, reassignFrom: null, priority: 0, preferredAgentIds: null, requiredSkills: null,
      excludedAgentIds: null, hints, trace: null, enqueuedAt: now, groupSince: now, overflowed: false, outOfHoursNotifiedAt: null,
      notifiedAhead: null, notifiedAt: null, assignedAt: null, version: 1, updatedAt: now,
    });
  }

  /**
   * Routing input for a conversation that is about to be opened (in-process callers that know the customer's
   * tags before opening): kept until the conversation.opened event routes it.
   */
  async prepare(tenantId: string, input: { conversationId: string; channelType: string; hints: RoutingHints }): Promise<void> {
    const rules = await this.d.rules.get(tenantId);
    const now = new Date(this.clock());
    const stub = Object.assign(new ConversationEntity(), { id: input.conversationId, channelType: input.channelType, groupId: null });
    // DONE until the conversation exists: an orphan (the open failed) is never dispatched.
    await this.store.createEntry(this.newEntry(tenantId, stub, rules, EntryState.DONE, now, input.hints));
  }

  /**
   * createConversation's hook: an id for the new conversation with its routing input stored under it (the
   * conversation.opened event routes it with that input), and whether it starts with the bot (rules.bot, unless
   * the caller said). Tenants that do not route pay nothing here.
   */
  async beforeOpen(tenantId: string, input: { channelType: string; startWithBot?: boolean | null; routing?: RoutingHints | null }): Promise<{ id: string; startWithBot: boolean }> {
    const id = newId();
    const hints = input.routing ? (JSON.parse(JSON.stringify(input.routing)) as RoutingHints) : null;
    if (hints) {
      await this.activate(tenantId);
      await this.prepare(tenantId, { conversationId: id, channelType: input.channelType, hints });
    }
    const startWithBot = input.startWithBot ?? ((await this.isActive(tenantId)) ? await this.startsWithBot(tenantId, input.channelType, hints) : false);
    return { id, startWithBot };
  }

  /** The conversation's entry, created from its current status the first time routing sees it. */
  private async ensureEntry(tenantId: string, c: ConversationEntity): Promise<RoutingEntryEntity> {
    const existing = await this.store.entry(tenantId, c.id);
    if (existing) return existing;
    const rules = await this.d.rules.get(tenantId);
    const now = new Date(this.clock());
    const state = c.status === S.BOT ? EntryState.BOT : c.status === S.QUEUED ? EntryState.WAITING : EntryState.DONE;
    return this.store.createEntry(this.newEntry(tenantId, c, rules, state, now));
  }

  // ---------------------------------------------------------------------------------------------- sync with the lifecycle

  /** Domain events this subgraph publishes: routing follows every conversation change and new customer messages. */
  async handle(e: DomainEvent): Promise<void> {
    const data = e.data as { conversationId?: string; messageId?: string };
    if (!data.conversationId || !(await this.isActive(e.tenantId))) return;
    if (e.type === 'message.received' && data.messageId) return this.onCustomerMessage(e.tenantId, data.conversationId, data.messageId);
    if (!e.type.startsWith('conversation.') || e.type === 'conversation.first_response' || e.type === 'conversation.handoff_summarized') return;
    await this.sync(e.tenantId, data.conversationId);
  }

  /** Brings the routing entry in line with the conversation; idempotent, safe on any replica at any time. */
  async sync(tenantId: string, conversationId: string): Promise<RouteResult | null> {
    for (let attempt = 0; attempt < 8; attempt++) {
      const found = await this.store.conversationWithEntry(tenantId, conversationId);
      if (!found) return null;
      const c = found.conversation;
      const entry = found.entry ?? (await this.ensureEntry(tenantId, c));
      try {
        return await this.reconcile(tenantId, c, entry);
      } catch (err) {
        if (!(err instanceof StaleEntry)) throw err;
      }
    }
    this.d.log.warn({ tenantId, conversationId }, 'routing entry kept changing; leaving it to the next event');
    return null;
  }

  private async reconcile(tenantId: string, c: ConversationEntity, e: RoutingEntryEntity): Promise<RouteResult> {
    const now = this.clock();
    const inFlight = now - e.updatedAt.getTime() < IN_FLIGHT_MS;
    const holding = HOLDING_STATES.includes(e.state);
    switch (c.status) {
      case S.BOT: {
        if (e.state === EntryState.BOT) return { entry: e, outcome: 'BOT' };
        if (e.state === EntryState.ASSIGNED && inFlight) return { entry: e, outcome: 'HELD' };
        return { entry: await this.release(tenantId, e, { to: EntryState.BOT, offer: OfferStatus.REVOKED, reason: 'with_bot' }), outcome: 'BOT' };
      }
      case S.QUEUED: {
        if (e.state === EntryState.WAITING) {
          if (!e.trace) return this.route(tenantId, e, c);
          await this.dispatchGroup(tenantId, e.groupId);
          return { entry: e, outcome: 'QUEUED' };
        }
        if (e.state === EntryState.OFFERED) return { entry: e, outcome: 'HELD' };
        if (e.state === EntryState.ASSIGNED) {
          // Claimed but the conversation never got its assignee (a crash, a failed write): finish the job.
          if (!inFlight) await this.complete(tenantId, e, e.agentId!, SYSTEM_ACTOR);
          return { entry: e, outcome: 'HELD' };
        }
        // BOT → QUEUED (escalated) or DONE → QUEUED (reopened without an agent, or prepared): a fresh decision.
        const waiting = await this.tx(tenantId, e, {
          state: EntryState.WAITING, trace: null, enqueuedAt: new Date(now), groupSince: new Date(now), groupId: c.groupId, overflowed: false,
          excludedAgentIds: null, reassignFrom: null, notifiedAhead: null, notifiedAt: null, outOfHoursNotifiedAt: null, assignedAt: null,
        });
        return this.route(tenantId, waiting, c);
      }
      case S.ASSIGNED:
      case S.PENDING: {
        const x = c.assigneeId;
        if (!x) return { entry: e, outcome: 'HELD' };
        // Theirs in routing too: assigned, or transferred to a group or being replaced and still theirs until
        // someone takes it (waiting or offered).
        if (ownerOf(e) === x) return { entry: e, outcome: 'HELD' };
        if (e.state === EntryState.OFFERED && e.agentId === x) return { entry: await this.acceptHeld(tenantId, e), outcome: 'HELD' };
        // Routing gave it to someone else a moment ago (accepted, transferred, transferred on to a group) and that
        // step's own assignment of the conversation is still on its way. Counting it for x now would put x over
        // capacity; should the assignment never come, the step's verify timer brings us back here after the window.
        if (ownerOf(e) && inFlight) return { entry: e, outcome: 'HELD' };
        // Assigned outside routing (a reopen; assignConversation while routing was off, or on a replica of an
        // older version): count it for that agent, as a person decided it.
        return { entry: await this.adopt(tenantId, e, x), outcome: 'HELD' };
      }
      case S.RESOLVED:
      case S.CLOSED:
      default: {
        if (e.state === EntryState.DONE) return { entry: e, outcome: 'DONE' };
        const holder = holding ? e.agentId : null;
        const done = await this.release(tenantId, e, { to: EntryState.DONE, offer: e.state === EntryState.OFFERED ? OfferStatus.REVOKED : OfferStatus.ENDED, reason: c.status.toLowerCase() });
        // Resolving frees capacity: the agent gets the next waiting conversation at once.
        if (holder) await this.pullFor(tenantId, holder);
        return { entry: done, outcome: 'DONE' };
      }
    }
  }

  // ---------------------------------------------------------------------------------------------- deciding

  private async firstCustomerText(tenantId: string, conversationId: string): Promise<string> {
    const m = await this.store.ds.getRepository(MessageEntity).findOne({
      where: { tenantId, conversationId, senderType: MessageSenderType.CUSTOMER }, order: { createdAt: 'ASC', id: 'ASC' }, select: { text: true },
    });
    return m?.text ?? '';
  }

  /** The agent of the customer's latest other conversation that had one. */
  private async lastAgentOf(tenantId: string, c: ConversationEntity): Promise<{ agentId: string; at: number } | null> {
    const prev = await this.store.ds
      .getRepository(ConversationEntity)
      .createQueryBuilder('c')
      .select(['c.assigneeId', 'c.lastMessageAt'])
      .where('c.tenant_id = :tenantId AND c.customer_id = :customerId AND c.id <> :id AND c.assignee_id IS NOT NULL', { tenantId, customerId: c.customerId, id: c.id })
      .orderBy('c.last_message_at', 'DESC')
      .limit(1)
      .getOne();
    return prev?.assigneeId ? { agentId: prev.assigneeId, at: prev.lastMessageAt.getTime() } : null;
  }

  /** L1 → L2 → L3 for one waiting conversation, then the atomic claim; otherwise it waits (and is told its position). */
  async route(tenantId: string, entry: RoutingEntryEntity, c: ConversationEntity): Promise<RouteResult> {
    const rules = await this.d.rules.get(tenantId);
    const now = this.clock();
    const hints = (entry.hints ?? {}) as RoutingHints;
    const text = rules.businessTypes.some((b) => b.keywords?.length) ? `${c.subject}\n${await this.firstCustomerText(tenantId, c.id)}` : c.subject;
    const lastAgent = rules.l2.some((r) => r.when.lastAgentWithinDays) ? await this.lastAgentOf(tenantId, c) : null;
    const d = decideGroup(rules, { channelType: c.channelType, text, explicitGroupId: c.groupId, hints, lastAgent, now });
    const cls = classOf(rules.channelClasses, c.channelType);
    const roster = await this.roster(tenantId);
    const preferred = d.preferredAgentIds.map((id) => roster.byId.get(id)).filter((a): a is RosterAgent => !!a);
    const group = this.members(roster, d.groupId);
    const fallback = d.fallbackGroupId !== null ? this.members(roster, d.fallbackGroupId) : [];
    // The offer's timeout timer goes to Redis in the same round trip as the presence read below (auto-pipelining),
    // and so before any claim, as claim() requires; dropped again if nobody is claimed.
    const pre = this.store.singleStatementClaims && rules.offers.mode !== 'auto' ? this.prepareOffer(tenantId, entry.conversationId, rules, now) : null;
    const dropTimer = () => {
      if (pre) void this.d.scheduler.done('offer', pre.timer).catch(() => undefined);
    };
    const candidates = [...new Map([...preferred, ...group, ...fallback].map((a) => [a.id, a])).values()];
    let views = (await this.views(tenantId, candidates, [cls]))[cls];
    const excluded = new Set(entry.excludedAgentIds ?? []);
    const base = { decidedAt: new Date(now).toISOString(), businessType: d.businessType, businessTypeSource: d.businessTypeSource, priority: d.priority, channelClass: cls };
    const decided: EntryPatch = {
      channelClass: cls, priority: d.priority, preferredAgentIds: d.preferredAgentIds.length ? d.preferredAgentIds : null,
      requiredSkills: d.requiredSkills.length ? d.requiredSkills : null,
    };
    const hours = d.groupId ? rules.groups[d.groupId]?.businessHours : undefined;
    if (hours && !isOpen(hours, now)) {
      dropTimer();
      const trace: RoutingTraceDoc = { ...base, outcome: 'OUT_OF_HOURS', groupId: d.groupId, levels: [...d.levels, { level: 'L3', ruleId: null, matched: false, detail: 'group closed (business hours): waits for opening', groupIds: [d.groupId] }], chosenAgentId: null, reason: 'out of hours' };
      const waiting = await this.wait(tenantId, entry, { ...decided, groupId: d.groupId, trace: trace as never });
      if (!waiting.outOfHoursNotifiedAt) await this.tellCustomer(tenantId, waiting, hours.closedMessage, { outOfHoursNotifiedAt: new Date(now) });
      return { entry: waiting, outcome: 'OUT_OF_HOURS' };
    }

    // Preferred agents first, then the group, then the fallback. Conversations already waiting in the group are
    // not bypassed for long: every unit given back dispatches the queue (in queue order) at once.
    const tiersOf = (vs: Map<string, AgentView>) => {
      const v = (list: RosterAgent[]) => list.map((a) => vs.get(a.id)!).filter(Boolean);
      const t = [{ name: 'preferred', agents: v(preferred) }, { name: 'group', agents: v(group) }];
      if (fallback.length) t.push({ name: 'fallback', agents: v(fallback) });
      return t;
    };
    let tiers = tiersOf(views);
    let sel = selectAgents({ tiers, requiredSkills: d.requiredSkills, excluded, now, trace: true, maxTraced: TRACED });
    const waitGroupOf = (s: typeof sel) => (d.fallbackGroupId !== null && !s.ranked.length ? d.fallbackGroupId : s.tier === 'fallback' ? d.fallbackGroupId : d.groupId);
    let fresh = false; // loads read from the database, not the replica's copy
    for (let round = 0; round < 3 && sel.ranked.length; round++) {
      let copyWasWrong = false;
      for (const agent of sel.ranked.slice(0, 5)) {
        const waitGroup = waitGroupOf(sel);
        const l3: LevelTrace = { level: 'L3', ruleId: null, matched: true, detail: `${sel.tier} tier: ${sel.reasons.get(agent.id)}`, groupIds: [sel.tier === 'fallback' ? d.fallbackGroupId : d.groupId], candidates: sel.candidates };
        const trace: RoutingTraceDoc = { ...base, outcome: rules.offers.mode === 'auto' ? 'ASSIGNED' : 'OFFERED', groupId: waitGroup, levels: [...d.levels, l3], chosenAgentId: agent.id, reason: sel.reasons.get(agent.id) ?? '' };
        const r = await this.claim(tenantId, entry, agent.id, rules, { ...decided, groupId: waitGroup, trace: trace as never }, pre);
        if (r.status === 'ok') return { entry: r.entry, outcome: trace.outcome };
        if (r.status === 'stale') {
          dropTimer();
          return { entry, outcome: 'HELD' };
        }
        agent.active = agent.capacity; // lost the race for this agent's last unit
        // The copy said this agent had room: another replica's claims probably filled the others it shows too.
        if (!fresh) {
          copyWasWrong = true;
          break;
        }
      }
      if (copyWasWrong) {
        views = (await this.views(tenantId, candidates))[cls];
        tiers = tiersOf(views);
        fresh = true;
        round = -1; // the fresh loads get their own rounds
      }
      sel = selectAgents({ tiers, requiredSkills: d.requiredSkills, excluded, now, trace: true, maxTraced: TRACED });
    }
    dropTimer();
    const waitGroup = waitGroupOf(sel);
    const l3: LevelTrace = { level: 'L3', ruleId: null, matched: false, groupIds: [waitGroup], candidates: sel.candidates, detail: 'nobody online with room: waits in the queue' };
    const trace: RoutingTraceDoc = { ...base, outcome: 'QUEUED', groupId: waitGroup, levels: [...d.levels, l3], chosenAgentId: null, reason: l3.detail };
    const waiting = await this.wait(tenantId, entry, { ...decided, groupId: waitGroup, trace: trace as never });
    await this.announcePosition(tenantId, waiting, rules);
    return { entry: waiting, outcome: 'QUEUED' };
  }

  private async wait(tenantId: string, entry: RoutingEntryEntity, patch: EntryPatch): Promise<RoutingEntryEntity> {
    const now = new Date(this.clock());
    const moved = patch.groupId !== undefined && patch.groupId !== entry.groupId;
    const e = await this.tx(tenantId, entry, { ...patch, ...(moved ? { groupSince: now, overflowed: false } : {}) });
    this.d.queue.changed(tenantId, e.groupId);
    await this.afterWaiting(tenantId, e);
    return e;
  }

  /** Timers of a waiting entry: its queue is looked at again, and it overflows when its group says so. */
  private async afterWaiting(tenantId: string, e: RoutingEntryEntity): Promise<void> {
    await this.d.scheduler.schedule('queue', `${tenantId}|${e.groupId ?? ''}`, this.clock() + QUEUE_RECHECK_MS);
    const o = e.groupId ? (await this.d.rules.get(tenantId)).groups[e.groupId]?.overflow : undefined;
    if (o && !e.overflowed) await this.d.scheduler.schedule('overflow', `${tenantId}|${e.id}|${e.groupSince.getTime()}`, e.groupSince.getTime() + o.afterSeconds * 1000);
  }

  /** Timers of an assigned entry: the agent is replaced if they never reply. */
  private async afterAssigned(tenantId: string, e: RoutingEntryEntity): Promise<void> {
    const minutes = (await this.d.rules.get(tenantId)).offers.noReplyMinutes;
    if (minutes > 0 && e.assignedAt) await this.d.scheduler.schedule('noreply', `${tenantId}|${e.conversationId}|${e.assignedAt.getTime()}`, e.assignedAt.getTime() + minutes * 60_000);
  }

  /** "您前面还有 N 位": on arrival, and later when the position improved (the sweep, rate-limited). */
  private async announcePosition(tenantId: string, e: RoutingEntryEntity, rules: RoutingRules, force = true): Promise<void> {
    const q = rules.queueMessages;
    if (!q.enabled || e.state !== EntryState.WAITING) return;
    const ahead = await this.store.countAhead(tenantId, e.groupId, e.priority, e.enqueuedAt, e.id);
    const now = this.clock();
    if (!force && (e.notifiedAhead === null || ahead >= e.notifiedAhead || now - (e.notifiedAt?.getTime() ?? 0) < q.minIntervalSeconds * 1000)) return;
    if (force && e.notifiedAhead !== null) return;
    await this.tellCustomer(tenantId, e, q.template.replaceAll('{ahead}', String(ahead)), { notifiedAhead: ahead, notifiedAt: new Date(now) });
  }

  /** A SYSTEM message to the customer through the conversation (and so through the channel). */
  private async tellCustomer(tenantId: string, e: RoutingEntryEntity, text: string, mark: EntryPatch): Promise<void> {
    try {
      await this.tx(tenantId, e, mark);
    } catch (err) {
      if (err instanceof StaleEntry) return; // someone else moved it on; their step decides what to say
      throw err;
    }
    try {
      await this.d.conversations.addMessage(tenantId, e.conversationId, { senderType: MessageSenderType.SYSTEM, text });
    } catch (err) {
      if (!(err instanceof DomainError)) throw err; // closed meanwhile: nothing to tell
    }
  }

  /** One step on one entry, in its own transaction. */
  private tx(tenantId: string, e: RoutingEntryEntity, patch: EntryPatch): Promise<RoutingEntryEntity> {
    void tenantId;
    return this.store.tx((m) => this.store.updateEntry(m, e, patch, new Date(this.clock())));
  }

  // ---------------------------------------------------------------------------------------------- claiming

  /** An offer id and its timeout timer, scheduled now (not awaited: claim() waits for it before claiming). */
  private prepareOffer(tenantId: string, conversationId: string, rules: RoutingRules, now: number): PreparedOffer {
    const offerId = newId();
    const expiresAt = now + rules.offers.timeoutSeconds * 1000;
    const timer = `${tenantId}|${offerId}|${conversationId}`;
    const scheduled = this.d.scheduler.schedule('offer', timer, expiresAt);
    scheduled.catch(() => undefined); // awaited (and so reported) by the claim
    return { offerId, expiresAt, timer, scheduled };
  }

  /**
   * The atomic claim: the entry leaves WAITING (conditional on its version) and the agent's load takes one unit
   * (conditional on room) in one transaction, with the offer row. Two replicas claiming the same conversation or
   * the same agent's last unit: exactly one commits. `pre`: the offer id and timer route() prepared (one route
   * call claims at most once, so its attempts share them).
   */
  private async claim(
    tenantId: string, entry: RoutingEntryEntity, agentId: string, rules: RoutingRules, patch: EntryPatch, pre: PreparedOffer | null = null,
  ): Promise<{ status: 'ok'; entry: RoutingEntryEntity } | { status: 'full' } | { status: 'stale' }> {
    const auto = rules.offers.mode === 'auto';
    const now = new Date(this.clock());
    const offerId = pre?.offerId ?? newId();
    const cls = patch.channelClass ?? entry.channelClass;
    let claimed: RoutingEntryEntity;
    const claimPatch: EntryPatch = { ...patch, state: auto ? EntryState.ASSIGNED : EntryState.OFFERED, agentId, offerId, assignedAt: auto ? now : null, ...(auto ? { reassignFrom: null } : {}) };
    const offer = {
      id: offerId, tenantId, conversationId: entry.conversationId, agentId, kind: auto ? OfferKind.AUTO : OfferKind.OFFER,
      status: auto ? OfferStatus.ACCEPTED : OfferStatus.OFFERED, createdAt: now,
      expiresAt: auto ? null : new Date(pre?.expiresAt ?? now.getTime() + rules.offers.timeoutSeconds * 1000), respondedAt: auto ? now : null,
    };
    if (entry.state !== EntryState.WAITING) return { status: 'stale' };
    if (this.store.singleStatementClaims && !(auto && entry.reassignFrom)) {
      // Timer first: should this replica die right after the claim commits, the offer still expires (and the
      // unit comes back) when nobody answers.
      const timer = `${tenantId}|${offerId}|${entry.conversationId}`;
      if (!auto) await (pre?.scheduled ?? this.d.scheduler.schedule('offer', timer, offer.expiresAt!.getTime()));
      const r = await this.store.claimWithOffer(entry, agentId, cls, claimPatch, now, Object.assign(new RoutingOfferEntity(), { endedAt: null, reason: null, ...offer }));
      if (r.load) this.store.loadCache.observed(tenantId, agentId, cls, r.load, r.status === 'ok' ? now : null);
      if (r.status !== 'ok') {
        if (!auto && !pre) void this.d.scheduler.done('offer', timer).catch(() => undefined);
        return { status: r.status };
      }
      claimed = Object.assign(new RoutingEntryEntity(), entry, claimPatch, { updatedAt: now, version: r.version ?? entry.version + 1 });
      return this.afterClaim(tenantId, claimed, agentId, offerId, auto);
    }
    try {
      claimed = await this.store.tx(async (m) => {
        if (entry.state !== EntryState.WAITING) throw new StaleEntry();
        const e = await this.store.updateEntry(m, entry, claimPatch, now);
        // Auto: the agent who kept it during a transfer lets go in the same step.
        await this.store.moveUnits(m, tenantId, cls, now, agentId, auto ? [entry.reassignFrom] : []);
        await this.store.insertOffer(m, offer);
        return e;
      });
    } catch (err) {
      if (err instanceof AgentFull) return { status: 'full' };
      if (err instanceof StaleEntry) return { status: 'stale' };
      throw err;
    }
    if (!auto) await this.d.scheduler.schedule('offer', `${tenantId}|${offerId}|${entry.conversationId}`, offer.expiresAt!.getTime());
    return this.afterClaim(tenantId, claimed, agentId, offerId, auto);
  }

  private async afterClaim(tenantId: string, claimed: RoutingEntryEntity, agentId: string, offerId: string, auto: boolean): Promise<{ status: 'ok'; entry: RoutingEntryEntity }> {
    this.d.queue.changed(tenantId, claimed.groupId);
    if (auto) await this.complete(tenantId, claimed, agentId, SYSTEM_ACTOR);
    // The offer is committed; the event needs no waiting for (notify reports its own failures).
    else void this.notify(tenantId, agentId, claimed.conversationId, offerId, AssignmentEventType.OFFERED);
    return { status: 'ok', entry: claimed };
  }

  /** The conversation's own assignment (lifecycle event, handoff summary, live update) for a held entry. */
  private async complete(tenantId: string, e: RoutingEntryEntity, agentId: string, actor: Actor): Promise<ConversationEntity | null> {
    const verify = `${tenantId}|${e.conversationId}`;
    // Should this replica die before the conversation has its assignee, the check repairs it later.
    await this.d.scheduler.schedule('verify', verify, this.clock() + IN_FLIGHT_MS * 2);
    try {
      // Two steps at once (two transfers on two replicas) may reach the conversation in the other order than they
      // committed. The assignment happens only while the entry still names this agent, checked under the
      // conversation's row lock: an overtaken step changes nothing (the newer step's own assignment follows, and
      // that step ended this agent's hold and said so), so the conversation never lags behind routing.
      const c = await this.d.conversations.assign(tenantId, e.conversationId, agentId, actor, { onlyIf: (m) => this.stillOwns(m, tenantId, e.conversationId, agentId) });
      const overtaken = c.assigneeId !== agentId;
      await this.d.scheduler.done('verify', verify);
      if (!overtaken) {
        await this.notify(tenantId, agentId, e.conversationId, e.offerId!, AssignmentEventType.ASSIGNED);
        await this.afterAssigned(tenantId, e);
      }
      return c;
    } catch (err) {
      if (!(err instanceof DomainError)) throw err;
      // Closed or gone meanwhile: give the unit back.
      this.d.log.info({ tenantId, conversationId: e.conversationId, code: err.code }, 'assignment not possible any more; released');
      const fresh = await this.store.entry(tenantId, e.conversationId);
      if (fresh && HOLDING_STATES.includes(fresh.state) && fresh.agentId === agentId) {
        await this.release(tenantId, fresh, { to: EntryState.DONE, offer: OfferStatus.REVOKED, reason: 'conversation_closed' }).catch(() => undefined);
      }
      return null;
    }
  }

  /**
   * Whether the entry still gives the conversation to this agent: they hold it (ASSIGNED) or keep it while it
   * waits for someone else (a transfer to a group). A locking read on MySQL/MariaDB, so a routing step that
   * changes the entry waits for the conversation's transaction, and the next assignment sees this one.
   */
  private async stillOwns(m: EntityManager, tenantId: string, conversationId: string, agentId: string): Promise<boolean> {
    const e = await m.getRepository(RoutingEntryEntity).findOne({ where: { tenantId, conversationId }, ...(this.store.singleStatementClaims ? { lock: { mode: 'pessimistic_read' as const } } : {}) });
    return !!e && ownerOf(e) === agentId;
  }

  /** Gives the holder's unit back and moves the entry on, in one transaction; tells the holder. */
  private async release(
    tenantId: string, e: RoutingEntryEntity,
    o: { to: EntryState; offer: OfferStatus; reason: string; exclude?: boolean; patch?: EntryPatch },
  ): Promise<RoutingEntryEntity> {
    const now = new Date(this.clock());
    const holder = HOLDING_STATES.includes(e.state) ? e.agentId : null;
    // Done or back with the bot: whoever kept it during a transfer lets go too.
    const keeper = o.to === EntryState.DONE || o.to === EntryState.BOT ? e.reassignFrom : null;
    const excluded = o.exclude && holder ? [...new Set([...(e.excludedAgentIds ?? []), holder])] : e.excludedAgentIds;
    const next = await this.store.tx(async (m) => {
      const n = await this.store.updateEntry(m, e, { state: o.to, agentId: null, offerId: null, excludedAgentIds: excluded, ...(keeper ? { reassignFrom: null } : {}), ...o.patch }, now);
      await this.store.moveUnits(m, tenantId, e.channelClass, now, null, [holder, keeper]);
      if (e.offerId) await this.store.setOffer(m, e.offerId, [OfferStatus.OFFERED, OfferStatus.ACCEPTED], o.offer, now, o.reason);
      return n;
    });
    if (holder && e.offerId) {
      const type = { [OfferStatus.DECLINED]: AssignmentEventType.DECLINED, [OfferStatus.EXPIRED]: AssignmentEventType.EXPIRED, [OfferStatus.REVOKED]: AssignmentEventType.REVOKED }[o.offer as string] ?? AssignmentEventType.ENDED;
      await this.notify(tenantId, holder, e.conversationId, e.offerId, type);
    }
    this.d.queue.changed(tenantId, next.groupId);
    if (next.groupId !== e.groupId) this.d.queue.changed(tenantId, e.groupId);
    if (next.state === EntryState.WAITING) await this.afterWaiting(tenantId, next);
    return next;
  }

  /** The offer became an assignment without an accept (the conversation was assigned to the offered agent). */
  private async acceptHeld(tenantId: string, e: RoutingEntryEntity): Promise<RoutingEntryEntity> {
    const now = new Date(this.clock());
    const n = await this.store.tx(async (m) => {
      const next = await this.store.updateEntry(m, e, { state: EntryState.ASSIGNED, assignedAt: now, reassignFrom: null }, now);
      if (e.offerId) await this.store.setOffer(m, e.offerId, [OfferStatus.OFFERED], OfferStatus.ACCEPTED, now, null);
      await this.store.moveUnits(m, tenantId, e.channelClass, now, null, [e.reassignFrom]);
      return next;
    });
    await this.afterAssigned(tenantId, n);
    return n;
  }

  /**
   * assignConversation while routing runs for the tenant. Routing takes note first (the entry, and the agent's
   * load even beyond capacity: a person decided it), then the conversation follows, as in routing's own steps.
   * The other order would let routing see, for a moment, a conversation with an agent it does not know of.
   */
  async assignByPerson(tenantId: string, conversationId: string, agentId: string, actor: Actor): Promise<ConversationEntity> {
    if (!(await this.isActive(tenantId))) return this.d.conversations.assign(tenantId, conversationId, agentId, actor);
    await this.d.agents.get(tenantId, agentId);
    const c = await this.d.conversations.get(tenantId, conversationId);
    if (c.status === S.CLOSED) throw conflict(`conversation ${c.id} is closed`);
    for (let attempt = 0; attempt < 5; attempt++) {
      const e = await this.ensureEntry(tenantId, c);
      if (c.status === S.ASSIGNED && c.assigneeId === agentId && ownerOf(e) === agentId) return c; // nothing to do
      try {
        const held = e.state === EntryState.ASSIGNED && e.agentId === agentId ? e : await this.adoptEntry(tenantId, e, agentId);
        const done = await this.complete(tenantId, held, agentId, actor);
        if (!done) throw conflict(`conversation ${c.id} was closed meanwhile`);
        return done;
      } catch (err) {
        if (!(err instanceof StaleEntry)) throw err;
      }
    }
    throw conflict(`conversation ${c.id} kept changing; try again`);
  }

  /** Counts an assignment made outside routing for its agent (even beyond capacity: a person decided it). */
  private async adopt(tenantId: string, e: RoutingEntryEntity, agentId: string): Promise<RoutingEntryEntity> {
    const n = await this.adoptEntry(tenantId, e, agentId);
    await this.notify(tenantId, agentId, e.conversationId, n.offerId!, AssignmentEventType.ASSIGNED);
    await this.afterAssigned(tenantId, n);
    return n;
  }

  /** The entry becomes the agent's assignment and their load takes the unit, whatever their capacity. */
  private async adoptEntry(tenantId: string, e: RoutingEntryEntity, agentId: string): Promise<RoutingEntryEntity> {
    await this.loadsOf(tenantId, [agentId]);
    const now = new Date(this.clock());
    const holder = HOLDING_STATES.includes(e.state) ? e.agentId : null;
    const offerId = newId();
    const n = await this.store.tx(async (m) => {
      const next = await this.store.updateEntry(m, e, { state: EntryState.ASSIGNED, agentId, offerId, reassignFrom: null, assignedAt: now }, now);
      if (e.offerId) await this.store.setOffer(m, e.offerId, [OfferStatus.OFFERED, OfferStatus.ACCEPTED], e.state === EntryState.OFFERED ? OfferStatus.REVOKED : OfferStatus.ENDED, now, 'assigned_elsewhere');
      await this.store.moveUnits(m, tenantId, e.channelClass, now, agentId, [holder, e.reassignFrom], true);
      await this.store.insertOffer(m, { id: offerId, tenantId, conversationId: e.conversationId, agentId, kind: OfferKind.ADOPTED, status: OfferStatus.ACCEPTED, createdAt: now, expiresAt: null, respondedAt: now });
      return next;
    });
    if (holder && e.offerId) await this.notify(tenantId, holder, e.conversationId, e.offerId, AssignmentEventType.REVOKED);
    this.d.queue.changed(tenantId, e.groupId);
    return n;
  }

  // ---------------------------------------------------------------------------------------------- dispatching

  /** Gives the group's waiting conversations to its free agents, one replica at a time (requests coalesce). */
  async dispatchGroup(tenantId: string, groupId: string | null): Promise<void> {
    await runCoalesced(this.d.coordinator, `dispatch:${tenantId}:${groupId ?? 'pool'}`, 5000, async () => void (await this.dispatchOnce(tenantId, groupId)));
  }

  /** An agent has room again (resolved, came ONLINE): every queue they serve is dispatched. */
  async pullFor(tenantId: string, agentId: string): Promise<void> {
    const roster = await this.roster(tenantId);
    const a = roster.byId.get(agentId);
    if (!a) return;
    for (const g of [...a.groupIds, null]) await this.dispatchGroup(tenantId, g);
  }

  /** Returns how many conversations got an agent. */
  async dispatchOnce(tenantId: string, groupId: string | null, limit = 200): Promise<number> {
    const rules = await this.d.rules.get(tenantId);
    const now = this.clock();
    const hours = groupId ? rules.groups[groupId]?.businessHours : undefined;
    if (hours && !isOpen(hours, now)) return 0;
    const waiting = await this.store.waiting(tenantId, groupId, limit);
    this.d.queue.changed(tenantId, groupId);
    if (!waiting.length) return 0;
    const roster = await this.roster(tenantId);
    const members = this.members(roster, groupId);
    const preferredIds = [...new Set(waiting.flatMap((e) => e.preferredAgentIds ?? []))];
    const preferred = preferredIds.map((id) => roster.byId.get(id)).filter((a): a is RosterAgent => !!a);
    const views = await this.views(tenantId, [...new Map([...members, ...preferred].map((a) => [a.id, a])).values()]);
    const anyRoom = (['chat', 'call'] as const).some((cls) => [...views[cls].values()].some((v) => v.status === PresenceStatus.ONLINE && v.active < v.capacity));
    if (!anyRoom) return 0;
    const held = await this.store.heldByChannel(tenantId, groupId);
    const ordered = balancedOrder(waiting.map((e) => ({ ...e, id: e.id, channelType: e.channelType, priority: e.priority, enqueuedAt: e.enqueuedAt.getTime(), row: e })), rules.balancing, held, now);
    let assigned = 0;
    for (const item of ordered) {
      const e = item.row;
      const cls = e.channelClass;
      const pick = (list: RosterAgent[]) => list.map((a) => views[cls].get(a.id)!).filter(Boolean);
      const pref = (e.preferredAgentIds ?? []).map((id) => roster.byId.get(id)).filter((a): a is RosterAgent => !!a);
      const sel = selectAgents({ tiers: [{ name: 'preferred', agents: pick(pref) }, { name: 'group', agents: pick(members) }], requiredSkills: e.requiredSkills ?? [], excluded: new Set(e.excludedAgentIds ?? []), now, trace: true, maxTraced: TRACED });
      for (const agent of sel.ranked.slice(0, 5)) {
        const prev = (e.trace ?? {}) as Partial<RoutingTraceDoc>;
        const l3: LevelTrace = { level: 'L3', ruleId: null, matched: true, detail: `${sel.tier} tier (from the queue): ${sel.reasons.get(agent.id)}`, groupIds: [groupId], candidates: sel.candidates };
        const trace: RoutingTraceDoc = {
          decidedAt: new Date(now).toISOString(), outcome: rules.offers.mode === 'auto' ? 'ASSIGNED' : 'OFFERED', businessType: prev.businessType ?? null,
          businessTypeSource: prev.businessTypeSource ?? null, priority: e.priority, channelClass: cls, groupId,
          levels: [...(prev.levels ?? []).filter((l) => l.level !== 'L3'), l3], chosenAgentId: agent.id, reason: sel.reasons.get(agent.id) ?? '',
        };
        const r = await this.claim(tenantId, e, agent.id, rules, { trace: trace as never });
        if (r.status === 'ok') {
          assigned++;
          for (const c of ['chat', 'call'] as const) {
            const v = views[c].get(agent.id)!;
            v.busy++;
            v.lastAssignedAt = now;
            if (c === cls) v.active++;
          }
          break;
        }
        if (r.status === 'stale') break;
        agent.active = agent.capacity;
      }
    }
    return assigned;
  }

  // ---------------------------------------------------------------------------------------------- agents' answers

  private async ownOffer(tenantId: string, agentId: string, offerId: string): Promise<RoutingOfferEntity> {
    const o = await this.store.offer(tenantId, offerId);
    if (!o) throw notFound('offer', offerId);
    if (o.agentId !== agentId) throw forbidden('this offer was made to another agent');
    return o;
  }

  /** The agent takes the offered conversation: it becomes theirs (ConversationService.assign). */
  async accept(tenantId: string, agentId: string, offerId: string): Promise<{ offer: RoutingOfferEntity; conversation: ConversationEntity }> {
    const o = await this.ownOffer(tenantId, agentId, offerId);
    if (o.status === OfferStatus.ACCEPTED) return { offer: o, conversation: await this.d.conversations.get(tenantId, o.conversationId) };
    if (o.status !== OfferStatus.OFFERED) throw conflict(`offer ${offerId} is ${o.status.toLowerCase()}`);
    const e = await this.store.entry(tenantId, o.conversationId);
    if (!e || e.state !== EntryState.OFFERED || e.offerId !== o.id) throw conflict(`offer ${offerId} is no longer pending`);
    const now = new Date(this.clock());
    let held: RoutingEntryEntity;
    try {
      held = await this.store.tx(async (m) => {
        const n = await this.store.updateEntry(m, e, { state: EntryState.ASSIGNED, assignedAt: now, reassignFrom: null }, now);
        if (!(await this.store.setOffer(m, o.id, [OfferStatus.OFFERED], OfferStatus.ACCEPTED, now, null))) throw new StaleEntry();
        await this.store.moveUnits(m, tenantId, e.channelClass, now, null, [e.reassignFrom]);
        return n;
      });
    } catch (err) {
      if (err instanceof StaleEntry) throw conflict(`offer ${offerId} is no longer pending`);
      throw err;
    }
    const c = await this.complete(tenantId, held, agentId, { type: ActorType.AGENT, id: agentId });
    if (!c) throw conflict(`conversation ${o.conversationId} was closed meanwhile`);
    return { offer: (await this.store.offer(tenantId, o.id))!, conversation: c };
  }

  /** The agent passes: the conversation goes to the next agent (this one is not asked again). */
  async decline(tenantId: string, agentId: string, offerId: string, reason: string | null): Promise<RoutingOfferEntity> {
    const o = await this.ownOffer(tenantId, agentId, offerId);
    if (o.status !== OfferStatus.OFFERED) throw conflict(`offer ${offerId} is ${o.status.toLowerCase()}`);
    await this.giveBack(tenantId, o, OfferStatus.DECLINED, reason ? `declined: ${reason}`.slice(0, 40) : 'declined', true);
    return (await this.store.offer(tenantId, o.id))!;
  }

  /** An open offer goes back to the queue (declined, expired, agent left) and the queue is dispatched again. */
  private async giveBack(tenantId: string, o: RoutingOfferEntity, status: OfferStatus, reason: string, exclude: boolean): Promise<boolean> {
    for (let attempt = 0; attempt < 5; attempt++) {
      const e = await this.store.entry(tenantId, o.conversationId);
      if (!e || e.state !== EntryState.OFFERED || e.offerId !== o.id) {
        // The entry moved on; make sure the offer row does not stay open.
        await this.store.tx((m) => this.store.setOffer(m, o.id, [OfferStatus.OFFERED], status, new Date(this.clock()), reason));
        return false;
      }
      try {
        const next = await this.release(tenantId, e, { to: EntryState.WAITING, offer: status, reason, exclude });
        await this.d.events.publish({ type: `routing.offer_${status.toLowerCase()}`, tenantId, data: { conversationId: o.conversationId, agentId: o.agentId, offerId: o.id } });
        await this.dispatchGroup(tenantId, next.groupId);
        return true;
      } catch (err) {
        if (!(err instanceof StaleEntry)) throw err;
      }
    }
    return false;
  }

  // ---------------------------------------------------------------------------------------------- transfers

  /**
   * Transfers to an agent (who gets it at once, within capacity) or to a group (it waits there; the current agent
   * keeps it until someone in the group takes it). The note is an internal message. Only the conversation's agent
   * or a supervisor/admin may transfer.
   */
  async transfer(
    tenantId: string,
    by: { sub: string; manager: boolean },
    input: { conversationId: string; toAgentId?: string | null; toGroupId?: string | null; note?: string | null },
  ): Promise<{ conversation: ConversationEntity; entry: RoutingEntryEntity }> {
    if (!!input.toAgentId === !!input.toGroupId) throw badInput('give exactly one of toAgentId and toGroupId', input.toAgentId ? 'toGroupId' : 'toAgentId');
    const c = await this.d.conversations.get(tenantId, input.conversationId);
    if (c.status === S.CLOSED || c.status === S.RESOLVED) throw conflict(`conversation ${c.id} is ${c.status.toLowerCase()}`);
    if (c.status === S.BOT) throw conflict(`conversation ${c.id} is with the bot; escalate it first`);
    if (!by.manager && c.assigneeId !== by.sub) throw forbidden('only the conversation\'s agent or a supervisor may transfer it');
    await this.activate(tenantId);
    let entry = await this.ensureEntry(tenantId, c);
    const from = c.assigneeId;
    const note = async () => {
      if (input.note) await this.d.conversations.addMessage(tenantId, c.id, { senderType: MessageSenderType.AGENT, senderId: by.sub, text: input.note, internal: true });
    };
    if (input.toAgentId) {
      const to = input.toAgentId;
      await this.d.agents.get(tenantId, to);
      if (to === from) throw conflict('the conversation is already with that agent');
      const [p] = [...(await this.d.presence.get(tenantId, [to])).values()];
      if (!p || p.status === PresenceStatus.OFFLINE) throw conflict('that agent is offline');
      await this.loadsOf(tenantId, [to]);
      const offerId = newId();
      for (let attempt = 0; ; attempt++) {
        const e = entry;
        // Taken per attempt: a retry comes after whatever overtook it, and its times must say so.
        const now = new Date(this.clock());
        try {
          entry = await this.store.tx(async (m) => {
            const holder = HOLDING_STATES.includes(e.state) ? e.agentId : null;
            const next = await this.store.updateEntry(m, e, { state: EntryState.ASSIGNED, agentId: to, offerId, reassignFrom: null, assignedAt: now }, now);
            await this.store.moveUnits(m, tenantId, e.channelClass, now, to, [holder, e.reassignFrom]);
            if (e.offerId) await this.store.setOffer(m, e.offerId, [OfferStatus.OFFERED, OfferStatus.ACCEPTED], holder && e.state === EntryState.OFFERED ? OfferStatus.REVOKED : OfferStatus.ENDED, now, 'transferred');
            await this.store.insertOffer(m, { id: offerId, tenantId, conversationId: c.id, agentId: to, kind: OfferKind.TRANSFER, status: OfferStatus.ACCEPTED, createdAt: now, expiresAt: null, respondedAt: now });
            return next;
          });
          if (HOLDING_STATES.includes(e.state) && e.agentId && e.offerId) await this.notify(tenantId, e.agentId, c.id, e.offerId, e.state === EntryState.OFFERED ? AssignmentEventType.REVOKED : AssignmentEventType.ENDED);
          break;
        } catch (err) {
          if (err instanceof AgentFull) throw conflict('that agent is at capacity');
          if (!(err instanceof StaleEntry) || attempt >= 4) throw err;
          entry = (await this.store.entry(tenantId, c.id))!;
        }
      }
      await note();
      const assigned = await this.complete(tenantId, entry, to, { type: ActorType.AGENT, id: by.sub });
      await this.d.events.publish({ type: 'routing.transferred', tenantId, data: { conversationId: c.id, fromAgentId: from, toAgentId: to, toGroupId: null } });
      this.d.queue.changed(tenantId, entry.groupId);
      return { conversation: assigned ?? (await this.d.conversations.get(tenantId, c.id)), entry };
    }
    const g = input.toGroupId!;
    if (!(await this.d.agents.groupsByIds(tenantId, [g])).length) throw notFound('agent group', g);
    for (let attempt = 0; ; attempt++) {
      try {
        entry = await this.requeue(tenantId, entry, g, 'transferred');
        break;
      } catch (err) {
        if (!(err instanceof StaleEntry) || attempt >= 4) throw err;
        entry = (await this.store.entry(tenantId, c.id))!;
      }
    }
    await note();
    await this.d.events.publish({ type: 'routing.transferred', tenantId, data: { conversationId: c.id, fromAgentId: from, toAgentId: null, toGroupId: g } });
    await this.dispatchGroup(tenantId, g);
    return { conversation: await this.d.conversations.get(tenantId, c.id), entry: (await this.store.entry(tenantId, c.id)) ?? entry };
  }

  /**
   * Back to a queue (transfer to a group, no-reply replacement) while the agent who has the conversation keeps it,
   * and keeps its unit of load, until someone else takes it. That agent is not offered it back.
   */
  private async requeue(tenantId: string, e: RoutingEntryEntity, groupId: string | null, reason: string): Promise<RoutingEntryEntity> {
    const now = new Date(this.clock());
    const keeper = e.state === EntryState.ASSIGNED ? e.agentId : e.reassignFrom;
    const offered = e.state === EntryState.OFFERED ? e.agentId : null; // an open offer is withdrawn
    const excluded = keeper ? [...new Set([...(e.excludedAgentIds ?? []), keeper])] : e.excludedAgentIds;
    const prev = (e.trace ?? {}) as Partial<RoutingTraceDoc>;
    const trace = { ...prev, decidedAt: now.toISOString(), outcome: 'QUEUED', groupId, chosenAgentId: null, reason: `${reason}: waits in the group`, levels: (prev.levels ?? []).filter((l) => l.level !== 'L3') };
    const next = await this.store.tx(async (m) => {
      const n = await this.store.updateEntry(m, e, {
        state: EntryState.WAITING, agentId: null, offerId: null, reassignFrom: keeper, groupId, groupSince: now, enqueuedAt: now, overflowed: false,
        excludedAgentIds: excluded, trace: trace as never, notifiedAhead: null, notifiedAt: null, assignedAt: null,
      }, now);
      await this.store.moveUnits(m, tenantId, e.channelClass, now, null, [offered]);
      if (e.offerId) await this.store.setOffer(m, e.offerId, [OfferStatus.OFFERED, OfferStatus.ACCEPTED], offered ? OfferStatus.REVOKED : OfferStatus.ENDED, now, reason);
      return n;
    });
    if (e.agentId && e.offerId && HOLDING_STATES.includes(e.state)) await this.notify(tenantId, e.agentId, e.conversationId, e.offerId, offered ? AssignmentEventType.REVOKED : AssignmentEventType.ENDED);
    this.d.queue.changed(tenantId, e.groupId);
    this.d.queue.changed(tenantId, groupId);
    await this.afterWaiting(tenantId, next);
    return next;
  }

  // ---------------------------------------------------------------------------------------------- routing input & the bot

  /**
   * Routing input for a conversation (customer tags and levels, business type, intent...). A waiting or merely
   * offered conversation is routed again with it; an assigned one keeps its agent. A VIP with the bot escalates.
   */
  async setHints(tenantId: string, conversationId: string, hints: RoutingHints): Promise<RouteResult> {
    const c = await this.d.conversations.get(tenantId, conversationId);
    await this.activate(tenantId);
    const rules = await this.d.rules.get(tenantId);
    for (let attempt = 0; attempt < 5; attempt++) {
      let e = await this.ensureEntry(tenantId, c);
      try {
        const merged = { ...(e.hints ?? {}), ...stripNulls(hints as Record<string, unknown>) };
        if (e.state === EntryState.OFFERED) {
          e = await this.release(tenantId, e, { to: EntryState.WAITING, offer: OfferStatus.REVOKED, reason: 'rerouted', patch: { hints: merged, trace: null } });
        } else {
          e = await this.tx(tenantId, e, { hints: merged, ...(e.state === EntryState.WAITING ? { trace: null } : {}) });
        }
        const vip = (merged as RoutingHints).customer?.vipLevel;
        if (c.status === S.BOT && vip && rules.bot.escalation.vipLevels.includes(vip)) {
          await this.escalate(tenantId, conversationId, 'vip');
          return { entry: (await this.store.entry(tenantId, conversationId))!, outcome: 'QUEUED' };
        }
        if (e.state === EntryState.WAITING) return this.route(tenantId, e, c);
        return { entry: e, outcome: e.state === EntryState.BOT ? 'BOT' : e.state === EntryState.DONE ? 'DONE' : 'HELD' };
      } catch (err) {
        if (!(err instanceof StaleEntry)) throw err;
      }
    }
    throw conflict('the conversation kept changing; try again');
  }

  /** BOT → QUEUED through the lifecycle, then routed at once (the conversation.escalated event finds it done). */
  async escalate(tenantId: string, conversationId: string, reason: string): Promise<void> {
    await this.d.conversations.escalate(tenantId, conversationId, { reason }, BOT_ACTOR);
    await this.sync(tenantId, conversationId);
  }

  /**
   * The bot reports a turn: it escalates when the customer asked for a human, the bot is unsure (confidence below
   * the rule), the customer is upset (sentiment below the rule) or is a VIP. The intent becomes routing input.
   */
  async botTurn(
    tenantId: string,
    input: { conversationId: string; confidence?: number | null; sentiment?: number | null; humanRequested?: boolean | null; intent?: string | null },
  ): Promise<{ escalated: boolean; reason: string | null }> {
    const c = await this.d.conversations.get(tenantId, input.conversationId);
    await this.activate(tenantId);
    if (input.intent) await this.setHints(tenantId, c.id, { intent: input.intent });
    if (c.status !== S.BOT) return { escalated: false, reason: null };
    const rules = await this.d.rules.get(tenantId);
    const esc = rules.bot.escalation;
    const e = await this.store.entry(tenantId, c.id);
    const vip = ((e?.hints ?? {}) as RoutingHints).customer?.vipLevel;
    const reason = input.humanRequested
      ? 'human_requested'
      : input.confidence !== null && input.confidence !== undefined && input.confidence < esc.minConfidence
        ? 'low_confidence'
        : input.sentiment !== null && input.sentiment !== undefined && input.sentiment < esc.sentimentBelow
          ? 'customer_upset'
          : vip && esc.vipLevels.includes(vip)
            ? 'vip'
            : null;
    if (reason) await this.escalate(tenantId, c.id, reason);
    return { escalated: !!reason, reason };
  }

  /** A customer message while the bot has the conversation: asking for a human or being upset escalates it. */
  private async onCustomerMessage(tenantId: string, conversationId: string, messageId: string): Promise<void> {
    // Without bot channels nothing is ever with the bot: no query per customer message.
    if (!(await this.d.rules.get(tenantId)).bot.channelTypes.length) return;
    const e = await this.store.entry(tenantId, conversationId);
    if (!e || e.state !== EntryState.BOT) return;
    const m = await this.store.ds.getRepository(MessageEntity).findOneBy({ tenantId, id: messageId });
    if (!m) return;
    const esc = (await this.d.rules.get(tenantId)).bot.escalation;
    const reason = esc.humanKeywords.some((k) => m.text.includes(k)) ? 'human_requested' : esc.upsetKeywords.some((k) => m.text.includes(k)) ? 'customer_upset' : null;
    if (!reason) return;
    try {
      await this.escalate(tenantId, conversationId, reason);
    } catch (err) {
      if (!(err instanceof DomainError)) throw err; // no longer with the bot: someone escalated first
    }
  }

  // ---------------------------------------------------------------------------------------------- presence

  private async onPresence(c: PresenceChange): Promise<void> {
    await this.activate(c.tenantId);
    if (c.record.status === PresenceStatus.ONLINE) return this.pullFor(c.tenantId, c.agentId);
    // Not taking work any more: open offers go to someone else (assignments stay; no-reply replacement covers them).
    const offers = await this.store.offers.findBy({ tenantId: c.tenantId, agentId: c.agentId, status: OfferStatus.OFFERED });
    for (const o of offers) await this.giveBack(c.tenantId, o, OfferStatus.REVOKED, `agent_${c.record.status.toLowerCase()}`, false);
  }

  // ---------------------------------------------------------------------------------------------- balancing

  /** Each channel's waiting, held and target share of a queue (supervisors watch the adaptive targets here). */
  async channelBalance(tenantId: string, groupId: string | null): Promise<ChannelShare[]> {
    const rules = await this.d.rules.get(tenantId);
    const now = this.clock();
    const qb = this.store.entries
      .createQueryBuilder('e')
      .select('e.channel_type', 'channelType')
      .addSelect('COUNT(*)', 'n')
      .addSelect('MIN(e.enqueued_at)', 'oldest')
      .where('e.tenant_id = :tenantId AND e.state = :s', { tenantId, s: EntryState.WAITING });
    if (groupId) qb.andWhere('e.group_id = :groupId', { groupId });
    else qb.andWhere('e.group_id IS NULL');
    const [waiting, held] = await Promise.all([qb.groupBy('e.channel_type').getRawMany<{ channelType: string; n: string | number; oldest: string | Date }>(), this.store.heldByChannel(tenantId, groupId)]);
    const types = [...new Set([...waiting.map((w) => w.channelType), ...held.keys(), ...Object.keys(rules.balancing.channels)])].sort();
    const pressures = types.map((channelType) => {
      const w = waiting.find((x) => x.channelType === channelType);
      const oldest = w?.oldest ? toDate(w.oldest).getTime() : now;
      return { channelType, waiting: Number(w?.n ?? 0), longestWaitMs: Math.max(0, now - oldest), active: held.get(channelType) ?? 0 };
    });
    return channelShares(rules.balancing, pressures);
  }

  // ---------------------------------------------------------------------------------------------- the sweep

  /** Handles the timers that are due, every kind; returns how many were handled. */
  async sweepDue(limit = 200): Promise<number> {
    const now = this.clock();
    let n = 0;
    // A handler may answer a time to come back at (not due yet, or a queue that still waits).
    const kinds: Array<[string, (parts: string[]) => Promise<number | void>]> = [
      ['offer', ([t, offerId, conversationId]) => this.expireOffer(t, offerId, conversationId)],
      ['verify', ([t, conversationId]) => this.sync(t, conversationId).then(() => undefined)],
      ['noreply', ([t, conversationId, at]) => this.replaceIfSilent(t, conversationId, Number(at))],
      ['overflow', ([t, entryId, since]) => this.overflowEntry(t, entryId, Number(since))],
      ['queue', ([t, g]) => this.recheckQueue(t, g || null)],
    ];
    for (const [kind, handle] of kinds) {
      for (const member of await this.d.scheduler.due(kind, now, LEASE_MS, limit)) {
        try {
          const again = await handle(member.split('|'));
          await this.d.scheduler.done(kind, member);
          if (again) await this.d.scheduler.schedule(kind, member, again);
          n++;
        } catch (err) {
          // Stays leased: it comes back after LEASE_MS.
          this.d.log.error({ err, kind }, 'routing timer failed');
        }
      }
    }
    return n;
  }

  /** An offer past its timeout goes to the next agent; the agent who let it expire is not asked again. */
  private async expireOffer(tenantId: string, offerId: string, conversationId: string): Promise<number | void> {
    const o = await this.store.offer(tenantId, offerId);
    if (!o) {
      // Claimed, then the replica died before writing the offer row: give the unit back.
      const e = await this.store.entry(tenantId, conversationId);
      if (e && e.offerId === offerId && HOLDING_STATES.includes(e.state)) await this.release(tenantId, e, { to: EntryState.WAITING, offer: OfferStatus.REVOKED, reason: 'lost_offer' }).catch(() => undefined);
      return;
    }
    if (o.status !== OfferStatus.OFFERED) return;
    if (o.expiresAt && o.expiresAt.getTime() > this.clock()) return o.expiresAt.getTime();
    await this.giveBack(tenantId, o, OfferStatus.EXPIRED, 'timeout', true);
  }

  /** The agent took the conversation at `assignedAt` and has not written to the customer since: someone else gets it. */
  private async replaceIfSilent(tenantId: string, conversationId: string, assignedAt: number): Promise<number | void> {
    const e = await this.store.entry(tenantId, conversationId);
    if (!e || e.state !== EntryState.ASSIGNED || e.assignedAt?.getTime() !== assignedAt || !e.agentId) return;
    const minutes = (await this.d.rules.get(tenantId)).offers.noReplyMinutes;
    if (!minutes) return;
    if (this.clock() - assignedAt < minutes * 60_000) return assignedAt + minutes * 60_000;
    const [c] = await this.d.conversations.byIds(tenantId, [conversationId]);
    if (!c || c.status !== S.ASSIGNED || c.assigneeId !== e.agentId) return;
    const replied = await this.store.ds
      .getRepository(MessageEntity)
      .createQueryBuilder('m')
      .where('m.tenant_id = :tenantId AND m.conversation_id = :conversationId AND m.sender_type = :agent AND m.sender_id = :agentId AND m.internal = 0 AND m.created_at >= :at', {
        tenantId, conversationId, agent: MessageSenderType.AGENT, agentId: e.agentId, at: e.assignedAt,
      })
      .getExists();
    if (replied) return;
    const keeper = e.agentId;
    try {
      const next = await this.requeue(tenantId, e, e.groupId, 'no_reply');
      await this.d.events.publish({ type: 'routing.agent_replaced', tenantId, data: { conversationId, agentId: keeper } });
      await this.dispatchGroup(tenantId, next.groupId);
    } catch (err) {
      if (!(err instanceof StaleEntry)) throw err;
    }
  }

  /** A conversation that waited in its group longer than the group's overflow time moves to the overflow group. */
  private async overflowEntry(tenantId: string, entryId: string, groupSince: number): Promise<number | void> {
    const e = await this.store.entries.findOneBy({ tenantId, id: entryId });
    if (!e || e.state !== EntryState.WAITING || e.overflowed || !e.groupId || e.groupSince.getTime() !== groupSince) return;
    const o = (await this.d.rules.get(tenantId)).groups[e.groupId]?.overflow;
    if (!o) return;
    const now = this.clock();
    if (now - groupSince < o.afterSeconds * 1000) return groupSince + o.afterSeconds * 1000;
    try {
      const prev = (e.trace ?? {}) as Partial<RoutingTraceDoc>;
      const levels = [...(prev.levels ?? []), { level: 'L1', ruleId: null, matched: true, detail: `overflow after ${o.afterSeconds} s in group ${e.groupId}`, groupIds: [o.toGroupId] }];
      const moved = await this.tx(tenantId, e, { groupId: o.toGroupId, groupSince: new Date(now), overflowed: true, trace: { ...prev, groupId: o.toGroupId, levels } as never });
      this.d.queue.changed(tenantId, e.groupId);
      await this.afterWaiting(tenantId, moved);
      await this.d.events.publish({ type: 'routing.overflowed', tenantId, data: { conversationId: e.conversationId, fromGroupId: e.groupId, toGroupId: o.toGroupId } });
      await this.dispatchGroup(tenantId, o.toGroupId);
    } catch (err) {
      if (!(err instanceof StaleEntry)) throw err;
    }
  }

  /** A queue with waiting conversations, again: dispatch (a safety net for missed events), positions, hours. */
  private async recheckQueue(tenantId: string, groupId: string | null): Promise<number | void> {
    await this.dispatchGroup(tenantId, groupId);
    const rules = await this.d.rules.get(tenantId);
    const hours = groupId ? rules.groups[groupId]?.businessHours : undefined;
    // Closed: no query now, look again later (the queue opens by the clock, not by an event).
    if (hours && !isOpen(hours, this.clock())) return this.clock() + QUEUE_RECHECK_MS * 6;
    const waiting = await this.store.waiting(tenantId, groupId, 200);
    if (!waiting.length) return;
    if (rules.queueMessages.enabled) for (const e of waiting) await this.announcePosition(tenantId, e, rules, false);
    return this.clock() + QUEUE_RECHECK_MS;
  }

  // ---------------------------------------------------------------------------------------------- live

  private async notify(tenantId: string, agentId: string, conversationId: string, offerId: string, type: AssignmentEventType): Promise<void> {
    const e: AssignmentEvent = { id: offerId, tenantId, agentId, conversationId, type, at: this.clock() };
    try {
      await this.d.pubsub.publish(assignmentTopic(tenantId, agentId), { ...e });
    } catch (err) {
      this.d.log.warn({ err, tenantId, conversationId }, 'assignment event not published');
    }
  }

  /** The agent's offers and assignments as they happen; the open subscription also keeps the agent's presence alive. */
  watchAssignments(tenantId: string, agentId: string): AsyncIterableIterator<{ type: AssignmentEventType; offer: RoutingOfferEntity; at: Date }> {
    const source = this.d.pubsub.subscribe<AssignmentEvent>(assignmentTopic(tenantId, agentId));
    const stopBeat = this.d.presence.keepAlive(tenantId, agentId);
    const done = (): IteratorResult<never> => ({ done: true, value: undefined });
    const it: AsyncIterableIterator<{ type: AssignmentEventType; offer: RoutingOfferEntity; at: Date }> = {
      next: async () => {
        for (;;) {
          const r = await source.next();
          if (r.done) return done();
          const e = r.value;
          if (!e || e.tenantId !== tenantId || e.agentId !== agentId) continue;
          const offer = await this.store.offer(tenantId, e.id);
          if (offer) return { done: false, value: { type: e.type, offer, at: new Date(e.at) } };
        }
      },
      return: async () => {
        stopBeat();
        await source.return?.();
        return done();
      },
      throw: async (err?: unknown) => {
        stopBeat();
        await source.return?.();
        throw err;
      },
      [Symbol.asyncIterator]: () => it,
    };
    return it;
  }
}

function stripNulls(o: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== null && v !== undefined));
}

function toDate(v: string | Date): Date {
  if (v instanceof Date) return v;
  return new Date(/[zZ]|[+-]\d\d:?\d\d$/.test(v) ? v : `${v.replace(' ', 'T')}Z`);
}

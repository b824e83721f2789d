import { Column, Entity, Index, PrimaryColumn } from 'typeorm';
import type { JsonObject } from '../message/message.entity.js';

/** Where a conversation stands in routing. OFFERED and ASSIGNED hold one unit of the agent's capacity. */
export enum EntryState {
  /** With the bot: not routed until it escalates. */
  BOT = 'BOT',
  WAITING = 'WAITING',
  OFFERED = 'OFFERED',
  ASSIGNED = 'ASSIGNED',
  /** Resolved or closed: holds nothing. */
  DONE = 'DONE',
}

export const HOLDING_STATES: readonly EntryState[] = [EntryState.OFFERED, EntryState.ASSIGNED];

/**
 * The agent whose conversation it is, as routing sees it: the one it is assigned to, or the one who keeps it
 * while it waits for, or is offered to, someone else (a transfer to a group). Null when nobody has it.
 */
export function ownerOf(e: { state: EntryState; agentId: string | null; reassignFrom: string | null }): string | null {
  if (e.state === EntryState.ASSIGNED) return e.agentId;
  if (e.state === EntryState.WAITING || e.state === EntryState.OFFERED) return e.reassignFrom;
  return null;
}

export enum OfferStatus {
  OFFERED = 'OFFERED',
  ACCEPTED = 'ACCEPTED',
  DECLINED = 'DECLINED',
  EXPIRED = 'EXPIRED',
  /** Withdrawn before an answer: the agent went away, the conversation was re-routed or resolved. */
  REVOKED = 'REVOKED',
  /** An accepted assignment that is over: resolved, transferred away, replaced. */
  ENDED = 'ENDED',
}

export enum OfferKind {
  /** Waits for the agent to accept. */
  OFFER = 'OFFER',
  /** Assigned without asking (rules.offers.mode = auto). */
  AUTO = 'AUTO',
  /** A colleague or supervisor transferred it to this agent. */
  TRANSFER = 'TRANSFER',
  /** Assigned outside routing (assignConversation, a reopen): routing took note and counts it. */
  ADOPTED = 'ADOPTED',
}

/** Capacity is counted per channel class: a chat and a call need different attention. */
export type ChannelClass = 'chat' | 'call';

/** The tenant's routing rules (JSON validated by routing.rules.ts), versioned for optimistic updates. */
@Entity('routing_rule_sets')
@Index('uq_routing_rule_sets_tenant', ['tenantId'], { unique: true })
export class RoutingRuleSetEntity {
  @PrimaryColumn({ type: 'varchar', length: 36 })
  id: string;

  @Column({ name: 'tenant_id', type: 'varchar', length: 64 })
  tenantId: string;

  @Column({ name: 'version', type: 'int' })
  version: number;

  @Column({ name: 'rules', type: 'json' })
  rules: JsonObject;

  @Column({ name: 'updated_at', type: 'datetime', precision: 3 })
  updatedAt: Date;

  /** The token subject of whoever saved them. */
  @Column({ name: 'updated_by', type: 'varchar', length: 191, nullable: true })
  updatedBy: string | null;
}

/** What routing knows about an agent besides the agents table: skills. */
@Entity('routing_agent_profiles')
@Index('uq_routing_agent_profiles_agent', ['tenantId', 'agentId'], { unique: true })
export class AgentRoutingProfileEntity {
  @PrimaryColumn({ type: 'varchar', length: 36 })
  id: string;

  @Column({ name: 'tenant_id', type: 'varchar', length: 64 })
  tenantId: string;

  @Column({ name: 'agent_id', type: 'varchar', length: 36 })
  agentId: string;

  @Column({ name: 'skills', type: 'json' })
  skills: string[];

  @Column({ name: 'updated_at', type: 'datetime', precision: 3 })
  updatedAt: Date;
}

/**
 * An agent's capacity and current load for one channel class. `active` moves only in the same transaction as
 * the routing entry that takes or gives back the unit, and only with `active < capacity` on the way up: that
 * conditional update is what keeps every agent within capacity across replicas.
 */
@Entity('routing_agent_loads')
@Index('uq_routing_agent_loads', ['tenantId', 'agentId', 'channelClass'], { unique: true })
export class AgentLoadEntity {
  @PrimaryColumn({ type: 'varchar', length: 36 })
  id: string;

  @Column({ name: 'tenant_id', type: 'varchar', length: 64 })
  tenantId: string;

  @Column({ name: 'agent_id', type: 'varchar', length: 36 })
  agentId: string;

  @Column({ name: 'channel_class', type: 'varchar', length: 10 })
  channelClass: ChannelClass;

  @Column({ name: 'capacity', type: 'int' })
  capacity: number;

  @Column({ name: 'active', type: 'int' })
  active: number;

  @Column({ name: 'last_assigned_at', type: 'datetime', precision: 3, nullable: true })
  lastAssignedAt: Date | null;

  /** When a unit was last given back: an agent with nothing left has been idle since then. */
  @Column({ name: 'last_released_at', type: 'datetime', precision: 3, nullable: true })
  lastReleasedAt: Date | null;
}

/**
 * One row per conversation that routing has seen: its queue position data, who holds it, and the latest
 * decision's trace. Every change is a conditional update on (id, version), so two replicas never both win.
 */
@Entity('routing_entries')
@Index('uq_routing_entries_conversation', ['conversationId'], { unique: true })
@Index('idx_routing_entries_queue', ['tenantId', 'groupId', 'state', 'priority', 'enqueuedAt'])
@Index('idx_routing_entries_agent', ['tenantId', 'agentId', 'state'])
export class RoutingEntryEntity {
  @PrimaryColumn({ type: 'varchar', length: 36 })
  id: string;

  @Column({ name: 'tenant_id', type: 'varchar', length: 64 })
  tenantId: string;

  @Column({ name: 'conversation_id', type: 'varchar', length: 36 })
  conversationId: string;

  @Column({ name: 'channel_type', type: 'varchar', length: 40 })
  channelType: string;

  @Column({ name: 'channel_class', type: 'varchar', length: 10 })
  channelClass: ChannelClass;

  /** The queue it waits in (L1/L2 decision, overflow, transfer). */
  @Column({ name: 'group_id', type: 'varchar', length: 36, nullable: true })
  groupId: string | null;

  @Column({ name: 'state', type: 'varchar', length: 16 })
  state: EntryState;

  /** Holder while OFFERED or ASSIGNED. */
  @Column({ name: 'agent_id', type: 'varchar', length: 36, nullable: true })
  agentId: string | null;

  @Column({ name: 'offer_id', type: 'varchar', length: 36, nullable: true })
  offerId: string | null;

  /** The agent who keeps the conversation until someone else takes it (transfer to a group, no-reply replacement). */
  @Column({ name: 'reassign_from', type: 'varchar', length: 36, nullable: true })
  reassignFrom: string | null;

  @Column({ name: 'priority', type: 'int' })
  priority: number;

  @Column({ name: 'preferred_agent_ids', type: 'json', nullable: true })
  preferredAgentIds: string[] | null;

  @Column({ name: 'required_skills', type: 'json', nullable: true })
  requiredSkills: string[] | null;

  /** Agents who declined, let the offer expire or were replaced: not offered this conversation again. */
  @Column({ name: 'excluded_agent_ids', type: 'json', nullable: true })
  excludedAgentIds: string[] | null;

  /** Routing input: customer tags and attributes, business type, intent... (see RoutingHints). */
  @Column({ name: 'hints', type: 'json', nullable: true })
  hints: JsonObject | null;

  /** The latest decision: per level the rule, the candidates and why the winner won. */
  @Column({ name: 'trace', type: 'json', nullable: true })
  trace: JsonObject | null;

  /** When it started waiting for a human: queue order and waiting time count from here. */
  @Column({ name: 'enqueued_at', type: 'datetime', precision: 3 })
  enqueuedAt: Date;

  /** When it entered its current group: overflow counts from here. */
  @Column({ name: 'group_since', type: 'datetime', precision: 3 })
  groupSince: Date;

  @Column({ name: 'overflowed', type: 'boolean', default: false })
  overflowed: boolean;

  @Column({ name: 'out_of_hours_notified_at', type: 'datetime', precision: 3, nullable: true })
  outOfHoursNotifiedAt: Date | null;

  /** The last queue position told to the customer ("您前面还有 N 位"), and when. */
  @Column({ name: 'notified_ahead', type: 'int', nullable: true })
  notifiedAhead: number | null;

  @Column({ name: 'notified_at', type: 'datetime', precision: 3, nullable: true })
  notifiedAt: Date | null;

  @Column({ name: 'assigned_at', type: 'datetime', precision: 3, nullable: true })
  assignedAt: Date | null;

  @Column({ name: 'version', type: 'int' })
  version: number;

  @Column({ name: 'updated_at', type: 'datetime', precision: 3 })
  updatedAt: Date;
}

/** Every offer and assignment routing made, and how it ended: the agent's inbox and the audit trail. */
@Entity('routing_offers')
@Index('idx_routing_offers_agent', ['tenantId', 'agentId', 'status'])
export class RoutingOfferEntity {
  @PrimaryColumn({ type: 'varchar', length: 36 })
  id: string;

  @Column({ name: 'tenant_id', type: 'varchar', length: 64 })
  tenantId: string;

  @Column({ name: 'conversation_id', type: 'varchar', length: 36 })
  conversationId: string;

  @Column({ name: 'agent_id', type: 'varchar', length: 36 })
  agentId: string;

  @Column({ name: 'kind', type: 'varchar', length: 16 })
  kind: OfferKind;

  @Column({ name: 'status', type: 'varchar', length: 16 })
  status: OfferStatus;

  @Column({ name: 'created_at', type: 'datetime', precision: 3 })
  createdAt: Date;

  @Column({ name: 'expires_at', type: 'datetime', precision: 3, nullable: true })
  expiresAt: Date | null;

  @Column({ name: 'responded_at', type: 'datetime', precision: 3, nullable: true })
  respondedAt: Date | null;

  @Column({ name: 'ended_at', type: 'datetime', precision: 3, nullable: true })
  endedAt: Date | null;

  /** Why it ended: declined reason, timeout, resolved, transferred, no_reply, presence... */
  @Column({ name: 'reason', type: 'varchar', length: 40, nullable: true })
  reason: string | null;
}

export const routingEntities = [RoutingRuleSetEntity, AgentRoutingProfileEntity, AgentLoadEntity, RoutingEntryEntity, RoutingOfferEntity];

import { In, type DataSource, type EntityManager, type Repository } from 'typeorm';
import { isRetryableTransactionError, isUniqueViolation } from '../../_shared/db-errors.js';
import { badInput, conflict, notFound } from '../../_shared/errors.js';
import type { EventBus, NewEvent } from '../../_shared/events.js';
import { newId } from '../../_shared/ids.js';
import type { Logger } from '../../_shared/logger.js';
import { clampFirst, decodeCursor, toPage } from '../../_shared/pagination.js';
import type { TicketLive, TicketPush } from '../live/ticket.live.js';
import { rowLock, type SlaNotice, type SlaService } from '../sla/sla.service.js';
import type { Clock } from '../tickets.clock.js';
import {
  TicketCommentEntity, TicketEntity, TicketEventEntity, TicketLinkEntity, TicketOrderEntity, TicketTagEntity, type JsonObject, type TicketAttachmentData,
} from './ticket.entity.js';
import type { ConversationDigestService } from '../conversation/conversation-digest.service.js';
import {
  CUSTOMER_LEVELS, LINK_RELATIONS, MAX_ATTACHMENTS, MAX_BODY, MAX_CUSTOM_FIELDS_BYTES, MAX_ORDERS, MAX_SUMMARY, MAX_TAGS, ORDER_ID, SYMMETRIC_RELATIONS,
  SYSTEM_ACTOR, TICKET_PRIORITIES, TICKET_SOURCES, TICKET_STATUSES, TICKET_TYPES, type TicketActor, type TicketSource, type TicketStatus,
} from './ticket.model.js';

export interface NewTicket {
  id?: string;
  customerId?: string | null;
  conversationId?: string | null;
  subject: string;
  description?: string | null;
  summary?: string | null;
  type: string;
  priority?: string | null;
  customerLevel?: string | null;
  assigneeId?: string | null;
  groupId?: string | null;
  orderIds?: string[] | null;
  tags?: string[] | null;
  customFields?: JsonObject | null;
  /** Idempotency: a second create with the same key returns the first ticket. */
  sourceKey?: string | null;
  source?: TicketSource | null;
}

/** undefined leaves a field alone; null clears an optional one. */
export interface TicketChanges {
  subject?: string | null;
  description?: string | null;
  summary?: string | null;
  type?: string | null;
  priority?: string | null;
  customerLevel?: string | null;
  orderIds?: string[] | null;
  tags?: string[] | null;
  customFields?: JsonObject | null;
}

export interface NewComment {
  id?: string;
  ticketId: string;
  body: string;
  public?: boolean | null;
  attachments?: TicketAttachmentData[] | null;
}

export interface TicketFilter {
  first?: number | null;
  after?: string | null;
  status?: string | null;
  customerId?: string | null;
  assigneeId?: string | null;
  groupId?: string | null;
  type?: string | null;
  tag?: string | null;
  orderId?: string | null;
}

const RESOLVED: ReadonlySet<string> = new Set<TicketStatus>(['SOLVED', 'CLOSED']);
const SCALARS = ['subject', 'description', 'summary', 'type', 'priority', 'customerLevel'] as const;
const REQUIRED: ReadonlySet<string> = new Set(['subject', 'type', 'priority', 'customerLevel']);

/** The work of one write: its time, the history it leaves, and what to announce once it is committed. */
interface Op {
  m: EntityManager;
  tenantId: string;
  actor: TicketActor;
  at: Date;
  history: TicketEventEntity[];
  events: NewEvent[];
  pushes: TicketPush[];
}

/**
 * Tickets, their comments, tags, order ids, links and history. Every method is scoped by tenant. Writes lock the
 * ticket row (so concurrent changes serialise and the history's old values are right), stamp a time strictly after
 * the ticket's last change, and announce (domain events, live pushes) only after the commit.
 */
export class TicketService {
  private readonly tickets: Repository<TicketEntity>;
  private readonly comments: Repository<TicketCommentEntity>;

  constructor(
    private readonly ds: DataSource,
    private readonly events: EventBus,
    private readonly sla: SlaService,
    private readonly live: TicketLive,
    private readonly clock: Clock,
    private readonly log: Logger,
    private readonly digests?: ConversationDigestService,
  ) {
    this.tickets = ds.getRepository(TicketEntity);
    this.comments = ds.getRepository(TicketCommentEntity);
  }

  // ---- reads

  async byIds(tenantId: string, ids: readonly string[]): Promise<TicketEntity[]> {
    if (!ids.length) return [];
    return this.tickets.findBy({ tenantId, id: In([...ids]) });
  }

  async get(tenantId: string, id: string): Promise<TicketEntity> {
    const t = await this.tickets.findOneBy({ tenantId, id });
    if (!t) throw notFound('ticket', id);
    return t;
  }

  /** Newest first, optionally filtered by status, customer, assignee, group, type, tag or order id. */
  async list(tenantId: string, f: TicketFilter) {
    const first = clampFirst(f.first);
    const after = decodeCursor(f.after);
    if (f.status != null && !(TICKET_STATUSES as readonly string[]).includes(f.status)) throw badInput(`status must be one of ${TICKET_STATUSES.join(', ')}`, 'status');
    if (f.type != null && !(TICKET_TYPES as readonly string[]).includes(f.type)) throw badInput(`type must be one of ${TICKET_TYPES.join(', ')}`, 'type');
    const qb = this.tickets.createQueryBuilder('t').where('t.tenant_id = :tenantId', { tenantId });
    if (f.status != null) qb.andWhere('t.status = :status', { status: f.status });
    if (f.customerId != null) qb.andWhere('t.customer_id = :customerId', { customerId: f.customerId });
    if (f.assigneeId != null) qb.andWhere('t.assignee_id = :assigneeId', { assigneeId: f.assigneeId });
    if (f.groupId != null) qb.andWhere('t.group_id = :groupId', { groupId: f.groupId });
    if (f.type != null) qb.andWhere('t.type = :type', { type: f.type });
    if (f.tag != null) qb.andWhere('t.id IN (SELECT tt.ticket_id FROM ticket_tags tt WHERE tt.tenant_id = :tenantId AND tt.tag = :tag)', { tag: f.tag });
    if (f.orderId != null) qb.andWhere('t.id IN (SELECT tor.ticket_id FROM ticket_orders tor WHERE tor.tenant_id = :tenantId AND tor.order_id = :orderId)', { orderId: f.orderId });
    if (after) qb.andWhere('(t.created_at < :at OR (t.created_at = :at AND t.id < :id))', { at: after.at, id: after.id });
    const rows = await qb.orderBy('t.created_at', 'DESC').addOrderBy('t.id', 'DESC').take(first + 1).getMany();
    return toPage(rows, first, (r) => r.createdAt);
  }

  /** For the loaders behind Customer.tickets: newest first. */
  async byCustomers(tenantId: string, customerIds: readonly string[]): Promise<TicketEntity[]> {
    if (!customerIds.length) return [];
    return this.tickets.find({ where: { tenantId, customerId: In([...customerIds]) }, order: { createdAt: 'DESC', id: 'DESC' } });
  }

  /** For the loaders behind Conversation.tickets: newest first. */
  async byConversations(tenantId: string, conversationIds: readonly string[]): Promise<TicketEntity[]> {
    if (!conversationIds.length) return [];
    return this.tickets.find({ where: { tenantId, conversationId: In([...conversationIds]) }, order: { createdAt: 'DESC', id: 'DESC' } });
  }

  /** The duplicates merged into each of these tickets. */
  async mergedInto(tenantId: string, ticketIds: readonly string[]): Promise<TicketEntity[]> {
    if (!ticketIds.length) return [];
    return this.tickets.find({ where: { tenantId, mergedIntoId: In([...ticketIds]) }, order: { createdAt: 'ASC', id: 'ASC' } });
  }

  /** Oldest first, the order a thread is read in. */
  async commentsOf(tenantId: string, ticketIds: readonly string[]): Promise<TicketCommentEntity[]> {
    if (!ticketIds.length) return [];
    return this.comments.find({ where: { tenantId, ticketId: In([...ticketIds]) }, order: { createdAt: 'ASC', id: 'ASC' } });
  }

  async commentsByIds(tenantId: string, ids: readonly string[]): Promise<TicketCommentEntity[]> {
    if (!ids.length) return [];
    return this.comments.findBy({ tenantId, id: In([...ids]) });
  }

  async tagsOf(tenantId: string, ticketIds: readonly string[]): Promise<TicketTagEntity[]> {
    if (!ticketIds.length) return [];
    return this.ds.getRepository(TicketTagEntity).find({ where: { tenantId, ticketId: In([...ticketIds]) }, order: { position: 'ASC' } });
  }

  async ordersOf(tenantId: string, ticketIds: readonly string[]): Promise<TicketOrderEntity[]> {
    if (!ticketIds.length) return [];
    return this.ds.getRepository(TicketOrderEntity).find({ where: { tenantId, ticketId: In([...ticketIds]) }, order: { position: 'ASC' } });
  }

  /** Oldest first. */
  async historyOf(tenantId: string, ticketIds: readonly string[]): Promise<TicketEventEntity[]> {
    if (!ticketIds.length) return [];
    return this.ds.getRepository(TicketEventEntity).find({ where: { tenantId, ticketId: In([...ticketIds]) }, order: { createdAt: 'ASC', seq: 'ASC' } });
  }

  /** Links that touch any of these tickets, from either end. */
  async linksOf(tenantId: string, ticketIds: readonly string[]): Promise<TicketLinkEntity[]> {
    if (!ticketIds.length) return [];
    const ids = [...ticketIds];
    return this.ds.getRepository(TicketLinkEntity).find({
      where: [{ tenantId, ticketId: In(ids) }, { tenantId, linkedTicketId: In(ids) }],
      order: { createdAt: 'ASC', id: 'ASC' },
    });
  }

  // ---- writes

  async create(tenantId: string, input: NewTicket, actor: TicketActor = SYSTEM_ACTOR): Promise<TicketEntity> {
    // Opened from a conversation without a summary: keep what the customer said there.
    const summary = input.summary ?? (input.conversationId && this.digests ? await this.digests.summaryOf(tenantId, input.conversationId) : null);
    return (await this.createOrGet(tenantId, { ...input, summary }, actor)).ticket;
  }

  /**
   * Opens a ticket (NEW) under the SLA policy that matches its type and customer level. With a sourceKey the call
   * is idempotent: a ticket with that key (from a rule, or an API retry) is returned instead of a second one.
   * The customer and conversation live in other subgraphs and are not checked here: a foreign id resolves to
   * nothing through the gateway, because those subgraphs scope their lookups by the same tenant.
   */
  async createOrGet(tenantId: string, input: NewTicket, actor: TicketActor = SYSTEM_ACTOR): Promise<{ ticket: TicketEntity; created: boolean }> {
    const tags = checkTags(input.tags);
    const orderIds = checkOrderIds(input.orderIds);
    checkScalars(input);
    checkCustomFields(input.customFields);
    if (input.sourceKey) {
      const existing = await this.tickets.findOneBy({ tenantId, sourceKey: input.sourceKey });
      if (existing) return { ticket: existing, created: false };
    }
    const source: TicketSource = input.source ?? (actor.kind === 'SERVICE' ? 'API' : input.conversationId ? 'CONVERSATION' : 'AGENT');
    if (!(TICKET_SOURCES as readonly string[]).includes(source)) throw badInput(`source must be one of ${TICKET_SOURCES.join(', ')}`, 'source');
    try {
      const ticket = await this.run(tenantId, actor, async (op) => {
        op.at = this.clock.now();
        const t = this.tickets.create({
          id: input.id ?? newId(), tenantId, customerId: input.customerId ?? null, conversationId: input.conversationId ?? null, subject: input.subject,
          description: input.description ?? null, summary: input.summary ?? null, type: input.type, priority: input.priority ?? 'NORMAL',
          customerLevel: input.customerLevel ?? 'NORMAL', status: 'NEW', assigneeId: input.assigneeId ?? null, groupId: input.groupId ?? null,
          source, sourceKey: input.sourceKey ?? null, customFields: input.customFields ?? null, mergedIntoId: null, firstResponseAt: null,
          createdAt: op.at, updatedAt: op.at, solvedAt: null,
        });
        await op.m.insert(TicketEntity, t);
        await this.writeTags(op.m, t, tags);
        await this.writeOrders(op.m, t, orderIds);
        record(op, t.id, 'created', null, null, { subject: t.subject, type: t.type, priority: t.priority, source, customerLevel: t.customerLevel });
        if (t.assigneeId) record(op, t.id, 'updated', 'assignee', null, t.assigneeId);
        if (t.groupId) record(op, t.id, 'updated', 'group', null, t.groupId);
        const policy = await this.sla.startClocks(op.m, t, op.at);
        if (policy) record(op, t.id, 'sla_applied', 'slaPolicy', null, policy.name);
        op.events.push({
          type: 'ticket.created', tenantId, occurredAt: op.at.toISOString(),
          data: { ticketId: t.id, customerId: t.customerId, conversationId: t.conversationId, type: t.type, priority: t.priority, source, assigneeId: t.assigneeId, groupId: t.groupId },
        });
        if (t.assigneeId || t.groupId) op.events.push({ type: 'ticket.assigned', tenantId, data: { ticketId: t.id, assigneeId: t.assigneeId, groupId: t.groupId, previousAssigneeId: null } });
        op.pushes.push({ ticket: t });
        return t;
      });
      return { ticket, created: true };
    } catch (e) {
      if (input.sourceKey && isUniqueViolation(e)) {
        const existing = await this.tickets.findOneBy({ tenantId, sourceKey: input.sourceKey });
        if (existing) return { ticket: existing, created: false };
      }
      throw e;
    }
  }

  /** Field changes, each in the history. A new type or customer level moves the ticket to the policy that matches. */
  async update(tenantId: string, ticketId: string, changes: TicketChanges, actor: TicketActor): Promise<TicketEntity> {
    for (const k of REQUIRED) if ((changes as Record<string, unknown>)[k] === null) throw badInput(`${k} cannot be cleared`, k);
    checkScalars(changes);
    const tags = changes.tags === undefined ? undefined : checkTags(changes.tags);
    const orderIds = changes.orderIds === undefined ? undefined : checkOrderIds(changes.orderIds);
    if (changes.customFields !== undefined) checkCustomFields(changes.customFields);
    return this.run(tenantId, actor, async (op) => {
      const t = await this.lock(op, ticketId);
      if (t.status === 'CLOSED') throw conflict(`ticket ${t.id} is closed; open a new ticket instead`);
      const fields: string[] = [];
      for (const k of SCALARS) {
        const v = changes[k];
        if (v === undefined || v === t[k]) continue;
        record(op, t.id, 'updated', k, t[k], v);
        (t as unknown as Record<string, unknown>)[k] = v;
        fields.push(k);
      }
      if (changes.customFields !== undefined && JSON.stringify(changes.customFields ?? null) !== JSON.stringify(t.customFields ?? null)) {
        record(op, t.id, 'updated', 'customFields', t.customFields, changes.customFields);
        t.customFields = changes.customFields ?? null;
        fields.push('customFields');
      }
      if (tags) {
        const before = (await op.m.find(TicketTagEntity, { where: { tenantId, ticketId: t.id }, order: { position: 'ASC' } })).map((r) => r.tag);
        if (JSON.stringify(before) !== JSON.stringify(tags)) {
          await this.writeTags(op.m, t, tags, true);
          record(op, t.id, 'updated', 'tags', before, tags);
          fields.push('tags');
        }
      }
      if (orderIds) {
        const before = (await op.m.find(TicketOrderEntity, { where: { tenantId, ticketId: t.id }, order: { position: 'ASC' } })).map((r) => r.orderId);
        if (JSON.stringify(before) !== JSON.stringify(orderIds)) {
          await this.writeOrders(op.m, t, orderIds, true);
          record(op, t.id, 'updated', 'orderIds', before, orderIds);
          fields.push('orderIds');
        }
      }
      if (!fields.length) return t;
      t.updatedAt = op.at;
      await op.m.update(TicketEntity, { tenantId, id: t.id }, {
        subject: t.subject, description: t.description, summary: t.summary, type: t.type, priority: t.priority, customerLevel: t.customerLevel,
        customFields: t.customFields, updatedAt: t.updatedAt,
      });
      if (fields.includes('type') || fields.includes('customerLevel')) {
        const r = await this.sla.reapply(op.m, t, op.at);
        if (r.changed) record(op, t.id, 'sla_applied', 'slaPolicy', r.from?.name ?? null, r.to?.name ?? null);
      }
      op.events.push({ type: 'ticket.updated', tenantId, occurredAt: op.at.toISOString(), data: { ticketId: t.id, fields } });
      op.pushes.push({ ticket: t });
      return t;
    });
  }

  /** Assigns to an agent and/or a group (null unassigns). The previous assignee hears it on myTickets. */
  async assign(tenantId: string, ticketId: string, to: { assigneeId?: string | null; groupId?: string | null }, actor: TicketActor): Promise<TicketEntity> {
    return this.run(tenantId, actor, async (op) => {
      const t = await this.lock(op, ticketId);
      if (t.status === 'CLOSED') throw conflict(`ticket ${t.id} is closed`);
      const previous = t.assigneeId;
      let changed = false;
      if (to.assigneeId !== undefined && to.assigneeId !== t.assigneeId) {
        record(op, t.id, 'updated', 'assignee', t.assigneeId, to.assigneeId);
        t.assigneeId = to.assigneeId;
        changed = true;
      }
      if (to.groupId !== undefined && to.groupId !== t.groupId) {
        record(op, t.id, 'updated', 'group', t.groupId, to.groupId);
        t.groupId = to.groupId;
        changed = true;
      }
      if (!changed) return t;
      t.updatedAt = op.at;
      await op.m.update(TicketEntity, { tenantId, id: t.id }, { assigneeId: t.assigneeId, groupId: t.groupId, updatedAt: t.updatedAt });
      op.events.push({ type: 'ticket.assigned', tenantId, occurredAt: op.at.toISOString(), data: { ticketId: t.id, assigneeId: t.assigneeId, groupId: t.groupId, previousAssigneeId: previous } });
      op.pushes.push({ ticket: t, previousAssigneeId: previous !== t.assigneeId ? previous : null });
      return t;
    });
  }

  /**
   * Moving into SOLVED (or straight into CLOSED) stamps solved_at and publishes ticket.resolved; moving back to an
   * open status clears it. CLOSED is final. PENDING and ON_HOLD pause the SLA clocks, SOLVED/CLOSED stop them.
   */
  async updateStatus(tenantId: string, ticketId: string, status: string, actor: TicketActor = SYSTEM_ACTOR): Promise<TicketEntity> {
    if (!(TICKET_STATUSES as readonly string[]).includes(status)) throw badInput(`status must be one of ${TICKET_STATUSES.join(', ')}`, 'status');
    return this.run(tenantId, actor, async (op) => {
      const t = await this.lock(op, ticketId);
      if (t.status === status) return t;
      if (t.status === 'CLOSED') throw conflict(`ticket ${t.id} is closed; open a new ticket instead`);
      const from = t.status;
      const resolves = RESOLVED.has(status) && !RESOLVED.has(from);
      const solvedAt = resolves ? op.at : RESOLVED.has(status) ? t.solvedAt : null;
      record(op, t.id, 'updated', 'status', from, status);
      Object.assign(t, { status, solvedAt, updatedAt: op.at });
      await op.m.update(TicketEntity, { tenantId, id: t.id }, { status, solvedAt, updatedAt: op.at });
      this.announce(op, await this.sla.onStatusChange(op.m, t, from, status, op.at));
      op.events.push({ type: 'ticket.updated', tenantId, occurredAt: op.at.toISOString(), data: { ticketId: t.id, fields: ['status'], from, to: status } });
      if (resolves) {
        op.events.push({
          type: 'ticket.resolved', tenantId,
          data: { ticketId: t.id, customerId: t.customerId, conversationId: t.conversationId, status, createdAt: t.createdAt.toISOString(), solvedAt: op.at.toISOString() },
        });
      }
      op.pushes.push({ ticket: t });
      return t;
    });
  }

  /**
   * A public reply (sent to the customer through the linked conversation by the conversations subgraph, which
   * consumes ticket.commented) or an internal note. The first public reply by staff is the first response.
   */
  async addComment(tenantId: string, input: NewComment, actor: TicketActor): Promise<{ ticket: TicketEntity; comment: TicketCommentEntity }> {
    if (!input.body || input.body.length > MAX_BODY) throw badInput(`body must be 1 to ${MAX_BODY} characters`, 'body');
    const attachments = checkAttachments(input.attachments);
    return this.run(tenantId, actor, async (op) => {
      const ticket = await this.lock(op, input.ticketId);
      if (ticket.status === 'CLOSED') throw conflict(`ticket ${ticket.id} is closed; comments stay readable but no new ones are taken`);
      const comment = this.comments.create({
        id: input.id ?? newId(), tenantId, ticketId: ticket.id, authorId: actor.id, authorType: actor.kind, body: input.body, public: input.public ?? false,
        attachments: attachments.length ? attachments : null, createdAt: op.at,
      });
      await op.m.insert(TicketCommentEntity, comment);
      comment.public = !!comment.public; // MariaDB hands the inserted boolean back as 1
      record(op, ticket.id, 'commented', comment.public ? 'public' : 'internal', null, comment.id);
      ticket.updatedAt = op.at;
      if (comment.public && actor.kind === 'AGENT' && !ticket.firstResponseAt) {
        ticket.firstResponseAt = op.at;
        record(op, ticket.id, 'first_response', null, null, op.at);
        this.announce(op, await this.sla.onFirstResponse(op.m, ticket, op.at));
        op.events.push({ type: 'ticket.first_response', tenantId, occurredAt: op.at.toISOString(), data: { ticketId: ticket.id, seconds: (op.at.getTime() - ticket.createdAt.getTime()) / 1000 } });
      }
      await op.m.update(TicketEntity, { tenantId, id: ticket.id }, { updatedAt: ticket.updatedAt, firstResponseAt: ticket.firstResponseAt });
      op.events.push({
        type: 'ticket.commented', tenantId, occurredAt: op.at.toISOString(),
        data: {
          ticketId: ticket.id, commentId: comment.id, conversationId: ticket.conversationId, public: comment.public, authorId: actor.id, authorType: actor.kind,
          // Internal notes stay inside this subgraph: only what the customer will see travels.
          ...(comment.public ? { body: comment.body, attachments: comment.attachments ?? [] } : {}),
        },
      });
      op.pushes.push({ ticket });
      return { ticket, comment };
    });
  }

  /**
   * Merges a duplicate into another ticket: the duplicate is CLOSED with mergedIntoId (its comments stay readable
   * there), its SLA clocks stop unjudged, and its tags and order ids join the target's. Both histories record it.
   */
  async merge(tenantId: string, sourceId: string, targetId: string, actor: TicketActor): Promise<{ source: TicketEntity; target: TicketEntity }> {
    if (sourceId === targetId) throw badInput('a ticket cannot be merged into itself', 'targetTicketId');
    return this.run(tenantId, actor, async (op) => {
      const [source, target] = await this.lockPair(op, sourceId, targetId);
      if (source.mergedIntoId) throw conflict(`ticket ${source.id} was merged into ${source.mergedIntoId} already`);
      if (source.status === 'CLOSED') throw conflict(`ticket ${source.id} is closed`);
      if (target.status === 'CLOSED') throw conflict(`ticket ${target.id} is closed; merge into an open ticket`);
      const from = source.status;
      Object.assign(source, { status: 'CLOSED', mergedIntoId: target.id, solvedAt: source.solvedAt ?? op.at, updatedAt: op.at });
      await op.m.update(TicketEntity, { tenantId, id: source.id }, { status: source.status, mergedIntoId: source.mergedIntoId, solvedAt: source.solvedAt, updatedAt: op.at });
      await this.sla.cancel(op.m, source, op.at);
      record(op, source.id, 'updated', 'status', from, 'CLOSED');
      record(op, source.id, 'merged_into', null, null, target.id);
      record(op, target.id, 'merged_from', null, null, source.id);

      const [sourceTags, targetTags] = await Promise.all([source, target].map(async (t) => (await op.m.find(TicketTagEntity, { where: { tenantId, ticketId: t.id }, order: { position: 'ASC' } })).map((r) => r.tag)));
      const tags = [...new Set([...targetTags, ...sourceTags])].slice(0, MAX_TAGS);
      if (tags.length !== targetTags.length) {
        await this.writeTags(op.m, target, tags, true);
        record(op, target.id, 'updated', 'tags', targetTags, tags);
      }
      const [sourceOrders, targetOrders] = await Promise.all([source, target].map(async (t) => (await op.m.find(TicketOrderEntity, { where: { tenantId, ticketId: t.id }, order: { position: 'ASC' } })).map((r) => r.orderId)));
      const orders = [...new Set([...targetOrders, ...sourceOrders])].slice(0, MAX_ORDERS);
      if (orders.length !== targetOrders.length) {
        await this.writeOrders(op.m, target, orders, true);
        record(op, target.id, 'updated', 'orderIds', targetOrders, orders);
      }
      target.updatedAt = op.at;
      await op.m.update(TicketEntity, { tenantId, id: target.id }, { updatedAt: op.at });
      op.events.push({ type: 'ticket.merged', tenantId, occurredAt: op.at.toISOString(), data: { sourceTicketId: source.id, targetTicketId: target.id } });
      op.pushes.push({ ticket: source }, { ticket: target });
      return { source, target };
    });
  }

  /** Links two tickets; idempotent (a symmetric relation is found from either end). */
  async link(tenantId: string, ticketId: string, linkedTicketId: string, relation: string, actor: TicketActor): Promise<{ ticket: TicketEntity; linked: TicketEntity }> {
    checkRelation(relation, ticketId, linkedTicketId);
    return this.run(tenantId, actor, async (op) => {
      const [ticket, linked] = await this.lockPair(op, ticketId, linkedTicketId);
      const existing = await this.findLink(op.m, tenantId, ticketId, linkedTicketId, relation);
      if (existing) return { ticket, linked };
      if (relation === 'caused_by' && (await this.findLink(op.m, tenantId, linkedTicketId, ticketId, relation))) {
        throw conflict(`ticket ${linkedTicketId} is already caused by ${ticketId}`);
      }
      await op.m.insert(TicketLinkEntity, { id: newId(), tenantId, ticketId, linkedTicketId, relation, createdBy: actor.id, createdAt: op.at });
      record(op, ticket.id, 'linked', relation, null, linked.id);
      record(op, linked.id, 'linked', relation, null, ticket.id);
      for (const t of [ticket, linked]) {
        t.updatedAt = op.at;
        await op.m.update(TicketEntity, { tenantId, id: t.id }, { updatedAt: op.at });
      }
      op.events.push({ type: 'ticket.linked', tenantId, occurredAt: op.at.toISOString(), data: { ticketId, linkedTicketId, relation } });
      op.pushes.push({ ticket }, { ticket: linked });
      return { ticket, linked };
    });
  }

  async unlink(tenantId: string, ticketId: string, linkedTicketId: string, relation: string, actor: TicketActor): Promise<{ ticket: TicketEntity; linked: TicketEntity }> {
    checkRelation(relation, ticketId, linkedTicketId);
    return this.run(tenantId, actor, async (op) => {
      const [ticket, linked] = await this.lockPair(op, ticketId, linkedTicketId);
      const existing = await this.findLink(op.m, tenantId, ticketId, linkedTicketId, relation);
      if (!existing) throw notFound(`${relation} link between tickets`, `${ticketId} and ${linkedTicketId}`);
      await op.m.delete(TicketLinkEntity, { tenantId, id: existing.id });
      record(op, ticket.id, 'unlinked', relation, linked.id, null);
      record(op, linked.id, 'unlinked', relation, ticket.id, null);
      for (const t of [ticket, linked]) {
        t.updatedAt = op.at;
        await op.m.update(TicketEntity, { tenantId, id: t.id }, { updatedAt: op.at });
      }
      op.events.push({ type: 'ticket.unlinked', tenantId, occurredAt: op.at.toISOString(), data: { ticketId, linkedTicketId, relation } });
      op.pushes.push({ ticket }, { ticket: linked });
      return { ticket, linked };
    });
  }

  // ---- plumbing

  /** Records the warnings/breaches a transition found and announces them after the commit. */
  announce(op: Op, notices: SlaNotice[]): void {
    for (const n of notices) {
      record(op, n.ticketId, n.kind === 'breached' ? 'sla_breached' : 'sla_warning', n.metric, null, n.dueAt);
      op.events.push({
        type: n.kind === 'breached' ? 'ticket.sla.breached' : 'ticket.sla.warning', tenantId: op.tenantId, occurredAt: op.at.toISOString(),
        data: { ticketId: n.ticketId, metric: n.metric, dueAt: n.dueAt.toISOString(), policyId: n.policyId },
      });
    }
  }

  /**
   * Runs one write in a transaction (retried when it loses a lock race), writes its history in the same
   * transaction, then publishes its events and live pushes.
   */
  async run<T>(tenantId: string, actor: TicketActor, work: (op: Op) => Promise<T>): Promise<T> {
    for (let attempt = 1; ; attempt++) {
      const op: Op = { m: undefined as unknown as EntityManager, tenantId, actor, at: this.clock.now(), history: [], events: [], pushes: [] };
      try {
        const result = await this.ds.transaction(async (m) => {
          op.m = m;
          const r = await work(op);
          if (op.history.length) await m.insert(TicketEventEntity, op.history);
          return r;
        });
        for (const e of op.events) await this.events.publish(e);
        for (const p of op.pushes) await this.live.publish(p);
        return result;
      } catch (e) {
        if (attempt >= 4 || !isRetryableTransactionError(e)) throw e;
        this.log.debug({ attempt, tenantId }, 'ticket transaction lost a lock race; retrying');
        await new Promise((r) => setTimeout(r, Math.random() * 20 * 2 ** attempt));
      }
    }
  }

  /** Locks the ticket and sets the operation's time strictly after its last change, so history reads in order. */
  async lock(op: Op, ticketId: string): Promise<TicketEntity> {
    const t = await op.m.findOne(TicketEntity, { where: { tenantId: op.tenantId, id: ticketId }, ...rowLock(op.m) });
    if (!t) throw notFound('ticket', ticketId);
    op.at = new Date(Math.max(this.clock.now().getTime(), t.updatedAt.getTime() + 1));
    return t;
  }

  /** Two tickets, locked in id order (no deadlock between opposite merges), in the order asked. */
  private async lockPair(op: Op, a: string, b: string): Promise<[TicketEntity, TicketEntity]> {
    const [first, second] = [a, b].sort();
    const x = await this.lock(op, first);
    const atX = op.at;
    const y = await this.lock(op, second);
    op.at = new Date(Math.max(atX.getTime(), op.at.getTime()));
    return first === a ? [x, y] : [y, x];
  }

  private async findLink(m: EntityManager, tenantId: string, ticketId: string, linkedTicketId: string, relation: string): Promise<TicketLinkEntity | null> {
    const where = [{ tenantId, ticketId, linkedTicketId, relation }];
    if (SYMMETRIC_RELATIONS.has(relation)) where.push({ tenantId, ticketId: linkedTicketId, linkedTicketId: ticketId, relation });
    return m.findOne(TicketLinkEntity, { where });
  }

  private async writeTags(m: EntityManager, t: TicketEntity, tags: string[], replace = false): Promise<void> {
    if (replace) await m.delete(TicketTagEntity, { tenantId: t.tenantId, ticketId: t.id });
    if (tags.length) await m.insert(TicketTagEntity, tags.map((tag, position) => ({ id: newId(), tenantId: t.tenantId, ticketId: t.id, tag, position })));
  }

  private async writeOrders(m: EntityManager, t: TicketEntity, orderIds: string[], replace = false): Promise<void> {
    if (replace) await m.delete(TicketOrderEntity, { tenantId: t.tenantId, ticketId: t.id });
    if (orderIds.length) await m.insert(TicketOrderEntity, orderIds.map((orderId, position) => ({ id: newId(), tenantId: t.tenantId, ticketId: t.id, orderId, position })));
  }
}

/** A history entry of the operation: values are kept as text (JSON for lists and objects, ISO for times). */
export function record(op: Op, ticketId: string, action: string, field: string | null, oldValue: unknown, newValue: unknown): void {
  const seq = op.history.filter((h) => h.ticketId === ticketId).length;
  op.history.push(Object.assign(new TicketEventEntity(), {
    id: newId(), tenantId: op.tenantId, ticketId, actorId: op.actor.id.slice(0, 64), action, field, oldValue: asText(oldValue), newValue: asText(newValue), createdAt: op.at, seq,
  }));
}

export type { Op as TicketOp };

function asText(v: unknown): string | null {
  if (v === null || v === undefined) return null;
  if (typeof v === 'string') return v;
  if (v instanceof Date) return v.toISOString();
  return JSON.stringify(v);
}

function checkScalars(v: { subject?: string | null; type?: string | null; priority?: string | null; customerLevel?: string | null; summary?: string | null; description?: string | null }): void {
  if (v.subject != null && (v.subject.length < 1 || v.subject.length > 200)) throw badInput('subject must be 1 to 200 characters', 'subject');
  if (v.type != null && !(TICKET_TYPES as readonly string[]).includes(v.type)) throw badInput(`type must be one of ${TICKET_TYPES.join(', ')}`, 'type');
  if (v.priority != null && !(TICKET_PRIORITIES as readonly string[]).includes(v.priority)) throw badInput(`priority must be one of ${TICKET_PRIORITIES.join(', ')}`, 'priority');
  if (v.customerLevel != null && !(CUSTOMER_LEVELS as readonly string[]).includes(v.customerLevel)) throw badInput(`customerLevel must be one of ${CUSTOMER_LEVELS.join(', ')}`, 'customerLevel');
  if (v.summary != null && v.summary.length > MAX_SUMMARY) throw badInput(`summary must be at most ${MAX_SUMMARY} characters`, 'summary');
  if (v.description != null && v.description.length > MAX_BODY) throw badInput(`description must be at most ${MAX_BODY} characters`, 'description');
}

function checkTags(tags: string[] | null | undefined): string[] {
  const out = [...new Set((tags ?? []).map((t) => t.trim()))];
  if (out.length > MAX_TAGS) throw badInput(`at most ${MAX_TAGS} tags`, 'tags');
  if (out.some((t) => t.length < 1 || t.length > 64)) throw badInput('each tag must be 1 to 64 characters', 'tags');
  return out;
}

function checkOrderIds(ids: string[] | null | undefined): string[] {
  const out = [...new Set(ids ?? [])];
  if (out.length > MAX_ORDERS) throw badInput(`at most ${MAX_ORDERS} order ids`, 'orderIds');
  if (out.some((o) => !ORDER_ID.test(o))) throw badInput('order ids are 1 to 64 letters, digits, _ or -', 'orderIds');
  return out;
}

function checkCustomFields(v: JsonObject | null | undefined): void {
  if (v == null) return;
  if (typeof v !== 'object' || Array.isArray(v)) throw badInput('customFields must be a JSON object', 'customFields');
  if (Buffer.byteLength(JSON.stringify(v)) > MAX_CUSTOM_FIELDS_BYTES) throw badInput(`customFields must be at most ${MAX_CUSTOM_FIELDS_BYTES} bytes of JSON`, 'customFields');
}

function checkAttachments(list: TicketAttachmentData[] | null | undefined): TicketAttachmentData[] {
  const out = list ?? [];
  if (out.length > MAX_ATTACHMENTS) throw badInput(`at most ${MAX_ATTACHMENTS} attachments`, 'attachments');
  for (const a of out) {
    if (!a.name || a.name.length > 200) throw badInput('attachment names are 1 to 200 characters', 'attachments');
    if (!a.mediaRef || a.mediaRef.length > 500) throw badInput('attachment mediaRefs are 1 to 500 characters', 'attachments');
    if (!Number.isInteger(a.size) || a.size < 0) throw badInput('attachment sizes are whole numbers of bytes', 'attachments');
  }
  return out.map((a) => ({ name: a.name, size: a.size, mediaRef: a.mediaRef, contentType: a.contentType ?? null }));
}

function checkRelation(relation: string, a: string, b: string): void {
  if (!(LINK_RELATIONS as readonly string[]).includes(relation)) throw badInput(`relation must be one of ${LINK_RELATIONS.join(', ')}`, 'relation');
  if (a === b) throw badInput('a ticket cannot be linked to itself', 'linkedTicketId');
}

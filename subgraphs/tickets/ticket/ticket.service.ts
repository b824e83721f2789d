import { In, type DataSource, type Repository } from 'typeorm';
import { badInput, conflict, notFound } from '../../_shared/errors.js';
import type { EventBus } from '../../_shared/events.js';
import { newId } from '../../_shared/ids.js';
import { clampFirst, decodeCursor, toPage } from '../../_shared/pagination.js';
import { TicketCommentEntity, TicketEntity } from './ticket.entity.js';
import { TICKET_STATUSES, type TicketStatus } from './ticket.type.js';

export interface NewTicket {
  id?: string;
  customerId: string;
  conversationId?: string | null;
  subject: string;
  description?: string | null;
  type: string;
  priority?: string | null;
}

export interface NewComment {
  id?: string;
  ticketId: string;
  body: string;
  public?: boolean | null;
}

const RESOLVED: ReadonlySet<string> = new Set<TicketStatus>(['SOLVED', 'CLOSED']);

/** Tickets and their comments. Every method is scoped by tenant. */
export class TicketService {
  private readonly tickets: Repository<TicketEntity>;
  private readonly comments: Repository<TicketCommentEntity>;

  constructor(private readonly ds: DataSource, private readonly events: EventBus) {
    this.tickets = ds.getRepository(TicketEntity);
    this.comments = ds.getRepository(TicketCommentEntity);
  }

  async byIds(tenantId: string, ids: readonly string[]): Promise<TicketEntity[]> {
    if (!ids.length) return [];
    return this.tickets.findBy({ tenantId, id: In([...ids]) });
  }

  async get(tenantId: string, id: string): Promise<TicketEntity> {
    const t = await this.tickets.findOneBy({ tenantId, id });
    if (!t) throw notFound('ticket', id);
    return t;
  }

  /** Newest first, optionally only one status or one customer's tickets. */
  async list(tenantId: string, opts: { first?: number | null; after?: string | null; status?: string | null; customerId?: string | null }) {
    const first = clampFirst(opts.first);
    const after = decodeCursor(opts.after);
    if (opts.status != null && !(TICKET_STATUSES as readonly string[]).includes(opts.status)) {
      throw badInput(`status must be one of ${TICKET_STATUSES.join(', ')}`, 'status');
    }
    const qb = this.tickets.createQueryBuilder('t').where('t.tenant_id = :tenantId', { tenantId });
    if (opts.status != null) qb.andWhere('t.status = :status', { status: opts.status });
    if (opts.customerId != null) qb.andWhere('t.customer_id = :customerId', { customerId: opts.customerId });
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

  /** Oldest first, the order a thread is read in. */
  async commentsOf(tenantId: string, ticketIds: readonly string[]): Promise<TicketCommentEntity[]> {
    if (!ticketIds.length) return [];
    return this.comments.find({ where: { tenantId, ticketId: In([...ticketIds]) }, order: { createdAt: 'ASC', id: 'ASC' } });
  }

  /**
   * The customer and conversation live in other subgraphs and are not checked here: a foreign id resolves to
   * nothing through the gateway, because those subgraphs scope their lookups by the same tenant.
   */
  async create(tenantId: string, input: NewTicket): Promise<TicketEntity> {
    const now = new Date();
    const t = this.tickets.create({
      id: input.id ?? newId(),
      tenantId,
      customerId: input.customerId,
      conversationId: input.conversationId ?? null,
      subject: input.subject,
      description: input.description ?? null,
      type: input.type,
      priority: input.priority ?? 'NORMAL',
      status: 'NEW',
      assigneeId: null,
      createdAt: now,
      updatedAt: now,
      solvedAt: null,
    });
    await this.tickets.insert(t);
    await this.events.publish({
      type: 'ticket.created',
      tenantId,
      data: { ticketId: t.id, customerId: t.customerId, conversationId: t.conversationId, type: t.type, priority: t.priority },
    });
    return t;
  }

  /**
   * Moving into SOLVED (or straight into CLOSED) stamps solved_at and publishes ticket.resolved; moving back to an
   * open status clears it. CLOSED is final. The update is conditional on the status read, so two concurrent
   * changes cannot both win (and the event is published once).
   */
  async updateStatus(tenantId: string, ticketId: string, status: string): Promise<TicketEntity> {
    if (!(TICKET_STATUSES as readonly string[]).includes(status)) throw badInput(`status must be one of ${TICKET_STATUSES.join(', ')}`, 'status');
    const t = await this.get(tenantId, ticketId);
    if (t.status === status) return t;
    if (t.status === 'CLOSED') throw conflict(`ticket ${t.id} is closed; open a new ticket instead`);
    const now = new Date();
    const resolves = RESOLVED.has(status) && !RESOLVED.has(t.status);
    const solvedAt = resolves ? now : RESOLVED.has(status) ? t.solvedAt : null;
    const res = await this.tickets.update({ tenantId, id: t.id, status: t.status }, { status, solvedAt, updatedAt: now });
    if (!res.affected) throw conflict(`ticket ${t.id} was changed concurrently; reload and retry`);
    Object.assign(t, { status, solvedAt, updatedAt: now });
    if (resolves) {
      await this.events.publish({
        type: 'ticket.resolved',
        tenantId,
        data: { ticketId: t.id, customerId: t.customerId, conversationId: t.conversationId, status, createdAt: t.createdAt.toISOString(), solvedAt: now.toISOString() },
      });
    }
    return t;
  }

  async addComment(tenantId: string, input: NewComment, authorId: string): Promise<{ ticket: TicketEntity; comment: TicketCommentEntity }> {
    const ticket = await this.get(tenantId, input.ticketId);
    const now = new Date();
    const comment = this.comments.create({ id: input.id ?? newId(), tenantId, ticketId: ticket.id, authorId, body: input.body, public: input.public ?? false, createdAt: now });
    await this.ds.transaction(async (m) => {
      await m.insert(TicketCommentEntity, comment);
      await m.update(TicketEntity, { tenantId, id: ticket.id }, { updatedAt: now });
    });
    ticket.updatedAt = now;
    return { ticket, comment };
  }
}

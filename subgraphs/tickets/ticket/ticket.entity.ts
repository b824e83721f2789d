import { Column, Entity, Index, PrimaryColumn } from 'typeorm';

/** A JSON object as stored in a json column (kept shallow for typeorm's deep-partial types). */
export type JsonObject = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

@Entity('tickets')
@Index('idx_tickets_tenant_created', ['tenantId', 'createdAt'])
@Index('idx_tickets_tenant_status_created', ['tenantId', 'status', 'createdAt'])
@Index('idx_tickets_tenant_customer', ['tenantId', 'customerId'])
@Index('idx_tickets_tenant_conversation', ['tenantId', 'conversationId'])
@Index('idx_tickets_tenant_assignee', ['tenantId', 'assigneeId'])
@Index('idx_tickets_tenant_merged_into', ['tenantId', 'mergedIntoId'])
@Index('uq_tickets_tenant_source_key', ['tenantId', 'sourceKey'], { unique: true })
export class TicketEntity {
  @PrimaryColumn({ type: 'varchar', length: 36 })
  id: string;

  @Column({ name: 'tenant_id', type: 'varchar', length: 64 })
  tenantId: string;

  /** A customers-subgraph id; resolved through federation, never joined. Null when a rule could not tell (a refund by buyer nick only). */
  @Column({ name: 'customer_id', type: 'varchar', length: 36, nullable: true })
  customerId: string | null;

  @Column({ name: 'conversation_id', type: 'varchar', length: 36, nullable: true })
  conversationId: string | null;

  @Column({ name: 'subject', type: 'varchar', length: 200 })
  subject: string;

  @Column({ name: 'description', type: 'text', nullable: true })
  description: string | null;

  /** order | logistics | quality | refund | complaint | other */
  @Column({ name: 'type', type: 'varchar', length: 20 })
  type: string;

  /** LOW | NORMAL | HIGH | URGENT */
  @Column({ name: 'priority', type: 'varchar', length: 10 })
  priority: string;

  /** NEW | OPEN | PENDING | ON_HOLD | SOLVED | CLOSED */
  @Column({ name: 'status', type: 'varchar', length: 10 })
  status: string;

  /** An agent id (conversations subgraph). */
  @Column({ name: 'assignee_id', type: 'varchar', length: 36, nullable: true })
  assigneeId: string | null;

  /** An agent group id (conversations subgraph). */
  @Column({ name: 'group_id', type: 'varchar', length: 36, nullable: true })
  groupId: string | null;

  /**
   * NORMAL | VIP | SVIP, as known when the ticket was opened or last updated: it picks the SLA policy. Kept here
   * because the customers subgraph owns the customer and a cross-subgraph read per SLA decision is not an option.
   */
  @Column({ name: 'customer_level', type: 'varchar', length: 10, default: 'NORMAL' })
  customerLevel: string;

  /** AGENT | CONVERSATION | RULE | API: how the ticket came to be. */
  @Column({ name: 'source', type: 'varchar', length: 20, default: 'AGENT' })
  source: string;

  /** Idempotency key of the creator (a rule's `complaint:<conversationId>`, `refund:<tid>`, or an API key). */
  @Column({ name: 'source_key', type: 'varchar', length: 191, nullable: true })
  sourceKey: string | null;

  /** The conversation's summary when the ticket was opened from one (subject and last customer messages). */
  @Column({ name: 'summary', type: 'text', nullable: true })
  summary: string | null;

  @Column({ name: 'custom_fields', type: 'json', nullable: true })
  customFields: JsonObject | null;

  /** Set when this ticket was merged into another as a duplicate (it is CLOSED then). */
  @Column({ name: 'merged_into_id', type: 'varchar', length: 36, nullable: true })
  mergedIntoId: string | null;

  /** The first public comment by staff. */
  @Column({ name: 'first_response_at', type: 'datetime', precision: 3, nullable: true })
  firstResponseAt: Date | null;

  @Column({ name: 'created_at', type: 'datetime', precision: 3 })
  createdAt: Date;

  @Column({ name: 'updated_at', type: 'datetime', precision: 3 })
  updatedAt: Date;

  @Column({ name: 'solved_at', type: 'datetime', precision: 3, nullable: true })
  solvedAt: Date | null;
}

@Entity('ticket_comments')
@Index('idx_ticket_comments_tenant_ticket', ['tenantId', 'ticketId'])
export class TicketCommentEntity {
  @PrimaryColumn({ type: 'varchar', length: 36 })
  id: string;

  @Column({ name: 'tenant_id', type: 'varchar', length: 64 })
  tenantId: string;

  @Column({ name: 'ticket_id', type: 'varchar', length: 36 })
  ticketId: string;

  /** The JWT `sub` of the writer (an agent id, or a service). */
  @Column({ name: 'author_id', type: 'varchar', length: 64 })
  authorId: string;

  @Column({ name: 'body', type: 'text' })
  body: string;

  /** false: an internal note the customer never sees. */
  @Column({ name: 'public', type: 'boolean', default: false })
  public: boolean;

  /** AGENT (a person of the brand), SERVICE (an integration's token) or SYSTEM (a rule). Only AGENT replies are first responses. */
  @Column({ name: 'author_type', type: 'varchar', length: 10, default: 'AGENT' })
  authorType: string;

  /** Metadata of attached media: [{ name, size, mediaRef, contentType }]; the bytes live in the media store. */
  @Column({ name: 'attachments', type: 'json', nullable: true })
  attachments: TicketAttachmentData[] | null;

  @Column({ name: 'created_at', type: 'datetime', precision: 3 })
  createdAt: Date;
}

export interface TicketAttachmentData {
  name: string;
  size: number;
  mediaRef: string;
  contentType?: string | null;
}

@Entity('ticket_tags')
@Index('uq_ticket_tags', ['ticketId', 'tag'], { unique: true })
@Index('idx_ticket_tags_tenant_tag', ['tenantId', 'tag'])
export class TicketTagEntity {
  @PrimaryColumn({ type: 'varchar', length: 36 })
  id: string;

  @Column({ name: 'tenant_id', type: 'varchar', length: 64 })
  tenantId: string;

  @Column({ name: 'ticket_id', type: 'varchar', length: 36 })
  ticketId: string;

  @Column({ name: 'tag', type: 'varchar', length: 64 })
  tag: string;

  /** Keeps the order the tags were given in. */
  @Column({ name: 'position', type: 'int' })
  position: number;
}

/** The orders a ticket is about (Taobao tid and the like: 64-bit ids kept as strings), searchable by id. */
@Entity('ticket_orders')
@Index('uq_ticket_orders', ['ticketId', 'orderId'], { unique: true })
@Index('idx_ticket_orders_tenant_order', ['tenantId', 'orderId'])
export class TicketOrderEntity {
  @PrimaryColumn({ type: 'varchar', length: 36 })
  id: string;

  @Column({ name: 'tenant_id', type: 'varchar', length: 64 })
  tenantId: string;

  @Column({ name: 'ticket_id', type: 'varchar', length: 36 })
  ticketId: string;

  @Column({ name: 'order_id', type: 'varchar', length: 64 })
  orderId: string;

  @Column({ name: 'position', type: 'int' })
  position: number;
}

/** The history of a ticket: who changed what, from what to what, when. Append-only. */
@Entity('ticket_events')
@Index('idx_ticket_events_tenant_ticket_created', ['tenantId', 'ticketId', 'createdAt'])
export class TicketEventEntity {
  @PrimaryColumn({ type: 'varchar', length: 36 })
  id: string;

  @Column({ name: 'tenant_id', type: 'varchar', length: 64 })
  tenantId: string;

  @Column({ name: 'ticket_id', type: 'varchar', length: 36 })
  ticketId: string;

  /** The JWT sub of the person or service, or `rule:<name>` / `sla-scheduler` for the system. */
  @Column({ name: 'actor_id', type: 'varchar', length: 64 })
  actorId: string;

  /** created, updated, commented, first_response, merged_into, merged_from, linked, unlinked, sla_applied, sla_warning, sla_breached */
  @Column({ name: 'action', type: 'varchar', length: 40 })
  action: string;

  /** The field an `updated` entry is about (status, priority, tags...); null for other actions. */
  @Column({ name: 'field', type: 'varchar', length: 40, nullable: true })
  field: string | null;

  @Column({ name: 'old_value', type: 'text', nullable: true })
  oldValue: string | null;

  @Column({ name: 'new_value', type: 'text', nullable: true })
  newValue: string | null;

  /** Operations on a ticket get strictly increasing times; seq orders the entries of one operation. */
  @Column({ name: 'created_at', type: 'datetime', precision: 3 })
  createdAt: Date;

  @Column({ name: 'seq', type: 'int' })
  seq: number;
}

/** A link between two tickets of a tenant: duplicate, related (both symmetric) or caused_by (ticket caused by linked). */
@Entity('ticket_links')
@Index('uq_ticket_links', ['tenantId', 'ticketId', 'linkedTicketId', 'relation'], { unique: true })
@Index('idx_ticket_links_tenant_linked', ['tenantId', 'linkedTicketId'])
export class TicketLinkEntity {
  @PrimaryColumn({ type: 'varchar', length: 36 })
  id: string;

  @Column({ name: 'tenant_id', type: 'varchar', length: 64 })
  tenantId: string;

  @Column({ name: 'ticket_id', type: 'varchar', length: 36 })
  ticketId: string;

  @Column({ name: 'linked_ticket_id', type: 'varchar', length: 36 })
  linkedTicketId: string;

  @Column({ name: 'relation', type: 'varchar', length: 20 })
  relation: string;

  @Column({ name: 'created_by', type: 'varchar', length: 64 })
  createdBy: string;

  @Column({ name: 'created_at', type: 'datetime', precision: 3 })
  createdAt: Date;
}

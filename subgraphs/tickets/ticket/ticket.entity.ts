import { Column, Entity, Index, PrimaryColumn } from 'typeorm';

@Entity('tickets')
@Index('idx_tickets_tenant_created', ['tenantId', 'createdAt'])
@Index('idx_tickets_tenant_status_created', ['tenantId', 'status', 'createdAt'])
@Index('idx_tickets_tenant_customer', ['tenantId', 'customerId'])
@Index('idx_tickets_tenant_conversation', ['tenantId', 'conversationId'])
export class TicketEntity {
  @PrimaryColumn({ type: 'varchar', length: 36 })
  id: string;

  @Column({ name: 'tenant_id', type: 'varchar', length: 64 })
  tenantId: string;

  /** A customers-subgraph id; resolved through federation, never joined. */
  @Column({ name: 'customer_id', type: 'varchar', length: 36 })
  customerId: string;

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

  @Column({ name: 'created_at', type: 'datetime', precision: 3 })
  createdAt: Date;
}

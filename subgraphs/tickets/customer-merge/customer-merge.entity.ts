import { Column, Entity, Index, PrimaryColumn } from 'typeorm';

/** A ticket that a customer merge moved to the survivor: what its unmerge moves back. */
@Entity('ticket_customer_moves')
@Index('uq_ticket_customer_moves', ['mergeId', 'entityId'], { unique: true })
export class TicketCustomerMoveEntity {
  @PrimaryColumn({ type: 'varchar', length: 36 })
  id: string;

  @Column({ name: 'tenant_id', type: 'varchar', length: 64 })
  tenantId: string;

  /** The customers subgraph's customer_merges id. */
  @Column({ name: 'merge_id', type: 'varchar', length: 36 })
  mergeId: string;

  @Column({ name: 'ticket_id', type: 'varchar', length: 36 })
  entityId: string;

  @Column({ name: 'from_customer_id', type: 'varchar', length: 36 })
  fromCustomerId: string;

  @Column({ name: 'to_customer_id', type: 'varchar', length: 36 })
  toCustomerId: string;

  @Column({ name: 'created_at', type: 'datetime', precision: 3 })
  createdAt: Date;
}

/** How far this subgraph followed one customer merge (MERGED, then UNMERGED): each event applies once. */
@Entity('ticket_customer_merges')
export class TicketCustomerMergeEntity {
  @PrimaryColumn({ name: 'merge_id', type: 'varchar', length: 36 })
  mergeId: string;

  @Column({ name: 'tenant_id', type: 'varchar', length: 64 })
  tenantId: string;

  @Column({ name: 'state', type: 'varchar', length: 10 })
  state: string;

  @Column({ name: 'updated_at', type: 'datetime', precision: 3 })
  updatedAt: Date;
}

export const customerMergeEntities = [TicketCustomerMoveEntity, TicketCustomerMergeEntity];

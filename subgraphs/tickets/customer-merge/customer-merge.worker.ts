import { CustomerMergeFollower, startCustomerMergeFollower } from '../../_shared/customer-merge-follower.js';
import type { SubgraphDeps, Worker } from '../../_shared/subgraph-module.js';
import { TicketEntity } from '../ticket/ticket.entity.js';
import { TicketCustomerMergeEntity, TicketCustomerMoveEntity } from './customer-merge.entity.js';

/** This subgraph's consumer group for customer merges: each event reaches one tickets replica. */
export const TICKETS_CUSTOMER_MERGE_GROUP = 'tickets-customer-merge';

/** Tickets follow their customer into a merge (and back out of it). */
export async function startTicketsCustomerMergeWorker(deps: SubgraphDeps): Promise<Worker> {
  const follower = new CustomerMergeFollower(
    deps.dataSource,
    { owned: TicketEntity, moves: TicketCustomerMoveEntity, states: TicketCustomerMergeEntity },
    deps.log.child({ component: 'customer-merge' }),
  );
  return startCustomerMergeFollower(deps.events, TICKETS_CUSTOMER_MERGE_GROUP, follower);
}

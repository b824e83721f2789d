import { CustomerMergeFollower, startCustomerMergeFollower } from '../../_shared/customer-merge-follower.js';
import type { SubgraphDeps, Worker } from '../../_shared/subgraph-module.js';
import { ConversationEntity } from '../conversation/conversation.entity.js';
import { ConversationCustomerMergeEntity, ConversationCustomerMoveEntity } from './customer-merge.entity.js';

/** This subgraph's consumer group for customer merges: each event reaches one conversations replica. */
export const CONVERSATIONS_CUSTOMER_MERGE_GROUP = 'conversations-customer-merge';

/** Conversations follow their customer into a merge (and back out of it). */
export async function startConversationsCustomerMergeWorker(deps: SubgraphDeps): Promise<Worker> {
  const follower = new CustomerMergeFollower(
    deps.dataSource,
    {
      owned: ConversationEntity,
      moves: ConversationCustomerMoveEntity,
      states: ConversationCustomerMergeEntity,
      // Copies of the conversation's customer id (the customer timeline, handoff summaries) move with it.
      copies: [
        { table: 'messages', ownerColumn: 'conversation_id' },
        { table: 'conversation_events', ownerColumn: 'conversation_id' },
        { table: 'handoff_summaries', ownerColumn: 'conversation_id' },
      ],
    },
    deps.log.child({ component: 'customer-merge' }),
  );
  return startCustomerMergeFollower(deps.events, CONVERSATIONS_CUSTOMER_MERGE_GROUP, follower);
}

import { liveRows as sharedLiveRows } from '../../_shared/live.js';
import type { PubSub } from '../../_shared/pubsub.js';

/** Pub/sub topics of this subgraph. Payloads carry ids only; subscribers reload the rows. */
export const TOPICS = {
  messageAdded: 'message.added',
  conversationUpdated: 'conversation.updated',
  /** Messages, lifecycle events and handoff summaries, for conversationEvents/customerEvents/myConversations. */
  activity: 'conversation.activity',
} as const;

export interface LiveEvent {
  id: string;
  tenantId: string;
  conversationId: string;
  /** On activity: what `id` is (MESSAGE, EVENT, HANDOFF), whose it is and which agents it concerns. */
  kind?: string;
  customerId?: string;
  agentIds?: string[];
  /** On TYPING activity: who types (no row to reload: it is live only). */
  typing?: { by: 'CUSTOMER' | 'AGENT'; state: 'START' | 'STOP'; agentId?: string };
  /** On PARTIAL activity: the words so far (live only). */
  partial?: { by: 'CUSTOMER' | 'AGENT'; text: string; key?: string };
}

/** The conversations flavour of the shared live stream (events carry a conversation id). */
export function liveRows<R>(
  pubsub: PubSub,
  topic: string,
  tenantId: string,
  accept: (e: LiveEvent) => boolean,
  reload: (e: LiveEvent) => Promise<R | null>,
): AsyncIterableIterator<R> {
  return sharedLiveRows<LiveEvent, R>(pubsub, topic, tenantId, accept, reload);
}

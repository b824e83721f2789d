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
}

/**
 * A subscription's event stream: the topic's events of ONE tenant that pass `accept`, each reloaded from the
 * database (tenant-scoped) and skipped when the row is gone. Written as a plain iterator, not an async
 * generator, so that `return()` (client unsubscribes) reaches the pub/sub iterator even while it waits.
 */
export function liveRows<R>(
  pubsub: PubSub,
  topic: string,
  tenantId: string,
  accept: (e: LiveEvent) => boolean,
  reload: (e: LiveEvent) => Promise<R | null>,
): AsyncIterableIterator<R> {
  const source = pubsub.subscribe<LiveEvent>(topic);
  const done = (): IteratorResult<R> => ({ done: true, value: undefined });
  const it: AsyncIterableIterator<R> = {
    async next(): Promise<IteratorResult<R>> {
      for (;;) {
        const r = await source.next();
        if (r.done) return done();
        const e = r.value;
        if (!e || e.tenantId !== tenantId || !accept(e)) continue;
        const row = await reload(e);
        if (row) return { done: false, value: row };
      }
    },
    async return(): Promise<IteratorResult<R>> {
      await source.return?.();
      return done();
    },
    async throw(err?: unknown): Promise<IteratorResult<R>> {
      await source.return?.();
      throw err;
    },
    [Symbol.asyncIterator]: () => it,
  };
  return it;
}

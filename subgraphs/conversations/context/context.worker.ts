import { CUSTOMER_MERGES_TOPIC, RELAXED_LATENCY, type DomainEvent } from '../../_shared/events.js';
import type { SubgraphDeps, Worker } from '../../_shared/subgraph-module.js';
import type { ConversationContextService } from './context.service.js';

/** This subgraph's consumer group for context invalidation: each merge event reaches one replica. */
export const CONTEXT_MERGE_GROUP = 'conversations-context-merge';

/**
 * A customer merge (or unmerge) moves conversations and messages between two customers: both customers'
 * cached contexts are then wrong. They are invalidated at once, and again after the merge follower (another
 * consumer of the same event) has had time to move the rows, so that a read in between cannot keep the
 * pre-merge state cached for 30 days. The handler never waits: it must not hold up the stream.
 */
export async function startContextMergeWorker(context: ConversationContextService, deps: SubgraphDeps, againAfterMs: number[] = [1000, 5000]): Promise<Worker> {
  const timers = new Set<NodeJS.Timeout>();
  const consumer = await deps.events.consume(CONTEXT_MERGE_GROUP, async (e: DomainEvent) => {
    if (e.type !== 'customer.merged' && e.type !== 'customer.unmerged') return;
    const d = e.data as { survivorId?: unknown; mergedId?: unknown };
    if (typeof d.survivorId !== 'string' || typeof d.mergedId !== 'string') return;
    const [survivorId, mergedId] = [d.survivorId, d.mergedId];
    const invalidate = () => context.invalidateMany(e.tenantId, [survivorId, mergedId]);
    await invalidate();
    for (const ms of againAfterMs) {
      const t = setTimeout(() => {
        timers.delete(t);
        void invalidate();
      }, ms);
      t.unref();
      timers.add(t);
    }
  }, { ...RELAXED_LATENCY, topic: CUSTOMER_MERGES_TOPIC });
  return {
    async stop() {
      for (const t of timers) clearTimeout(t);
      timers.clear();
      await consumer.stop();
    },
  };
}

import { CUSTOMER_MERGES_TOPIC, type DomainEvent } from '../../_shared/events.js';
import type { Logger } from '../../_shared/logger.js';
import type { PubSub } from '../../_shared/pubsub.js';
import type { SubgraphDeps, Worker } from '../../_shared/subgraph-module.js';
import type { IdentityResolver } from './identity.client.js';

/** The consumer group that hears each customer merge once for the whole conversations deployable. */
export const IDENTITY_CACHE_GROUP = 'conversations-identity-cache';
/** Pub/sub topic (every replica subscribes): drop these customers' cached senders. */
export const IDENTITY_CACHE_TOPIC = 'conversations.identity-cache.invalidate';

interface Invalidation { [k: string]: unknown; tenantId: string; customerIds: string[] }

/**
 * Keeps every replica's ingest identity cache (sender → customer, 60 s) right across customer merges. The
 * durable bus delivers `customer.merged` / `customer.unmerged` to one replica of the group (a consumer group,
 * so it survives a crash and is never lost); that replica forgets both customers' senders at once and
 * broadcasts the invalidation on pub/sub, which every replica — itself included — applies. Pub/sub is
 * at-most-once: a replica whose Redis subscription is down at that moment is corrected by the cache's expiry.
 */
export async function startIdentityCacheInvalidation(identities: IdentityResolver, deps: Pick<SubgraphDeps, 'events' | 'pubsub' | 'log'>): Promise<Worker> {
  const log: Logger = deps.log.child({ component: 'identity-cache' });
  const invalidate = identities.invalidateCustomers?.bind(identities);
  if (!invalidate) return { stop: async () => undefined };
  const listener = listen(deps.pubsub, (m) => {
    if (typeof m?.tenantId !== 'string' || !Array.isArray(m.customerIds)) return;
    const dropped = invalidate(m.tenantId, m.customerIds.filter((id): id is string => typeof id === 'string'));
    if (dropped) log.debug({ tenantId: m.tenantId, dropped }, 'identity cache entries dropped after a customer merge');
  });
  const consumer = await deps.events.consume(IDENTITY_CACHE_GROUP, async (e: DomainEvent) => {
    if (e.type !== 'customer.merged' && e.type !== 'customer.unmerged') return;
    const d = e.data as { survivorId?: unknown; mergedId?: unknown };
    if (typeof d.survivorId !== 'string' || typeof d.mergedId !== 'string') return;
    const message: Invalidation = { tenantId: e.tenantId, customerIds: [d.survivorId, d.mergedId] };
    invalidate(message.tenantId, message.customerIds); // this replica at once, whatever pub/sub does
    await deps.pubsub.publish(IDENTITY_CACHE_TOPIC, message); // a failure leaves the event pending: retried
  }, { topic: CUSTOMER_MERGES_TOPIC });
  return {
    async stop() {
      await consumer.stop();
      await listener.stop();
    },
  };
}

/** Applies every message of the topic until stopped. */
function listen(pubsub: PubSub, apply: (m: Invalidation) => void): { stop(): Promise<void> } {
  const it = pubsub.subscribe<Invalidation>(IDENTITY_CACHE_TOPIC);
  const loop = (async () => {
    for await (const m of it) {
      try {
        apply(m);
      } catch {
        /* a malformed message must not end the loop */
      }
    }
  })().catch(() => undefined);
  return {
    async stop() {
      await it.return?.();
      await loop;
    },
  };
}

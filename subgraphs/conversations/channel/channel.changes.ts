import { onEachMessage, type PubSub } from '../../_shared/pubsub.js';
import type { Worker } from '../../_shared/subgraph-module.js';

/** Pub/sub topic: a channel's config, state or secret changed; every replica drops its bound copy. */
export const CHANNEL_CHANGED_TOPIC = 'conversations.channel.changed';

interface ChannelChanged { [k: string]: unknown; id: string }

/** Tells every replica that a channel changed (best effort: the bindings' short TTL is the fallback). */
export function announceChannelChanges(pubsub: PubSub): (id: string) => Promise<void> {
  return (id) => pubsub.publish(CHANNEL_CHANGED_TOPIC, { id } satisfies ChannelChanged).catch(() => undefined);
}

/**
 * Every replica forgets its cached binding of a changed channel at once, so a rotated partner secret or a new
 * token is accepted (and the old one refused) everywhere without waiting for the cache to expire.
 */
export function startChannelChangeListener(pubsub: PubSub, forget: (id: string) => void): Worker {
  return onEachMessage<ChannelChanged>(pubsub, CHANNEL_CHANGED_TOPIC, (m) => {
    if (typeof m?.id === 'string') forget(m.id);
  });
}

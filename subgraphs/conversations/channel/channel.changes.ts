import type { PubSub } from '../../_shared/pubsub.js';
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
  const it = pubsub.subscribe<ChannelChanged>(CHANNEL_CHANGED_TOPIC);
  const loop = (async () => {
    for await (const m of it) if (typeof m?.id === 'string') forget(m.id);
  })().catch(() => undefined);
  return {
    async stop() {
      await it.return?.();
      await loop;
    },
  };
}

import { PubSub as MemoryPubSub } from 'graphql-subscriptions';
import { RedisPubSub } from 'graphql-redis-subscriptions';
import Redis from 'ioredis';

/**
 * Live-update fan-out. Publishers send ids only (never rows): the subscription resolver on whichever replica
 * holds the socket reloads the row and filters it by tenant and permission.
 */
export interface PubSub {
  publish(topic: string, payload: Record<string, unknown>): Promise<void>;
  subscribe<T>(topic: string): AsyncIterableIterator<T>;
  close(): Promise<void>;
}

/** In-process pub/sub for the embedded single-process mode. */
export function createMemoryPubSub(): PubSub {
  const ps = new MemoryPubSub();
  return {
    publish: (topic, payload) => ps.publish(topic, payload),
    subscribe: <T>(topic: string) => ps.asyncIterableIterator<T>(topic),
    close: async () => undefined,
  };
}

/** Redis pub/sub across replicas: one publisher and one subscriber connection, as Redis requires. */
export function createRedisPubSub(url: string, prefix = 'huiliu:'): PubSub {
  // Auto-pipelining: commands of one tick share a socket write (a write per command was a large share of busy paths).
  const publisher = new Redis(url, { lazyConnect: false, maxRetriesPerRequest: 3, enableAutoPipelining: true });
  const subscriber = new Redis(url, { lazyConnect: false });
  const ps = new RedisPubSub({ publisher, subscriber });
  return {
    publish: (topic, payload) => ps.publish(prefix + topic, payload),
    subscribe: <T>(topic: string) => ps.asyncIterableIterator(prefix + topic) as AsyncIterableIterator<T>,
    close: async () => {
      await ps.close();
    },
  };
}

/** Calls `handle` with each message published on `topic` from now on, until `stop()` (a subgraph worker). */
export function onEachMessage<T>(pubsub: PubSub, topic: string, handle: (message: T) => void): { stop(): Promise<void> } {
  const it = pubsub.subscribe<T>(topic);
  const loop = (async () => {
    for await (const m of it) handle(m);
  })().catch(() => undefined);
  return {
    async stop() {
      await it.return?.();
      await loop;
    },
  };
}

import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import Redis from 'ioredis';
import { newId } from './ids.js';
import type { Logger } from './logger.js';

/** A fact that happened in one subgraph, consumed by others (analytics, AI plugins). */
export interface DomainEvent<T = Record<string, unknown>> {
  id: string;
  type: string; // e.g. conversation.opened, message.received, ticket.resolved
  tenantId: string;
  occurredAt: string; // ISO-8601
  data: T;
}

export type NewEvent<T = Record<string, unknown>> = Omit<DomainEvent<T>, 'id' | 'occurredAt'> & { occurredAt?: string };
export type EventHandler = (event: DomainEvent) => Promise<void>;

export interface Consumer {
  stop(): Promise<void>;
}

/**
 * A topic is a separate stream: work hand-offs that one group consumes (stored webhook payloads for the
 * processing replicas) go there, so they do not pass through every other group that reads the domain events.
 */
export interface PublishOptions {
  topic?: string;
}

export interface ConsumeOptions extends PublishOptions {
  /** Events of one read handled at the same time (default 1: one after the other, in stream order). */
  concurrency?: number;
  /** With concurrency: events with the same key are still handled one after the other, in stream order. */
  keyOf?: (event: DomainEvent) => string | null | undefined;
  /**
   * Redis: once caught up, wait this long before reading again, so a busy stream is read in batches. For
   * groups that react to rare events or need no sub-second latency (merges, analytics): each group reads
   * every domain event, and a read per event per group was a large share of a busy replica's socket writes.
   */
  lingerMs?: number;
}

/** Where the customer merge followers read `customer.merged` / `customer.unmerged` (see EVENT_TYPE_TOPICS). */
export const CUSTOMER_MERGES_TOPIC = 'customer-merges';
/** Where conversations reads `ticket.commented` to send public ticket comments to the customer. */
export const TICKET_COMMENTS_TOPIC = 'ticket-comments';

/**
 * Domain events that groups want without reading the whole domain stream: the bus also publishes these types, the
 * same event (same id), on these topics. Every group on the domain stream receives and parses every event; five
 * groups of the conversations deployable did, where four want only merges or ticket comments, so each inbound
 * message's events went through Redis and JSON.parse five times over. Merges and comments are few; copying them
 * costs an XADD each.
 */
export const EVENT_TYPE_TOPICS: Readonly<Record<string, readonly string[]>> = {
  'customer.merged': [CUSTOMER_MERGES_TOPIC],
  'customer.unmerged': [CUSTOMER_MERGES_TOPIC],
  'ticket.commented': [TICKET_COMMENTS_TOPIC],
};

/** The topics an event goes to: the one asked for, or the domain stream ('') and the topics its type is copied to. */
function topicsOf(type: string, opts?: PublishOptions): readonly string[] {
  return opts?.topic ? [opts.topic] : ['', ...(EVENT_TYPE_TOPICS[type] ?? [])];
}

/** For consumers that need no sub-second reaction (merges, analytics, ticket rules): batched reads. */
export const RELAXED_LATENCY: ConsumeOptions = { lingerMs: 250 };

/**
 * Durable bus: Redis Streams with consumer groups when distributed, in-process when embedded, same interface.
 * Each consumer group sees every event once; a handler that throws leaves the event pending to be retried.
 */
export interface EventBus {
  publish<T extends Record<string, unknown>>(event: NewEvent<T>, opts?: PublishOptions): Promise<DomainEvent<T>>;
  consume(group: string, handler: EventHandler, opts?: ConsumeOptions): Promise<Consumer>;
  close(): Promise<void>;
}

function stamp<T>(e: NewEvent<T>): DomainEvent<T> {
  return { id: newId(), occurredAt: e.occurredAt ?? new Date().toISOString(), type: e.type, tenantId: e.tenantId, data: e.data };
}

/** Embedded mode: delivery in the same process, retried a few times with backoff on failure. */
export function createInProcessEventBus(log: Logger): EventBus {
  const topics = new Map<string, Map<string, EventHandler>>(); // topic ('' for the domain events) → group → handler
  const groupsOf = (topic = '') => {
    let g = topics.get(topic);
    if (!g) topics.set(topic, (g = new Map()));
    return g;
  };
  const deliver = async (group: string, handler: EventHandler, e: DomainEvent) => {
    for (let attempt = 1; ; attempt++) {
      try {
        return await handler(e);
      } catch (err) {
        if (attempt >= 5) return log.error({ err, group, eventId: e.id, type: e.type }, 'event handler failed; giving up');
        await new Promise((r) => setTimeout(r, 50 * 2 ** attempt));
      }
    }
  };
  return {
    async publish(e, opts) {
      const event = stamp(e);
      for (const topic of topicsOf(event.type, opts)) {
        for (const [group, handler] of groupsOf(topic)) setImmediate(() => void deliver(group, handler, event as DomainEvent));
      }
      return event;
    },
    async consume(group, handler, opts) {
      const groups = groupsOf(opts?.topic);
      groups.set(group, handler);
      return { stop: async () => void groups.delete(group) };
    },
    close: async () => topics.clear(),
  };
}

export interface RedisBusOptions {
  stream?: string;
  maxLen?: number;
  /** An entry left pending this long by a dead consumer is claimed by a live one. */
  claimIdleMs?: number;
  blockMs?: number;
  /**
   * A consumer name is per process start, so a group collects the names of every process that ever ran. A
   * consumer that starts removes those idle this long with nothing pending (a dead process's pending entries
   * are claimed by live ones first). Default one day.
   */
  staleConsumerMs?: number;
}

/** Removes a group's consumers that are idle past `staleMs` with no pending entries (never `keep`). */
async function pruneStaleConsumers(redis: Redis, stream: string, group: string, keep: string, staleMs: number): Promise<number> {
  const rows = (await redis.xinfo('CONSUMERS', stream, group)) as Array<Array<string | number>>;
  let removed = 0;
  for (const row of rows) {
    const c: Record<string, string | number> = {};
    for (let i = 0; i + 1 < row.length; i += 2) c[String(row[i])] = row[i + 1];
    if (c.name === keep || Number(c.pending) !== 0 || !(Number(c.idle) > staleMs)) continue;
    await redis.xgroup('DELCONSUMER', stream, group, String(c.name));
    removed++;
  }
  return removed;
}

/**
 * A group that now reads a topic may still exist on the domain stream from an earlier version (merge followers and
 * ticket replies read the domain stream until EVENT_TYPE_TOPICS): nothing reads it there any more and its lag
 * only grows. Removing it is the operator's call (an older replica may still be reading it during a rolling
 * deploy), so this says once per start what to run.
 */
async function warnIfLeftOnDomainStream(redis: Redis, log: Logger, domain: string, group: string, topicStream: string): Promise<void> {
  try {
    const groups = (await redis.xinfo('GROUPS', domain)) as Array<Array<string | number>>;
    if (!groups.some((g) => g[g.indexOf('name') + 1] === group)) return;
    log.warn({ group, stream: domain, readsNow: topicStream, remove: `XGROUP DESTROY ${domain} ${group}` },
      'this consumer group now reads its own topic; its old group on the domain stream is no longer read: remove it once no older replica runs');
  } catch {
    // no domain stream yet: nothing left behind
  }
}

/** Distributed mode: Redis Streams. A consumer that crashes resumes where its group left off. */
export function createRedisEventBus(url: string, log: Logger, opts: RedisBusOptions = {}): EventBus {
  const base = opts.stream ?? 'huiliu:events';
  const streamOf = (topic?: string) => (topic ? `${base}:${topic}` : base);
  const maxLen = opts.maxLen ?? 1_000_000;
  const claimIdleMs = opts.claimIdleMs ?? 30_000;
  const blockMs = opts.blockMs ?? 1000;
  const writer = new Redis(url, { maxRetriesPerRequest: 3, enableAutoPipelining: true }); // XADDs of one tick share a socket write
  const consumers = new Set<Consumer>();

  return {
    async publish(e, publishOpts) {
      const event = stamp(e);
      const json = JSON.stringify(event);
      await Promise.all(topicsOf(event.type, publishOpts).map((t) => writer.xadd(streamOf(t), 'MAXLEN', '~', String(maxLen), '*', 'event', json)));
      return event;
    },
    async consume(group, handler, consumeOpts = {}) {
      const stream = streamOf(consumeOpts.topic);
      const reader = new Redis(url, { maxRetriesPerRequest: null });
      const concurrency = Math.max(1, consumeOpts.concurrency ?? 1);
      const name = `${hostname()}-${process.pid}-${randomUUID().slice(0, 8)}`;
      try {
        // '0': a group created after events were published still sees them.
        await reader.xgroup('CREATE', stream, group, '0', 'MKSTREAM');
      } catch (err) {
        if (!String(err).includes('BUSYGROUP')) throw err;
      }
      void pruneStaleConsumers(writer, stream, group, name, opts.staleConsumerMs ?? 86_400_000)
        .then((n) => n && log.info({ group, stream, removed: n }, 'removed consumers of processes long gone'))
        .catch((err) => log.warn({ err, group }, 'stale consumers not pruned'));
      if (consumeOpts.topic) void warnIfLeftOnDomainStream(writer, log, base, group, stream);
      let running = true;
      const handle = async (entries: Array<[string, string[]]>) => {
        // One XACK for the batch (a round trip per event per group was a large share of busy streams' cost);
        // a crash before it only means those events are handled again, as with any at-least-once delivery.
        const done: string[] = [];
        const one = async (id: string, raw: string) => {
          try {
            await handler(JSON.parse(raw) as DomainEvent);
            done.push(id);
          } catch (err) {
            log.warn({ err, group, entry: id }, 'event handler failed; will retry');
          }
        };
        if (concurrency === 1) {
          for (const [id, fields] of entries) {
            if (!fields) { done.push(id); continue; } // deleted by MAXLEN trimming
            await one(id, fields[fields.indexOf('event') + 1]);
          }
        } else {
          // Up to `concurrency` at once; events with the same key wait for the one before them.
          const tails = new Map<string, Promise<void>>();
          let active = 0;
          const waiting: Array<() => void> = [];
          const slot = async <T>(work: () => Promise<T>): Promise<T> => {
            if (active < concurrency) active++;
            else await new Promise<void>((r) => waiting.push(r)); // a finishing event hands its slot over
            try {
              return await work();
            } finally {
              const next = waiting.shift();
              if (next) next();
              else active--;
            }
          };
          await Promise.all(entries.map(([id, fields]) => {
            if (!fields) return void done.push(id);
            const raw = fields[fields.indexOf('event') + 1];
            let key = id;
            try {
              key = consumeOpts.keyOf?.(JSON.parse(raw) as DomainEvent) ?? id;
            } catch {
              // unreadable: handled (and reported) on its own
            }
            const run = (tails.get(key) ?? Promise.resolve()).then(() => slot(() => one(id, raw)));
            tails.set(key, run);
            return run;
          }));
        }
        if (done.length) await reader.xack(stream, group, ...done);
      };
      let wake: (() => void) | null = null;
      const linger = (ms: number) => new Promise<void>((r) => {
        const t = setTimeout(() => { wake = null; r(); }, ms);
        wake = () => { clearTimeout(t); wake = null; r(); };
      });
      const lingerMs = consumeOpts.lingerMs ?? 0;
      const loop = (async () => {
        let lastClaim = 0;
        while (running) {
          try {
            if (Date.now() - lastClaim >= claimIdleMs / 2) {
              lastClaim = Date.now();
              const claimed = (await reader.xautoclaim(stream, group, name, claimIdleMs, '0-0', 'COUNT', 100)) as [string, Array<[string, string[]]>];
              await handle(claimed[1]);
              if (claimed[0] !== '0-0') lastClaim = 0; // more left by a dead consumer: the next page at once
            }
            const res = (await reader.xreadgroup('GROUP', group, name, 'COUNT', 100, 'BLOCK', blockMs, 'STREAMS', stream, '>')) as
              | Array<[string, Array<[string, string[]]>]>
              | null;
            if (res) await handle(res[0][1]);
            // A partial read means the group is caught up: let the next events gather instead of waking per event.
            if (lingerMs && running && res && res[0][1].length < 100) await linger(lingerMs);
          } catch (err) {
            if (!running) break;
            log.error({ err, group }, 'event consumer error; retrying');
            await new Promise((r) => setTimeout(r, 500));
          }
        }
      })();
      const consumer: Consumer = {
        stop: async () => {
          // Let the in-flight batch finish and ack (the blocking read returns within blockMs), then disconnect.
          running = false;
          (wake as (() => void) | null)?.();
          await loop;
          reader.disconnect();
          consumers.delete(consumer);
        },
      };
      consumers.add(consumer);
      return consumer;
    },
    async close() {
      await Promise.all([...consumers].map((c) => c.stop()));
      writer.disconnect();
    },
  };
}

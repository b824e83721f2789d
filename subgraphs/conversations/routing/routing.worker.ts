import type { EventBus } from '../../_shared/events.js';
import type { Logger } from '../../_shared/logger.js';
import type { Worker } from '../../_shared/subgraph-module.js';
import type { PresenceService } from '../presence/presence.service.js';
import type { QueueService } from '../queue/queue.service.js';
import type { Coordinator } from './routing.coordination.js';
import type { RoutingService } from './routing.service.js';

/** This subgraph's consumer group for routing: each domain event reaches one conversations replica. */
export const ROUTING_GROUP = 'conversations-routing';
/**
 * Events a replica's routing consumer handles at once (and what bench:routing runs per replica). Conversations
 * routed together share round trips (RoutingStore batches their reads and claims): on the 2-core machine 16 cost
 * less CPU per claim than 8 and kept p99 under 100 ms; 32 saved little more and doubled the p99.
 */
export const ROUTING_CONCURRENCY = 16;

export interface RoutingWorkerDeps {
  routing: RoutingService;
  presence: PresenceService;
  queue: QueueService;
  coordinator: Coordinator;
  events: EventBus;
  log: Logger;
  /** Closes what the composition opened for routing (its Redis connection). */
  close: () => Promise<void>;
  /** One sweep per this many ms across all replicas (a lease picks the replica). */
  tickMs?: number;
  /** Events handled at once by this replica's consumer (ROUTING_CONCURRENCY). */
  concurrency?: number;
}

/**
 * Routing's background work: the domain-event consumer (conversation lifecycle → routing) and the sweep, which
 * every tick expires presence and handles the routing timers that are due (on one replica, by lease).
 */
export async function startRoutingWorkers(d: RoutingWorkerDeps): Promise<Worker[]> {
  const tickMs = d.tickMs ?? 1000;
  const log = d.log.child({ component: 'routing' });
  // Several conversations at once (their claims share round trips, see RoutingStore); one conversation's events
  // in order.
  const consumer = await d.events.consume(ROUTING_GROUP, (e) => d.routing.handle(e), {
    concurrency: d.concurrency ?? ROUTING_CONCURRENCY,
    keyOf: (e) => (e.data as { conversationId?: string }).conversationId,
  });
  let stopped = false;
  let running: Promise<void> = Promise.resolve();
  const step = async (name: string, work: () => Promise<unknown>) => {
    try {
      await work();
    } catch (err) {
      log.error({ err, step: name }, 'routing sweep step failed');
    }
  };
  const sweep = async () => {
    // The lease is not released: it lapses, so the tick runs on one replica only.
    if (!(await d.coordinator.tryLock('sweep', Math.max(100, tickMs - 50)).catch(() => null))) return;
    await step('presence', () => d.presence.expire());
    // Only what is due (offer timeouts, no-reply checks, overflow, queue re-checks): nothing due, no query.
    await step('timers', () => d.routing.sweepDue());
  };
  let busy = false;
  const timer = setInterval(() => {
    if (stopped || busy) return; // a slow sweep is not stacked up behind itself
    busy = true;
    running = sweep().finally(() => (busy = false));
  }, tickMs);
  return [
    {
      async stop() {
        stopped = true;
        clearInterval(timer);
        await running;
        await consumer.stop();
        await d.queue.flush();
        d.queue.close();
        await d.close();
      },
    },
  ];
}

import { newId } from '../../_shared/ids.js';
import type { Logger } from '../../_shared/logger.js';
import type { PubSub } from '../../_shared/pubsub.js';
import { EntryState } from '../routing/routing.entity.js';
import type { RoutingStore } from '../routing/routing.store.js';

/** One queue's state as agents and supervisors see it. */
export interface QueueSnapshot {
  tenantId: string;
  /** null: the tenant-wide pool (conversations no group rule caught). */
  groupId: string | null;
  waiting: number;
  longestWaitSeconds: number;
  /** The first `limit` waiting conversations in queue order. */
  entries: QueuePosition[];
  at: Date;
}

export interface QueuePosition {
  conversationId: string;
  /** 1 for the next one to get an agent. */
  position: number;
  priority: number;
  waitingSeconds: number;
  channelType: string;
}

/** What a queue event carries on pub/sub: which queue changed, nothing else. */
interface QueueEvent {
  id: string;
  tenantId: string;
  groupId: string | null;
}

export const queueTopic = (tenantId: string, groupId: string | null) => `routing.queue.${tenantId}.${groupId ?? 'pool'}`;

/** Queue changes are coalesced per queue: at most one event per this many ms from each replica. */
export const QUEUE_EVENT_INTERVAL_MS = 250;

/**
 * Live queues. A change publishes an event for its queue at once, then at most one more per
 * QUEUE_EVENT_INTERVAL_MS while changes keep coming (leading and trailing edge), on a topic of its own
 * (tenant + group), so a subscriber never even receives other queues' events. The replica that receives an event
 * computes the snapshot ONCE and hands the same object to every local subscriber of that queue: 500 agents
 * watching a queue cost one query per replica, not 500 (and no GraphQL execution for anyone else's queue).
 */
export class QueueService {
  /** Per queue: when its last event went out, and whether a trailing one is due. */
  private readonly queues = new Map<string, { tenantId: string; groupId: string | null; lastAt: number; timer: NodeJS.Timeout | null }>();
  private readonly snapshots = new Map<string, Promise<QueueSnapshot>>();

  constructor(
    private readonly store: RoutingStore,
    private readonly pubsub: PubSub,
    private readonly log: Logger,
    private readonly clock: () => number = Date.now,
  ) {}

  async snapshot(tenantId: string, groupId: string | null, limit = 50): Promise<QueueSnapshot> {
    const now = this.clock();
    const qb = this.store.entries
      .createQueryBuilder('e')
      .select('COUNT(*)', 'n')
      .addSelect('MIN(e.enqueued_at)', 'oldest')
      .where('e.tenant_id = :tenantId AND e.state = :state', { tenantId, state: EntryState.WAITING });
    if (groupId) qb.andWhere('e.group_id = :groupId', { groupId });
    else qb.andWhere('e.group_id IS NULL');
    const [agg, rows] = await Promise.all([qb.getRawOne<{ n: string | number; oldest: string | Date | null }>(), this.store.waiting(tenantId, groupId, limit)]);
    const oldest = agg?.oldest ? toDate(agg.oldest) : null;
    return {
      tenantId,
      groupId,
      waiting: Number(agg?.n ?? 0),
      longestWaitSeconds: oldest ? Math.max(0, Math.floor((now - oldest.getTime()) / 1000)) : 0,
      entries: rows.map((e, i) => ({
        conversationId: e.conversationId, position: i + 1, priority: e.priority, waitingSeconds: Math.max(0, Math.floor((now - e.enqueuedAt.getTime()) / 1000)), channelType: e.channelType,
      })),
      at: new Date(now),
    };
  }

  /** Marks a queue as changed: an event now, or at the end of the current interval. */
  changed(tenantId: string, groupId: string | null): void {
    const key = `${tenantId}\u0000${groupId ?? ''}`;
    let q = this.queues.get(key);
    if (!q) {
      if (this.queues.size > 10_000) this.prune();
      this.queues.set(key, (q = { tenantId, groupId, lastAt: 0, timer: null }));
    }
    if (q.timer) return; // a trailing event is already due
    const wait = q.lastAt + QUEUE_EVENT_INTERVAL_MS - this.clock();
    const fire = () => {
      q.timer = null;
      q.lastAt = this.clock();
      void this.publish(q.tenantId, q.groupId);
    };
    if (wait <= 0) fire();
    else {
      q.timer = setTimeout(fire, wait);
      q.timer.unref();
    }
  }

  /** Forgets queues that are quiet (nothing due, last event older than the interval). */
  private prune(): void {
    const cut = this.clock() - QUEUE_EVENT_INTERVAL_MS;
    for (const [k, q] of this.queues) if (!q.timer && q.lastAt < cut) this.queues.delete(k);
  }

  /** Sends the trailing events that are still due (shutdown). */
  async flush(): Promise<void> {
    const due = [...this.queues.values()].filter((q) => q.timer);
    for (const q of due) {
      clearTimeout(q.timer!);
      q.timer = null;
      await this.publish(q.tenantId, q.groupId);
    }
    this.queues.clear();
  }

  private async publish(tenantId: string, groupId: string | null): Promise<void> {
    const e: QueueEvent = { id: newId(), tenantId, groupId };
    try {
      await this.pubsub.publish(queueTopic(tenantId, groupId), { ...e });
    } catch (err) {
      this.log.warn({ err, tenantId }, 'queue update not published');
    }
  }

  /** The queue's snapshots, one per event; every local subscriber of the queue shares the computed object. */
  watch(tenantId: string, groupId: string | null): AsyncIterableIterator<QueueSnapshot> {
    const source = this.pubsub.subscribe<QueueEvent>(queueTopic(tenantId, groupId));
    const done = (): IteratorResult<QueueSnapshot> => ({ done: true, value: undefined });
    const it: AsyncIterableIterator<QueueSnapshot> = {
      next: async () => {
        for (;;) {
          const r = await source.next();
          if (r.done) return done();
          const e = r.value;
          if (!e || e.tenantId !== tenantId || (e.groupId ?? null) !== groupId) continue;
          return { done: false, value: await this.shared(e) };
        }
      },
      return: async () => {
        await source.return?.();
        return done();
      },
      throw: async (err?: unknown) => {
        await source.return?.();
        throw err;
      },
      [Symbol.asyncIterator]: () => it,
    };
    return it;
  }

  /** Computed once per event per replica, kept a few seconds for the subscribers still catching up. */
  private shared(e: QueueEvent): Promise<QueueSnapshot> {
    let p = this.snapshots.get(e.id);
    if (!p) {
      p = this.snapshot(e.tenantId, e.groupId);
      this.snapshots.set(e.id, p);
      setTimeout(() => this.snapshots.delete(e.id), 5000).unref();
      p.catch(() => this.snapshots.delete(e.id));
    }
    return p;
  }

  close(): void {
    for (const q of this.queues.values()) if (q.timer) clearTimeout(q.timer);
    this.queues.clear();
  }
}

function toDate(v: string | Date): Date {
  if (v instanceof Date) return v;
  // MariaDB returns 'YYYY-MM-DD HH:MM:SS.mmm' in UTC (timezone Z); SQLite the same text typeorm wrote.
  return new Date(/[zZ]|[+-]\d\d:?\d\d$/.test(v) ? v : `${v.replace(' ', 'T')}Z`);
}

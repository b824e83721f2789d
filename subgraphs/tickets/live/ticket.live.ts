import { DomainError, toGraphQLError } from '../../_shared/errors.js';
import type { Logger } from '../../_shared/logger.js';
import type { PubSub } from '../../_shared/pubsub.js';

/** Pub/sub topic of this subgraph. Payloads carry ids only; subscribers reload the row for their tenant. */
export const TICKET_TOPIC = 'ticket.updated';

export interface TicketLiveEvent {
  id: string;
  tenantId: string;
  assigneeId: string | null;
  /** Set when the change took the ticket away from someone, so their myTickets hears it too. */
  previousAssigneeId: string | null;
}

export interface TicketPush {
  ticket: { id: string; tenantId: string; assigneeId: string | null };
  previousAssigneeId?: string | null;
}

/** Publishes ticket changes and opens per-tenant streams of them. */
export class TicketLive {
  constructor(private readonly pubsub: PubSub, private readonly log: Logger) {}

  /** Best effort: a pub/sub hiccup must not fail a write that is already committed. */
  async publish(p: TicketPush): Promise<void> {
    const e: TicketLiveEvent = { id: p.ticket.id, tenantId: p.ticket.tenantId, assigneeId: p.ticket.assigneeId, previousAssigneeId: p.previousAssigneeId ?? null };
    try {
      await this.pubsub.publish(TICKET_TOPIC, e as unknown as Record<string, unknown>);
    } catch (err) {
      this.log.warn({ err, tenantId: e.tenantId, ticketId: e.id }, 'ticket live update not published');
    }
  }

  /**
   * The changes of ONE tenant that pass `accept`, each reloaded (tenant-scoped) and skipped when gone. A plain
   * iterator rather than an async generator, so that `return()` reaches the pub/sub iterator while it waits.
   */
  watch<R>(tenantId: string, accept: (e: TicketLiveEvent) => boolean, reload: (e: TicketLiveEvent) => Promise<R | null>): AsyncIterableIterator<R> {
    const source = this.pubsub.subscribe<TicketLiveEvent>(TICKET_TOPIC);
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
}

/** Over graphql-ws no formatError runs: expected failures are thrown as GraphQLErrors with their code. */
export async function subscribeGuarded<T>(open: () => T | Promise<T>): Promise<T> {
  try {
    return await open();
  } catch (e) {
    throw e instanceof DomainError ? toGraphQLError(e) : e;
  }
}

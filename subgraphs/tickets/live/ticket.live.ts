import { liveRows } from '../../_shared/live.js';
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

  /** The changes of ONE tenant that pass `accept`, each reloaded (tenant-scoped) and skipped when gone. */
  watch<R>(tenantId: string, accept: (e: TicketLiveEvent) => boolean, reload: (e: TicketLiveEvent) => Promise<R | null>): AsyncIterableIterator<R> {
    return liveRows<TicketLiveEvent, R>(this.pubsub, TICKET_TOPIC, tenantId, accept, reload);
  }
}

export { subscribeGuarded } from '../../_shared/live.js';

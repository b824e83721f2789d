import { RELAXED_LATENCY } from '../_shared/events.js';
import type { SubgraphDeps, Worker } from '../_shared/subgraph-module.js';
import { ConversationDigestService } from './conversation/conversation-digest.service.js';
import { TicketLive } from './live/ticket.live.js';
import { TicketRules } from './rules/ticket.rules.js';
import { shippedHolidaySets } from './sla/holidays.js';
import { SlaScheduler } from './sla/sla.scheduler.js';
import { SlaService } from './sla/sla.service.js';
import { TicketService } from './ticket/ticket.service.js';
import { systemClock, type Clock } from './tickets.clock.js';

export interface TicketsServices {
  clock: Clock;
  tickets: TicketService;
  sla: SlaService;
  live: TicketLive;
  rules: TicketRules;
  scheduler: SlaScheduler;
  digests: ConversationDigestService;
}

/** The consumer group of this subgraph's rules on the domain-event bus: each event reaches one tickets replica. */
export const TICKETS_RULES_GROUP = 'tickets-rules';
/** How often each replica looks for SLA warnings and breaches. */
export const SLA_TICK_MS = 15_000;

export function createTicketsServices(deps: SubgraphDeps): TicketsServices {
  const clock = systemClock();
  const live = new TicketLive(deps.pubsub, deps.log.child({ component: 'ticket-live' }));
  const sla = new SlaService(deps.dataSource, shippedHolidaySets(), clock);
  const digests = new ConversationDigestService(deps.dataSource);
  const tickets = new TicketService(deps.dataSource, deps.events, sla, live, clock, deps.log.child({ component: 'tickets' }), digests);
  return {
    clock,
    tickets,
    sla,
    live,
    rules: new TicketRules(tickets, clock, deps.log.child({ component: 'ticket-rules' }), digests),
    digests,
    scheduler: new SlaScheduler(deps.dataSource, tickets, clock, deps.log.child({ component: 'sla-scheduler' })),
  };
}

/** Rules fed from the bus (a handler that throws leaves the event pending, to be redelivered) and the SLA scheduler. */
export async function startTicketsWorkers(s: TicketsServices, deps: SubgraphDeps): Promise<Worker[]> {
  const rules = await deps.events.consume(TICKETS_RULES_GROUP, async (event) => {
    await s.rules.handle(event);
  }, RELAXED_LATENCY);
  return [rules, s.scheduler.start(SLA_TICK_MS)];
}

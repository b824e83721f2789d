import type { SubgraphDeps } from '../_shared/subgraph-module.js';
import { TicketService } from './ticket/ticket.service.js';

export interface TicketsServices {
  tickets: TicketService;
}

export function createTicketsServices(deps: SubgraphDeps): TicketsServices {
  return { tickets: new TicketService(deps.dataSource, deps.events) };
}

import type { SubgraphModule } from '../_shared/subgraph-module.js';
import { TicketsInitial1764300000000 } from '../../migrations/tickets/1764300000000-initial.js';
import { ConversationTicketsResolver } from './conversation/conversation.resolver.js';
import { CustomerTicketsResolver } from './customer/customer.resolver.js';
import { TicketCommentEntity, TicketEntity } from './ticket/ticket.entity.js';
import { createTicketLoaders, type TicketLoaders } from './ticket/ticket.loaders.js';
import { TicketResolver } from './ticket/ticket.resolver.js';
import { createTicketsServices, type TicketsServices } from './tickets.services.js';
import { seedTicketsDemo } from './tickets.seed.js';

export const ticketsSubgraph: SubgraphModule<TicketsServices, TicketLoaders> = {
  name: 'tickets',
  defaultPort: 4003,
  definition: {
    name: 'tickets',
    resolvers: [TicketResolver, CustomerTicketsResolver, ConversationTicketsResolver],
    references: {
      Ticket: (ref, ctx) => (ctx.loaders as TicketLoaders).ticketById.load(ref.id),
      // Stubs: the owning subgraphs resolve the rest; only the key is known here.
      Customer: (ref) => ({ id: ref.id }),
      Conversation: (ref) => ({ id: ref.id }),
    },
  },
  entities: [TicketEntity, TicketCommentEntity],
  migrations: [TicketsInitial1764300000000],
  createServices: createTicketsServices,
  createLoaders: (s, viewer) => createTicketLoaders(s.tickets, viewer),
  seedDemo: seedTicketsDemo,
};

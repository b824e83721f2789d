import type { SubgraphModule } from '../_shared/subgraph-module.js';
import { TicketsInitial1764300000000 } from '../../migrations/tickets/1764300000000-initial.js';
import { TicketsWorkflowSla1764700000000 } from '../../migrations/tickets/1764700000000-workflow-sla.js';
import { BusinessCalendarEntity, SlaPolicyEntity, TicketSlaClockEntity } from './sla/sla.entity.js';
import { ConversationTicketsResolver } from './conversation/conversation.resolver.js';
import { CustomerTicketsResolver } from './customer/customer.resolver.js';
import { TicketCommentEntity, TicketEntity, TicketEventEntity, TicketLinkEntity, TicketOrderEntity, TicketTagEntity } from './ticket/ticket.entity.js';
import { createTicketLoaders, type TicketLoaders } from './ticket/ticket.loaders.js';
import { TicketCommentResolver, TicketResolver } from './ticket/ticket.resolver.js';
import { BusinessCalendarResolver, SlaPolicyResolver, TicketSlaResolver } from './sla/sla.resolver.js';
import { createTicketsServices, startTicketsWorkers, type TicketsServices } from './tickets.services.js';
import { seedTicketsDemo } from './tickets.seed.js';
import { TicketsCustomerMerge1764900000000 } from '../../migrations/tickets/1764900000000-customer-merge.js';
import { TicketsConversationDigests1765500000000 } from '../../migrations/tickets/1765500000000-conversation-digests.js';
import { ConversationDigestEntity } from './conversation/conversation-digest.entity.js';
import { customerMergeEntities } from './customer-merge/customer-merge.entity.js';
import { startTicketsCustomerMergeWorker } from './customer-merge/customer-merge.worker.js';

export const ticketsSubgraph: SubgraphModule<TicketsServices, TicketLoaders> = {
  name: 'tickets',
  defaultPort: 4003,
  definition: {
    name: 'tickets',
    resolvers: [TicketResolver, TicketCommentResolver, SlaPolicyResolver, BusinessCalendarResolver, TicketSlaResolver, CustomerTicketsResolver, ConversationTicketsResolver],
    references: {
      Ticket: (ref, ctx) => (ctx.loaders as TicketLoaders).ticketById.load(ref.id),
      TicketComment: (ref, ctx) => (ctx.loaders as TicketLoaders).commentById.load(ref.id),
      // Stubs: the owning subgraphs resolve the rest; only the key is known here.
      Customer: (ref) => ({ id: ref.id }),
      Conversation: (ref) => ({ id: ref.id }),
    },
  },
  entities: [TicketEntity, TicketCommentEntity, TicketTagEntity, TicketOrderEntity, TicketEventEntity, TicketLinkEntity, SlaPolicyEntity, BusinessCalendarEntity, TicketSlaClockEntity, ConversationDigestEntity, ...customerMergeEntities],
  migrations: [TicketsInitial1764300000000, TicketsWorkflowSla1764700000000, TicketsCustomerMerge1764900000000, TicketsConversationDigests1765500000000],
  createServices: createTicketsServices,
  createLoaders: (s, viewer) => createTicketLoaders(s.tickets, s.sla, viewer),
  seedDemo: seedTicketsDemo,
  startWorkers: async (s, deps) => [await startTicketsCustomerMergeWorker(deps), ...(await startTicketsWorkers(s, deps))],
};

import type DataLoader from 'dataloader';
import type { Viewer } from '../../_shared/auth.js';
import { byIdLoader, emptyLoader, groupLoader } from '../../_shared/loaders.js';
import type { TicketCommentEntity, TicketEntity } from './ticket.entity.js';
import type { TicketService } from './ticket.service.js';

export interface TicketLoaders {
  ticketById: DataLoader<string, TicketEntity | null>;
  commentsByTicket: DataLoader<string, TicketCommentEntity[]>;
  ticketsByCustomer: DataLoader<string, TicketEntity[]>;
  ticketsByConversation: DataLoader<string, TicketEntity[]>;
}

/** Tenant-scoped by construction: the viewer's tenant is baked into every loader of the request. */
export function createTicketLoaders(service: TicketService, viewer: Viewer | null): TicketLoaders {
  if (!viewer) {
    return { ticketById: emptyLoader(null), commentsByTicket: emptyLoader([]), ticketsByCustomer: emptyLoader([]), ticketsByConversation: emptyLoader([]) };
  }
  const t = viewer.tenant;
  return {
    ticketById: byIdLoader((ids) => service.byIds(t, ids)),
    commentsByTicket: groupLoader((ids) => service.commentsOf(t, ids), (r) => r.ticketId),
    ticketsByCustomer: groupLoader((ids) => service.byCustomers(t, ids), (r) => r.customerId),
    ticketsByConversation: groupLoader((ids) => service.byConversations(t, ids), (r) => r.conversationId ?? ''),
  };
}

import DataLoader from 'dataloader';
import type { Viewer } from '../../_shared/auth.js';
import { byIdLoader, emptyLoader, groupLoader } from '../../_shared/loaders.js';
import type { BusinessCalendarEntity, SlaPolicyEntity, TicketSlaClockEntity } from '../sla/sla.entity.js';
import type { SlaService } from '../sla/sla.service.js';
import type { TicketCommentEntity, TicketEntity, TicketEventEntity, TicketLinkEntity, TicketOrderEntity, TicketTagEntity } from './ticket.entity.js';
import type { TicketService } from './ticket.service.js';

export interface TicketLoaders {
  ticketById: DataLoader<string, TicketEntity | null>;
  commentsByTicket: DataLoader<string, TicketCommentEntity[]>;
  commentById: DataLoader<string, TicketCommentEntity | null>;
  ticketsByCustomer: DataLoader<string, TicketEntity[]>;
  ticketsByConversation: DataLoader<string, TicketEntity[]>;
  tagsByTicket: DataLoader<string, TicketTagEntity[]>;
  ordersByTicket: DataLoader<string, TicketOrderEntity[]>;
  historyByTicket: DataLoader<string, TicketEventEntity[]>;
  linksByTicket: DataLoader<string, TicketLinkEntity[]>;
  mergedFromByTicket: DataLoader<string, TicketEntity[]>;
  clocksByTicket: DataLoader<string, TicketSlaClockEntity[]>;
  policyById: DataLoader<string, SlaPolicyEntity | null>;
  calendarById: DataLoader<string, BusinessCalendarEntity | null>;
}

/** Tenant-scoped by construction: the viewer's tenant is baked into every loader of the request. */
export function createTicketLoaders(service: TicketService, sla: SlaService, viewer: Viewer | null): TicketLoaders {
  if (!viewer) {
    return {
      ticketById: emptyLoader(null), commentsByTicket: emptyLoader([]), commentById: emptyLoader(null), ticketsByCustomer: emptyLoader([]), ticketsByConversation: emptyLoader([]),
      tagsByTicket: emptyLoader([]), ordersByTicket: emptyLoader([]), historyByTicket: emptyLoader([]), linksByTicket: emptyLoader([]),
      mergedFromByTicket: emptyLoader([]), clocksByTicket: emptyLoader([]), policyById: emptyLoader(null), calendarById: emptyLoader(null),
    };
  }
  const t = viewer.tenant;
  return {
    ticketById: byIdLoader((ids) => service.byIds(t, ids)),
    commentsByTicket: groupLoader((ids) => service.commentsOf(t, ids), (r) => r.ticketId),
    commentById: byIdLoader((ids) => service.commentsByIds(t, ids)),
    ticketsByCustomer: groupLoader((ids) => service.byCustomers(t, ids), (r) => r.customerId ?? ''),
    ticketsByConversation: groupLoader((ids) => service.byConversations(t, ids), (r) => r.conversationId ?? ''),
    tagsByTicket: groupLoader((ids) => service.tagsOf(t, ids), (r) => r.ticketId),
    ordersByTicket: groupLoader((ids) => service.ordersOf(t, ids), (r) => r.ticketId),
    historyByTicket: groupLoader((ids) => service.historyOf(t, ids), (r) => r.ticketId),
    // A link belongs to both of its tickets.
    linksByTicket: new DataLoader<string, TicketLinkEntity[]>(async (ids) => {
      const rows = await service.linksOf(t, ids);
      return ids.map((id) => rows.filter((l) => l.ticketId === id || l.linkedTicketId === id));
    }),
    mergedFromByTicket: groupLoader((ids) => service.mergedInto(t, ids), (r) => r.mergedIntoId ?? ''),
    clocksByTicket: groupLoader((ids) => sla.clocksOf(t, ids), (r) => r.ticketId),
    policyById: byIdLoader((ids) => sla.policiesByIds(t, ids)),
    calendarById: byIdLoader((ids) => sla.calendarsByIds(t, ids)),
  };
}

/** Subscriptions keep one context for all their events: forget cached rows before resolving the next one. */
export function clearLoaders(loaders: TicketLoaders): void {
  for (const l of Object.values(loaders) as Array<{ clearAll(): unknown }>) l.clearAll();
}

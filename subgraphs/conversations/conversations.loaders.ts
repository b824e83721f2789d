import DataLoader from 'dataloader';
import { hasRole, type Viewer } from '../_shared/auth.js';
import { byIdLoader, emptyLoader, groupLoader } from '../_shared/loaders.js';
import { clampFirst, decodeCursor, toPage } from '../_shared/pagination.js';
import { STAFF } from '../_shared/roles.js';
import type { AgentEntity, AgentGroupEntity, AgentGroupMemberEntity } from './agent/agent.entity.js';
import type { ChannelEntity } from './channel/channel.entity.js';
import type { ChannelTrafficRecord } from './channel/channel.traffic.js';
import type { ConversationContextData } from './context/context.service.js';
import type { ConversationEntity } from './conversation/conversation.entity.js';
import type { ConversationsServices } from './conversations.services.js';
import { childPageLoader, type Page, type PageKey } from './conversations.paging.js';
import type { ConversationEventEntity } from './event/event.entity.js';
import type { HandoffSummaryEntity } from './handoff/handoff.entity.js';
import type { MessageEntity } from './message/message.entity.js';
import type { TimelinePage } from './timeline/timeline.service.js';

/** One page of a customer's timeline. */
export interface TimelineKey extends PageKey {
  channels?: string[] | null;
  newestFirst?: boolean;
}

export interface ConversationsLoaders {
  conversationById: DataLoader<string, ConversationEntity | null>;
  messageById: DataLoader<string, MessageEntity | null>;
  agentById: DataLoader<string, AgentEntity | null>;
  groupById: DataLoader<string, AgentGroupEntity | null>;
  channelById: DataLoader<string, ChannelEntity | null>;
  eventById: DataLoader<string, ConversationEventEntity | null>;
  handoffById: DataLoader<string, HandoffSummaryEntity | null>;
  membershipsByAgent: DataLoader<string, AgentGroupMemberEntity[]>;
  membershipsByGroup: DataLoader<string, AgentGroupMemberEntity[]>;
  messagePages: DataLoader<PageKey, Page<MessageEntity>, string>;
  eventPages: DataLoader<PageKey, Page<ConversationEventEntity>, string>;
  customerConversationPages: DataLoader<PageKey, Page<ConversationEntity>, string>;
  timelinePages: DataLoader<TimelineKey, TimelinePage, string>;
  handoffByConversation: DataLoader<string, HandoffSummaryEntity | null>;
  unreadByConversation: DataLoader<string, number>;
  lastReadByConversation: DataLoader<string, Date | null>;
  contextByCustomer: DataLoader<string, { context: ConversationContextData; cached: boolean }>;
  /** Keyed by channel id: the caller loaded the channel within its tenant. */
  channelTraffic: DataLoader<string, ChannelTrafficRecord>;
}

/**
 * Tenant-scoped by construction: the viewer's tenant is baked into every loader of the request. Internal notes
 * reach staff only: for any other role (partner) they do not exist.
 */
export function createConversationsLoaders(s: ConversationsServices, viewer: Viewer | null): ConversationsLoaders {
  if (!viewer) {
    const noPage = emptyLoader(toPage([], 1, () => new Date())) as unknown as DataLoader<PageKey, never, string>;
    return {
      conversationById: emptyLoader(null), messageById: emptyLoader(null), agentById: emptyLoader(null), groupById: emptyLoader(null),
      channelById: emptyLoader(null), eventById: emptyLoader(null), handoffById: emptyLoader(null), membershipsByAgent: emptyLoader([]), membershipsByGroup: emptyLoader([]),
      messagePages: noPage, eventPages: noPage, customerConversationPages: noPage, timelinePages: noPage as never,
      handoffByConversation: emptyLoader(null), unreadByConversation: emptyLoader(0), lastReadByConversation: emptyLoader(null),
      contextByCustomer: emptyLoader(null) as never, channelTraffic: emptyLoader(null) as never,
    };
  }
  const t = viewer.tenant;
  const staff = hasRole(viewer, ...STAFF);
  return {
    conversationById: byIdLoader((ids) => s.conversations.byIds(t, ids)),
    messageById: byIdLoader((ids) => s.messages.byIds(t, ids, staff)),
    agentById: byIdLoader((ids) => s.agents.byIds(t, ids)),
    groupById: byIdLoader((ids) => s.agents.groupsByIds(t, ids)),
    channelById: byIdLoader((ids) => s.channels.byIds(t, ids)),
    eventById: byIdLoader((ids) => s.lifecycle.byIds(t, ids)),
    // A summary quotes the customer and the agents: staff only, like the field that leads to it.
    handoffById: staff ? byIdLoader((ids) => s.handoffs.byIds(t, ids)) : emptyLoader(null),
    membershipsByAgent: groupLoader((ids) => s.agents.memberships(t, ids), (m) => m.agentId),
    membershipsByGroup: groupLoader((ids) => s.agents.memberships(t, ids, true), (m) => m.groupId),
    messagePages: childPageLoader((ids, limit, after) => s.messages.firstOf(t, ids, limit, after, staff), 'ASC', (m) => m.conversationId, (m) => m.createdAt),
    eventPages: childPageLoader((ids, limit, after) => s.lifecycle.firstOf(t, ids, limit, after), 'ASC', (e) => e.conversationId, (e) => e.at),
    customerConversationPages: childPageLoader((ids, limit, after) => s.conversations.firstOfCustomers(t, ids, limit, after), 'DESC', (c) => c.customerId, (c) => c.lastMessageAt),
    timelinePages: timelineLoader(s, t, staff),
    handoffByConversation: new DataLoader(async (ids) => {
      const byConversation = new Map((await s.handoffs.latestOf(t, ids)).map((h) => [h.conversationId, h]));
      return ids.map((id) => byConversation.get(id) ?? null);
    }),
    unreadByConversation: new DataLoader(async (ids) => {
      const counts = await s.reads.unreadCounts(t, viewer.sub, ids, staff);
      return ids.map((id) => counts.get(id) ?? 0);
    }),
    lastReadByConversation: new DataLoader(async (ids) => {
      const marks = new Map((await s.reads.marks(t, viewer.sub, ids)).map((r) => [r.conversationId, r.lastReadAt]));
      return ids.map((id) => marks.get(id) ?? null);
    }),
    contextByCustomer: new DataLoader((ids) => s.context.getMany(t, ids)),
    channelTraffic: new DataLoader((ids) => s.channelTraffic.of(ids)),
  };
}

/** Timeline pages: keys asking the same (first, after, channels, order) share one fetch for all their customers. */
function timelineLoader(s: ConversationsServices, tenantId: string, includeInternal: boolean): DataLoader<TimelineKey, TimelinePage, string> {
  const args = (k: TimelineKey) => JSON.stringify([k.first ?? null, k.after ?? null, k.channels ?? null, !!k.newestFirst]);
  const cacheKey = (k: TimelineKey) => JSON.stringify([k.key, args(k)]);
  return new DataLoader<TimelineKey, TimelinePage, string>(
    async (keys) => {
      const groups = new Map<string, TimelineKey[]>();
      for (const k of keys) groups.set(args(k), [...(groups.get(args(k)) ?? []), k]);
      const pages = new Map<string, TimelinePage | Error>();
      for (const group of groups.values()) {
        const k0 = group[0];
        try {
          const byCustomer = await s.timeline.pages(tenantId, [...new Set(group.map((k) => k.key))], {
            first: clampFirst(k0.first), after: decodeCursor(k0.after), channels: k0.channels ?? undefined, newestFirst: !!k0.newestFirst, includeInternal,
          });
          for (const k of group) pages.set(cacheKey(k), byCustomer.get(k.key)!);
        } catch (e) {
          for (const k of group) pages.set(cacheKey(k), e as Error); // bad first/after fails only the fields that asked for it
        }
      }
      return keys.map((k) => pages.get(cacheKey(k))!);
    },
    { cacheKeyFn: cacheKey },
  );
}

/** Subscriptions keep one context for all their events: forget cached rows before resolving the next one. */
export function clearLoaders(loaders: ConversationsLoaders): void {
  for (const l of Object.values(loaders) as Array<{ clearAll(): unknown }>) l.clearAll();
}

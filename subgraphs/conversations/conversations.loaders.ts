import type DataLoader from 'dataloader';
import type { Viewer } from '../_shared/auth.js';
import { byIdLoader, emptyLoader, groupLoader } from '../_shared/loaders.js';
import { toPage } from '../_shared/pagination.js';
import type { AgentEntity, AgentGroupEntity, AgentGroupMemberEntity } from './agent/agent.entity.js';
import type { ChannelEntity } from './channel/channel.entity.js';
import type { ConversationEntity } from './conversation/conversation.entity.js';
import type { ConversationsServices } from './conversations.services.js';
import { childPageLoader, type Page, type PageKey } from './conversations.paging.js';
import type { MessageEntity } from './message/message.entity.js';

export interface ConversationsLoaders {
  conversationById: DataLoader<string, ConversationEntity | null>;
  messageById: DataLoader<string, MessageEntity | null>;
  agentById: DataLoader<string, AgentEntity | null>;
  groupById: DataLoader<string, AgentGroupEntity | null>;
  channelById: DataLoader<string, ChannelEntity | null>;
  membershipsByAgent: DataLoader<string, AgentGroupMemberEntity[]>;
  membershipsByGroup: DataLoader<string, AgentGroupMemberEntity[]>;
  messagePages: DataLoader<PageKey, Page<MessageEntity>, string>;
  customerConversationPages: DataLoader<PageKey, Page<ConversationEntity>, string>;
}

/** Tenant-scoped by construction: the viewer's tenant is baked into every loader of the request. */
export function createConversationsLoaders(s: ConversationsServices, viewer: Viewer | null): ConversationsLoaders {
  if (!viewer) {
    const noPage = emptyLoader(toPage([], 1, () => new Date())) as unknown as DataLoader<PageKey, never, string>;
    return {
      conversationById: emptyLoader(null), messageById: emptyLoader(null), agentById: emptyLoader(null), groupById: emptyLoader(null),
      channelById: emptyLoader(null), membershipsByAgent: emptyLoader([]), membershipsByGroup: emptyLoader([]),
      messagePages: noPage, customerConversationPages: noPage,
    };
  }
  const t = viewer.tenant;
  return {
    conversationById: byIdLoader((ids) => s.conversations.byIds(t, ids)),
    messageById: byIdLoader((ids) => s.messages.byIds(t, ids)),
    agentById: byIdLoader((ids) => s.agents.byIds(t, ids)),
    groupById: byIdLoader((ids) => s.agents.groupsByIds(t, ids)),
    channelById: byIdLoader((ids) => s.channels.byIds(t, ids)),
    membershipsByAgent: groupLoader((ids) => s.agents.memberships(t, ids), (m) => m.agentId),
    membershipsByGroup: groupLoader((ids) => s.agents.memberships(t, ids, true), (m) => m.groupId),
    messagePages: childPageLoader((ids, limit, after) => s.messages.firstOf(t, ids, limit, after), 'ASC', (m) => m.conversationId, (m) => m.createdAt),
    customerConversationPages: childPageLoader((ids, limit, after) => s.conversations.firstOfCustomers(t, ids, limit, after), 'DESC', (c) => c.customerId, (c) => c.lastMessageAt),
  };
}

/** Subscriptions keep one context for all their events: forget cached rows before resolving the next one. */
export function clearLoaders(loaders: ConversationsLoaders): void {
  for (const l of Object.values(loaders) as Array<{ clearAll(): unknown }>) l.clearAll();
}

import type { SubgraphModule } from '../_shared/subgraph-module.js';
import { AgentGroupResolver, AgentResolver } from './agent/agent.resolver.js';
import { ChannelResolver } from './channel/channel.resolver.js';
import { ConversationResolver } from './conversation/conversation.resolver.js';
import type { ConversationsContext } from './conversations.context.js';
import { conversationsEntities, conversationsMigrations } from './conversations.entities.js';
import { createConversationsLoaders, type ConversationsLoaders } from './conversations.loaders.js';
import { seedConversationsDemo } from './conversations.seed.js';
import { createConversationsServices, type ConversationsServices } from './conversations.services.js';
import { CustomerConversationsResolver } from './customer/customer.resolver.js';
import { MessageResolver } from './message/message.resolver.js';

const loaders = (ctx: unknown) => (ctx as ConversationsContext).loaders;

export const conversationsSubgraph: SubgraphModule<ConversationsServices, ConversationsLoaders> = {
  name: 'conversations',
  defaultPort: 4002,
  definition: {
    name: 'conversations',
    resolvers: [ConversationResolver, MessageResolver, AgentResolver, AgentGroupResolver, ChannelResolver, CustomerConversationsResolver],
    references: {
      Conversation: (ref, ctx) => loaders(ctx).conversationById.load(ref.id),
      Message: (ref, ctx) => loaders(ctx).messageById.load(ref.id),
      Agent: (ref, ctx) => loaders(ctx).agentById.load(ref.id),
      AgentGroup: (ref, ctx) => loaders(ctx).groupById.load(ref.id),
      Channel: (ref, ctx) => loaders(ctx).channelById.load(ref.id),
      // Customer is owned by the customers subgraph: the key is all this subgraph knows.
      Customer: (ref) => ({ id: ref.id }),
    },
  },
  entities: conversationsEntities,
  migrations: conversationsMigrations,
  createServices: createConversationsServices,
  createLoaders: createConversationsLoaders,
  seedDemo: seedConversationsDemo,
};

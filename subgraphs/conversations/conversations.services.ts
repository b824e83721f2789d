import type { SubgraphDeps } from '../_shared/subgraph-module.js';
import { AgentService } from './agent/agent.service.js';
import { ChannelService } from './channel/channel.service.js';
import { ConversationService } from './conversation/conversation.service.js';
import { MessageService } from './message/message.service.js';

export interface ConversationsServices {
  agents: AgentService;
  channels: ChannelService;
  conversations: ConversationService;
  messages: MessageService;
}

export function createConversationsServices(deps: SubgraphDeps): ConversationsServices {
  const agents = new AgentService(deps.dataSource);
  const channels = new ChannelService(deps.dataSource);
  const conversations = new ConversationService(deps.dataSource, deps.events, deps.pubsub, agents, channels, deps.log);
  const messages = new MessageService(deps.dataSource, deps.pubsub, conversations);
  return { agents, channels, conversations, messages };
}

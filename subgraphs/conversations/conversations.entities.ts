import { ConversationsInitial1764200000000 } from '../../migrations/conversations/1764200000000-initial.js';
import { AgentEntity, AgentGroupEntity, AgentGroupMemberEntity } from './agent/agent.entity.js';
import { ChannelEntity } from './channel/channel.entity.js';
import { ConversationEntity } from './conversation/conversation.entity.js';
import { MessageEntity } from './message/message.entity.js';

export const conversationsEntities = [ChannelEntity, AgentEntity, AgentGroupEntity, AgentGroupMemberEntity, ConversationEntity, MessageEntity];
export const conversationsMigrations = [ConversationsInitial1764200000000];

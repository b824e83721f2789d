import { ConversationsInitial1764200000000 } from '../../migrations/conversations/1764200000000-initial.js';
import { ConversationsTimeline1764800000000 } from '../../migrations/conversations/1764800000000-timeline.js';
import { AgentEntity, AgentGroupEntity, AgentGroupMemberEntity } from './agent/agent.entity.js';
import { ChannelEntity } from './channel/channel.entity.js';
import { ConversationEntity } from './conversation/conversation.entity.js';
import { ConversationEventEntity } from './event/event.entity.js';
import { HandoffSummaryEntity } from './handoff/handoff.entity.js';
import { MessageEntity } from './message/message.entity.js';
import { ConversationReadEntity } from './read/read.entity.js';
import { ConversationSettingsEntity } from './settings/settings.entity.js';

export const conversationsEntities = [
  ChannelEntity, AgentEntity, AgentGroupEntity, AgentGroupMemberEntity, ConversationEntity, MessageEntity,
  ConversationEventEntity, ConversationReadEntity, HandoffSummaryEntity, ConversationSettingsEntity,
];
export const conversationsMigrations = [ConversationsInitial1764200000000, ConversationsTimeline1764800000000];

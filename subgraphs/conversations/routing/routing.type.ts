import { ArrayMaxSize, IsBoolean, IsIn, IsInt, IsNumber, IsObject, IsOptional, IsString, IsUUID, Length, Max, Min } from 'class-validator';
import { GraphQLJSONObject } from 'graphql-scalars';
import { Directive, Field, Float, ID, InputType, Int, ObjectType, registerEnumType } from 'type-graphql';
import { Conversation } from '../conversation/conversation.type.js';
import { PresenceStatus } from '../presence/presence.store.js';
import type { JsonObject } from '../message/message.entity.js';
import { EntryState, OfferKind, OfferStatus } from './routing.entity.js';
import { RoutingHintsInput } from './routing.input.js';
import { AssignmentEventType } from './routing.service.js';

export { PresenceStatus, EntryState, OfferKind, OfferStatus, AssignmentEventType };
registerEnumType(PresenceStatus, { name: 'PresenceStatus', description: 'Live agent presence; only ONLINE agents receive new conversations.' });
registerEnumType(EntryState, { name: 'RoutingState' });
registerEnumType(OfferKind, { name: 'OfferKind' });
registerEnumType(OfferStatus, { name: 'OfferStatus' });
registerEnumType(AssignmentEventType, { name: 'AssignmentEventType' });

@ObjectType({ description: "An agent's live presence (shared by every replica; expires without heartbeats)." })
export class AgentPresence {
  @Field(() => ID) agentId: string;
  @Field(() => PresenceStatus) status: PresenceStatus;
  @Field(() => Date, { nullable: true, description: 'When the status last changed.' }) since: Date | null;
  @Field(() => Date, { nullable: true }) lastHeartbeatAt: Date | null;
  // agent: field resolver (batched)
}

@ObjectType({ description: 'Capacity and current load of one channel class (chat, call).' })
export class AgentLoad {
  @Field() channelClass: string;
  @Field(() => Int) active: number;
  @Field(() => Int) capacity: number;
}

@ObjectType()
export class AgentRouting {
  @Field(() => [String]) skills: string[];
  @Field(() => [AgentLoad]) loads: AgentLoad[];
}

@ObjectType({ description: 'An offer (or assignment) routing made to an agent, and how it ended.' })
@Directive('@key(fields: "id")')
export class RoutingOffer {
  @Field(() => ID) id: string;
  @Field(() => OfferKind) kind: OfferKind;
  @Field(() => OfferStatus) status: OfferStatus;
  @Field() createdAt: Date;
  @Field(() => Date, { nullable: true, description: 'An offer not answered by then goes to the next agent.' }) expiresAt: Date | null;
  @Field(() => Date, { nullable: true }) respondedAt: Date | null;
  @Field(() => Date, { nullable: true }) endedAt: Date | null;
  @Field(() => String, { nullable: true }) reason: string | null;
  // conversation, agent: field resolvers (batched)
}

@ObjectType({ description: 'What myAssignments delivers.' })
export class AssignmentEvent {
  @Field(() => AssignmentEventType) type: AssignmentEventType;
  @Field(() => RoutingOffer) offer: RoutingOffer;
  @Field() at: Date;
}

@ObjectType({ description: 'One agent L3 looked at, and why it was (not) chosen.' })
export class RoutingCandidate {
  @Field(() => ID) agentId: string;
  @Field(() => PresenceStatus) status: PresenceStatus;
  @Field() eligible: boolean;
  @Field() reason: string;
  @Field(() => Int) active: number;
  @Field(() => Int) capacity: number;
  @Field(() => Int, { nullable: true }) idleSeconds: number | null;
  @Field(() => Int, { nullable: true }) rank: number | null;
  @Field({ description: 'preferred, group or fallback' }) tier: string;
  // agent: field resolver (batched)
}

@ObjectType({ description: 'One level of a routing decision.' })
export class RoutingLevel {
  @Field({ description: 'L1 (channel and business type → group), L2 (customer → preferred agents, dedicated group), L3 (agent state).' }) level: string;
  @Field(() => String, { nullable: true }) ruleId: string | null;
  @Field() matched: boolean;
  @Field() detail: string;
  @Field(() => [ID], { nullable: 'items', description: 'Groups considered; null is the tenant-wide pool.' }) groupIds: Array<string | null>;
  @Field(() => [RoutingCandidate], { nullable: true }) candidates?: RoutingCandidate[] | null;
}

@ObjectType({ description: 'Why the conversation went where it went: per level the rule that matched, the candidates and the winner.' })
export class RoutingTrace {
  @Field() decidedAt: Date;
  @Field({ description: 'OFFERED, ASSIGNED, QUEUED or OUT_OF_HOURS' }) outcome: string;
  @Field(() => String, { nullable: true }) businessType: string | null;
  @Field(() => String, { nullable: true, description: 'input, intent, menuKey, orderEvent or keyword' }) businessTypeSource: string | null;
  @Field(() => Int) priority: number;
  @Field() channelClass: string;
  @Field(() => ID, { nullable: true }) groupId: string | null;
  @Field(() => [RoutingLevel]) levels: RoutingLevel[];
  @Field(() => ID, { nullable: true }) chosenAgentId: string | null;
  @Field() reason: string;
  // group, chosenAgent: field resolvers (batched)
}

@ObjectType({ description: 'Where the conversation stands in routing.' })
export class ConversationRouting {
  @Field(() => EntryState) state: EntryState;
  @Field(() => ID, { nullable: true }) groupId: string | null;
  @Field(() => Int) priority: number;
  @Field({ description: 'When it started waiting for a human.' }) enqueuedAt: Date;
  @Field(() => ID, { nullable: true, description: 'The agent holding it (offered or assigned).' }) agentId: string | null;
  @Field(() => ID, { nullable: true }) offerId: string | null;
  @Field(() => ID, { nullable: true, description: 'The agent who keeps it until someone in the new group takes it.' }) reassignFrom: string | null;
  @Field(() => GraphQLJSONObject, { nullable: true, description: 'Routing input: customer tags and levels, business type, intent...' }) hints: JsonObject | null;
  // position, group, agent, offer: field resolvers (batched)
}

@ObjectType()
export class QueuePosition {
  @Field(() => ID) conversationId: string;
  @Field(() => Int, { description: '1 is next.' }) position: number;
  @Field(() => Int) priority: number;
  @Field(() => Int) waitingSeconds: number;
  @Field() channelType: string;
  // conversation: field resolver (batched)
}

@ObjectType({ description: 'A live queue: the conversations waiting in one group (or the tenant-wide pool).' })
export class QueueSnapshot {
  @Field(() => ID, { nullable: true }) groupId: string | null;
  @Field(() => Int) waiting: number;
  @Field(() => Int) longestWaitSeconds: number;
  @Field(() => [QueuePosition], { description: 'The first 50 in queue order.' }) entries: QueuePosition[];
  @Field() at: Date;
  // group: field resolver (batched)
}

@ObjectType({ description: "A channel's share of agent capacity in a group: the target adapts to its queue within the supervisor's bounds." })
export class ChannelShare {
  @Field() channelType: string;
  @Field(() => Int) waiting: number;
  @Field(() => Int) longestWaitSeconds: number;
  @Field(() => Int, { description: 'Conversations of the channel that agents hold now.' }) active: number;
  @Field(() => Float) base: number;
  @Field(() => Float) min: number;
  @Field(() => Float) max: number;
  @Field(() => Float) target: number;
  @Field(() => Float) current: number;
}

@ObjectType({ description: "The tenant's routing rules." })
export class RoutingRuleSet {
  @Field(() => Int, { description: '0 until saved once; pass it as expectedVersion to update safely.' }) version: number;
  @Field(() => GraphQLJSONObject, { description: 'As saved.' }) rules: JsonObject;
  @Field(() => GraphQLJSONObject, { description: 'With every default filled in: what routing runs on.' }) effective: JsonObject;
  @Field(() => Date, { nullable: true }) updatedAt: Date | null;
  @Field(() => String, { nullable: true }) updatedBy: string | null;
}

// ------------------------------------------------------------------------------------------------ inputs

@InputType()
export class UpdateRoutingRulesInput {
  @Field(() => GraphQLJSONObject, { description: 'The whole document (see docs/routing.md); BAD_USER_INPUT names the offending path, e.g. rules.l1[2].groupId.' })
  @IsObject()
  rules: JsonObject;

  @Field(() => Int, { nullable: true, description: 'CONFLICT unless the saved version is this one.' }) @IsOptional() @IsInt() @Min(0) expectedVersion?: number;
}

@InputType()
export class SetAgentStatusInput {
  @Field(() => PresenceStatus) @IsIn(Object.values(PresenceStatus)) status: PresenceStatus;
  @Field(() => ID, { nullable: true, description: 'Default: the agent in the token. Supervisors and admins may set anyone.' }) @IsOptional() @IsUUID() agentId?: string;
}

@InputType()
export class SendHeartbeatInput {
  @Field(() => ID, { nullable: true, description: 'Default: the agent in the token.' }) @IsOptional() @IsUUID() agentId?: string;
}

@InputType()
export class UpdateAgentRoutingInput {
  @Field(() => ID) @IsUUID() agentId: string;
  @Field(() => [String], { nullable: true }) @IsOptional() @ArrayMaxSize(30) @IsString({ each: true }) @Length(1, 40, { each: true }) skills?: string[];
  @Field(() => Int, { nullable: true, description: 'Chats at once.' }) @IsOptional() @IsInt() @Min(0) @Max(50) chatCapacity?: number;
  @Field(() => Int, { nullable: true, description: 'Calls at once.' }) @IsOptional() @IsInt() @Min(0) @Max(5) callCapacity?: number;
}

@InputType()
export class RouteConversationInput extends RoutingHintsInput {
  @Field(() => ID) @IsUUID() conversationId: string;
}

@InputType()
export class AcceptOfferInput {
  @Field(() => ID) @IsUUID() offerId: string;
}

@InputType()
export class DeclineOfferInput {
  @Field(() => ID) @IsUUID() offerId: string;
  @Field({ nullable: true }) @IsOptional() @Length(1, 200) reason?: string;
}

@InputType()
export class TransferConversationInput {
  @Field(() => ID) @IsUUID() conversationId: string;
  @Field(() => ID, { nullable: true }) @IsOptional() @IsUUID() toAgentId?: string;
  @Field(() => ID, { nullable: true }) @IsOptional() @IsUUID() toGroupId?: string;
  @Field({ nullable: true, description: 'An internal note for the next agent.' }) @IsOptional() @Length(1, 2000) note?: string;
}

@InputType()
export class ReportBotTurnInput {
  @Field(() => ID) @IsUUID() conversationId: string;
  @Field(() => Float, { nullable: true, description: "The bot's confidence in its answer, 0 to 1." }) @IsOptional() @IsNumber() @Min(0) @Max(1) confidence?: number;
  @Field(() => Float, { nullable: true, description: "The customer's sentiment, -1 (angry) to 1." }) @IsOptional() @IsNumber() @Min(-1) @Max(1) sentiment?: number;
  @Field({ nullable: true }) @IsOptional() @IsBoolean() humanRequested?: boolean;
  @Field({ nullable: true }) @IsOptional() @Length(1, 60) intent?: string;
}

@InputType()
export class DispatchQueueInput {
  @Field(() => ID, { nullable: true, description: 'Default: the tenant-wide pool.' }) @IsOptional() @IsUUID() groupId?: string;
}

// ------------------------------------------------------------------------------------------------ payloads

@ObjectType()
export class RoutingRulesPayload {
  @Field(() => RoutingRuleSet) ruleSet: RoutingRuleSet;
}

@ObjectType()
export class AgentPresencePayload {
  @Field(() => AgentPresence) presence: AgentPresence;
}

@ObjectType()
export class AgentRoutingPayload {
  @Field(() => AgentRouting) routing: AgentRouting;
}

@ObjectType()
export class OfferPayload {
  @Field(() => RoutingOffer) offer: RoutingOffer;
  @Field(() => Conversation) conversation: Conversation;
}

@ObjectType()
export class RoutedConversationPayload {
  @Field(() => Conversation) conversation: Conversation;
  @Field(() => ConversationRouting) routing: ConversationRouting;
}

@ObjectType()
export class BotTurnPayload {
  @Field() escalated: boolean;
  @Field(() => String, { nullable: true, description: 'human_requested, low_confidence, customer_upset or vip' }) reason: string | null;
}

@ObjectType()
export class DispatchQueuePayload {
  @Field(() => Int, { description: 'Conversations that got an agent.' }) assigned: number;
  @Field(() => QueueSnapshot) queue: QueueSnapshot;
}

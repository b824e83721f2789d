import { ArrayMaxSize, IsBoolean, IsOptional, IsUUID, Length, Matches, ValidateNested } from 'class-validator';
import { Directive, Field, ID, InputType, ObjectType, registerEnumType } from 'type-graphql';
import { PageInfo } from '../../_shared/pagination.js';
import { AttachmentInput } from '../message/message.type.js';
import { RoutingHintsInput } from '../routing/routing.input.js';
import { CHANNEL_TYPE, CHANNEL_TYPE_MESSAGE } from '../channel/channel.type.js';
import { ConversationStatus } from './conversation.entity.js';

export { ConversationStatus };
registerEnumType(ConversationStatus, { name: 'ConversationStatus' });

export const MAX_TEXT = 8000;

@ObjectType({ description: 'A customer talking with the brand on one channel, from opening to resolution.' })
@Directive('@key(fields: "id")')
export class Conversation {
  @Field(() => ID) id: string;
  @Field() subject: string;
  @Field(() => ConversationStatus) status: ConversationStatus;
  @Field() channelType: string;
  @Field() createdAt: Date;
  @Field() updatedAt: Date;
  @Field() lastMessageAt: Date;
  @Field(() => Date, { nullable: true, description: "The first agent reply that the customer saw (internal notes don't count)." })
  firstResponseAt: Date | null;
  @Field(() => Date, { nullable: true, description: 'When it was last resolved; the reopen window counts from here.' }) resolvedAt: Date | null;
  @Field(() => Date, { nullable: true }) closedAt: Date | null;
  // customer, assignee, group, channel, messages, events, handoffSummary and unreadCount are field resolvers (batched)
}

@ObjectType()
export class ConversationPage {
  @Field(() => [Conversation]) nodes: Conversation[];
  @Field(() => PageInfo) pageInfo: PageInfo;
}

@InputType()
export class CreateConversationInput {
  @Field(() => ID) @IsUUID() customerId: string;
  @Field() @Matches(CHANNEL_TYPE, { message: CHANNEL_TYPE_MESSAGE }) channelType: string;
  @Field(() => ID, { nullable: true, description: 'One of the tenant channels, of type channelType.' }) @IsOptional() @IsUUID() channelId?: string;
  @Field(() => ID, { nullable: true }) @IsOptional() @IsUUID() groupId?: string;
  @Field() @Length(1, 200) subject: string;
  @Field({ nullable: true, description: "The customer's first message." }) @IsOptional() @Length(1, MAX_TEXT) text?: string;
  @Field({ nullable: true, description: 'Start with the bot (BOT) instead of the human queue (QUEUED).' }) @IsOptional() @IsBoolean() startWithBot?: boolean;
  @Field(() => RoutingHintsInput, { nullable: true, description: "Routing input: the customer's tags, VIP and risk level, business type, intent (see routeConversation)." })
  @IsOptional() @ValidateNested() routing?: RoutingHintsInput;
}

@InputType()
export class SendMessageInput {
  @Field(() => ID) @IsUUID() conversationId: string;
  @Field() @Length(1, MAX_TEXT) text: string;
  @Field({ nullable: true, description: 'An internal note: staff only, never sent to the customer.' }) @IsOptional() @IsBoolean() internal?: boolean;
  @Field(() => [AttachmentInput], { nullable: true, description: 'Media metadata with the channel media reference.' })
  @IsOptional() @ArrayMaxSize(20) @ValidateNested({ each: true }) attachments?: AttachmentInput[];
}

@InputType()
export class AddCustomerMessageInput {
  @Field(() => ID) @IsUUID() conversationId: string;
  @Field() @Length(1, MAX_TEXT) text: string;
  @Field(() => [AttachmentInput], { nullable: true, description: 'Media metadata with the channel media reference.' })
  @IsOptional() @ArrayMaxSize(20) @ValidateNested({ each: true }) attachments?: AttachmentInput[];
}

@InputType()
export class AssignConversationInput {
  @Field(() => ID) @IsUUID() conversationId: string;
  @Field(() => ID) @IsUUID() agentId: string;
}

@InputType()
export class ResolveConversationInput {
  @Field(() => ID) @IsUUID() conversationId: string;
}

@ObjectType()
export class ConversationPayload {
  @Field(() => Conversation) conversation: Conversation;
}

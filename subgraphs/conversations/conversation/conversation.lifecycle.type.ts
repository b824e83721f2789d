import { ArrayMaxSize, IsBoolean, IsOptional, IsUUID, Length, Matches, ValidateNested } from 'class-validator';
import { Field, ID, InputType, ObjectType } from 'type-graphql';
import { CHANNEL_TYPE, CHANNEL_TYPE_MESSAGE } from '../channel/channel.type.js';
import { AttachmentInput } from '../message/message.type.js';
import { Conversation, MAX_TEXT } from './conversation.type.js';

@InputType()
export class EscalateConversationInput {
  @Field(() => ID) @IsUUID() conversationId: string;
  @Field(() => ID, { nullable: true, description: 'Route to this skill group.' }) @IsOptional() @IsUUID() groupId?: string;
  @Field({ nullable: true, description: 'Why the bot hands over (intent not understood, customer asked for a human...).' }) @IsOptional() @Length(1, 200) reason?: string;
}

@InputType()
export class SetConversationPendingInput {
  @Field(() => ID) @IsUUID() conversationId: string;
}

@InputType()
export class ReopenConversationInput {
  @Field(() => ID) @IsUUID() conversationId: string;
}

@InputType()
export class CloseConversationInput {
  @Field(() => ID) @IsUUID() conversationId: string;
  @Field({ nullable: true }) @IsOptional() @Length(1, 200) reason?: string;
}

@InputType()
export class ReceiveCustomerMessageInput {
  @Field(() => ID) @IsUUID() customerId: string;
  @Field() @Matches(CHANNEL_TYPE, { message: CHANNEL_TYPE_MESSAGE }) channelType: string;
  @Field(() => ID, { nullable: true, description: 'One of the tenant channels, of type channelType.' }) @IsOptional() @IsUUID() channelId?: string;
  @Field({ nullable: true, description: 'May be empty when attachments carry the message.' }) @IsOptional() @Length(0, MAX_TEXT) text?: string;
  @Field(() => [AttachmentInput], { nullable: true }) @IsOptional() @ArrayMaxSize(20) @ValidateNested({ each: true }) attachments?: AttachmentInput[];
  @Field({ nullable: true, description: 'Subject of a new conversation (default: the start of the text).' }) @IsOptional() @Length(1, 200) subject?: string;
}

@InputType()
export class AddBotMessageInput {
  @Field(() => ID) @IsUUID() conversationId: string;
  @Field() @Length(1, MAX_TEXT) text: string;
  @Field({ nullable: true, description: 'A SYSTEM notice (e.g. "已为您转接人工") instead of a BOT reply.' }) @IsOptional() @IsBoolean() system?: boolean;
  @Field(() => [AttachmentInput], { nullable: true }) @IsOptional() @ArrayMaxSize(20) @ValidateNested({ each: true }) attachments?: AttachmentInput[];
}

@InputType()
export class MarkConversationReadInput {
  @Field(() => ID) @IsUUID() conversationId: string;
  @Field(() => ID, { nullable: true, description: 'Read up to this message (default: everything so far).' }) @IsOptional() @IsUUID() upToMessageId?: string;
}

@ObjectType()
export class MarkConversationReadPayload {
  @Field(() => Conversation) conversation: Conversation;
  @Field() lastReadAt: Date;
}

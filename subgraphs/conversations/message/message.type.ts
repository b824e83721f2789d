import { IsInt, IsOptional, Length, Matches, Max, Min } from 'class-validator';
import { GraphQLJSONObject } from 'graphql-scalars';
import { Directive, Field, ID, InputType, Int, ObjectType, registerEnumType } from 'type-graphql';
import { PageInfo } from '../../_shared/pagination.js';
import { Conversation } from '../conversation/conversation.type.js';
import { MessageSenderType, type JsonObject } from './message.entity.js';

export { MessageSenderType };
registerEnumType(MessageSenderType, { name: 'MessageSenderType' });

@ObjectType({ description: "A file, image, voice or video sent with a message: its metadata and the channel's media reference." })
export class Attachment {
  @Field({ description: 'image, voice, video, file, sticker...' }) kind: string;
  @Field({ description: "The channel's own reference: a WeChat media_id, a CDN URL, a platform file path..." }) mediaRef: string;
  @Field(() => String, { nullable: true }) name?: string | null;
  @Field(() => Int, { nullable: true, description: 'Bytes.' }) size?: number | null;
  @Field(() => String, { nullable: true }) mime?: string | null;
}

@InputType()
export class AttachmentInput {
  @Field() @Matches(/^[a-z][a-z0-9_-]{1,19}$/, { message: 'must be a kind like image, voice, video or file' }) kind: string;
  @Field() @Length(1, 1000) mediaRef: string;
  @Field(() => String, { nullable: true }) @IsOptional() @Length(1, 255) name?: string | null;
  @Field(() => Int, { nullable: true }) @IsOptional() @IsInt() @Min(0) @Max(4 * 1024 ** 3) size?: number | null;
  @Field(() => String, { nullable: true }) @IsOptional() @Matches(/^[\w.+-]+\/[\w.+-]+$/, { message: 'must be a MIME type like image/jpeg' }) mime?: string | null;
}

@ObjectType({ description: 'One message of a conversation, or an internal note.' })
@Directive('@key(fields: "id")')
export class Message {
  @Field(() => ID) id: string;
  @Field(() => MessageSenderType) senderType: MessageSenderType;
  @Field(() => String, { nullable: true, description: "The agent's user id for AGENT messages." }) senderId: string | null;
  @Field({ description: 'text, image, voice, video, file, location, link, card, event, order' }) kind: string;
  @Field() text: string;
  @Field(() => GraphQLJSONObject, { nullable: true, description: 'Kind-specific data: media URL, coordinates, order number...' })
  payload: JsonObject | null;
  @Field({ description: 'Internal notes are visible to staff only and never sent to the customer.' }) internal: boolean;
  @Field({ description: 'The channel type of its conversation.' }) channelType: string;
  @Field() createdAt: Date;
  // conversation (batched) and attachments are field resolvers
}

@ObjectType({ description: 'Oldest first.' })
export class MessagePage {
  @Field(() => [Message]) nodes: Message[];
  @Field(() => PageInfo) pageInfo: PageInfo;
}

@ObjectType()
export class MessagePayload {
  @Field(() => Message) message: Message;
  @Field(() => Conversation) conversation: Conversation;
}

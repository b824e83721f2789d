import { GraphQLJSONObject } from 'graphql-scalars';
import { Directive, Field, ID, ObjectType, registerEnumType } from 'type-graphql';
import { PageInfo } from '../../_shared/pagination.js';
import { Conversation } from '../conversation/conversation.type.js';
import { MessageSenderType, type JsonObject } from './message.entity.js';

export { MessageSenderType };
registerEnumType(MessageSenderType, { name: 'MessageSenderType' });

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
  @Field() internal: boolean;
  @Field() createdAt: Date;
  // conversation is a field resolver (batched)
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

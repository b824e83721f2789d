import { GraphQLJSONObject } from 'graphql-scalars';
import { Directive, Field, ID, ObjectType, registerEnumType } from 'type-graphql';
import { PageInfo } from '../../_shared/pagination.js';
import { ConversationStatus } from '../conversation/conversation.entity.js';
import type { JsonObject } from '../message/message.entity.js';
import { ActorType, ConversationEventType } from './event.entity.js';

export { ActorType, ConversationEventType };
registerEnumType(ConversationEventType, { name: 'ConversationEventType', description: 'A lifecycle transition; published as the domain event conversation.<type in lower case>.' });
registerEnumType(ActorType, { name: 'ActorType' });

@ObjectType({ description: 'One transition of a conversation: what, from which status to which, who, when.' })
@Directive('@key(fields: "id")')
export class ConversationEvent {
  @Field(() => ID) id: string;
  @Field(() => ConversationEventType) type: ConversationEventType;
  @Field(() => ConversationStatus, { nullable: true, description: 'null for OPENED.' }) fromStatus: ConversationStatus | null;
  @Field(() => ConversationStatus, { nullable: true }) toStatus: ConversationStatus | null;
  @Field(() => ActorType) actorType: ActorType;
  @Field(() => String, { nullable: true, description: "The agent's or service's user id, the customer id for CUSTOMER." }) actorId: string | null;
  @Field(() => GraphQLJSONObject, { nullable: true, description: 'agentId, previousAgentId, groupId, reason, previousConversationId...' }) data: JsonObject | null;
  @Field({ description: 'The channel type of its conversation.' }) channelType: string;
  @Field() at: Date;
  // conversation is a field resolver (batched)
}

@ObjectType({ description: 'Oldest first.' })
export class ConversationEventPage {
  @Field(() => [ConversationEvent]) nodes: ConversationEvent[];
  @Field(() => PageInfo) pageInfo: PageInfo;
}

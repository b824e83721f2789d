import { GraphQLJSONObject } from 'graphql-scalars';
import { createUnionType, Field, ID, ObjectType } from 'type-graphql';
import { PageInfo } from '../../_shared/pagination.js';
import { ConversationEvent } from '../event/event.type.js';
import { ConversationEventEntity } from '../event/event.entity.js';
import { Message } from '../message/message.type.js';

export const TimelineEntry = createUnionType({
  name: 'TimelineEntry',
  description: 'A message (or, for staff, an internal note) or a lifecycle event.',
  types: () => [Message, ConversationEvent] as const,
  resolveType: (v) => (v instanceof ConversationEventEntity || 'actorType' in (v as object) ? 'ConversationEvent' : 'Message'),
});

@ObjectType({ description: "A customer's messages and conversation events across all channels, in time order." })
export class TimelinePage {
  @Field(() => [TimelineEntry]) nodes: Array<typeof TimelineEntry>;
  @Field(() => PageInfo) pageInfo: PageInfo;
}

@ObjectType({ description: 'A message as the context keeps it.' })
export class ContextMessage {
  @Field(() => ID) id: string;
  @Field(() => ID) conversationId: string;
  @Field() channelType: string;
  @Field() senderType: string;
  @Field() text: string;
  @Field() at: Date;
}

@ObjectType({ description: "The customer's session context of the last 30 days (cached; the database is the source of truth)." })
export class ConversationContext {
  @Field(() => [ContextMessage], { description: 'The latest customer-visible messages across channels, oldest first.' }) recentMessages: ContextMessage[];
  @Field(() => String, { nullable: true, description: 'logistics, refund, reship, quality, invoice, price, order_change, product, complaint' }) intent: string | null;
  @Field(() => GraphQLJSONObject, { description: 'orderId, trackingNo, amount: the latest value of each.' }) slots: Record<string, string>;
  @Field(() => [String]) orderIds: string[];
  @Field(() => String, { nullable: true }) summary: string | null;
  @Field(() => [String], { description: 'Channel types used, first use first.' }) channels: string[];
  @Field(() => Date, { nullable: true }) lastActivityAt: Date | null;
  @Field({ description: 'True when it came from the cache, false when it was rebuilt from the database.' }) cached: boolean;
}

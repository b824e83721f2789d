import { Field, ObjectType, registerEnumType } from 'type-graphql';
import { Conversation } from '../conversation/conversation.type.js';
import { ConversationEvent } from '../event/event.type.js';
import { HandoffSummary } from '../handoff/handoff.type.js';
import { Message } from '../message/message.type.js';
import { ActivityKind } from './activity.service.js';

export { ActivityKind };
registerEnumType(ActivityKind, { name: 'ActivityKind' });

@ObjectType({ description: 'One live item: a message or note (MESSAGE), a lifecycle event (EVENT) or a handoff summary (HANDOFF).' })
export class ConversationActivity {
  @Field(() => ActivityKind) kind: ActivityKind;
  @Field(() => Conversation) conversation: Conversation;
  @Field(() => Message, { nullable: true }) message?: Message;
  @Field(() => ConversationEvent, { nullable: true }) event?: ConversationEvent;
  @Field(() => HandoffSummary, { nullable: true }) handoffSummary?: HandoffSummary;
}

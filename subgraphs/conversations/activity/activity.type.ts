import { Field, ID, InputType, ObjectType, registerEnumType } from 'type-graphql';
import { Conversation } from '../conversation/conversation.type.js';
import { ConversationEvent } from '../event/event.type.js';
import { HandoffSummary } from '../handoff/handoff.type.js';
import { Message } from '../message/message.type.js';
import { ActivityKind } from './activity.service.js';

export { ActivityKind };
registerEnumType(ActivityKind, { name: 'ActivityKind' });

export enum TypingParty { CUSTOMER = 'CUSTOMER', AGENT = 'AGENT' }
registerEnumType(TypingParty, { name: 'TypingParty' });
export enum TypingState { START = 'START', STOP = 'STOP' }
registerEnumType(TypingState, { name: 'TypingState' });

@ObjectType({ description: 'Someone typing in a conversation: the customer (web widget, app) or an agent. Live only, never stored.' })
export class TypingIndicator {
  @Field(() => TypingParty) by: TypingParty;
  @Field(() => TypingState) state: TypingState;
  @Field(() => ID, { nullable: true, description: 'The agent, when an agent types.' }) agentId?: string;
}

@ObjectType({ description: 'One live item: a message or note (MESSAGE), a lifecycle event (EVENT), a handoff summary (HANDOFF) or typing (TYPING).' })
export class ConversationActivity {
  @Field(() => ActivityKind) kind: ActivityKind;
  @Field(() => Conversation) conversation: Conversation;
  @Field(() => Message, { nullable: true }) message?: Message;
  @Field(() => ConversationEvent, { nullable: true }) event?: ConversationEvent;
  @Field(() => HandoffSummary, { nullable: true }) handoffSummary?: HandoffSummary;
  @Field(() => TypingIndicator, { nullable: true }) typing?: TypingIndicator;
}

@InputType()
export class SetTypingInput {
  @Field(() => ID) conversationId: string;
  @Field({ description: 'true: started typing; false: stopped (send it when the draft is sent or cleared).' }) typing: boolean;
}

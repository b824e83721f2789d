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

@ObjectType({ description: "Words being said before they are final: a call's speech-to-text in progress. Live only, never stored; the final words arrive as a MESSAGE." })
export class PartialTranscript {
  @Field(() => TypingParty) by: TypingParty;
  @Field() text: string;
  @Field(() => String, { nullable: true, description: 'The same for every version of one utterance: replace the one shown with the same key.' }) key?: string;
}

@ObjectType({ description: "One live item: a message or note (MESSAGE), a lifecycle event (EVENT), a handoff summary (HANDOFF), typing (TYPING), words being transcribed (PARTIAL), or a change in the delivery of one of our messages (DELIVERY: `message.delivery` says what became of it: sent, failed and why, retrying)." })
export class ConversationActivity {
  @Field(() => ActivityKind) kind: ActivityKind;
  @Field(() => Conversation) conversation: Conversation;
  @Field(() => Message, { nullable: true }) message?: Message;
  @Field(() => ConversationEvent, { nullable: true }) event?: ConversationEvent;
  @Field(() => HandoffSummary, { nullable: true }) handoffSummary?: HandoffSummary;
  @Field(() => TypingIndicator, { nullable: true }) typing?: TypingIndicator;
  @Field(() => PartialTranscript, { nullable: true }) partial?: PartialTranscript;
}

@InputType()
export class SetTypingInput {
  @Field(() => ID) conversationId: string;
  @Field({ description: 'true: started typing; false: stopped (send it when the draft is sent or cleared).' }) typing: boolean;
}

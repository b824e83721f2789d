import { Directive, Field, ID, ObjectType, registerEnumType } from 'type-graphql';
import { HandoffTrigger } from './handoff.entity.js';

export { HandoffTrigger };
registerEnumType(HandoffTrigger, { name: 'HandoffTrigger' });

export enum CustomerMood {
  CALM = 'calm',
  ANXIOUS = 'anxious',
  ANGRY = 'angry',
}
registerEnumType(CustomerMood, { name: 'CustomerMood' });

@ObjectType({
  description: "What the agent who takes over needs before saying hello: the customer's last 30 days across channels, condensed by the summarizer plugin.",
})
@Directive('@key(fields: "id")')
export class HandoffSummary {
  @Field(() => ID) id: string;
  @Field(() => HandoffTrigger) trigger: HandoffTrigger;
  @Field({ description: '`builtin` (extractive, deterministic) or the LLM provider that wrote it.' }) provider: string;
  @Field() createdAt: Date;
  // channels, since, wanted, orderIds, promised, open, mood, text, agent and conversation are field resolvers
}

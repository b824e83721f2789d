import { Directive, Field, ID, ObjectType } from 'type-graphql';

/** Stub of the conversations subgraph's agent: tickets only point at it (the gateway fetches the rest). */
@ObjectType('Agent')
@Directive('@key(fields: "id", resolvable: false)')
export class Agent {
  @Field(() => ID) id: string;
}

/** Stub of the conversations subgraph's agent group. */
@ObjectType('AgentGroup')
@Directive('@key(fields: "id", resolvable: false)')
export class AgentGroup {
  @Field(() => ID) id: string;
}

import { Directive, Field, ID, ObjectType } from 'type-graphql';

/** Stub of the conversations subgraph's entity: only its key, so tickets can point at it and extend it. */
@ObjectType('Conversation')
@Directive('@key(fields: "id")')
export class Conversation {
  @Field(() => ID) id: string;
}

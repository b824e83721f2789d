import { Directive, Field, ID, ObjectType } from 'type-graphql';

/** The customers subgraph's entity, as a stub: only its key. The gateway fetches the rest from customers. */
@ObjectType('Customer')
@Directive('@key(fields: "id")')
export class Customer {
  @Field(() => ID) id: string;
  // conversations: field resolver (batched)
}

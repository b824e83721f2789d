import { Directive, Field, ID, ObjectType } from 'type-graphql';

/** Stub of the customers subgraph's entity: only its key, so tickets can point at it and extend it. */
@ObjectType('Customer')
@Directive('@key(fields: "id")')
export class Customer {
  @Field(() => ID) id: string;
}

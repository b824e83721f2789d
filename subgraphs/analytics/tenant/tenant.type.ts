import { Directive, Field, ID, ObjectType } from 'type-graphql';

/** Stub of the customers subgraph's Tenant entity (same key): analytics only adds fields to it. */
@ObjectType('Tenant', { description: 'A brand using Huiliu.' })
@Directive('@key(fields: "id")')
export class Tenant {
  @Field(() => ID) id: string;
}

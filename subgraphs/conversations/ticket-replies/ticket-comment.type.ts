import { Directive, Field, ID, ObjectType } from 'type-graphql';

/** The tickets subgraph's entity, as a stub: only its key. This subgraph adds what the customer was sent. */
@ObjectType('TicketComment')
@Directive('@key(fields: "id")')
export class TicketComment {
  @Field(() => ID) id: string;
  // reply: field resolver
}

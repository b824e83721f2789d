import { Authorized, Ctx, FieldResolver, Resolver, Root } from 'type-graphql';
import type { SubgraphContext } from '../../_shared/context.js';
import { STAFF } from '../../_shared/roles.js';
import type { TicketLoaders } from '../ticket/ticket.loaders.js';
import { Ticket } from '../ticket/ticket.type.js';
import { Customer } from './customer.type.js';

@Resolver(() => Customer)
export class CustomerTicketsResolver {
  @Authorized(...STAFF)
  @FieldResolver(() => [Ticket], { description: "The customer's tickets, newest first." })
  tickets(@Root() c: Customer, @Ctx() ctx: SubgraphContext<unknown, TicketLoaders>) {
    return ctx.loaders.ticketsByCustomer.load(c.id);
  }
}

import { Authorized, Ctx, FieldResolver, Resolver, Root } from 'type-graphql';
import type { SubgraphContext } from '../../_shared/context.js';
import { STAFF } from '../../_shared/roles.js';
import type { TicketLoaders } from '../ticket/ticket.loaders.js';
import { Ticket } from '../ticket/ticket.type.js';
import { Conversation } from './conversation.type.js';

@Resolver(() => Conversation)
export class ConversationTicketsResolver {
  @Authorized(...STAFF)
  @FieldResolver(() => [Ticket], { description: 'Tickets opened from this conversation, newest first.' })
  tickets(@Root() c: Conversation, @Ctx() ctx: SubgraphContext<unknown, TicketLoaders>) {
    return ctx.loaders.ticketsByConversation.load(c.id);
  }
}

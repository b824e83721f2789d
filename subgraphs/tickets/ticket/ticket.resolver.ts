import { Arg, Authorized, Ctx, FieldResolver, ID, Int, Mutation, Query, Resolver, Root } from 'type-graphql';
import { requireViewer, type SubgraphContext } from '../../_shared/context.js';
import { STAFF } from '../../_shared/roles.js';
import { Conversation } from '../conversation/conversation.type.js';
import { Customer } from '../customer/customer.type.js';
import type { TicketsServices } from '../tickets.services.js';
import type { TicketEntity } from './ticket.entity.js';
import type { TicketLoaders } from './ticket.loaders.js';
import {
  AddTicketCommentInput, AddTicketCommentPayload, CreateTicketInput, Ticket, TicketComment, TicketPage, TicketPayload, UpdateTicketStatusInput,
} from './ticket.type.js';

type Ctx = SubgraphContext<TicketsServices, TicketLoaders>;

@Resolver(() => Ticket)
export class TicketResolver {
  @Authorized(...STAFF)
  @Query(() => Ticket, { nullable: true, description: "A ticket of the caller's tenant; null when there is none with that id." })
  ticket(@Arg('id', () => ID) id: string, @Ctx() ctx: Ctx) {
    return ctx.loaders.ticketById.load(id);
  }

  @Authorized(...STAFF)
  @Query(() => TicketPage, { description: 'Newest first; optionally only one status or one customer.' })
  tickets(
    @Ctx() ctx: Ctx,
    @Arg('first', () => Int, { nullable: true }) first?: number,
    @Arg('after', () => String, { nullable: true }) after?: string,
    @Arg('status', () => String, { nullable: true, description: 'NEW, OPEN, PENDING, ON_HOLD, SOLVED or CLOSED' }) status?: string,
    @Arg('customerId', () => ID, { nullable: true }) customerId?: string,
  ) {
    return ctx.services.tickets.list(requireViewer(ctx).tenant, { first, after, status, customerId });
  }

  // Nullable: the customers subgraph answers null for an id outside the caller's tenant, which must not fail the ticket.
  @FieldResolver(() => Customer, { nullable: true, description: 'Resolved by the customers subgraph; null when the caller cannot see it.' })
  customer(@Root() t: TicketEntity): Customer {
    return { id: t.customerId };
  }

  @FieldResolver(() => Conversation, { nullable: true, description: 'The conversation the ticket was opened from, if any.' })
  conversation(@Root() t: TicketEntity): Conversation | null {
    return t.conversationId ? { id: t.conversationId } : null;
  }

  @FieldResolver(() => [TicketComment], { description: 'Oldest first.' })
  comments(@Root() t: TicketEntity, @Ctx() ctx: Ctx) {
    return ctx.loaders.commentsByTicket.load(t.id);
  }

  @Authorized(...STAFF)
  @Mutation(() => TicketPayload, { description: 'Opens a ticket (status NEW) and publishes ticket.created.' })
  async createTicket(@Arg('input') input: CreateTicketInput, @Ctx() ctx: Ctx): Promise<TicketPayload> {
    return { ticket: await ctx.services.tickets.create(requireViewer(ctx).tenant, input) };
  }

  @Authorized(...STAFF)
  @Mutation(() => TicketPayload, { description: 'SOLVED stamps solvedAt and publishes ticket.resolved; CLOSED is final (CONFLICT after).' })
  async updateTicketStatus(@Arg('input') input: UpdateTicketStatusInput, @Ctx() ctx: Ctx): Promise<TicketPayload> {
    return { ticket: await ctx.services.tickets.updateStatus(requireViewer(ctx).tenant, input.ticketId, input.status) };
  }

  @Authorized(...STAFF)
  @Mutation(() => AddTicketCommentPayload, { description: 'A public reply or an internal note, written by the caller.' })
  async addTicketComment(@Arg('input') input: AddTicketCommentInput, @Ctx() ctx: Ctx): Promise<AddTicketCommentPayload> {
    const viewer = requireViewer(ctx);
    return ctx.services.tickets.addComment(viewer.tenant, input, viewer.sub);
  }
}

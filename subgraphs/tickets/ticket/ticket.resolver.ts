import { Arg, Authorized, Ctx, FieldResolver, ID, Int, Mutation, Query, Resolver, Root, Subscription } from 'type-graphql';
import { GraphQLJSONObject } from 'graphql-scalars';
import { hasRole, type Viewer } from '../../_shared/auth.js';
import { requireViewer, type SubgraphContext } from '../../_shared/context.js';
import { STAFF } from '../../_shared/roles.js';
import { Agent, AgentGroup } from '../agent/agent.type.js';
import { Conversation } from '../conversation/conversation.type.js';
import { Customer } from '../customer/customer.type.js';
import { subscribeGuarded } from '../live/ticket.live.js';
import { TicketSla } from '../sla/sla.type.js';
import type { TicketsServices } from '../tickets.services.js';
import type { TicketCommentEntity, TicketEntity, TicketLinkEntity } from './ticket.entity.js';
import { clearLoaders, type TicketLoaders } from './ticket.loaders.js';
import type { TicketActor } from './ticket.model.js';
import {
  AddTicketCommentInput, AddTicketCommentPayload, AssignTicketInput, CreateTicketInput, LinkTicketsInput, LinkTicketsPayload, MergeTicketsInput,
  MergeTicketsPayload, Ticket, TicketAttachment, TicketComment, TicketHistoryEntry, TicketLink, TicketPage, TicketPayload, UpdateTicketInput,
  UpdateTicketStatusInput,
} from './ticket.type.js';

type Ctx = SubgraphContext<TicketsServices, TicketLoaders>;

/** People of the brand write as AGENT (their public replies are first responses); integrations as SERVICE. */
export function actorOf(viewer: Viewer): TicketActor {
  return { id: viewer.sub, kind: hasRole(viewer, 'admin', 'supervisor', 'agent') ? 'AGENT' : 'SERVICE' };
}

@Resolver(() => Ticket)
export class TicketResolver {
  @Authorized(...STAFF)
  @Query(() => Ticket, { nullable: true, description: "A ticket of the caller's tenant; null when there is none with that id." })
  ticket(@Arg('id', () => ID) id: string, @Ctx() ctx: Ctx) {
    return ctx.loaders.ticketById.load(id);
  }

  @Authorized(...STAFF)
  @Query(() => TicketPage, { description: 'Newest first; optionally filtered by status, customer, assignee, group, type, tag or order id.' })
  tickets(
    @Ctx() ctx: Ctx,
    @Arg('first', () => Int, { nullable: true }) first?: number,
    @Arg('after', () => String, { nullable: true }) after?: string,
    @Arg('status', () => String, { nullable: true, description: 'NEW, OPEN, PENDING, ON_HOLD, SOLVED or CLOSED' }) status?: string,
    @Arg('customerId', () => ID, { nullable: true }) customerId?: string,
    @Arg('assigneeId', () => ID, { nullable: true }) assigneeId?: string,
    @Arg('groupId', () => ID, { nullable: true }) groupId?: string,
    @Arg('type', () => String, { nullable: true }) type?: string,
    @Arg('tag', () => String, { nullable: true }) tag?: string,
    @Arg('orderId', () => String, { nullable: true, description: 'An order number the ticket is about (Taobao tid...).' }) orderId?: string,
  ) {
    return ctx.services.tickets.list(requireViewer(ctx).tenant, { first, after, status, customerId, assigneeId, groupId, type, tag, orderId });
  }

  // Nullable: the customers subgraph answers null for an id outside the caller's tenant, which must not fail the ticket.
  @FieldResolver(() => Customer, { nullable: true, description: 'Resolved by the customers subgraph; null when the caller cannot see it.' })
  customer(@Root() t: TicketEntity): Customer | null {
    return t.customerId ? { id: t.customerId } : null;
  }

  @FieldResolver(() => Conversation, { nullable: true, description: 'The conversation the ticket was opened from, if any.' })
  conversation(@Root() t: TicketEntity): Conversation | null {
    return t.conversationId ? { id: t.conversationId } : null;
  }

  @FieldResolver(() => Agent, { nullable: true, description: 'The agent it is assigned to.' })
  assignee(@Root() t: TicketEntity): Agent | null {
    return t.assigneeId ? { id: t.assigneeId } : null;
  }

  @FieldResolver(() => AgentGroup, { nullable: true, description: 'The agent group it is assigned to.' })
  group(@Root() t: TicketEntity): AgentGroup | null {
    return t.groupId ? { id: t.groupId } : null;
  }

  @FieldResolver(() => [TicketComment], { description: 'Oldest first.' })
  comments(@Root() t: TicketEntity, @Ctx() ctx: Ctx) {
    return ctx.loaders.commentsByTicket.load(t.id);
  }

  @FieldResolver(() => [String])
  async tags(@Root() t: TicketEntity, @Ctx() ctx: Ctx): Promise<string[]> {
    return (await ctx.loaders.tagsByTicket.load(t.id)).map((r) => r.tag);
  }

  @FieldResolver(() => [String], { description: 'Order numbers (Taobao tid...), as strings.' })
  async orderIds(@Root() t: TicketEntity, @Ctx() ctx: Ctx): Promise<string[]> {
    return (await ctx.loaders.ordersByTicket.load(t.id)).map((r) => r.orderId);
  }

  @FieldResolver(() => GraphQLJSONObject)
  customFields(@Root() t: TicketEntity): Record<string, unknown> {
    return t.customFields ?? {};
  }

  @FieldResolver(() => [TicketHistoryEntry], { description: 'Every change, oldest first.' })
  history(@Root() t: TicketEntity, @Ctx() ctx: Ctx) {
    return ctx.loaders.historyByTicket.load(t.id);
  }

  @FieldResolver(() => [TicketLink], { description: 'Links to other tickets, from either end.' })
  async links(@Root() t: TicketEntity, @Ctx() ctx: Ctx): Promise<TicketLink[]> {
    const rows: TicketLinkEntity[] = await ctx.loaders.linksByTicket.load(t.id);
    return Promise.all(
      rows.map(async (l) => {
        const outgoing = l.ticketId === t.id;
        return { relation: l.relation, direction: outgoing ? 'OUTGOING' : 'INCOMING', ticket: await ctx.loaders.ticketById.load(outgoing ? l.linkedTicketId : l.ticketId), createdBy: l.createdBy, createdAt: l.createdAt };
      }),
    );
  }

  @FieldResolver(() => Ticket, { nullable: true, description: 'The ticket this duplicate was merged into.' })
  mergedInto(@Root() t: TicketEntity, @Ctx() ctx: Ctx) {
    return t.mergedIntoId ? ctx.loaders.ticketById.load(t.mergedIntoId) : null;
  }

  @FieldResolver(() => [Ticket], { description: 'The duplicates merged into this ticket.' })
  mergedFrom(@Root() t: TicketEntity, @Ctx() ctx: Ctx) {
    return ctx.loaders.mergedFromByTicket.load(t.id);
  }

  @FieldResolver(() => TicketSla, { nullable: true, description: 'The SLA clock; null when no policy applied to the ticket.' })
  async sla(@Root() t: TicketEntity, @Ctx() ctx: Ctx): Promise<TicketSla | null> {
    const clocks = await ctx.loaders.clocksByTicket.load(t.id);
    if (!clocks.length) return null;
    const ids = [...new Set(clocks.map((c) => c.calendarId).filter((id): id is string => !!id))];
    const calendars = new Map(await Promise.all(ids.map(async (id) => [id, await ctx.loaders.calendarById.load(id)] as const)));
    const v = ctx.services.sla.view(clocks, calendars, ctx.services.clock.now());
    if (!v) return null;
    return {
      policyId: v.policyId,
      firstResponseDueAt: v.firstResponse?.dueAt ?? null,
      resolutionDueAt: v.resolution?.dueAt ?? null,
      firstResponseBreached: v.firstResponse?.breached ?? false,
      resolutionBreached: v.resolution?.breached ?? false,
      remainingBusinessMinutes: v.remainingMinutes,
      firstResponseRemainingBusinessMinutes: v.firstResponse?.remainingMinutes ?? null,
      resolutionRemainingBusinessMinutes: v.resolution?.remainingMinutes ?? null,
      paused: v.paused,
    };
  }

  @Authorized(...STAFF)
  @Mutation(() => TicketPayload, { description: 'Opens a ticket (status NEW) under the SLA policy that matches it, and publishes ticket.created.' })
  async createTicket(@Arg('input') input: CreateTicketInput, @Ctx() ctx: Ctx): Promise<TicketPayload> {
    const viewer = requireViewer(ctx);
    const { idempotencyKey, ...rest } = input;
    return { ticket: await ctx.services.tickets.create(viewer.tenant, { ...rest, sourceKey: idempotencyKey ? `api:${idempotencyKey}` : null }, actorOf(viewer)) };
  }

  @Authorized(...STAFF)
  @Mutation(() => TicketPayload, { description: 'Changes fields (each change in the history); a new type or customer level re-applies the SLA policy.' })
  async updateTicket(@Arg('input') input: UpdateTicketInput, @Ctx() ctx: Ctx): Promise<TicketPayload> {
    const viewer = requireViewer(ctx);
    const { ticketId, ...changes } = input;
    return { ticket: await ctx.services.tickets.update(viewer.tenant, ticketId, changes, actorOf(viewer)) };
  }

  @Authorized(...STAFF)
  @Mutation(() => TicketPayload, { description: 'Assigns to an agent and/or a group; null unassigns. Publishes ticket.assigned.' })
  async assignTicket(@Arg('input') input: AssignTicketInput, @Ctx() ctx: Ctx): Promise<TicketPayload> {
    const viewer = requireViewer(ctx);
    return { ticket: await ctx.services.tickets.assign(viewer.tenant, input.ticketId, { assigneeId: input.assigneeId, groupId: input.groupId }, actorOf(viewer)) };
  }

  @Authorized(...STAFF)
  @Mutation(() => TicketPayload, { description: 'SOLVED stamps solvedAt and publishes ticket.resolved; CLOSED is final (CONFLICT after). PENDING/ON_HOLD pause the SLA clock.' })
  async updateTicketStatus(@Arg('input') input: UpdateTicketStatusInput, @Ctx() ctx: Ctx): Promise<TicketPayload> {
    const viewer = requireViewer(ctx);
    return { ticket: await ctx.services.tickets.updateStatus(viewer.tenant, input.ticketId, input.status, actorOf(viewer)) };
  }

  @Authorized(...STAFF)
  @Mutation(() => AddTicketCommentPayload, { description: "A public reply (also sent to the customer in the ticket's conversation) or an internal note, written by the caller." })
  async addTicketComment(@Arg('input') input: AddTicketCommentInput, @Ctx() ctx: Ctx): Promise<AddTicketCommentPayload> {
    const viewer = requireViewer(ctx);
    return ctx.services.tickets.addComment(viewer.tenant, input, actorOf(viewer));
  }

  @Authorized(...STAFF)
  @Mutation(() => MergeTicketsPayload, { description: 'Merges a duplicate into another ticket: the duplicate is CLOSED with mergedInto, its comments stay readable.' })
  async mergeTickets(@Arg('input') input: MergeTicketsInput, @Ctx() ctx: Ctx): Promise<MergeTicketsPayload> {
    const viewer = requireViewer(ctx);
    return ctx.services.tickets.merge(viewer.tenant, input.sourceTicketId, input.targetTicketId, actorOf(viewer));
  }

  @Authorized(...STAFF)
  @Mutation(() => LinkTicketsPayload, { description: 'Links two tickets (duplicate, related, caused_by); idempotent.' })
  async linkTickets(@Arg('input') input: LinkTicketsInput, @Ctx() ctx: Ctx): Promise<LinkTicketsPayload> {
    const viewer = requireViewer(ctx);
    const r = await ctx.services.tickets.link(viewer.tenant, input.ticketId, input.linkedTicketId, input.relation, actorOf(viewer));
    return { ticket: r.ticket, linkedTicket: r.linked };
  }

  @Authorized(...STAFF)
  @Mutation(() => LinkTicketsPayload, { description: 'Removes a link; NOT_FOUND when there is none.' })
  async unlinkTickets(@Arg('input') input: LinkTicketsInput, @Ctx() ctx: Ctx): Promise<LinkTicketsPayload> {
    const viewer = requireViewer(ctx);
    const r = await ctx.services.tickets.unlink(viewer.tenant, input.ticketId, input.linkedTicketId, input.relation, actorOf(viewer));
    return { ticket: r.ticket, linkedTicket: r.linked };
  }

  @Subscription(() => Ticket, {
    description: "Every change of one ticket of the caller's tenant (fields, status, comments, links, SLA warnings and breaches).",
    subscribe: ({ args, context }) =>
      subscribeGuarded(async () => {
        const ctx = context as Ctx;
        const viewer = requireViewer(ctx, ...STAFF);
        const id = (args as { id: string }).id;
        await ctx.services.tickets.get(viewer.tenant, id);
        return ctx.services.live.watch(viewer.tenant, (e) => e.id === id, async (e) => (await ctx.services.tickets.byIds(viewer.tenant, [e.id]))[0] ?? null);
      }),
  })
  ticketUpdated(@Arg('id', () => ID) _id: string, @Root() t: TicketEntity, @Ctx() ctx: Ctx): TicketEntity {
    clearLoaders(ctx.loaders);
    return t;
  }

  @Subscription(() => Ticket, {
    description: 'Changes of the tickets assigned to the caller (the JWT sub), including the one that takes a ticket away from them.',
    subscribe: ({ context }) =>
      subscribeGuarded(() => {
        const ctx = context as Ctx;
        const viewer = requireViewer(ctx, ...STAFF);
        return ctx.services.live.watch(
          viewer.tenant,
          (e) => e.assigneeId === viewer.sub || e.previousAssigneeId === viewer.sub,
          async (e) => (await ctx.services.tickets.byIds(viewer.tenant, [e.id]))[0] ?? null,
        );
      }),
  })
  myTickets(@Root() t: TicketEntity, @Ctx() ctx: Ctx): TicketEntity {
    clearLoaders(ctx.loaders);
    return t;
  }
}

@Resolver(() => TicketComment)
export class TicketCommentResolver {
  @FieldResolver(() => [TicketAttachment])
  attachments(@Root() c: TicketCommentEntity): TicketAttachment[] {
    return (c.attachments ?? []).map((a) => ({ name: a.name, size: a.size, mediaRef: a.mediaRef, contentType: a.contentType ?? null }));
  }
}

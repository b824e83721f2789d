import { Arg, Authorized, Ctx, FieldResolver, Mutation, Query, Resolver, Root } from 'type-graphql';
import { requireViewer, type SubgraphContext } from '../../_shared/context.js';
import { MANAGERS, STAFF } from '../../_shared/roles.js';
import type { TicketLoaders } from '../ticket/ticket.loaders.js';
import type { TicketsServices } from '../tickets.services.js';
import type { BusinessHours as Hours } from './calendar.js';
import type { BusinessCalendarEntity, SlaPolicyEntity } from './sla.entity.js';
import {
  BusinessCalendar, BusinessCalendarPayload, CreateBusinessCalendarInput, CreateSlaPolicyInput, DeleteSlaPolicyInput, DeleteSlaPolicyPayload, HolidaySet,
  SlaPolicy, SlaPolicyPayload, TicketSla, UpdateBusinessCalendarInput, UpdateSlaPolicyInput,
} from './sla.type.js';

type Ctx = SubgraphContext<TicketsServices, TicketLoaders>;

@Resolver(() => SlaPolicy)
export class SlaPolicyResolver {
  @Authorized(...STAFF)
  @Query(() => [SlaPolicy], { description: "The tenant's SLA policies." })
  slaPolicies(@Ctx() ctx: Ctx) {
    return ctx.services.sla.listPolicies(requireViewer(ctx).tenant);
  }

  @FieldResolver(() => BusinessCalendar, { nullable: true, description: "null: the tenant's default calendar (round the clock without one)." })
  calendar(@Root() p: SlaPolicyEntity, @Ctx() ctx: Ctx) {
    return p.calendarId ? ctx.loaders.calendarById.load(p.calendarId) : null;
  }

  @Authorized(...MANAGERS)
  @Mutation(() => SlaPolicyPayload, { description: 'One policy per ticket type and customer level (CONFLICT for a second). Applies to tickets opened afterwards.' })
  async createSlaPolicy(@Arg('input') input: CreateSlaPolicyInput, @Ctx() ctx: Ctx): Promise<SlaPolicyPayload> {
    return { policy: await ctx.services.sla.createPolicy(requireViewer(ctx).tenant, input) };
  }

  @Authorized(...MANAGERS)
  @Mutation(() => SlaPolicyPayload, { description: 'Running clocks keep the targets they started with.' })
  async updateSlaPolicy(@Arg('input') input: UpdateSlaPolicyInput, @Ctx() ctx: Ctx): Promise<SlaPolicyPayload> {
    const { policyId, ...changes } = input;
    return { policy: await ctx.services.sla.updatePolicy(requireViewer(ctx).tenant, policyId, changes) };
  }

  @Authorized(...MANAGERS)
  @Mutation(() => DeleteSlaPolicyPayload)
  async deleteSlaPolicy(@Arg('input') input: DeleteSlaPolicyInput, @Ctx() ctx: Ctx): Promise<DeleteSlaPolicyPayload> {
    await ctx.services.sla.deletePolicy(requireViewer(ctx).tenant, input.policyId);
    return { deletedPolicyId: input.policyId };
  }
}

@Resolver(() => BusinessCalendar)
export class BusinessCalendarResolver {
  @Authorized(...STAFF)
  @Query(() => [BusinessCalendar], { description: "The tenant's business calendars." })
  businessCalendars(@Ctx() ctx: Ctx) {
    return ctx.services.sla.listCalendars(requireViewer(ctx).tenant);
  }

  @Authorized(...STAFF)
  @Query(() => [HolidaySet], { description: 'The public-holiday sets a calendar can use (shipped as data).' })
  holidaySets(@Ctx() ctx: Ctx): HolidaySet[] {
    requireViewer(ctx);
    return ctx.services.sla.holidaySetList().map((s) => ({ id: s.id, name: s.name, years: s.years }));
  }

  @FieldResolver(() => [String])
  extraHolidays(@Root() c: BusinessCalendarEntity): string[] {
    return c.extraHolidays ?? [];
  }

  @FieldResolver(() => [String])
  extraWorkdays(@Root() c: BusinessCalendarEntity): string[] {
    return c.extraWorkdays ?? [];
  }

  @Authorized(...MANAGERS)
  @Mutation(() => BusinessCalendarPayload, { description: 'Weekly hours in a time zone, with a holiday set (cn by default) and extra dates.' })
  async createBusinessCalendar(@Arg('input') input: CreateBusinessCalendarInput, @Ctx() ctx: Ctx): Promise<BusinessCalendarPayload> {
    return { calendar: await ctx.services.sla.createCalendar(requireViewer(ctx).tenant, { ...input, hours: input.hours as Hours[] }) };
  }

  @Authorized(...MANAGERS)
  @Mutation(() => BusinessCalendarPayload, { description: 'New hours apply to new tickets, and to running clocks when they next pause, resume or change policy.' })
  async updateBusinessCalendar(@Arg('input') input: UpdateBusinessCalendarInput, @Ctx() ctx: Ctx): Promise<BusinessCalendarPayload> {
    const { calendarId, ...changes } = input;
    return { calendar: await ctx.services.sla.updateCalendar(requireViewer(ctx).tenant, calendarId, { ...changes, hours: changes.hours as Hours[] | undefined }) };
  }
}

@Resolver(() => TicketSla)
export class TicketSlaResolver {
  @FieldResolver(() => SlaPolicy, { nullable: true, description: 'null when the policy was deleted since.' })
  policy(@Root() s: TicketSla, @Ctx() ctx: Ctx) {
    return ctx.loaders.policyById.load(s.policyId);
  }
}

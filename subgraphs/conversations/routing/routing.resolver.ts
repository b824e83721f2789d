import { Arg, Authorized, Ctx, FieldResolver, Int, Mutation, Query, Resolver, Root, Subscription } from 'type-graphql';
import { hasRole, type Role, type Viewer } from '../../_shared/auth.js';
import { requireViewer } from '../../_shared/context.js';
import { notFound } from '../../_shared/errors.js';
import { MANAGERS, STAFF } from '../../_shared/roles.js';
import { Agent, AgentGroup } from '../agent/agent.type.js';
import type { AgentEntity } from '../agent/agent.entity.js';
import type { ConversationEntity } from '../conversation/conversation.entity.js';
import { Conversation } from '../conversation/conversation.type.js';
import { clearLoaders } from '../conversations.loaders.js';
import { subscribeGuarded } from '../live/live.guard.js';
import type { RoutingContext } from './routing.context.js';
import type { RoutingEntryEntity, RoutingOfferEntity } from './routing.entity.js';
import type { RoutingHints } from './routing.select.js';
import type { RoutingTraceDoc } from './routing.service.js';
import {
  AcceptOfferInput, AgentLoad, AgentRouting, AgentRoutingPayload, AssignmentEvent, BotTurnPayload, ConversationRouting, DeclineOfferInput,
  DispatchQueueInput, DispatchQueuePayload, OfferPayload, ReportBotTurnInput, RoutedConversationPayload, RouteConversationInput, RoutingCandidate,
  RoutingOffer, RoutingRuleSet, RoutingRulesPayload, RoutingTrace, TransferConversationInput, UpdateAgentRoutingInput, UpdateRoutingRulesInput,
} from './routing.type.js';

type Ctx = RoutingContext;

/** Bot platforms report turns as a service; supervisors and admins may too (tests, manual escalation). */
const BOT_REPORTERS: Role[] = ['service', 'admin', 'supervisor'];

/** The agent in the token: their sub must be one of the tenant's agents. */
async function selfAgent(ctx: Ctx): Promise<Viewer> {
  const viewer = requireViewer(ctx, ...STAFF);
  await ctx.services.agents.get(viewer.tenant, viewer.sub);
  return viewer;
}

const isManager = (v: Viewer) => hasRole(v, ...MANAGERS);

@Resolver()
export class RoutingResolver {
  @Authorized(...MANAGERS)
  @Query(() => RoutingRuleSet, { description: "The tenant's routing rules (version 0 with the defaults until saved)." })
  async routingRules(@Ctx() ctx: Ctx): Promise<RoutingRuleSet> {
    const v = await ctx.services.routingRules.view(requireViewer(ctx).tenant);
    return { ...v, effective: v.effective as never };
  }

  @Authorized(...MANAGERS)
  @Mutation(() => RoutingRulesPayload, { description: 'Replaces the routing rules. BAD_USER_INPUT names the offending rule path (extensions.field, e.g. rules.l1[2].groupId); CONFLICT on a stale expectedVersion.' })
  async updateRoutingRules(@Arg('input') input: UpdateRoutingRulesInput, @Ctx() ctx: Ctx): Promise<RoutingRulesPayload> {
    const viewer = requireViewer(ctx);
    const v = await ctx.services.routing.updateRules(viewer.tenant, input.rules, input.expectedVersion, viewer.sub);
    return { ruleSet: { ...v, effective: v.effective as never } };
  }

  @Authorized(...MANAGERS)
  @Mutation(() => AgentRoutingPayload, { description: "An agent's skills and capacity per channel class." })
  async updateAgentRouting(@Arg('input') input: UpdateAgentRoutingInput, @Ctx() ctx: Ctx): Promise<AgentRoutingPayload> {
    const t = requireViewer(ctx).tenant;
    return { routing: await ctx.services.routing.updateAgent(t, input) };
  }

  @Authorized(...STAFF)
  @Mutation(() => RoutedConversationPayload, {
    description: "Routing input for a conversation (customer tags, VIP and risk level, business type, intent...). A waiting or only offered conversation is routed again with it; an assigned one keeps its agent; a VIP with the bot is escalated.",
  })
  async routeConversation(@Arg('input') input: RouteConversationInput, @Ctx() ctx: Ctx): Promise<RoutedConversationPayload> {
    const t = requireViewer(ctx).tenant;
    const { conversationId, ...hints } = input;
    const r = await ctx.services.routing.setHints(t, conversationId, hints as RoutingHints);
    return { conversation: await ctx.services.conversations.get(t, conversationId), routing: r.entry };
  }

  @Authorized(...STAFF)
  @Mutation(() => OfferPayload, { description: 'The agent in the token takes the offered conversation. CONFLICT when the offer expired, was declined or withdrawn.' })
  async acceptOffer(@Arg('input') input: AcceptOfferInput, @Ctx() ctx: Ctx): Promise<OfferPayload> {
    const viewer = await selfAgent(ctx);
    return ctx.services.routing.accept(viewer.tenant, viewer.sub, input.offerId);
  }

  @Authorized(...STAFF)
  @Mutation(() => OfferPayload, { description: 'The agent in the token passes; the conversation goes to the next agent and is not offered to them again.' })
  async declineOffer(@Arg('input') input: DeclineOfferInput, @Ctx() ctx: Ctx): Promise<OfferPayload> {
    const viewer = await selfAgent(ctx);
    const offer = await ctx.services.routing.decline(viewer.tenant, viewer.sub, input.offerId, input.reason ?? null);
    return { offer, conversation: await ctx.services.conversations.get(viewer.tenant, offer.conversationId) };
  }

  @Authorized(...STAFF)
  @Mutation(() => RoutedConversationPayload, {
    description: "To an agent (at once, within their capacity; CONFLICT when full or offline) or to a group (it waits there; the current agent keeps it until someone takes it), with an internal note. Only the conversation's agent, a supervisor or an admin.",
  })
  async transferConversation(@Arg('input') input: TransferConversationInput, @Ctx() ctx: Ctx): Promise<RoutedConversationPayload> {
    const viewer = requireViewer(ctx);
    const r = await ctx.services.routing.transfer(viewer.tenant, { sub: viewer.sub, manager: isManager(viewer) }, input);
    return { conversation: r.conversation, routing: r.entry };
  }

  @Authorized(...BOT_REPORTERS)
  @Mutation(() => BotTurnPayload, { description: 'The bot reports a turn; the conversation escalates to routing when the customer asks for a human, the bot is unsure, the customer is upset or is a VIP (rules.bot.escalation).' })
  reportBotTurn(@Arg('input') input: ReportBotTurnInput, @Ctx() ctx: Ctx): Promise<BotTurnPayload> {
    return ctx.services.routing.botTurn(requireViewer(ctx).tenant, input);
  }

  @Authorized(...MANAGERS)
  @Mutation(() => DispatchQueuePayload, { description: "Gives a queue's waiting conversations to free agents now (it also happens on every change and every few seconds)." })
  async dispatchQueue(@Arg('input') input: DispatchQueueInput, @Ctx() ctx: Ctx): Promise<DispatchQueuePayload> {
    const t = requireViewer(ctx).tenant;
    const groupId = input.groupId ?? null;
    if (groupId && !(await ctx.services.agents.groupsByIds(t, [groupId])).length) throw notFound('agent group', groupId);
    const assigned = await ctx.services.routing.dispatchNow(t, groupId);
    return { assigned, queue: await ctx.services.queue.snapshot(t, groupId) };
  }

  @Authorized(...STAFF)
  @Query(() => [RoutingOffer], { description: "The token's agent's open offers and current assignments, newest first." })
  async myOffers(@Ctx() ctx: Ctx): Promise<RoutingOfferEntity[]> {
    const viewer = await selfAgent(ctx);
    return ctx.services.routing.openOffersOf(viewer.tenant, viewer.sub);
  }

  @Subscription(() => AssignmentEvent, {
    description: "Offers and assignments for the agent in the token, as they happen. While it is open the agent's presence is kept alive (heartbeats).",
    subscribe: ({ context }) => subscribeGuarded(async () => {
      const viewer = await selfAgent(context as Ctx);
      return (context as Ctx).services.routing.watchAssignments(viewer.tenant, viewer.sub);
    }),
  })
  myAssignments(@Root() e: AssignmentEvent, @Ctx() ctx: Ctx): AssignmentEvent {
    clearLoaders(ctx.loaders);
    return e;
  }
}

@Resolver(() => RoutingOffer)
export class RoutingOfferResolver {
  @FieldResolver(() => Conversation, { nullable: true })
  conversation(@Root() o: RoutingOfferEntity, @Ctx() ctx: Ctx) {
    return ctx.loaders.conversationById.load(o.conversationId);
  }

  @FieldResolver(() => Agent, { nullable: true })
  agent(@Root() o: RoutingOfferEntity, @Ctx() ctx: Ctx) {
    return ctx.loaders.agentById.load(o.agentId);
  }
}

@Resolver(() => Conversation)
export class ConversationRoutingResolver {
  @Authorized(...STAFF)
  @FieldResolver(() => ConversationRouting, { nullable: true, description: 'Where it stands in routing; null before routing saw it.' })
  routing(@Root() c: ConversationEntity, @Ctx() ctx: Ctx) {
    return ctx.loaders.routingEntryByConversation.load(c.id);
  }

  @Authorized(...MANAGERS)
  @FieldResolver(() => RoutingTrace, { nullable: true, description: 'The latest routing decision: per level the rule that matched, the candidates and why the chosen agent won (supervisors and admins).' })
  async routingTrace(@Root() c: ConversationEntity, @Ctx() ctx: Ctx): Promise<RoutingTraceDoc | null> {
    const e = await ctx.loaders.routingEntryByConversation.load(c.id);
    const t = e?.trace as RoutingTraceDoc | null | undefined;
    return t ? { ...t, decidedAt: new Date(t.decidedAt) as never } : null;
  }
}

@Resolver(() => ConversationRouting)
export class ConversationRoutingFieldsResolver {
  @FieldResolver(() => Int, { nullable: true, description: 'Queue position (1 = next) while waiting.' })
  position(@Root() e: RoutingEntryEntity, @Ctx() ctx: Ctx) {
    return ctx.loaders.queuePosition.load(e);
  }

  @FieldResolver(() => AgentGroup, { nullable: true })
  group(@Root() e: RoutingEntryEntity, @Ctx() ctx: Ctx) {
    return e.groupId ? ctx.loaders.groupById.load(e.groupId) : null;
  }

  @FieldResolver(() => Agent, { nullable: true })
  agent(@Root() e: RoutingEntryEntity, @Ctx() ctx: Ctx) {
    return e.agentId ? ctx.loaders.agentById.load(e.agentId) : null;
  }

  @FieldResolver(() => RoutingOffer, { nullable: true })
  offer(@Root() e: RoutingEntryEntity, @Ctx() ctx: Ctx) {
    return e.offerId ? ctx.loaders.routingOfferById.load(e.offerId) : null;
  }
}

@Resolver(() => RoutingTrace)
export class RoutingTraceResolver {
  @FieldResolver(() => AgentGroup, { nullable: true })
  group(@Root() t: RoutingTraceDoc, @Ctx() ctx: Ctx) {
    return t.groupId ? ctx.loaders.groupById.load(t.groupId) : null;
  }

  @FieldResolver(() => Agent, { nullable: true })
  chosenAgent(@Root() t: RoutingTraceDoc, @Ctx() ctx: Ctx) {
    return t.chosenAgentId ? ctx.loaders.agentById.load(t.chosenAgentId) : null;
  }
}

@Resolver(() => RoutingCandidate)
export class RoutingCandidateResolver {
  @FieldResolver(() => Agent, { nullable: true })
  agent(@Root() c: RoutingCandidate, @Ctx() ctx: Ctx) {
    return ctx.loaders.agentById.load(c.agentId);
  }
}

@Resolver(() => Agent)
export class AgentRoutingResolver {
  @FieldResolver(() => AgentRouting, { description: 'Skills and load per channel class.' })
  async routing(@Root() a: AgentEntity, @Ctx() ctx: Ctx): Promise<AgentRouting> {
    const [skills, loads] = await Promise.all([ctx.loaders.skillsByAgent.load(a.id), ctx.loaders.loadsByAgent.load(a.id)]);
    return { skills, loads: loads.map((l): AgentLoad => ({ channelClass: l.channelClass, active: l.active, capacity: l.capacity })) };
  }
}

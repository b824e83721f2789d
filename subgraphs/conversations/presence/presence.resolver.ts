import { Arg, Authorized, Ctx, FieldResolver, ID, Mutation, Query, Resolver, Root, Subscription } from 'type-graphql';
import { hasRole } from '../../_shared/auth.js';
import { requireViewer } from '../../_shared/context.js';
import { forbidden } from '../../_shared/errors.js';
import { MANAGERS, STAFF } from '../../_shared/roles.js';
import { Agent } from '../agent/agent.type.js';
import type { AgentEntity } from '../agent/agent.entity.js';
import { clearLoaders } from '../conversations.loaders.js';
import { subscribeGuarded } from '../live/live.guard.js';
import type { RoutingContext } from '../routing/routing.context.js';
import { AgentPresence, AgentPresencePayload, SendHeartbeatInput, SetAgentStatusInput } from '../routing/routing.type.js';
import type { PresenceRecord } from './presence.store.js';

type Ctx = RoutingContext;

export function toPresence(r: PresenceRecord): AgentPresence {
  return { agentId: r.agentId, status: r.status, since: r.since ? new Date(r.since) : null, lastHeartbeatAt: r.heartbeatAt ? new Date(r.heartbeatAt) : null };
}

@Resolver(() => AgentPresence)
export class PresenceResolver {
  @Authorized(...STAFF)
  @Query(() => [AgentPresence], { description: "Every agent's live presence (of one group when given), by agent id." })
  async agentPresences(@Ctx() ctx: Ctx, @Arg('groupId', () => ID, { nullable: true }) groupId?: string): Promise<AgentPresence[]> {
    const t = requireViewer(ctx).tenant;
    const roster = await ctx.services.routing.roster(t);
    const ids = roster.all.filter((a) => !groupId || a.groupIds.includes(groupId)).map((a) => a.id).sort();
    const m = await ctx.services.presence.get(t, ids);
    return ids.map((id) => toPresence(m.get(id)!));
  }

  @Authorized(...STAFF)
  @Mutation(() => AgentPresencePayload, { description: 'ONLINE, AWAY, BUSY, AFTER_CALL_WORK or OFFLINE, for the agent in the token (supervisors and admins: anyone). ONLINE pulls waiting conversations at once; leaving ONLINE withdraws open offers.' })
  async setAgentStatus(@Arg('input') input: SetAgentStatusInput, @Ctx() ctx: Ctx): Promise<AgentPresencePayload> {
    const viewer = requireViewer(ctx);
    const agentId = input.agentId ?? viewer.sub;
    if (agentId !== viewer.sub && !hasRole(viewer, ...MANAGERS)) throw forbidden("only supervisors and admins may set another agent's status");
    return { presence: toPresence(await ctx.services.presence.setStatus(viewer.tenant, agentId, input.status)) };
  }

  @Authorized(...STAFF)
  @Mutation(() => AgentPresencePayload, { description: 'Keeps the agent in the token present (an open myAssignments subscription does it too); without one within the grace period the agent goes OFFLINE.' })
  async sendHeartbeat(@Arg('input') input: SendHeartbeatInput, @Ctx() ctx: Ctx): Promise<AgentPresencePayload> {
    const viewer = requireViewer(ctx);
    const agentId = input.agentId ?? viewer.sub;
    if (agentId !== viewer.sub && !hasRole(viewer, ...MANAGERS)) throw forbidden("only supervisors and admins may keep another agent present");
    await ctx.services.agents.get(viewer.tenant, agentId);
    const r = (await ctx.services.presence.heartbeat(viewer.tenant, agentId)) ?? (await ctx.services.presence.get(viewer.tenant, [agentId])).get(agentId)!;
    return { presence: toPresence(r) };
  }

  @Subscription(() => AgentPresence, {
    description: "Presence changes of the tenant's agents (supervisors and admins), including expiry after the grace period.",
    subscribe: ({ context }) => subscribeGuarded(() => {
      const ctx = context as Ctx;
      return ctx.services.presence.watch(requireViewer(ctx, ...MANAGERS).tenant);
    }),
  })
  agentPresenceChanged(@Root() r: PresenceRecord, @Ctx() ctx: Ctx): AgentPresence {
    clearLoaders(ctx.loaders);
    return toPresence(r);
  }

  @FieldResolver(() => Agent, { nullable: true })
  agent(@Root() p: AgentPresence, @Ctx() ctx: Ctx) {
    return ctx.loaders.agentById.load(p.agentId);
  }
}

@Resolver(() => Agent)
export class AgentPresenceResolver {
  @FieldResolver(() => AgentPresence, { description: 'Live presence (Agent.status is the stored profile value).' })
  async presence(@Root() a: AgentEntity, @Ctx() ctx: Ctx): Promise<AgentPresence> {
    return toPresence(await ctx.loaders.presenceByAgent.load(a.id));
  }
}

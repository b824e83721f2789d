import { Arg, Authorized, Ctx, FieldResolver, ID, Mutation, Query, Resolver, Root } from 'type-graphql';
import { requireViewer } from '../../_shared/context.js';
import { MANAGERS, STAFF } from '../../_shared/roles.js';
import type { ConversationsContext } from '../conversations.context.js';
import type { AgentEntity, AgentGroupEntity } from './agent.entity.js';
import { Agent, AgentGroup, AgentGroupPayload, AgentPayload, CreateAgentGroupInput, CreateAgentInput } from './agent.type.js';

/** loadMany's result without the rows that are gone; a failed load fails the field. */
function present<T>(rows: Array<T | null | Error>): T[] {
  const failed = rows.find((r): r is Error => r instanceof Error);
  if (failed) throw failed;
  return rows.filter((r): r is T => r !== null);
}

@Resolver(() => Agent)
export class AgentResolver {
  @Authorized(...STAFF)
  @Query(() => Agent, { nullable: true, description: "An agent of the caller's tenant; null when there is none with that id." })
  agent(@Arg('id', () => ID) id: string, @Ctx() ctx: ConversationsContext) {
    return ctx.loaders.agentById.load(id);
  }

  @Authorized(...STAFF)
  @Query(() => [Agent], { description: 'By name.' })
  agents(@Ctx() ctx: ConversationsContext) {
    return ctx.services.agents.list(requireViewer(ctx).tenant);
  }

  @FieldResolver(() => [AgentGroup])
  async groups(@Root() a: AgentEntity, @Ctx() ctx: ConversationsContext): Promise<AgentGroupEntity[]> {
    const memberships = await ctx.loaders.membershipsByAgent.load(a.id);
    return present(await ctx.loaders.groupById.loadMany(memberships.map((m) => m.groupId)));
  }

  @Authorized(...MANAGERS)
  @Mutation(() => AgentPayload, { description: 'CONFLICT when the email is taken; NOT_FOUND for an unknown group.' })
  async createAgent(@Arg('input') input: CreateAgentInput, @Ctx() ctx: ConversationsContext): Promise<AgentPayload> {
    return { agent: await ctx.services.agents.create(requireViewer(ctx).tenant, input) };
  }
}

@Resolver(() => AgentGroup)
export class AgentGroupResolver {
  @Authorized(...STAFF)
  @Query(() => [AgentGroup], { description: 'By name.' })
  agentGroups(@Ctx() ctx: ConversationsContext) {
    return ctx.services.agents.listGroups(requireViewer(ctx).tenant);
  }

  @FieldResolver(() => [Agent])
  async agents(@Root() g: AgentGroupEntity, @Ctx() ctx: ConversationsContext): Promise<AgentEntity[]> {
    const memberships = await ctx.loaders.membershipsByGroup.load(g.id);
    return present(await ctx.loaders.agentById.loadMany(memberships.map((m) => m.agentId)));
  }

  @Authorized(...MANAGERS)
  @Mutation(() => AgentGroupPayload, { description: 'CONFLICT when the name is taken.' })
  async createAgentGroup(@Arg('input') input: CreateAgentGroupInput, @Ctx() ctx: ConversationsContext): Promise<AgentGroupPayload> {
    return { group: await ctx.services.agents.createGroup(requireViewer(ctx).tenant, input) };
  }
}

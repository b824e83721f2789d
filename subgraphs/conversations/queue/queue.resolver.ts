import { Arg, Authorized, Ctx, FieldResolver, ID, Query, Resolver, Root, Subscription } from 'type-graphql';
import { requireViewer } from '../../_shared/context.js';
import { notFound } from '../../_shared/errors.js';
import { MANAGERS, STAFF } from '../../_shared/roles.js';
import { AgentGroup } from '../agent/agent.type.js';
import { Conversation } from '../conversation/conversation.type.js';
import { clearLoaders } from '../conversations.loaders.js';
import { subscribeGuarded } from '../live/live.guard.js';
import type { RoutingContext } from '../routing/routing.context.js';
import type { ChannelShare as Share } from '../routing/routing.select.js';
import { ChannelShare, QueuePosition, QueueSnapshot } from '../routing/routing.type.js';
import type { QueueSnapshot as Snapshot } from './queue.service.js';

type Ctx = RoutingContext;

/** A group of the caller's tenant, or NOT_FOUND; null stands for the tenant-wide pool. */
async function tenantGroup(ctx: Ctx, groupId: string | null | undefined): Promise<{ tenant: string; groupId: string | null }> {
  const tenant = requireViewer(ctx).tenant;
  if (groupId && !(await ctx.loaders.groupById.load(groupId))) throw notFound('agent group', groupId);
  return { tenant, groupId: groupId ?? null };
}

@Resolver(() => QueueSnapshot)
export class QueueResolver {
  @Authorized(...STAFF)
  @Query(() => QueueSnapshot, { description: "A queue now: one group's waiting conversations, or the tenant-wide pool without groupId." })
  async queue(@Ctx() ctx: Ctx, @Arg('groupId', () => ID, { nullable: true }) groupId?: string): Promise<Snapshot> {
    const q = await tenantGroup(ctx, groupId);
    return ctx.services.queue.snapshot(q.tenant, q.groupId);
  }

  @Authorized(...MANAGERS)
  @Query(() => [ChannelShare], { description: "Cross-channel balancing of a queue: each channel's waiting, held and target share of capacity." })
  async channelBalance(@Ctx() ctx: Ctx, @Arg('groupId', () => ID, { nullable: true }) groupId?: string): Promise<ChannelShare[]> {
    const q = await tenantGroup(ctx, groupId);
    const shares = await ctx.services.routing.channelBalance(q.tenant, q.groupId);
    return shares.map((s: Share) => ({
      channelType: s.channelType, waiting: s.waiting, longestWaitSeconds: Math.floor(s.longestWaitMs / 1000), active: s.active,
      base: s.base, min: s.min, max: s.max, target: s.target, current: s.current,
    }));
  }

  @Subscription(() => QueueSnapshot, {
    description: 'A queue as it changes (waiting count, longest wait, positions); coalesced to at most a few events per second.',
    subscribe: ({ args, context }) => subscribeGuarded(async () => {
      const ctx = context as Ctx;
      requireViewer(ctx, ...STAFF);
      const q = await tenantGroup(ctx, args.groupId as string | undefined);
      return ctx.services.queue.watch(q.tenant, q.groupId);
    }),
  })
  queueUpdated(@Root() s: Snapshot, @Ctx() ctx: Ctx, @Arg('groupId', () => ID, { nullable: true }) _groupId?: string): Snapshot {
    clearLoaders(ctx.loaders);
    return s;
  }

  @FieldResolver(() => AgentGroup, { nullable: true })
  group(@Root() s: Snapshot, @Ctx() ctx: Ctx) {
    return s.groupId ? ctx.loaders.groupById.load(s.groupId) : null;
  }
}

@Resolver(() => QueuePosition)
export class QueuePositionResolver {
  @FieldResolver(() => Conversation, { nullable: true })
  conversation(@Root() p: QueuePosition, @Ctx() ctx: Ctx) {
    return ctx.loaders.conversationById.load(p.conversationId);
  }
}

import { Arg, Authorized, Ctx, ID, Int, Mutation, Query, Resolver } from 'type-graphql';
import { requireViewer } from '../../_shared/context.js';
import { ADMINS } from '../../_shared/roles.js';
import type { ConversationsContext } from '../conversations.context.js';
import { InboundBacklog, InboundPayload, InboundPayloadStatus, ReplayInboundPayloadInput, ReplayInboundPayloadPayload } from './ingest.type.js';

@Resolver(() => InboundPayload)
export class IngestResolver {
  @Authorized(...ADMINS)
  @Query(() => [InboundPayload], { description: 'Stored inbound payloads, newest first (e.g. status: FAILED to see what did not make it).' })
  inboundPayloads(
    @Ctx() ctx: ConversationsContext,
    @Arg('status', () => InboundPayloadStatus, { nullable: true }) status?: InboundPayloadStatus,
    @Arg('channelId', () => ID, { nullable: true }) channelId?: string,
    @Arg('first', () => Int, { nullable: true }) first?: number,
  ) {
    return ctx.services.ingest.list(requireViewer(ctx).tenant, { status, channelId, first });
  }

  @Authorized(...ADMINS)
  @Query(() => InboundBacklog, { description: "Processing's backlog for the tenant (or one channel): counts and the oldest waiting payload. Under a burst processing backs off for acknowledgements and this grows; nothing in it is lost." })
  inboundBacklog(@Ctx() ctx: ConversationsContext, @Arg('channelId', () => ID, { nullable: true }) channelId?: string): Promise<InboundBacklog> {
    return ctx.services.ingest.backlog(requireViewer(ctx).tenant, channelId ?? null);
  }

  @Authorized(...ADMINS)
  @Mutation(() => ReplayInboundPayloadPayload, { description: 'Processes a FAILED payload again now; returns it as it stands afterwards.' })
  async replayInboundPayload(@Arg('input') input: ReplayInboundPayloadInput, @Ctx() ctx: ConversationsContext): Promise<ReplayInboundPayloadPayload> {
    return { payload: await ctx.services.ingest.replay(requireViewer(ctx).tenant, input.id) };
  }
}

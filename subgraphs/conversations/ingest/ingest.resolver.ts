import { Arg, Authorized, Ctx, FieldResolver, ID, Int, Mutation, Query, Resolver, Root } from 'type-graphql';
import { requireViewer } from '../../_shared/context.js';
import { ADMINS } from '../../_shared/roles.js';
import type { ConversationsContext } from '../conversations.context.js';
import type { InboundPayloadEntity } from './payload.entity.js';
import { InboundBacklog, InboundPayload, InboundPayloadRequest, InboundPayloadStatus, ReplayInboundPayloadInput, ReplayInboundPayloadPayload, ReplayInboundPayloadsInput, ReplayInboundPayloadsPayload } from './ingest.type.js';

/** Headers a browser or a proxy may add that say who someone is: not shown back. */
const PRIVATE_HEADERS = new Set(['cookie', 'authorization', 'proxy-authorization']);

@Resolver(() => InboundPayload)
export class IngestResolver {
  @FieldResolver(() => InboundPayloadRequest, { nullable: true, description: 'The raw request, to see what a payload the plugin could not parse held.' })
  request(@Root() p: InboundPayloadEntity): InboundPayloadRequest | null {
    const r = p.request;
    if (!r) return null; // a row loaded without it
    const headers = Object.fromEntries(Object.entries(r.headers ?? {}).filter(([k]) => !PRIVATE_HEADERS.has(k.toLowerCase())));
    return { method: r.method, path: r.path, query: r.query ?? {}, headers, body: r.body ?? null, bodyBase64: r.bodyBase64 ?? null };
  }

  @Authorized(...ADMINS)
  @Query(() => [InboundPayload], { description: 'Stored inbound payloads, newest first (e.g. status: FAILED to see what did not make it). Pages of `first` (default 50, at most 200); the next page: `after` = the last id of this one.' })
  inboundPayloads(
    @Ctx() ctx: ConversationsContext,
    @Arg('status', () => InboundPayloadStatus, { nullable: true }) status?: InboundPayloadStatus,
    @Arg('channelId', () => ID, { nullable: true }) channelId?: string,
    @Arg('errorCode', () => String, { nullable: true }) errorCode?: string,
    @Arg('first', () => Int, { nullable: true }) first?: number,
    @Arg('after', () => ID, { nullable: true }) after?: string,
  ) {
    return ctx.services.inboundAdmin.list(requireViewer(ctx).tenant, { status, channelId, errorCode, first, after });
  }

  @Authorized(...ADMINS)
  @Query(() => InboundBacklog, { description: "Processing's backlog for the tenant (or one channel): counts and the oldest waiting payload. Under a burst processing backs off for acknowledgements and this grows; nothing in it is lost." })
  inboundBacklog(@Ctx() ctx: ConversationsContext, @Arg('channelId', () => ID, { nullable: true }) channelId?: string): Promise<InboundBacklog> {
    return ctx.services.inboundAdmin.backlog(requireViewer(ctx).tenant, channelId ?? null);
  }

  @Authorized(...ADMINS)
  @Mutation(() => ReplayInboundPayloadPayload, { description: 'Processes a FAILED payload again now; returns it as it stands afterwards.' })
  async replayInboundPayload(@Arg('input') input: ReplayInboundPayloadInput, @Ctx() ctx: ConversationsContext): Promise<ReplayInboundPayloadPayload> {
    return { payload: await ctx.services.inboundAdmin.replay(requireViewer(ctx).tenant, input.id) };
  }

  @Authorized(...ADMINS)
  @Mutation(() => ReplayInboundPayloadsPayload, { description: 'Hands FAILED payloads (of a channel, with an error code) back to processing, oldest first, after a fix: they are processed in the background like fresh ones.' })
  replayInboundPayloads(@Arg('input') input: ReplayInboundPayloadsInput, @Ctx() ctx: ConversationsContext): Promise<ReplayInboundPayloadsPayload> {
    return ctx.services.inboundAdmin.replayMany(requireViewer(ctx).tenant, input);
  }
}

import { Arg, Authorized, Ctx, Mutation, Query, Resolver } from 'type-graphql';
import { requireViewer } from '../../_shared/context.js';
import { ADMINS, STAFF } from '../../_shared/roles.js';
import type { ConversationsContext } from '../conversations.context.js';
import { Channel, ChannelPayload, CreateChannelInput } from './channel.type.js';

@Resolver(() => Channel)
export class ChannelResolver {
  @Authorized(...STAFF)
  @Query(() => [Channel], { description: "The tenant's channels." })
  channels(@Ctx() ctx: ConversationsContext) {
    return ctx.services.channels.list(requireViewer(ctx).tenant);
  }

  @Authorized(...ADMINS)
  @Mutation(() => ChannelPayload)
  async createChannel(@Arg('input') input: CreateChannelInput, @Ctx() ctx: ConversationsContext): Promise<ChannelPayload> {
    return { channel: await ctx.services.channels.create(requireViewer(ctx).tenant, input) };
  }
}

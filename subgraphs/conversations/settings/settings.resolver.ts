import { Arg, Authorized, Ctx, Mutation, Query, Resolver } from 'type-graphql';
import { requireViewer } from '../../_shared/context.js';
import { ADMINS, STAFF } from '../../_shared/roles.js';
import type { ConversationsContext } from '../conversations.context.js';
import { ConversationSettings, ConversationSettingsPayload, UpdateConversationSettingsInput } from './settings.type.js';

@Resolver(() => ConversationSettings)
export class ConversationSettingsResolver {
  @Authorized(...STAFF)
  @Query(() => ConversationSettings)
  conversationSettings(@Ctx() ctx: ConversationsContext) {
    return ctx.services.settings.get(requireViewer(ctx).tenant);
  }

  @Authorized(...ADMINS)
  @Mutation(() => ConversationSettingsPayload)
  async updateConversationSettings(@Arg('input') input: UpdateConversationSettingsInput, @Ctx() ctx: ConversationsContext): Promise<ConversationSettingsPayload> {
    return { settings: await ctx.services.settings.update(requireViewer(ctx).tenant, input) };
  }
}

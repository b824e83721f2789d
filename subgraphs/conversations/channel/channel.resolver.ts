import { Arg, Authorized, Ctx, FieldResolver, Mutation, Query, Resolver, Root } from 'type-graphql';
import { GraphQLJSONObject } from 'graphql-scalars';
import { hasRole } from '../../_shared/auth.js';
import { requireViewer } from '../../_shared/context.js';
import { ADMINS, STAFF } from '../../_shared/roles.js';
import type { ConversationsContext } from '../conversations.context.js';
import type { ChannelEntity } from './channel.entity.js';
import {
  Channel, ChannelHealth, ChannelHealthStatus, ChannelPayload, CreateChannelInput, DisableChannelInput, RegisterPartnerChannelInput, RegisterPartnerChannelPayload,
  UpdateChannelInput,
} from './channel.type.js';

@Resolver(() => Channel)
export class ChannelResolver {
  @Authorized(...STAFF)
  @Query(() => [Channel], { description: "The tenant's channels." })
  channels(@Ctx() ctx: ConversationsContext) {
    return ctx.services.channels.list(requireViewer(ctx).tenant);
  }

  @Authorized(...ADMINS)
  @Mutation(() => ChannelPayload, { description: "A channel; a given config is checked by the type's plugin. Answers the webhook URL to paste into the platform's console." })
  async createChannel(@Arg('input') input: CreateChannelInput, @Ctx() ctx: ConversationsContext): Promise<ChannelPayload> {
    const channel = await ctx.services.channelAdmin.create(requireViewer(ctx).tenant, input);
    return { channel, webhookUrl: ctx.services.channelAdmin.webhookUrl(channel) };
  }

  @Authorized(...ADMINS)
  @Mutation(() => ChannelPayload, { description: 'Renames, enables/disables or reconfigures a channel ("[redacted]" secrets keep their stored values).' })
  async updateChannel(@Arg('input') input: UpdateChannelInput, @Ctx() ctx: ConversationsContext): Promise<ChannelPayload> {
    const channel = await ctx.services.channelAdmin.update(requireViewer(ctx).tenant, input.id, input);
    return { channel, webhookUrl: ctx.services.channelAdmin.webhookUrl(channel) };
  }

  @Authorized(...ADMINS)
  @Mutation(() => ChannelPayload, { description: 'Its webhook answers 403 and nothing is sent through it until it is enabled again.' })
  async disableChannel(@Arg('input') input: DisableChannelInput, @Ctx() ctx: ConversationsContext): Promise<ChannelPayload> {
    const channel = await ctx.services.channelAdmin.disable(requireViewer(ctx).tenant, input.id);
    return { channel, webhookUrl: ctx.services.channelAdmin.webhookUrl(channel) };
  }

  @Authorized('partner', 'admin')
  @Mutation(() => RegisterPartnerChannelPayload, { description: "A partner's own channel (partner-api): its webhook URL and signing secret (returned this once); our messages go to callbackUrl." })
  async registerPartnerChannel(@Arg('input') input: RegisterPartnerChannelInput, @Ctx() ctx: ConversationsContext): Promise<RegisterPartnerChannelPayload> {
    const { channel, secret } = await ctx.services.channelAdmin.registerPartner(requireViewer(ctx).tenant, input);
    return { channel, secret, webhookUrl: ctx.services.channelAdmin.webhookUrl(channel) };
  }

  @FieldResolver(() => GraphQLJSONObject, { nullable: true, description: 'Admins only (null for others); secrets are always "[redacted]".' })
  config(@Root() c: ChannelEntity, @Ctx() ctx: ConversationsContext): Record<string, unknown> | null {
    if (!ctx.viewer || !hasRole(ctx.viewer, ...ADMINS)) return null;
    return ctx.services.channelAdmin.redactedConfig(c);
  }

  @FieldResolver(() => String)
  webhookUrl(@Root() c: ChannelEntity, @Ctx() ctx: ConversationsContext): string {
    return ctx.services.channelAdmin.webhookUrl(c);
  }

  @FieldResolver(() => ChannelHealth)
  health(@Root() c: ChannelEntity, @Ctx() ctx: ConversationsContext): ChannelHealth {
    const h = ctx.services.channelAdmin.health(c);
    return { status: h.status as ChannelHealthStatus, lastError: h.lastError, lastErrorAt: h.lastErrorAt, failures: h.failures, consecutiveFailures: h.consecutiveFailures };
  }
}

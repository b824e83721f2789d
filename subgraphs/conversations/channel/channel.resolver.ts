import { Arg, Authorized, Ctx, FieldResolver, ID, Mutation, Query, Resolver, Root } from 'type-graphql';
import { GraphQLJSONObject } from 'graphql-scalars';
import { hasRole } from '../../_shared/auth.js';
import { requireViewer } from '../../_shared/context.js';
import { ADMINS, STAFF } from '../../_shared/roles.js';
import type { ConversationsContext } from '../conversations.context.js';
import { manageScope, readScope } from './channel.admin.service.js';
import type { ChannelEntity } from './channel.entity.js';
import {
  Channel, ChannelHealth, ChannelHealthStatus, ChannelPayload, ChannelTraffic, CreateChannelInput, DisableChannelInput, RegisterPartnerChannelInput, RegisterPartnerChannelPayload,
  RotatePartnerChannelSecretInput, RotatePartnerChannelSecretPayload, UpdateChannelInput,
} from './channel.type.js';

/** Admins manage every channel of their tenant; a partner only the ones it registered (others are NOT_FOUND). */
const MANAGERS_OF_CHANNELS = ['admin', 'partner'] as const;

@Resolver(() => Channel)
export class ChannelResolver {
  @Authorized(...STAFF, 'partner')
  @Query(() => [Channel], { description: "The tenant's channels (a partner: only its own)." })
  channels(@Ctx() ctx: ConversationsContext) {
    const viewer = requireViewer(ctx);
    return ctx.services.channelAdmin.list(viewer.tenant, readScope(viewer));
  }

  @Authorized(...STAFF, 'partner')
  @Query(() => Channel, { nullable: true, description: "One of the tenant's channels (a partner: only its own); null when there is no such channel." })
  channel(@Arg('id', () => ID) id: string, @Ctx() ctx: ConversationsContext) {
    const viewer = requireViewer(ctx);
    return ctx.services.channelAdmin.find(viewer.tenant, id, readScope(viewer));
  }

  @Authorized(...ADMINS)
  @Mutation(() => ChannelPayload, { description: "A channel; a given config is checked by the type's plugin. Answers the webhook URL to paste into the platform's console." })
  async createChannel(@Arg('input') input: CreateChannelInput, @Ctx() ctx: ConversationsContext): Promise<ChannelPayload> {
    const channel = await ctx.services.channelAdmin.create(requireViewer(ctx).tenant, input);
    return { channel, webhookUrl: ctx.services.channelAdmin.webhookUrl(channel) };
  }

  @Authorized(...MANAGERS_OF_CHANNELS)
  @Mutation(() => ChannelPayload, { description: 'Renames, enables/disables or reconfigures a channel ("[redacted]" secrets keep their stored values). Partners: their own channels only.' })
  async updateChannel(@Arg('input') input: UpdateChannelInput, @Ctx() ctx: ConversationsContext): Promise<ChannelPayload> {
    const viewer = requireViewer(ctx);
    const channel = await ctx.services.channelAdmin.update(viewer.tenant, input.id, input, manageScope(viewer));
    return { channel, webhookUrl: ctx.services.channelAdmin.webhookUrl(channel) };
  }

  @Authorized(...MANAGERS_OF_CHANNELS)
  @Mutation(() => ChannelPayload, { description: 'Its webhook answers 403 and nothing is sent through it until it is enabled again. Partners: their own channels only.' })
  async disableChannel(@Arg('input') input: DisableChannelInput, @Ctx() ctx: ConversationsContext): Promise<ChannelPayload> {
    const viewer = requireViewer(ctx);
    const channel = await ctx.services.channelAdmin.disable(viewer.tenant, input.id, manageScope(viewer));
    return { channel, webhookUrl: ctx.services.channelAdmin.webhookUrl(channel) };
  }

  @Authorized(...MANAGERS_OF_CHANNELS)
  @Mutation(() => RegisterPartnerChannelPayload, { description: "A partner's own channel (partner-api), owned by the caller: its webhook URL and signing secret (returned this once); our messages go to callbackUrl." })
  async registerPartnerChannel(@Arg('input') input: RegisterPartnerChannelInput, @Ctx() ctx: ConversationsContext): Promise<RegisterPartnerChannelPayload> {
    const viewer = requireViewer(ctx);
    const { channel, secret } = await ctx.services.channelAdmin.registerPartner(viewer.tenant, viewer.sub, input);
    return { channel, secret, webhookUrl: ctx.services.channelAdmin.webhookUrl(channel) };
  }

  @Authorized(...MANAGERS_OF_CHANNELS)
  @Mutation(() => RotatePartnerChannelSecretPayload, { description: "A new signing secret for a partner-api channel (returned this once). Partners: their own channels only." })
  async rotatePartnerChannelSecret(@Arg('input') input: RotatePartnerChannelSecretInput, @Ctx() ctx: ConversationsContext): Promise<RotatePartnerChannelSecretPayload> {
    const viewer = requireViewer(ctx);
    return ctx.services.channelAdmin.rotatePartnerSecret(viewer.tenant, input.id, input.keepPreviousSecret, manageScope(viewer));
  }

  @FieldResolver(() => GraphQLJSONObject, { nullable: true, description: 'Admins and the owning partner (null for others); secrets are always "[redacted]".' })
  config(@Root() c: ChannelEntity, @Ctx() ctx: ConversationsContext): Record<string, unknown> | null {
    const v = ctx.viewer;
    if (!v || !(hasRole(v, ...ADMINS) || (hasRole(v, 'partner') && c.ownerId === v.sub))) return null;
    return ctx.services.channelAdmin.redactedConfig(c);
  }

  @FieldResolver(() => ChannelTraffic, { nullable: true, description: 'When its platform last got a webhook through, and the last one refused (admins and the owning partner; null for others).' })
  traffic(@Root() c: ChannelEntity, @Ctx() ctx: ConversationsContext): Promise<ChannelTraffic> | null {
    const v = ctx.viewer;
    if (!v || !(hasRole(v, ...ADMINS) || (hasRole(v, 'partner') && c.ownerId === v.sub))) return null;
    return ctx.loaders.channelTraffic.load(c.id);
  }

  @FieldResolver(() => String)
  webhookUrl(@Root() c: ChannelEntity, @Ctx() ctx: ConversationsContext): string {
    return ctx.services.channelAdmin.webhookUrl(c);
  }

  @FieldResolver(() => ChannelHealth)
  async health(@Root() c: ChannelEntity, @Ctx() ctx: ConversationsContext): Promise<ChannelHealth> {
    const h = await ctx.services.channelAdmin.health(c);
    const status = (x: { status: string }) => x.status as ChannelHealthStatus;
    // Replica names are the installation's (host/pid): admins only.
    const admin = !!ctx.viewer && hasRole(ctx.viewer, ...ADMINS);
    return {
      status: status(h), lastError: h.lastError, lastErrorAt: h.lastErrorAt, failures: h.failures, consecutiveFailures: h.consecutiveFailures,
      replicas: admin ? h.replicas.map((r) => ({ ...r, status: status(r) })) : [],
    };
  }
}

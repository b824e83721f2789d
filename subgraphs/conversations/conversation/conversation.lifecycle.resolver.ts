import { Arg, Authorized, Ctx, FieldResolver, Int, Mutation, Resolver, Root } from 'type-graphql';
import { hasRole, type Role } from '../../_shared/auth.js';
import { requireViewer } from '../../_shared/context.js';
import { badInput } from '../../_shared/errors.js';
import { MANAGERS, STAFF } from '../../_shared/roles.js';
import type { ConversationsContext } from '../conversations.context.js';
import { ConversationEventPage } from '../event/event.type.js';
import { HandoffSummary } from '../handoff/handoff.type.js';
import { MessageSenderType } from '../message/message.entity.js';
import { MessagePayload } from '../message/message.type.js';
import { actorOf, HUMANS } from './conversation.actor.js';
import type { ConversationEntity } from './conversation.entity.js';
import {
  AddBotMessageInput, CloseConversationInput, EscalateConversationInput, MarkConversationReadInput, MarkConversationReadPayload, ReceiveCustomerMessageInput,
  ReopenConversationInput, SetConversationPendingInput,
} from './conversation.lifecycle.type.js';
import { Conversation, ConversationPayload } from './conversation.type.js';

/** Channel services write as the customer; staff may enter a message by hand. */
const CUSTOMER_VOICE: Role[] = ['service', 'admin', 'agent'];
/** The bot platform (a service account) and admins testing it. */
const BOT_VOICE: Role[] = ['service', 'admin'];

type Ctx = ConversationsContext;

/** Lifecycle transitions beyond open/assign/resolve, read state, and the conversation's lifecycle fields. */
@Resolver(() => Conversation)
export class ConversationLifecycleResolver {
  @Authorized(...STAFF)
  @Mutation(() => ConversationPayload, { description: 'The bot hands the customer to the human queue: BOT → QUEUED (idempotent when already QUEUED).' })
  async escalateConversation(@Arg('input') input: EscalateConversationInput, @Ctx() ctx: Ctx): Promise<ConversationPayload> {
    const viewer = requireViewer(ctx);
    return { conversation: await ctx.services.conversations.escalate(viewer.tenant, input.conversationId, input, actorOf(viewer)) };
  }

  @Authorized(...HUMANS)
  @Mutation(() => ConversationPayload, { description: "Waiting on the customer (PENDING): the customer's next message brings it back." })
  async setConversationPending(@Arg('input') input: SetConversationPendingInput, @Ctx() ctx: Ctx): Promise<ConversationPayload> {
    const viewer = requireViewer(ctx);
    return { conversation: await ctx.services.conversations.setPending(viewer.tenant, input.conversationId, actorOf(viewer)) };
  }

  @Authorized(...STAFF)
  @Mutation(() => ConversationPayload, {
    description: 'CLOSED for good (a later customer message opens a new conversation). Closing one that is not RESOLVED takes a supervisor or an admin.',
  })
  async closeConversation(@Arg('input') input: CloseConversationInput, @Ctx() ctx: Ctx): Promise<ConversationPayload> {
    const viewer = requireViewer(ctx);
    const force = hasRole(viewer, ...MANAGERS);
    return { conversation: await ctx.services.conversations.close(viewer.tenant, input.conversationId, { force, reason: input.reason }, actorOf(viewer)) };
  }

  @Authorized(...HUMANS)
  @Mutation(() => ConversationPayload, { description: 'Reopens a RESOLVED conversation (CONFLICT when CLOSED).' })
  async reopenConversation(@Arg('input') input: ReopenConversationInput, @Ctx() ctx: Ctx): Promise<ConversationPayload> {
    const viewer = requireViewer(ctx);
    return { conversation: await ctx.services.conversations.reopen(viewer.tenant, input.conversationId, actorOf(viewer)) };
  }

  @Authorized(...CUSTOMER_VOICE)
  @Mutation(() => MessagePayload, {
    description: "A customer's message on a channel, when the conversation is not known: it joins the customer's latest open conversation there (resuming or reopening it within the window) or opens a new one.",
  })
  receiveCustomerMessage(@Arg('input') input: ReceiveCustomerMessageInput, @Ctx() ctx: Ctx): Promise<MessagePayload> {
    const viewer = requireViewer(ctx);
    const text = input.text ?? '';
    if (!text.trim() && !input.attachments?.length) throw badInput('a message needs text or attachments', 'text');
    return ctx.services.conversations.receive(viewer.tenant, {
      customerId: input.customerId, channelType: input.channelType, channelId: input.channelId, subject: input.subject,
      message: { text, attachments: input.attachments },
    });
  }

  @Authorized(...BOT_VOICE)
  @Mutation(() => MessagePayload, { description: 'A reply from the bot (or, with system, a system notice) in the conversation. BAD_USER_INPUT for a reply on a channel that sends nothing (Taobao, phone): system notices only there.' })
  async addBotMessage(@Arg('input') input: AddBotMessageInput, @Ctx() ctx: Ctx): Promise<MessagePayload> {
    const viewer = requireViewer(ctx);
    if (!input.system) await ctx.services.delivery.assertCanReply(viewer.tenant, await ctx.services.conversations.get(viewer.tenant, input.conversationId), 'system', { text: input.text, attachments: input.attachments ?? null });
    const r = await ctx.services.conversations.addMessage(viewer.tenant, input.conversationId, {
      senderType: input.system ? MessageSenderType.SYSTEM : MessageSenderType.BOT, senderId: viewer.sub, text: input.text, attachments: input.attachments,
    });
    // Delivery hook (issue 4): out through the channel's plugin; the status is on message.delivery.
    await ctx.services.delivery.enqueue(viewer.tenant, r.message, r.conversation);
    return r;
  }

  @Authorized(...HUMANS)
  @Mutation(() => MarkConversationReadPayload, { description: 'The caller has read the conversation (up to a message): its unreadCount for them drops.' })
  async markConversationRead(@Arg('input') input: MarkConversationReadInput, @Ctx() ctx: Ctx): Promise<MarkConversationReadPayload> {
    const viewer = requireViewer(ctx);
    return ctx.services.reads.markConversationRead(viewer.tenant, input.conversationId, viewer.sub, input.upToMessageId);
  }

  @Authorized(...STAFF)
  @FieldResolver(() => ConversationEventPage, { description: 'Lifecycle events, oldest first.' })
  events(
    @Root() c: ConversationEntity,
    @Ctx() ctx: Ctx,
    @Arg('first', () => Int, { nullable: true }) first?: number,
    @Arg('after', () => String, { nullable: true }) after?: string,
  ) {
    return ctx.loaders.eventPages.load({ key: c.id, first, after });
  }

  @Authorized(...STAFF)
  @FieldResolver(() => HandoffSummary, { nullable: true, description: 'The latest handoff summary written for this conversation.' })
  handoffSummary(@Root() c: ConversationEntity, @Ctx() ctx: Ctx) {
    return ctx.loaders.handoffByConversation.load(c.id);
  }

  @FieldResolver(() => Int, { description: 'Messages from others since the caller last read it (0 without a caller).' })
  unreadCount(@Root() c: ConversationEntity, @Ctx() ctx: Ctx) {
    return ctx.loaders.unreadByConversation.load(c.id);
  }

  @FieldResolver(() => Date, { nullable: true, description: 'Up to when the caller has read it.' })
  lastReadAt(@Root() c: ConversationEntity, @Ctx() ctx: Ctx) {
    return ctx.loaders.lastReadByConversation.load(c.id);
  }
}

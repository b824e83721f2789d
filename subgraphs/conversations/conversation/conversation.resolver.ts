import { Arg, Authorized, Ctx, FieldResolver, ID, Int, Mutation, Query, Resolver, Root, Subscription } from 'type-graphql';
import type { Role } from '../../_shared/auth.js';
import { requireViewer } from '../../_shared/context.js';
import { STAFF } from '../../_shared/roles.js';
import { Agent, AgentGroup } from '../agent/agent.type.js';
import { Channel } from '../channel/channel.type.js';
import type { ConversationsContext } from '../conversations.context.js';
import { clearLoaders } from '../conversations.loaders.js';
import { Customer } from '../customer/customer.type.js';
import { subscribeGuarded } from '../live/live.guard.js';
import { MessageSenderType } from '../message/message.entity.js';
import { MessagePage, MessagePayload } from '../message/message.type.js';
import { actorOf } from './conversation.actor.js';
import type { ConversationEntity } from './conversation.entity.js';
import {
  AddCustomerMessageInput, AssignConversationInput, Conversation, ConversationPage, ConversationPayload, ConversationStatus,
  CreateConversationInput, ResolveConversationInput, SendMessageInput,
} from './conversation.type.js';

/** Who may write a message as the customer: channel services, and staff entering it by hand. */
const CUSTOMER_VOICE: Role[] = ['service', 'admin', 'agent'];

type Ctx = ConversationsContext;

@Resolver(() => Conversation)
export class ConversationResolver {
  @Authorized(...STAFF)
  @Query(() => Conversation, { nullable: true, description: "A conversation of the caller's tenant; null when there is none with that id." })
  conversation(@Arg('id', () => ID) id: string, @Ctx() ctx: Ctx) {
    return ctx.loaders.conversationById.load(id);
  }

  @Authorized(...STAFF)
  @Query(() => ConversationPage, { description: 'Latest activity first.' })
  conversations(
    @Ctx() ctx: Ctx,
    @Arg('first', () => Int, { nullable: true }) first?: number,
    @Arg('after', () => String, { nullable: true }) after?: string,
    @Arg('status', () => ConversationStatus, { nullable: true }) status?: ConversationStatus,
    @Arg('assigneeId', () => ID, { nullable: true }) assigneeId?: string,
    @Arg('customerId', () => ID, { nullable: true }) customerId?: string,
  ) {
    return ctx.services.conversations.list(requireViewer(ctx).tenant, { first, after, status, assigneeId, customerId });
  }

  @FieldResolver(() => Customer)
  customer(@Root() c: ConversationEntity): Customer {
    return { id: c.customerId };
  }

  @FieldResolver(() => Agent, { nullable: true })
  assignee(@Root() c: ConversationEntity, @Ctx() ctx: Ctx) {
    return c.assigneeId ? ctx.loaders.agentById.load(c.assigneeId) : null;
  }

  @FieldResolver(() => AgentGroup, { nullable: true })
  group(@Root() c: ConversationEntity, @Ctx() ctx: Ctx) {
    return c.groupId ? ctx.loaders.groupById.load(c.groupId) : null;
  }

  @FieldResolver(() => Channel, { nullable: true })
  channel(@Root() c: ConversationEntity, @Ctx() ctx: Ctx) {
    return c.channelId ? ctx.loaders.channelById.load(c.channelId) : null;
  }

  @FieldResolver(() => MessagePage, { description: 'Oldest first; internal notes only for staff.' })
  messages(
    @Root() c: ConversationEntity,
    @Ctx() ctx: Ctx,
    @Arg('first', () => Int, { nullable: true }) first?: number,
    @Arg('after', () => String, { nullable: true }) after?: string,
  ) {
    return ctx.loaders.messagePages.load({ key: c.id, first, after });
  }

  @Authorized(...STAFF)
  @Mutation(() => ConversationPayload, { description: 'Opens a conversation in the queue (QUEUED), or with the bot (BOT) when startWithBot, with the customer\'s first message when `text` is given.' })
  async createConversation(@Arg('input') input: CreateConversationInput, @Ctx() ctx: Ctx): Promise<ConversationPayload> {
    const viewer = requireViewer(ctx);
    // Routing (issue 6): the routing input waits for the conversation.opened event; bot-first channels start in BOT.
    const { id, startWithBot } = await ctx.services.routing.beforeOpen(viewer.tenant, input);
    return { conversation: await ctx.services.conversations.open(viewer.tenant, { ...input, id, startWithBot }, actorOf(viewer)) };
  }

  @Authorized(...STAFF)
  @Mutation(() => MessagePayload, { description: "A reply (or, with internal, a note) from the agent in the token. BAD_USER_INPUT for a reply on a channel that sends nothing (Taobao, phone): notes only there; and (field attachments) for an attachment of a kind the channel does not send. The text and each attachment go out as separate messages on the channel." })
  async sendMessage(@Arg('input') input: SendMessageInput, @Ctx() ctx: Ctx): Promise<MessagePayload> {
    const viewer = requireViewer(ctx);
    if (!input.internal) await ctx.services.delivery.assertCanReply(viewer.tenant, await ctx.services.conversations.get(viewer.tenant, input.conversationId), 'internal', { text: input.text, attachments: input.attachments ?? null });
    const r = await ctx.services.conversations.addMessage(viewer.tenant, input.conversationId, {
      senderType: MessageSenderType.AGENT, senderId: viewer.sub, text: input.text, internal: input.internal ?? false, attachments: input.attachments,
    });
    // Delivery hook (issue 4): out through the channel's plugin; the status is on message.delivery.
    await ctx.services.delivery.enqueue(viewer.tenant, r.message, r.conversation);
    return r;
  }

  @Authorized(...CUSTOMER_VOICE)
  @Mutation(() => MessagePayload, {
    description: "A message from the conversation's customer (channel services, tests). It resumes a PENDING conversation and reopens a RESOLVED one within the tenant's reopen window; past the window, or when CLOSED, it goes to a new conversation (returned).",
  })
  addCustomerMessage(@Arg('input') input: AddCustomerMessageInput, @Ctx() ctx: Ctx): Promise<MessagePayload> {
    return ctx.services.conversations.addMessage(requireViewer(ctx).tenant, input.conversationId, { senderType: MessageSenderType.CUSTOMER, text: input.text, attachments: input.attachments });
  }

  @Authorized(...STAFF)
  @Mutation(() => ConversationPayload, {
    description: 'ASSIGNED to an agent of the tenant (NOT_FOUND otherwise); a transfer when another agent had it. When routing runs for the tenant it counts the conversation for that agent first, even beyond their capacity (a person decided it). A handoff summary reaches the agent (myConversations) before the assignment does when they take over from a colleague, the bot or another channel.',
  })
  async assignConversation(@Arg('input') input: AssignConversationInput, @Ctx() ctx: Ctx): Promise<ConversationPayload> {
    const viewer = requireViewer(ctx);
    return { conversation: await ctx.services.routing.assignByPerson(viewer.tenant, input.conversationId, input.agentId, actorOf(viewer)) };
  }

  @Authorized(...STAFF)
  @Mutation(() => ConversationPayload)
  async resolveConversation(@Arg('input') input: ResolveConversationInput, @Ctx() ctx: Ctx): Promise<ConversationPayload> {
    const viewer = requireViewer(ctx);
    return { conversation: await ctx.services.conversations.resolve(viewer.tenant, input.conversationId, actorOf(viewer)) };
  }

  @Subscription(() => Conversation, {
    description: "Every change of the caller's tenant's conversations (opened, new message, assigned, resolved).",
    subscribe: ({ context }) => subscribeGuarded(() => {
      const ctx = context as Ctx;
      return ctx.services.conversations.watchUpdated(requireViewer(ctx, ...STAFF).tenant);
    }),
  })
  conversationUpdated(@Root() c: ConversationEntity, @Ctx() ctx: Ctx): ConversationEntity {
    clearLoaders(ctx.loaders);
    return c;
  }
}

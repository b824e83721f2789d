import { Arg, Ctx, ID, Mutation, Resolver, Root, Subscription } from 'type-graphql';
import { requireViewer } from '../../_shared/context.js';
import { STAFF } from '../../_shared/roles.js';
import type { ConversationsContext } from '../conversations.context.js';
import { clearLoaders } from '../conversations.loaders.js';
import { HUMANS } from '../conversation/conversation.actor.js';
import { subscribeGuarded } from '../live/live.guard.js';
import type { Activity } from './activity.service.js';
import { ConversationActivity, SetTypingInput } from './activity.type.js';

type Ctx = ConversationsContext;

/**
 * Live activity, delivered across replicas (Redis pub/sub carries ids; the replica holding the socket reloads
 * and filters by the subscriber's tenant and permissions). Subscriptions are staff-only, so notes are included.
 */
@Resolver(() => ConversationActivity)
export class ActivityResolver {
  @Subscription(() => ConversationActivity, {
    description: "Messages, notes, lifecycle events, handoff summaries, typing, partial transcripts and delivery changes of one of the caller's tenant's conversations (NOT_FOUND for another tenant's).",
    subscribe: ({ args, context }) => subscribeGuarded(async () => {
      const ctx = context as Ctx;
      const tenant = requireViewer(ctx, ...STAFF).tenant;
      await ctx.services.conversations.get(tenant, args.conversationId as string);
      return ctx.services.activity.watchConversation(tenant, args.conversationId as string, { includeInternal: true });
    }),
  })
  conversationEvents(@Root() a: Activity, @Arg('conversationId', () => ID) _conversationId: string, @Ctx() ctx: Ctx): Activity {
    clearLoaders(ctx.loaders);
    return a;
  }

  @Subscription(() => ConversationActivity, {
    description: "Everything that happens in any of one customer's conversations, on any channel, in the caller's tenant.",
    subscribe: ({ args, context }) => subscribeGuarded(() => {
      const ctx = context as Ctx;
      return ctx.services.activity.watchCustomer(requireViewer(ctx, ...STAFF).tenant, args.customerId as string, { includeInternal: true });
    }),
  })
  customerEvents(@Root() a: Activity, @Arg('customerId', () => ID) _customerId: string, @Ctx() ctx: Ctx): Activity {
    clearLoaders(ctx.loaders);
    return a;
  }

  @Subscription(() => ConversationActivity, {
    description:
      'For the agent in the token: conversations assigned or transferred to (or away from) them, new messages and delivery changes in the conversations they hold, and the handoff summaries written for them (pushed before the assignment).',
    subscribe: ({ context }) => subscribeGuarded(() => {
      const ctx = context as Ctx;
      const viewer = requireViewer(ctx, ...HUMANS);
      return ctx.services.activity.watchAgent(viewer.tenant, viewer.sub, { includeInternal: true });
    }),
  })
  myConversations(@Root() a: Activity, @Ctx() ctx: Ctx): Activity {
    clearLoaders(ctx.loaders);
    return a;
  }

  @Mutation(() => Boolean, {
    description: "The caller is typing in a conversation (or stopped): its watchers see TYPING, and so does the customer where the channel can show it (web widget, app). True when it reached the customer's channel. Live only, nothing stored.",
  })
  async setTyping(@Arg('input') input: SetTypingInput, @Ctx() ctx: Ctx): Promise<boolean> {
    const viewer = requireViewer(ctx, ...HUMANS);
    const conversation = await ctx.services.conversations.get(viewer.tenant, input.conversationId);
    return ctx.services.typing.agentTyping(conversation, viewer.sub, input.typing ? 'START' : 'STOP');
  }
}

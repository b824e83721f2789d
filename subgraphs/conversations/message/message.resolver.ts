import { Arg, Ctx, FieldResolver, ID, Resolver, Root, Subscription } from 'type-graphql';
import { requireViewer } from '../../_shared/context.js';
import { STAFF } from '../../_shared/roles.js';
import type { ConversationsContext } from '../conversations.context.js';
import { clearLoaders } from '../conversations.loaders.js';
import { Conversation } from '../conversation/conversation.type.js';
import { subscribeGuarded } from '../live/live.guard.js';
import type { MessageEntity } from './message.entity.js';
import { Attachment, Message } from './message.type.js';

@Resolver(() => Message)
export class MessageResolver {
  @FieldResolver(() => Conversation)
  conversation(@Root() m: MessageEntity, @Ctx() ctx: ConversationsContext) {
    return ctx.loaders.conversationById.load(m.conversationId);
  }

  @FieldResolver(() => [Attachment], { description: 'Media sent with the message (empty for plain text).' })
  attachments(@Root() m: MessageEntity): Attachment[] {
    return m.attachments ?? [];
  }

  @Subscription(() => Message, {
    description: "New messages and notes of one of the caller's tenant's conversations.",
    subscribe: ({ args, context }) => subscribeGuarded(() => {
      const ctx = context as ConversationsContext;
      return ctx.services.messages.watchAdded(requireViewer(ctx, ...STAFF).tenant, args.conversationId as string);
    }),
  })
  messageAdded(@Root() m: MessageEntity, @Arg('conversationId', () => ID) _conversationId: string, @Ctx() ctx: ConversationsContext): MessageEntity {
    clearLoaders(ctx.loaders);
    return m;
  }
}

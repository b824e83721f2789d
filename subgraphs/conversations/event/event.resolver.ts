import { Ctx, FieldResolver, Resolver, Root } from 'type-graphql';
import type { ConversationsContext } from '../conversations.context.js';
import { Conversation } from '../conversation/conversation.type.js';
import type { ConversationEventEntity } from './event.entity.js';
import { ConversationEvent } from './event.type.js';

@Resolver(() => ConversationEvent)
export class ConversationEventResolver {
  @FieldResolver(() => Conversation)
  conversation(@Root() e: ConversationEventEntity, @Ctx() ctx: ConversationsContext) {
    return ctx.loaders.conversationById.load(e.conversationId);
  }
}

import { Authorized, Ctx, FieldResolver, Resolver, Root } from 'type-graphql';
import { STAFF } from '../../_shared/roles.js';
import type { ConversationsContext } from '../conversations.context.js';
import { Message } from '../message/message.type.js';
import { TicketComment } from './ticket-comment.type.js';
import { ticketReplyId } from './ticket-replies.worker.js';

@Resolver(() => TicketComment)
export class TicketCommentReplyResolver {
  @Authorized(...STAFF)
  @FieldResolver(() => Message, {
    nullable: true,
    description: 'What a public comment became in the customer\'s conversation: its `delivery` says whether it reached them (FAILED with CANNOT_SEND on a channel that sends nothing, such as phone or Taobao). A comment on a ticket whose conversation was closed goes to a follow-up conversation (`conversation` tells which). Null for internal notes, for tickets without a conversation, and for the moment before the comment arrives here.',
  })
  reply(@Root() c: TicketComment, @Ctx() ctx: ConversationsContext) {
    // The id derives from the caller's tenant, so another tenant's comment finds nothing.
    return ctx.viewer ? ctx.loaders.messageById.load(ticketReplyId(ctx.viewer.tenant, c.id)) : null;
  }
}

import { Arg, Authorized, Ctx, FieldResolver, Int, Resolver, Root } from 'type-graphql';
import { STAFF } from '../../_shared/roles.js';
import type { ConversationsContext } from '../conversations.context.js';
import { ConversationPage } from '../conversation/conversation.type.js';
import { Customer } from './customer.type.js';

@Resolver(() => Customer)
export class CustomerConversationsResolver {
  @Authorized(...STAFF)
  @FieldResolver(() => ConversationPage, { description: "The customer's conversations in the caller's tenant, latest activity first." })
  conversations(
    @Root() c: Customer,
    @Ctx() ctx: ConversationsContext,
    @Arg('first', () => Int, { nullable: true }) first?: number,
    @Arg('after', () => String, { nullable: true }) after?: string,
  ) {
    return ctx.loaders.customerConversationPages.load({ key: c.id, first, after });
  }
}

import { ArrayMaxSize, Matches } from 'class-validator';
import { Args, ArgsType, Authorized, Ctx, Field, FieldResolver, Int, Resolver, Root } from 'type-graphql';
import { STAFF } from '../../_shared/roles.js';
import { CHANNEL_TYPE, CHANNEL_TYPE_MESSAGE } from '../channel/channel.type.js';
import type { ConversationsContext } from '../conversations.context.js';
import { Customer } from '../customer/customer.type.js';
import { ConversationContext, TimelinePage } from './timeline.type.js';

@ArgsType()
class TimelineArgs {
  @Field(() => Int, { nullable: true, description: 'Page size, 1–200 (default 20).' }) first?: number;
  @Field(() => String, { nullable: true }) after?: string;
  @Field(() => [String], { nullable: true, description: 'Only these channel types (e.g. ["taobao", "phone"]).' })
  @ArrayMaxSize(20) @Matches(CHANNEL_TYPE, { each: true, message: CHANNEL_TYPE_MESSAGE }) channels?: string[];
  @Field({ nullable: true, description: 'Newest first instead of oldest first.' }) newestFirst?: boolean;
}

@Resolver(() => Customer)
export class CustomerTimelineResolver {
  @Authorized(...STAFF)
  @FieldResolver(() => TimelinePage, { description: "Every message and conversation event of the customer across all channels, in time order (keyset cursor on time and id)." })
  timeline(@Root() c: Customer, @Ctx() ctx: ConversationsContext, @Args() args: TimelineArgs) {
    return ctx.loaders.timelinePages.load({ key: c.id, first: args.first, after: args.after, channels: args.channels ?? null, newestFirst: args.newestFirst ?? false });
  }

  @Authorized(...STAFF)
  @FieldResolver(() => ConversationContext, { description: "The customer's 30-day session context: recent messages, intent, slots, order ids, summary." })
  async context(@Root() c: Customer, @Ctx() ctx: ConversationsContext): Promise<ConversationContext> {
    const { context, cached } = await ctx.loaders.contextByCustomer.load(c.id);
    return {
      ...context,
      recentMessages: context.recentMessages.map((m) => ({ ...m, at: new Date(m.at) })),
      lastActivityAt: context.lastActivityAt ? new Date(context.lastActivityAt) : null,
      cached,
    };
  }
}

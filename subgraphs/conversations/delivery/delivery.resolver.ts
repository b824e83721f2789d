import { Ctx, FieldResolver, Resolver, Root } from 'type-graphql';
import type { ConversationsContext } from '../conversations.context.js';
import type { MessageEntity } from '../message/message.entity.js';
import { Message } from '../message/message.type.js';
import type { DeliveryLoaders } from './delivery.loaders.js';
import { MessageDelivery } from './delivery.type.js';

@Resolver(() => Message)
export class MessageDeliveryResolver {
  @FieldResolver(() => MessageDelivery, { nullable: true, description: 'Null for internal notes, customer messages, and system notices on channels that send nothing. A reply that reached such a channel (a public ticket comment on a phone or Taobao conversation) is FAILED with errorCode CANNOT_SEND.' })
  delivery(@Root() m: MessageEntity, @Ctx() ctx: ConversationsContext) {
    return (ctx.loaders as unknown as DeliveryLoaders).deliveryByMessage.load(m.id);
  }
}

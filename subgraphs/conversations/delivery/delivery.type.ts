import { Field, Int, ObjectType, registerEnumType } from 'type-graphql';
import { DeliveryStatus } from './delivery.entity.js';

export { DeliveryStatus };
registerEnumType(DeliveryStatus, { name: 'DeliveryStatus' });

@ObjectType({ description: "An outbound message's delivery through its channel." })
export class MessageDelivery {
  @Field(() => DeliveryStatus) status: DeliveryStatus;
  @Field(() => Int) attempts: number;
  @Field(() => String, { nullable: true, description: 'WINDOW_CLOSED, INVALID_RECIPIENT, RATE_LIMITED, UNAVAILABLE, AUTH, BAD_REQUEST...' }) errorCode: string | null;
  @Field(() => String, { nullable: true }) error: string | null;
  @Field(() => String, { nullable: true, description: "The platform's id for the sent message." }) externalMessageId: string | null;
  @Field(() => String, { nullable: true, description: "Once SENT, what the channel said: `sent` (accepted by the platform), `delivered` (a live widget or app client took it), `queued` (the client is offline: it gets it when it syncs, the app by push too)." }) outcome: string | null;
  @Field(() => Date, { nullable: true, description: "When the customer's client reported it read (a read receipt up to it or to a later message: the web widget, the app, Douyin). Null until then, and on channels without read receipts." }) readAt: Date | null;
  @Field(() => Date, { nullable: true }) nextAttemptAt: Date | null;
  @Field() updatedAt: Date;
}

import { IsBoolean, IsIn, IsOptional, IsUUID, Length, MaxLength } from 'class-validator';
import { Directive, Field, ID, InputType, ObjectType } from 'type-graphql';
import { PageInfo } from '../../_shared/pagination.js';

export const TICKET_TYPES = ['order', 'logistics', 'quality', 'refund', 'complaint', 'other'] as const;
export const TICKET_PRIORITIES = ['LOW', 'NORMAL', 'HIGH', 'URGENT'] as const;
export const TICKET_STATUSES = ['NEW', 'OPEN', 'PENDING', 'ON_HOLD', 'SOLVED', 'CLOSED'] as const;
export type TicketStatus = (typeof TICKET_STATUSES)[number];

/** Bodies are `text`: 64 KB on MariaDB, so at most 16,000 characters of 4 bytes. */
export const MAX_BODY = 16_000;

@ObjectType({ description: 'A note on a ticket: public (a reply the customer sees) or internal.' })
export class TicketComment {
  @Field(() => ID) id: string;
  @Field({ description: 'The JWT subject of the writer (an agent id or a service).' }) authorId: string;
  @Field() body: string;
  @Field({ description: 'false for an internal note.' }) public: boolean;
  @Field() createdAt: Date;
}

@ObjectType({ description: 'A case that outlives a conversation: a complaint, a refund, a lost parcel...' })
@Directive('@key(fields: "id")')
export class Ticket {
  @Field(() => ID) id: string;
  @Field() subject: string;
  @Field(() => String, { nullable: true }) description: string | null;
  @Field({ description: 'order, logistics, quality, refund, complaint or other' }) type: string;
  @Field({ description: 'LOW, NORMAL, HIGH or URGENT' }) priority: string;
  @Field({ description: 'NEW, OPEN, PENDING, ON_HOLD, SOLVED or CLOSED' }) status: string;
  @Field() createdAt: Date;
  @Field() updatedAt: Date;
  @Field(() => Date, { nullable: true, description: 'When it was last solved; null while unresolved.' }) solvedAt: Date | null;
  // customer, conversation and comments are field resolvers
}

@ObjectType()
export class TicketPage {
  @Field(() => [Ticket]) nodes: Ticket[];
  @Field(() => PageInfo) pageInfo: PageInfo;
}

@InputType()
export class CreateTicketInput {
  @Field(() => ID) @IsUUID() customerId: string;
  @Field(() => ID, { nullable: true }) @IsOptional() @IsUUID() conversationId?: string;
  @Field() @Length(1, 200) subject: string;
  @Field({ nullable: true }) @IsOptional() @MaxLength(MAX_BODY) description?: string;
  @Field({ description: 'order, logistics, quality, refund, complaint or other' }) @IsIn(TICKET_TYPES as unknown as string[]) type: string;
  @Field({ nullable: true, description: 'Defaults to NORMAL.' }) @IsOptional() @IsIn(TICKET_PRIORITIES as unknown as string[]) priority?: string;
}

@InputType()
export class UpdateTicketStatusInput {
  @Field(() => ID) @IsUUID() ticketId: string;
  @Field({ description: 'NEW, OPEN, PENDING, ON_HOLD, SOLVED or CLOSED' }) @IsIn(TICKET_STATUSES as unknown as string[]) status: string;
}

@InputType()
export class AddTicketCommentInput {
  @Field(() => ID) @IsUUID() ticketId: string;
  @Field() @Length(1, MAX_BODY) body: string;
  @Field({ nullable: true, description: 'Defaults to false (an internal note).' }) @IsOptional() @IsBoolean() public?: boolean;
}

@ObjectType()
export class TicketPayload {
  @Field(() => Ticket) ticket: Ticket;
}

@ObjectType()
export class AddTicketCommentPayload {
  @Field(() => Ticket) ticket: Ticket;
  @Field(() => TicketComment) comment: TicketComment;
}

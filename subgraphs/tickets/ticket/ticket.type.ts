import {
  ArrayMaxSize, IsBoolean, IsIn, IsInt, IsObject, IsOptional, IsUUID, Length, Matches, Max, MaxLength, Min, ValidateNested,
} from 'class-validator';
import { GraphQLJSONObject } from 'graphql-scalars';
import { Directive, Field, ID, InputType, Int, ObjectType } from 'type-graphql';
import { PageInfo } from '../../_shared/pagination.js';
import {
  CUSTOMER_LEVELS, LINK_RELATIONS, MAX_ATTACHMENTS, MAX_BODY, MAX_ORDERS, MAX_SUMMARY, MAX_TAGS, ORDER_ID, TICKET_PRIORITIES, TICKET_STATUSES, TICKET_TYPES,
} from './ticket.model.js';
import type { JsonObject } from './ticket.entity.js';

export { MAX_BODY, TICKET_PRIORITIES, TICKET_STATUSES, TICKET_TYPES } from './ticket.model.js';
export type { TicketStatus } from './ticket.model.js';

const list = (values: readonly string[]) => values as unknown as string[];
const ORDER_ID_MESSAGE = 'each order id must be 1 to 64 letters, digits, _ or -';

@ObjectType({ description: 'Metadata of a file attached to a comment; the bytes live in the media store under mediaRef.' })
export class TicketAttachment {
  @Field() name: string;
  @Field(() => Int, { description: 'Bytes.' }) size: number;
  @Field({ description: 'Where the media store keeps it (a media id or URL).' }) mediaRef: string;
  @Field(() => String, { nullable: true }) contentType: string | null;
}

@ObjectType({ description: 'A note on a ticket: public (a reply the customer sees) or internal.' })
@Directive('@key(fields: "id")') // the conversations subgraph adds `reply`: what the customer was sent
export class TicketComment {
  @Field(() => ID) id: string;
  @Field({ description: 'The JWT subject of the writer (an agent id or a service).' }) authorId: string;
  @Field({ description: 'AGENT (staff), SERVICE (an integration) or SYSTEM (a rule).' }) authorType: string;
  @Field() body: string;
  @Field({ description: 'false for an internal note.' }) public: boolean;
  @Field() createdAt: Date;
  // attachments: field resolver (null column → [])
}

@ObjectType({ description: 'One change in a ticket\'s history: who did what, from what to what, when.' })
export class TicketHistoryEntry {
  @Field(() => ID) id: string;
  @Field({ description: 'The JWT subject of the person or service, or rule:<name> / sla-scheduler.' }) actorId: string;
  @Field({ description: 'created, updated, commented, first_response, merged_into, merged_from, linked, unlinked, sla_applied, sla_warning or sla_breached' })
  action: string;
  @Field(() => String, { nullable: true, description: 'The field an update is about (status, priority, assignee, tags...), the metric of an SLA entry, the relation of a link.' })
  field: string | null;
  @Field(() => String, { nullable: true, description: 'Text; JSON for lists and objects.' }) oldValue: string | null;
  @Field(() => String, { nullable: true }) newValue: string | null;
  @Field() createdAt: Date;
}

@ObjectType({ description: 'A case that outlives a conversation: a complaint, a refund, a lost parcel...' })
@Directive('@key(fields: "id")')
export class Ticket {
  @Field(() => ID) id: string;
  @Field() subject: string;
  @Field(() => String, { nullable: true }) description: string | null;
  @Field(() => String, { nullable: true, description: 'The summary of the conversation it was opened from (subject and last customer messages).' })
  summary: string | null;
  @Field({ description: 'order, logistics, quality, refund, complaint or other' }) type: string;
  @Field({ description: 'LOW, NORMAL, HIGH or URGENT' }) priority: string;
  @Field({ description: 'NEW, OPEN, PENDING, ON_HOLD, SOLVED or CLOSED' }) status: string;
  @Field({ description: 'NORMAL, VIP or SVIP: picks the SLA policy with the type.' }) customerLevel: string;
  @Field({ description: 'AGENT, CONVERSATION, RULE or API: how the ticket was opened.' }) source: string;
  @Field() createdAt: Date;
  @Field() updatedAt: Date;
  @Field(() => Date, { nullable: true, description: 'When it was last solved; null while unresolved.' }) solvedAt: Date | null;
  @Field(() => Date, { nullable: true, description: 'The first public comment by staff.' }) firstResponseAt: Date | null;
  // customer, conversation, assignee, group, comments, tags, orderIds, customFields, links, history, sla, mergedInto, mergedFrom: field resolvers
}

@ObjectType({ description: 'A link to another ticket, seen from this one.' })
export class TicketLink {
  @Field({ description: 'duplicate, related or caused_by' }) relation: string;
  @Field({ description: 'OUTGOING: this ticket is caused by (duplicates, relates to) the other; INCOMING: the other way round.' }) direction: string;
  @Field(() => Ticket, { nullable: true, description: 'The other ticket.' }) ticket: Ticket | null;
  @Field() createdBy: string;
  @Field() createdAt: Date;
}

@ObjectType()
export class TicketPage {
  @Field(() => [Ticket]) nodes: Ticket[];
  @Field(() => PageInfo) pageInfo: PageInfo;
}

@InputType()
export class TicketAttachmentInput {
  @Field() @Length(1, 200) name: string;
  @Field(() => Int) @IsInt() @Min(0) @Max(2_147_483_647) size: number;
  @Field() @Length(1, 500) mediaRef: string;
  @Field({ nullable: true }) @IsOptional() @Length(1, 100) contentType?: string;
}

@InputType()
export class CreateTicketInput {
  @Field(() => ID) @IsUUID() customerId: string;
  @Field(() => ID, { nullable: true, description: 'The conversation it is opened from: public comments are sent to the customer there.' })
  @IsOptional() @IsUUID() conversationId?: string;
  @Field() @Length(1, 200) subject: string;
  @Field({ nullable: true }) @IsOptional() @MaxLength(MAX_BODY) description?: string;
  @Field({ nullable: true, description: "The conversation's summary (subject and last customer messages)." }) @IsOptional() @MaxLength(MAX_SUMMARY) summary?: string;
  @Field({ description: 'order, logistics, quality, refund, complaint or other' }) @IsIn(list(TICKET_TYPES)) type: string;
  @Field({ nullable: true, description: 'Defaults to NORMAL.' }) @IsOptional() @IsIn(list(TICKET_PRIORITIES)) priority?: string;
  @Field({ nullable: true, description: 'NORMAL (default), VIP or SVIP, as the customers subgraph knows it.' }) @IsOptional() @IsIn(list(CUSTOMER_LEVELS)) customerLevel?: string;
  @Field(() => ID, { nullable: true, description: 'An agent id.' }) @IsOptional() @IsUUID() assigneeId?: string;
  @Field(() => ID, { nullable: true, description: 'An agent group id.' }) @IsOptional() @IsUUID() groupId?: string;
  @Field(() => [String], { nullable: true, description: 'Order numbers (Taobao tid...), as strings.' })
  @IsOptional() @ArrayMaxSize(MAX_ORDERS) @Matches(ORDER_ID, { each: true, message: ORDER_ID_MESSAGE }) orderIds?: string[];
  @Field(() => [String], { nullable: true }) @IsOptional() @ArrayMaxSize(MAX_TAGS) @Length(1, 64, { each: true }) tags?: string[];
  @Field(() => GraphQLJSONObject, { nullable: true, description: 'Brand-specific fields, at most 8 KB of JSON.' }) @IsOptional() @IsObject() customFields?: JsonObject;
  @Field({ nullable: true, description: 'Makes the call idempotent: a second call with the same key returns the first ticket.' })
  @IsOptional() @Length(1, 100) idempotencyKey?: string;
}

@InputType({ description: 'Only the fields given change; null clears description, summary and customFields.' })
export class UpdateTicketInput {
  @Field(() => ID) @IsUUID() ticketId: string;
  @Field({ nullable: true }) @IsOptional() @Length(1, 200) subject?: string;
  @Field(() => String, { nullable: true }) @IsOptional() @MaxLength(MAX_BODY) description?: string | null;
  @Field(() => String, { nullable: true }) @IsOptional() @MaxLength(MAX_SUMMARY) summary?: string | null;
  @Field({ nullable: true }) @IsOptional() @IsIn(list(TICKET_TYPES)) type?: string;
  @Field({ nullable: true }) @IsOptional() @IsIn(list(TICKET_PRIORITIES)) priority?: string;
  @Field({ nullable: true }) @IsOptional() @IsIn(list(CUSTOMER_LEVELS)) customerLevel?: string;
  @Field(() => [String], { nullable: true, description: 'Replaces the order ids.' })
  @IsOptional() @ArrayMaxSize(MAX_ORDERS) @Matches(ORDER_ID, { each: true, message: ORDER_ID_MESSAGE }) orderIds?: string[];
  @Field(() => [String], { nullable: true, description: 'Replaces the tags.' }) @IsOptional() @ArrayMaxSize(MAX_TAGS) @Length(1, 64, { each: true }) tags?: string[];
  @Field(() => GraphQLJSONObject, { nullable: true, description: 'Replaces the custom fields.' }) @IsOptional() @IsObject() customFields?: JsonObject | null;
}

@InputType({ description: 'Only the fields given change; null unassigns.' })
export class AssignTicketInput {
  @Field(() => ID) @IsUUID() ticketId: string;
  @Field(() => ID, { nullable: true, description: 'An agent id (the JWT sub the agent signs in with).' }) @IsOptional() @IsUUID() assigneeId?: string | null;
  @Field(() => ID, { nullable: true, description: 'An agent group id.' }) @IsOptional() @IsUUID() groupId?: string | null;
}

@InputType()
export class UpdateTicketStatusInput {
  @Field(() => ID) @IsUUID() ticketId: string;
  @Field({ description: 'NEW, OPEN, PENDING, ON_HOLD, SOLVED or CLOSED' }) @IsIn(list(TICKET_STATUSES)) status: string;
}

@InputType()
export class AddTicketCommentInput {
  @Field(() => ID) @IsUUID() ticketId: string;
  @Field() @Length(1, MAX_BODY) body: string;
  @Field({ nullable: true, description: 'Defaults to false (an internal note).' }) @IsOptional() @IsBoolean() public?: boolean;
  @Field(() => [TicketAttachmentInput], { nullable: true }) @IsOptional() @ArrayMaxSize(MAX_ATTACHMENTS) @ValidateNested({ each: true }) attachments?: TicketAttachmentInput[];
}

@InputType()
export class MergeTicketsInput {
  @Field(() => ID, { description: 'The duplicate: it is CLOSED and points at the target.' }) @IsUUID() sourceTicketId: string;
  @Field(() => ID, { description: 'The ticket that carries on.' }) @IsUUID() targetTicketId: string;
}

@InputType()
export class LinkTicketsInput {
  @Field(() => ID) @IsUUID() ticketId: string;
  @Field(() => ID) @IsUUID() linkedTicketId: string;
  @Field({ description: 'duplicate, related, or caused_by (ticketId is caused by linkedTicketId)' }) @IsIn(list(LINK_RELATIONS)) relation: string;
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

@ObjectType()
export class MergeTicketsPayload {
  @Field(() => Ticket, { description: 'The duplicate, now CLOSED.' }) source: Ticket;
  @Field(() => Ticket) target: Ticket;
}

@ObjectType()
export class LinkTicketsPayload {
  @Field(() => Ticket) ticket: Ticket;
  @Field(() => Ticket) linkedTicket: Ticket;
}

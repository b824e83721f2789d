import { ArrayMaxSize, IsBoolean, IsIn, IsInt, IsOptional, IsUUID, Length, Matches, Max, Min, ValidateNested } from 'class-validator';
import { Field, ID, InputType, Int, ObjectType } from 'type-graphql';
import { CUSTOMER_LEVELS, TICKET_TYPES } from '../ticket/ticket.model.js';
import { WEEKDAYS } from './calendar.js';
import { MAX_TARGET_MINUTES } from './sla.service.js';

const list = (values: readonly string[]) => values as unknown as string[];
const HHMM = /^([01]\d|2[0-3]):[0-5]\d$/;
const DATE = /^\d{4}-\d{2}-\d{2}$/;

@ObjectType({ description: 'Opening hours of one weekday (local time of the calendar).' })
export class BusinessHours {
  @Field({ description: 'mon, tue, wed, thu, fri, sat or sun' }) day: string;
  @Field({ description: 'HH:MM' }) start: string;
  @Field({ description: 'HH:MM, or 24:00; at or before start: the shift ends the next day.' }) end: string;
}

@ObjectType({ description: 'The opening hours SLA deadlines are counted on, with public holidays and make-up workdays.' })
export class BusinessCalendar {
  @Field(() => ID) id: string;
  @Field() name: string;
  @Field({ description: 'An IANA time zone, Asia/Shanghai by default.' }) timeZone: string;
  @Field(() => [BusinessHours]) hours: BusinessHours[];
  @Field(() => String, { nullable: true, description: "A shipped holiday set ('cn': Chinese public holidays and 调休 workdays), or null." }) holidaySet: string | null;
  @Field(() => [String], { description: 'Extra closed dates (YYYY-MM-DD).' }) extraHolidays: string[] | null;
  @Field(() => [String], { description: 'Extra working dates (YYYY-MM-DD), worked with Monday\'s hours.' }) extraWorkdays: string[] | null;
  @Field({ description: 'Used by the policies that name no calendar.' }) isDefault: boolean;
  @Field() createdAt: Date;
  @Field() updatedAt: Date;
}

@ObjectType({ description: 'A holiday set shipped as data (subgraphs/tickets/sla/holidays.cn.json).' })
export class HolidaySet {
  @Field(() => ID) id: string;
  @Field() name: string;
  @Field(() => [Int], { description: 'The years it has data for; other years count as having no public holidays.' }) years: number[];
}

@ObjectType({ description: 'First-response and resolution targets for tickets of a type and a customer level.' })
export class SlaPolicy {
  @Field(() => ID) id: string;
  @Field() name: string;
  @Field(() => String, { nullable: true, description: 'A ticket type, or null for any.' }) ticketType: string | null;
  @Field(() => String, { nullable: true, description: 'NORMAL, VIP or SVIP, or null for any.' }) customerLevel: string | null;
  @Field(() => Int, { description: 'Business minutes to the first public reply.' }) firstResponseMinutes: number;
  @Field(() => Int, { description: 'Business minutes to SOLVED.' }) resolutionMinutes: number;
  @Field(() => Int, { description: 'ticket.sla.warning fires when this share of a target has elapsed (0: never).' }) warnPercent: number;
  @Field() createdAt: Date;
  @Field() updatedAt: Date;
  // calendar: field resolver
}

@ObjectType({ description: "A ticket's SLA clock. PENDING and ON_HOLD pause it; SOLVED stops it." })
export class TicketSla {
  @Field(() => Date, { nullable: true, description: 'While paused: where the deadline lands if the clock resumes now.' }) firstResponseDueAt: Date | null;
  @Field(() => Date, { nullable: true }) resolutionDueAt: Date | null;
  @Field() firstResponseBreached: boolean;
  @Field() resolutionBreached: boolean;
  @Field(() => Int, { nullable: true, description: 'Business minutes left on the next target to meet (first response, then resolution); negative when overdue; null once both are met.' })
  remainingBusinessMinutes: number | null;
  @Field(() => Int, { nullable: true }) firstResponseRemainingBusinessMinutes: number | null;
  @Field(() => Int, { nullable: true }) resolutionRemainingBusinessMinutes: number | null;
  @Field() paused: boolean;
  /** for the policy field resolver */
  policyId: string;
}

@InputType()
export class BusinessHoursInput {
  @Field({ description: 'mon, tue, wed, thu, fri, sat or sun' }) @IsIn(list(WEEKDAYS)) day: string;
  @Field() @Matches(HHMM, { message: 'start must be HH:MM' }) start: string;
  @Field() @Matches(/^(([01]\d|2[0-3]):[0-5]\d|24:00)$/, { message: 'end must be HH:MM or 24:00' }) end: string;
}

@InputType()
export class CreateBusinessCalendarInput {
  @Field() @Length(1, 100) name: string;
  @Field({ nullable: true, description: 'Defaults to Asia/Shanghai.' }) @IsOptional() @Length(1, 64) timeZone?: string;
  @Field(() => [BusinessHoursInput]) @ArrayMaxSize(50) @ValidateNested({ each: true }) hours: BusinessHoursInput[];
  @Field(() => String, { nullable: true, description: "Defaults to 'cn'; null for no public holidays." }) @IsOptional() @Length(1, 20) holidaySet?: string | null;
  @Field(() => [String], { nullable: true }) @IsOptional() @ArrayMaxSize(366) @Matches(DATE, { each: true, message: 'dates are YYYY-MM-DD' }) extraHolidays?: string[];
  @Field(() => [String], { nullable: true }) @IsOptional() @ArrayMaxSize(366) @Matches(DATE, { each: true, message: 'dates are YYYY-MM-DD' }) extraWorkdays?: string[];
  @Field({ nullable: true, description: 'Make it the default calendar of the tenant.' }) @IsOptional() @IsBoolean() isDefault?: boolean;
}

@InputType({ description: 'Only the fields given change.' })
export class UpdateBusinessCalendarInput {
  @Field(() => ID) @IsUUID() calendarId: string;
  @Field({ nullable: true }) @IsOptional() @Length(1, 100) name?: string;
  @Field({ nullable: true }) @IsOptional() @Length(1, 64) timeZone?: string;
  @Field(() => [BusinessHoursInput], { nullable: true }) @IsOptional() @ArrayMaxSize(50) @ValidateNested({ each: true }) hours?: BusinessHoursInput[];
  @Field(() => String, { nullable: true }) @IsOptional() @Length(1, 20) holidaySet?: string | null;
  @Field(() => [String], { nullable: true }) @IsOptional() @ArrayMaxSize(366) @Matches(DATE, { each: true, message: 'dates are YYYY-MM-DD' }) extraHolidays?: string[];
  @Field(() => [String], { nullable: true }) @IsOptional() @ArrayMaxSize(366) @Matches(DATE, { each: true, message: 'dates are YYYY-MM-DD' }) extraWorkdays?: string[];
  @Field({ nullable: true }) @IsOptional() @IsBoolean() isDefault?: boolean;
}

@InputType()
export class CreateSlaPolicyInput {
  @Field() @Length(1, 100) name: string;
  @Field(() => String, { nullable: true, description: 'A ticket type; omit for any.' }) @IsOptional() @IsIn(list(TICKET_TYPES)) ticketType?: string;
  @Field(() => String, { nullable: true, description: 'NORMAL, VIP or SVIP; omit for any.' }) @IsOptional() @IsIn(list(CUSTOMER_LEVELS)) customerLevel?: string;
  @Field(() => Int) @IsInt() @Min(1) @Max(MAX_TARGET_MINUTES) firstResponseMinutes: number;
  @Field(() => Int) @IsInt() @Min(1) @Max(MAX_TARGET_MINUTES) resolutionMinutes: number;
  @Field(() => Int, { nullable: true, description: 'Defaults to 80.' }) @IsOptional() @IsInt() @Min(0) @Max(99) warnPercent?: number;
  @Field(() => ID, { nullable: true, description: "Omit for the tenant's default calendar (round the clock without one)." }) @IsOptional() @IsUUID() calendarId?: string;
}

@InputType({ description: 'Only the fields given change; null sets ticketType, customerLevel or calendarId to "any"/default.' })
export class UpdateSlaPolicyInput {
  @Field(() => ID) @IsUUID() policyId: string;
  @Field({ nullable: true }) @IsOptional() @Length(1, 100) name?: string;
  @Field(() => String, { nullable: true }) @IsOptional() @IsIn(list(TICKET_TYPES)) ticketType?: string | null;
  @Field(() => String, { nullable: true }) @IsOptional() @IsIn(list(CUSTOMER_LEVELS)) customerLevel?: string | null;
  @Field(() => Int, { nullable: true }) @IsOptional() @IsInt() @Min(1) @Max(MAX_TARGET_MINUTES) firstResponseMinutes?: number;
  @Field(() => Int, { nullable: true }) @IsOptional() @IsInt() @Min(1) @Max(MAX_TARGET_MINUTES) resolutionMinutes?: number;
  @Field(() => Int, { nullable: true }) @IsOptional() @IsInt() @Min(0) @Max(99) warnPercent?: number;
  @Field(() => ID, { nullable: true }) @IsOptional() @IsUUID() calendarId?: string | null;
}

@InputType()
export class DeleteSlaPolicyInput {
  @Field(() => ID) @IsUUID() policyId: string;
}

@ObjectType()
export class SlaPolicyPayload {
  @Field(() => SlaPolicy) policy: SlaPolicy;
}

@ObjectType()
export class DeleteSlaPolicyPayload {
  @Field(() => ID) deletedPolicyId: string;
}

@ObjectType()
export class BusinessCalendarPayload {
  @Field(() => BusinessCalendar) calendar: BusinessCalendar;
}

import { Column, Entity, Index, PrimaryColumn } from 'typeorm';
import type { BusinessHours } from './calendar.js';

/**
 * Targets for the tickets of one type and one customer level (either may be "any"). The most specific policy
 * wins: type + level, then type, then level, then the tenant's catch-all.
 */
@Entity('sla_policies')
@Index('uq_sla_policies_tenant_match', ['tenantId', 'matchKey'], { unique: true })
export class SlaPolicyEntity {
  @PrimaryColumn({ type: 'varchar', length: 36 })
  id: string;

  @Column({ name: 'tenant_id', type: 'varchar', length: 64 })
  tenantId: string;

  @Column({ name: 'name', type: 'varchar', length: 100 })
  name: string;

  /** A ticket type, or null for any type. */
  @Column({ name: 'ticket_type', type: 'varchar', length: 20, nullable: true })
  ticketType: string | null;

  /** NORMAL | VIP | SVIP, or null for any level. */
  @Column({ name: 'customer_level', type: 'varchar', length: 10, nullable: true })
  customerLevel: string | null;

  /** `<type|*>|<level|*>`: one policy per combination (a unique index cannot hold NULLs apart). */
  @Column({ name: 'match_key', type: 'varchar', length: 40 })
  matchKey: string;

  @Column({ name: 'first_response_minutes', type: 'int' })
  firstResponseMinutes: number;

  @Column({ name: 'resolution_minutes', type: 'int' })
  resolutionMinutes: number;

  /** Warn when this share of a target has elapsed; 0: no warning. */
  @Column({ name: 'warn_percent', type: 'int' })
  warnPercent: number;

  /** The business calendar; null: the tenant's default calendar, or round the clock when it has none. */
  @Column({ name: 'calendar_id', type: 'varchar', length: 36, nullable: true })
  calendarId: string | null;

  @Column({ name: 'created_at', type: 'datetime', precision: 3 })
  createdAt: Date;

  @Column({ name: 'updated_at', type: 'datetime', precision: 3 })
  updatedAt: Date;
}

/** Opening hours of a tenant's service desk, in a time zone, with a holiday set and its own exceptions. */
@Entity('business_calendars')
@Index('idx_business_calendars_tenant', ['tenantId'])
export class BusinessCalendarEntity {
  @PrimaryColumn({ type: 'varchar', length: 36 })
  id: string;

  @Column({ name: 'tenant_id', type: 'varchar', length: 64 })
  tenantId: string;

  @Column({ name: 'name', type: 'varchar', length: 100 })
  name: string;

  @Column({ name: 'time_zone', type: 'varchar', length: 64 })
  timeZone: string;

  /** [{ day: 'mon', start: '09:00', end: '18:00' }, ...] */
  @Column({ name: 'hours', type: 'json' })
  hours: BusinessHours[];

  /** The id of a shipped holiday set (holidays.cn.json: 'cn'), or null for none. */
  @Column({ name: 'holiday_set', type: 'varchar', length: 20, nullable: true })
  holidaySet: string | null;

  /** Extra closed dates of this desk (YYYY-MM-DD), e.g. a company day off. */
  @Column({ name: 'extra_holidays', type: 'json', nullable: true })
  extraHolidays: string[] | null;

  /** Extra working dates (YYYY-MM-DD) that get the weekday hours. */
  @Column({ name: 'extra_workdays', type: 'json', nullable: true })
  extraWorkdays: string[] | null;

  /** The calendar of policies that name none; one per tenant. */
  @Column({ name: 'is_default', type: 'boolean', default: false })
  isDefault: boolean;

  @Column({ name: 'created_at', type: 'datetime', precision: 3 })
  createdAt: Date;

  @Column({ name: 'updated_at', type: 'datetime', precision: 3 })
  updatedAt: Date;
}

/**
 * One SLA target of one ticket as a running clock (see sla.clock.ts). The scheduler finds what needs attention
 * through next_check_at alone, and claims each warning/breach with a conditional update, so it fires once even
 * when several replicas tick at the same time.
 */
@Entity('ticket_sla_clocks')
@Index('uq_ticket_sla_clocks_ticket_metric', ['tenantId', 'ticketId', 'metric'], { unique: true })
@Index('idx_ticket_sla_clocks_next_check', ['nextCheckAt'])
export class TicketSlaClockEntity {
  @PrimaryColumn({ type: 'varchar', length: 36 })
  id: string;

  @Column({ name: 'tenant_id', type: 'varchar', length: 64 })
  tenantId: string;

  @Column({ name: 'ticket_id', type: 'varchar', length: 36 })
  ticketId: string;

  /** FIRST_RESPONSE | RESOLUTION */
  @Column({ name: 'metric', type: 'varchar', length: 20 })
  metric: string;

  @Column({ name: 'policy_id', type: 'varchar', length: 36 })
  policyId: string;

  /** null: round the clock. */
  @Column({ name: 'calendar_id', type: 'varchar', length: 36, nullable: true })
  calendarId: string | null;

  @Column({ name: 'target_minutes', type: 'int' })
  targetMinutes: number;

  @Column({ name: 'warn_percent', type: 'int' })
  warnPercent: number;

  @Column({ name: 'started_at', type: 'datetime', precision: 3 })
  startedAt: Date;

  /** RUNNING | PAUSED | DONE */
  @Column({ name: 'state', type: 'varchar', length: 10 })
  state: string;

  @Column({ name: 'paused_at', type: 'datetime', precision: 3, nullable: true })
  pausedAt: Date | null;

  /** Business minutes spent paused so far (they move the deadline). */
  @Column({ name: 'paused_minutes', type: 'double', default: 0 })
  pausedMinutes: number;

  @Column({ name: 'due_at', type: 'datetime', precision: 3 })
  dueAt: Date;

  @Column({ name: 'warn_at', type: 'datetime', precision: 3 })
  warnAt: Date;

  @Column({ name: 'achieved_at', type: 'datetime', precision: 3, nullable: true })
  achievedAt: Date | null;

  @Column({ name: 'warned_at', type: 'datetime', precision: 3, nullable: true })
  warnedAt: Date | null;

  @Column({ name: 'breached_at', type: 'datetime', precision: 3, nullable: true })
  breachedAt: Date | null;

  @Column({ name: 'next_check_at', type: 'datetime', precision: 3, nullable: true })
  nextCheckAt: Date | null;
}

import { In, type DataSource, type EntityManager, type FindOptionsWhere, type Repository } from 'typeorm';
import { isUniqueViolation } from '../../_shared/db-errors.js';
import { badInput, conflict, notFound } from '../../_shared/errors.js';
import { newId } from '../../_shared/ids.js';
import { CUSTOMER_LEVELS, TICKET_TYPES, type TicketStatus } from '../ticket/ticket.model.js';
import type { TicketEntity } from '../ticket/ticket.entity.js';
import type { Clock } from '../tickets.clock.js';
import { BusinessCalendar, calendarProblems, type BusinessHours } from './calendar.js';
import { isRealDate, type HolidaySet } from './holidays.js';
import {
  cancelClock, completeClock, pauseClock, resumeClock, retargetClock, startClock, viewClock, type ClockData, type ClockView, type SlaMetric,
} from './sla.clock.js';
import { BusinessCalendarEntity, SlaPolicyEntity, TicketSlaClockEntity } from './sla.entity.js';

export interface PolicyInput {
  name: string;
  ticketType?: string | null;
  customerLevel?: string | null;
  firstResponseMinutes: number;
  resolutionMinutes: number;
  warnPercent?: number | null;
  calendarId?: string | null;
}

export interface CalendarInput {
  id?: string;
  name: string;
  timeZone?: string | null;
  hours: BusinessHours[];
  /** undefined: the Chinese set ('cn'); null: no public holidays. */
  holidaySet?: string | null;
  extraHolidays?: string[] | null;
  extraWorkdays?: string[] | null;
  isDefault?: boolean | null;
}

/** A warning or breach that a transition or the scheduler found, to be recorded and announced once. */
export interface SlaNotice {
  ticketId: string;
  metric: SlaMetric;
  kind: 'warning' | 'breached';
  dueAt: Date;
  policyId: string;
}

export interface TicketSlaView {
  policyId: string;
  firstResponse: ClockView | null;
  resolution: ClockView | null;
  paused: boolean;
  /** Business minutes left on the next target to meet (first response, then resolution); null when all are met. */
  remainingMinutes: number | null;
}

export const MAX_TARGET_MINUTES = 525_600; // a year
const PAUSED: ReadonlySet<string> = new Set<TicketStatus>(['PENDING', 'ON_HOLD']);
const STOPPED: ReadonlySet<string> = new Set<TicketStatus>(['SOLVED', 'CLOSED']);

const matchKey = (type: string | null | undefined, level: string | null | undefined) => `${type ?? '*'}|${level ?? '*'}`;

/** On MySQL/MariaDB a row lock; SQLite runs one transaction at a time already (and typeorm refuses the lock there). */
export function rowLock(m: EntityManager): { lock?: { mode: 'pessimistic_write' } } {
  return m.connection.options.type === 'better-sqlite3' ? {} : { lock: { mode: 'pessimistic_write' } };
}

/**
 * SLA policies, business calendars and the clocks of tickets. Policy and calendar methods are scoped by tenant;
 * clock methods run inside the caller's transaction on a ticket the caller has locked.
 */
export class SlaService {
  private readonly policies: Repository<SlaPolicyEntity>;
  private readonly calendars: Repository<BusinessCalendarEntity>;
  private readonly clocks: Repository<TicketSlaClockEntity>;
  /** Built calendars by id and version: they cache the open intervals of the days they have seen. */
  private readonly built = new Map<string, BusinessCalendar>();

  constructor(ds: DataSource, private readonly holidaySets: Map<string, HolidaySet>, private readonly clock: Clock) {
    this.policies = ds.getRepository(SlaPolicyEntity);
    this.calendars = ds.getRepository(BusinessCalendarEntity);
    this.clocks = ds.getRepository(TicketSlaClockEntity);
  }

  // ---- policies

  listPolicies(tenantId: string): Promise<SlaPolicyEntity[]> {
    return this.policies.find({ where: { tenantId }, order: { matchKey: 'ASC' } });
  }

  async policiesByIds(tenantId: string, ids: readonly string[]): Promise<SlaPolicyEntity[]> {
    if (!ids.length) return [];
    return this.policies.findBy({ tenantId, id: In([...ids]) });
  }

  async createPolicy(tenantId: string, input: PolicyInput & { id?: string }): Promise<SlaPolicyEntity> {
    await this.checkPolicy(tenantId, input);
    const now = this.clock.now();
    const p = this.policies.create({
      id: input.id ?? newId(), tenantId, name: input.name, ticketType: input.ticketType ?? null, customerLevel: input.customerLevel ?? null,
      matchKey: matchKey(input.ticketType, input.customerLevel), firstResponseMinutes: input.firstResponseMinutes, resolutionMinutes: input.resolutionMinutes,
      warnPercent: input.warnPercent ?? 80, calendarId: input.calendarId ?? null, createdAt: now, updatedAt: now,
    });
    try {
      await this.policies.insert(p);
    } catch (e) {
      if (isUniqueViolation(e)) throw conflict(`a policy for ${describeMatch(p)} exists already; update it instead`);
      throw e;
    }
    return p;
  }

  /** Changes apply to tickets opened afterwards; running clocks keep the targets they started with. */
  async updatePolicy(tenantId: string, id: string, changes: Partial<PolicyInput>): Promise<SlaPolicyEntity> {
    const p = await this.policies.findOneBy({ tenantId, id });
    if (!p) throw notFound('SLA policy', id);
    const next = { ...p };
    for (const k of ['name', 'ticketType', 'customerLevel', 'firstResponseMinutes', 'resolutionMinutes', 'warnPercent', 'calendarId'] as const) {
      if (changes[k] !== undefined) (next as Record<string, unknown>)[k] = changes[k];
    }
    if (next.name == null) throw badInput('name cannot be cleared', 'name');
    for (const k of ['firstResponseMinutes', 'resolutionMinutes', 'warnPercent'] as const) if (next[k] == null) throw badInput(`${k} cannot be cleared`, k);
    await this.checkPolicy(tenantId, next);
    next.matchKey = matchKey(next.ticketType, next.customerLevel);
    next.updatedAt = this.clock.now();
    try {
      await this.policies.update({ tenantId, id }, next);
    } catch (e) {
      if (isUniqueViolation(e)) throw conflict(`a policy for ${describeMatch(next)} exists already`);
      throw e;
    }
    return next;
  }

  /** Tickets that run on it keep their clocks (they show no policy anymore). */
  async deletePolicy(tenantId: string, id: string): Promise<void> {
    const res = await this.policies.delete({ tenantId, id });
    if (!res.affected) throw notFound('SLA policy', id);
  }

  private async checkPolicy(tenantId: string, p: PolicyInput): Promise<void> {
    if (!p.name?.trim() || p.name.length > 100) throw badInput('name must be 1 to 100 characters', 'name');
    if (p.ticketType != null && !(TICKET_TYPES as readonly string[]).includes(p.ticketType)) throw badInput(`ticketType must be one of ${TICKET_TYPES.join(', ')}`, 'ticketType');
    if (p.customerLevel != null && !(CUSTOMER_LEVELS as readonly string[]).includes(p.customerLevel)) throw badInput(`customerLevel must be one of ${CUSTOMER_LEVELS.join(', ')}`, 'customerLevel');
    for (const k of ['firstResponseMinutes', 'resolutionMinutes'] as const) {
      if (!Number.isInteger(p[k]) || p[k] < 1 || p[k] > MAX_TARGET_MINUTES) throw badInput(`${k} must be a whole number of minutes from 1 to ${MAX_TARGET_MINUTES}`, k);
    }
    if (p.firstResponseMinutes > p.resolutionMinutes) throw badInput('firstResponseMinutes cannot exceed resolutionMinutes', 'firstResponseMinutes');
    const warn = p.warnPercent ?? 80;
    if (!Number.isInteger(warn) || warn < 0 || warn > 99) throw badInput('warnPercent must be 0 (no warning) to 99', 'warnPercent');
    if (p.calendarId && !(await this.calendars.existsBy({ tenantId, id: p.calendarId }))) throw notFound('business calendar', p.calendarId);
  }

  // ---- calendars

  listCalendars(tenantId: string): Promise<BusinessCalendarEntity[]> {
    return this.calendars.find({ where: { tenantId }, order: { createdAt: 'ASC', id: 'ASC' } });
  }

  async calendarsByIds(tenantId: string, ids: readonly string[]): Promise<BusinessCalendarEntity[]> {
    if (!ids.length) return [];
    return this.calendars.findBy({ tenantId, id: In([...ids]) });
  }

  holidaySetList(): HolidaySet[] {
    return [...this.holidaySets.values()];
  }

  async createCalendar(tenantId: string, input: CalendarInput): Promise<BusinessCalendarEntity> {
    const now = this.clock.now();
    const c = this.calendars.create({
      id: input.id ?? newId(), tenantId, name: input.name, timeZone: input.timeZone ?? 'Asia/Shanghai', hours: input.hours,
      holidaySet: input.holidaySet === undefined ? 'cn' : input.holidaySet, extraHolidays: input.extraHolidays ?? null, extraWorkdays: input.extraWorkdays ?? null,
      isDefault: input.isDefault ?? false, createdAt: now, updatedAt: now,
    });
    this.checkCalendar(c);
    await this.calendars.manager.transaction(async (m) => {
      if (c.isDefault) await m.update(BusinessCalendarEntity, { tenantId, isDefault: true }, { isDefault: false, updatedAt: now });
      await m.insert(BusinessCalendarEntity, c);
    });
    return c;
  }

  /** New hours apply to tickets opened afterwards and to running clocks when they next move (pause, resume, retarget). */
  async updateCalendar(tenantId: string, id: string, changes: Partial<CalendarInput>): Promise<BusinessCalendarEntity> {
    return this.calendars.manager.transaction(async (m) => {
      const c = await m.findOneBy(BusinessCalendarEntity, { tenantId, id });
      if (!c) throw notFound('business calendar', id);
      for (const k of ['name', 'timeZone', 'hours', 'holidaySet', 'extraHolidays', 'extraWorkdays', 'isDefault'] as const) {
        if (changes[k] !== undefined) (c as unknown as Record<string, unknown>)[k] = changes[k];
      }
      if (c.name == null || c.timeZone == null || c.hours == null || c.isDefault == null) throw badInput('name, timeZone, hours and isDefault cannot be cleared');
      this.checkCalendar(c);
      c.updatedAt = new Date(Math.max(this.clock.now().getTime(), c.updatedAt.getTime() + 1));
      if (changes.isDefault) await m.update(BusinessCalendarEntity, { tenantId, isDefault: true }, { isDefault: false, updatedAt: c.updatedAt });
      await m.update(BusinessCalendarEntity, { tenantId, id }, c);
      return c;
    });
  }

  private checkCalendar(c: BusinessCalendarEntity): void {
    if (!c.name?.trim() || c.name.length > 100) throw badInput('name must be 1 to 100 characters', 'name');
    const problems = calendarProblems({ timeZone: c.timeZone, hours: c.hours });
    if (problems.length) throw badInput(problems.join('; '), problems[0].startsWith('timeZone') ? 'timeZone' : 'hours');
    if (c.hours.length > 50) throw badInput('at most 50 shifts', 'hours');
    if (c.holidaySet != null && !this.holidaySets.has(c.holidaySet)) throw badInput(`holidaySet must be one of ${[...this.holidaySets.keys()].join(', ')}`, 'holidaySet');
    for (const k of ['extraHolidays', 'extraWorkdays'] as const) {
      const dates = c[k] ?? [];
      if (dates.length > 366) throw badInput('at most 366 dates', k);
      const bad = dates.find((d) => !isRealDate(d));
      if (bad) throw badInput(`${bad} is not a YYYY-MM-DD date`, k);
    }
    const both = (c.extraHolidays ?? []).find((d) => (c.extraWorkdays ?? []).includes(d));
    if (both) throw badInput(`${both} cannot be both an extra holiday and an extra workday`, 'extraWorkdays');
  }

  /** The calendar math for a stored calendar; round the clock without one. */
  calendarFor(c: BusinessCalendarEntity | null | undefined): BusinessCalendar {
    if (!c) return ALWAYS_OPEN;
    const key = `${c.id}:${c.updatedAt.getTime()}`;
    let cal = this.built.get(key);
    if (!cal) {
      const set = c.holidaySet ? this.holidaySets.get(c.holidaySet) : undefined;
      const extraWorkdays = new Set(c.extraWorkdays ?? []);
      // A desk's own workday overrides a public holiday on that date; its own holiday adds to them.
      const holidays = [...(set?.holidays ?? []), ...(c.extraHolidays ?? [])].filter((d) => !extraWorkdays.has(d));
      cal = BusinessCalendar.of({ timeZone: c.timeZone, hours: c.hours, holidays, workdays: [...(set?.workdays ?? []), ...extraWorkdays] });
      if (this.built.size >= 500) this.built.clear();
      this.built.set(key, cal);
    }
    return cal;
  }

  // ---- clocks (inside the caller's transaction)

  async clocksOf(tenantId: string, ticketIds: readonly string[]): Promise<TicketSlaClockEntity[]> {
    if (!ticketIds.length) return [];
    return this.clocks.find({ where: { tenantId, ticketId: In([...ticketIds]) }, order: { metric: 'ASC' } });
  }

  /** The most specific policy for a type and a level: type+level, type, level, catch-all. */
  async matchPolicy(m: EntityManager, tenantId: string, type: string, level: string): Promise<SlaPolicyEntity | null> {
    const order = [matchKey(type, level), matchKey(type, null), matchKey(null, level), matchKey(null, null)];
    const found = await m.find(SlaPolicyEntity, { where: { tenantId, matchKey: In(order) } });
    return order.map((k) => found.find((p) => p.matchKey === k)).find(Boolean) ?? null;
  }

  /** Starts the clocks of a new ticket under its policy; null when no policy applies. */
  async startClocks(m: EntityManager, t: TicketEntity, at: Date): Promise<SlaPolicyEntity | null> {
    const policy = await this.matchPolicy(m, t.tenantId, t.type, t.customerLevel);
    if (!policy) return null;
    const calendar = await this.calendarOfPolicy(m, t.tenantId, policy);
    const cal = this.calendarFor(calendar);
    const rows = (['FIRST_RESPONSE', 'RESOLUTION'] as const).map((metric) =>
      toRow(t, policy.id, calendar?.id ?? null, startClock(cal, metric, metric === 'FIRST_RESPONSE' ? policy.firstResponseMinutes : policy.resolutionMinutes, policy.warnPercent, at)),
    );
    await m.insert(TicketSlaClockEntity, rows);
    return policy;
  }

  /**
   * The ticket's type or customer level changed: its clocks follow the policy that matches now (same start, same
   * pauses, new targets). A ticket that matches no policy any more drops the clocks that are not finished.
   */
  async reapply(m: EntityManager, t: TicketEntity, at: Date): Promise<{ changed: boolean; from: SlaPolicyEntity | null; to: SlaPolicyEntity | null }> {
    const clocks = await this.lockedClocks(m, t);
    const policy = await this.matchPolicy(m, t.tenantId, t.type, t.customerLevel);
    const currentId = clocks[0]?.policyId ?? null;
    const [from] = currentId ? await m.findBy(SlaPolicyEntity, { tenantId: t.tenantId, id: currentId }) : [];
    if ((policy?.id ?? null) === currentId) return { changed: false, from: from ?? null, to: policy };
    if (!clocks.length) {
      if (STOPPED.has(t.status)) return { changed: false, from: null, to: null };
      await this.startClocks(m, t, at);
      if (PAUSED.has(t.status)) await this.onStatusChange(m, t, 'OPEN', t.status, at);
      return { changed: true, from: null, to: policy };
    }
    if (!policy) {
      const open = clocks.filter((c) => c.state !== 'DONE').map((c) => c.id);
      if (open.length) await m.delete(TicketSlaClockEntity, { id: In(open) });
      return { changed: true, from: from ?? null, to: null };
    }
    for (const c of clocks) {
      const cal = await this.calendarOfClock(m, c);
      const target = c.metric === 'FIRST_RESPONSE' ? policy.firstResponseMinutes : policy.resolutionMinutes;
      const next = retargetClock(cal, toData(c), target, policy.warnPercent);
      await m.update(TicketSlaClockEntity, { id: c.id }, { ...fromData(next), policyId: policy.id });
    }
    return { changed: true, from: from ?? null, to: policy };
  }

  /** NEW/OPEN run the clocks, PENDING/ON_HOLD pause them, SOLVED/CLOSED stop them; reopening resumes resolution. */
  async onStatusChange(m: EntityManager, t: TicketEntity, from: string, to: string, at: Date): Promise<SlaNotice[]> {
    const notices: SlaNotice[] = [];
    for (const c of await this.lockedClocks(m, t)) {
      const cal = await this.calendarOfClock(m, c);
      const original = toData(c);
      let data = original;
      let breached = false;
      if (STOPPED.has(to)) ({ clock: data, breached } = completeClock(cal, data, at));
      else {
        if (STOPPED.has(from) || PAUSED.has(from)) data = resumeClock(cal, data, at);
        if (PAUSED.has(to)) ({ clock: data, breached } = pauseClock(data, at));
      }
      if (data === original) continue; // transitions return the same object when nothing changes
      await m.update(TicketSlaClockEntity, { id: c.id }, fromData(data));
      if (breached) notices.push({ ticketId: t.id, metric: data.metric, kind: 'breached', dueAt: data.dueAt, policyId: c.policyId });
    }
    return notices;
  }

  /** The first public reply of staff meets the first-response target. */
  async onFirstResponse(m: EntityManager, t: TicketEntity, at: Date): Promise<SlaNotice[]> {
    const c = (await this.lockedClocks(m, t)).find((x) => x.metric === 'FIRST_RESPONSE');
    if (!c || c.state === 'DONE') return [];
    const { clock, breached } = completeClock(await this.calendarOfClock(m, c), toData(c), at);
    await m.update(TicketSlaClockEntity, { id: c.id }, fromData(clock));
    return breached ? [{ ticketId: t.id, metric: 'FIRST_RESPONSE', kind: 'breached', dueAt: clock.dueAt, policyId: c.policyId }] : [];
  }

  /** A merged duplicate: its clocks stop without being judged. */
  async cancel(m: EntityManager, t: TicketEntity, at: Date): Promise<void> {
    for (const c of await this.lockedClocks(m, t)) {
      if (c.state !== 'DONE') await m.update(TicketSlaClockEntity, { id: c.id }, fromData(cancelClock(toData(c), at)));
    }
  }

  /** The clock as a ticket shows it (`Ticket.sla`). */
  view(clocks: TicketSlaClockEntity[], calendars: Map<string, BusinessCalendarEntity | null>, now: Date): TicketSlaView | null {
    if (!clocks.length) return null;
    const views = new Map(clocks.map((c) => [c.metric, viewClock(this.calendarFor(c.calendarId ? calendars.get(c.calendarId) : null), toData(c), now)]));
    const firstResponse = views.get('FIRST_RESPONSE') ?? null;
    const resolution = views.get('RESOLUTION') ?? null;
    const next = [firstResponse, resolution].find((v) => v && v.remainingMinutes !== null);
    return { policyId: clocks[0].policyId, firstResponse, resolution, paused: [...views.values()].some((v) => v.paused), remainingMinutes: next?.remainingMinutes ?? null };
  }

  /** Clock rows of a ticket, locked: the scheduler's claims wait for the caller's transaction and then see its result. */
  private lockedClocks(m: EntityManager, t: TicketEntity): Promise<TicketSlaClockEntity[]> {
    return m.find(TicketSlaClockEntity, { where: { tenantId: t.tenantId, ticketId: t.id } as FindOptionsWhere<TicketSlaClockEntity>, order: { metric: 'ASC' }, ...rowLock(m) });
  }

  private async calendarOfPolicy(m: EntityManager, tenantId: string, p: SlaPolicyEntity): Promise<BusinessCalendarEntity | null> {
    if (p.calendarId) return (await m.findOneBy(BusinessCalendarEntity, { tenantId, id: p.calendarId })) ?? null;
    return (await m.findOne(BusinessCalendarEntity, { where: { tenantId, isDefault: true }, order: { createdAt: 'ASC' } })) ?? null;
  }

  async calendarOfClock(m: EntityManager, c: TicketSlaClockEntity): Promise<BusinessCalendar> {
    if (!c.calendarId) return ALWAYS_OPEN;
    return this.calendarFor(await m.findOneBy(BusinessCalendarEntity, { tenantId: c.tenantId, id: c.calendarId }));
  }
}

const ALWAYS_OPEN = BusinessCalendar.alwaysOpen();

function describeMatch(p: { ticketType: string | null; customerLevel: string | null }): string {
  return `ticket type ${p.ticketType ?? 'any'} and customer level ${p.customerLevel ?? 'any'}`;
}

export function toData(c: TicketSlaClockEntity): ClockData {
  return {
    metric: c.metric as SlaMetric, targetMinutes: c.targetMinutes, warnPercent: c.warnPercent, startedAt: c.startedAt, state: c.state as ClockData['state'],
    pausedAt: c.pausedAt, pausedMinutes: Number(c.pausedMinutes), dueAt: c.dueAt, warnAt: c.warnAt, achievedAt: c.achievedAt, warnedAt: c.warnedAt,
    breachedAt: c.breachedAt, nextCheckAt: c.nextCheckAt,
  };
}

export function fromData(d: ClockData): Partial<TicketSlaClockEntity> {
  return {
    targetMinutes: d.targetMinutes, warnPercent: d.warnPercent, state: d.state, pausedAt: d.pausedAt, pausedMinutes: d.pausedMinutes, dueAt: d.dueAt,
    warnAt: d.warnAt, achievedAt: d.achievedAt, warnedAt: d.warnedAt, breachedAt: d.breachedAt, nextCheckAt: d.nextCheckAt,
  };
}

function toRow(t: TicketEntity, policyId: string, calendarId: string | null, d: ClockData): TicketSlaClockEntity {
  return Object.assign(new TicketSlaClockEntity(), { id: newId(), tenantId: t.tenantId, ticketId: t.id, metric: d.metric, policyId, calendarId, startedAt: d.startedAt, ...fromData(d) });
}

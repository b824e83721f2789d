/**
 * Business-hours arithmetic on a calendar: weekly opening hours in a time zone, minus holidays, plus make-up
 * workdays (调休上班日). Pure: no I/O, no clock. SLA deadlines are "N business minutes after T" (addMinutes) and
 * elapsed/remaining business time is measured with minutesBetween.
 *
 * Rules:
 * - Hours are given per weekday as 'HH:MM'-'HH:MM' in the calendar's time zone. An end at or before the start
 *   ('22:00'-'06:00') is an overnight shift that ends the next day; '24:00' ends at midnight.
 * - A shift belongs to the local date it starts on: a holiday removes that date's shifts (also the overnight
 *   part that runs into the next day).
 * - A make-up workday works a normal weekday: it gets the hours of `makeUpDay` (Monday unless said otherwise),
 *   whatever hours its own weekday has.
 * - Time-zone offsets come from Intl, so zones with daylight saving work too (Asia/Shanghai has none).
 */

export const WEEKDAYS = ['sun', 'mon', 'tue', 'wed', 'thu', 'fri', 'sat'] as const;
export type Weekday = (typeof WEEKDAYS)[number];

export interface BusinessHours {
  day: Weekday;
  start: string;
  end: string;
}

export interface CalendarSpec {
  timeZone: string;
  hours: BusinessHours[];
  holidays?: Iterable<string>;
  workdays?: Iterable<string>;
  makeUpDay?: Weekday;
}

const MINUTE = 60_000;
const DAY = 86_400_000;
/** A calendar that finds no open minute within this many days is treated as broken rather than looped on forever. */
const MAX_SCAN_DAYS = 3 * 366;
const HHMM = /^([01]\d|2[0-3]):[0-5]\d$/;

/** Problems with a set of hours and a time zone, for input validation; empty when they are usable. */
export function calendarProblems(spec: Pick<CalendarSpec, 'timeZone' | 'hours'>): string[] {
  const problems: string[] = [];
  if (!isTimeZone(spec.timeZone)) problems.push(`timeZone ${spec.timeZone} is not an IANA time zone`);
  if (!spec.hours.length) problems.push('hours must have at least one shift');
  for (const h of spec.hours) {
    if (!(WEEKDAYS as readonly string[]).includes(h.day)) problems.push(`day ${h.day} must be one of ${WEEKDAYS.join(', ')}`);
    if (!HHMM.test(h.start)) problems.push(`start ${h.start} must be HH:MM`);
    if (!HHMM.test(h.end) && h.end !== '24:00') problems.push(`end ${h.end} must be HH:MM or 24:00`);
    if (h.start === h.end) problems.push(`shift ${h.day} ${h.start}-${h.end} is empty`);
  }
  return problems;
}

export function isTimeZone(tz: string): boolean {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: tz });
    return true;
  } catch {
    return false;
  }
}

const toMinutes = (hhmm: string) => Number(hhmm.slice(0, 2)) * 60 + Number(hhmm.slice(3, 5));

type Interval = readonly [number, number];

export class BusinessCalendar {
  /** Open all the time: business minutes are wall-clock minutes (used when a tenant has no calendar). */
  static readonly ALWAYS_OPEN_ZONE = 'UTC';

  private readonly shifts: Map<Weekday, Array<[number, number]>>;
  private readonly holidays: ReadonlySet<string>;
  private readonly workdays: ReadonlySet<string>;
  private readonly makeUpDay: Weekday;
  private readonly format: Intl.DateTimeFormat;
  private readonly dayCache = new Map<string, Interval[]>();

  private constructor(readonly timeZone: string, hours: BusinessHours[], holidays: Iterable<string>, workdays: Iterable<string>, makeUpDay: Weekday, private readonly alwaysOpen: boolean) {
    this.shifts = new Map(WEEKDAYS.map((d) => [d, [] as Array<[number, number]>]));
    for (const h of hours) {
      const start = toMinutes(h.start);
      const rawEnd = h.end === '24:00' ? 1440 : toMinutes(h.end);
      this.shifts.get(h.day)!.push([start, rawEnd <= start ? rawEnd + 1440 : rawEnd]);
    }
    for (const s of this.shifts.values()) s.sort((a, b) => a[0] - b[0]);
    this.holidays = new Set(holidays);
    this.workdays = new Set(workdays);
    this.makeUpDay = makeUpDay;
    this.format = new Intl.DateTimeFormat('en-US', {
      timeZone,
      hourCycle: 'h23',
      year: 'numeric',
      month: '2-digit',
      day: '2-digit',
      hour: '2-digit',
      minute: '2-digit',
      second: '2-digit',
    });
  }

  static of(spec: CalendarSpec): BusinessCalendar {
    const problems = calendarProblems(spec);
    if (problems.length) throw new Error(`invalid business calendar: ${problems.join('; ')}`);
    return new BusinessCalendar(spec.timeZone, spec.hours, spec.holidays ?? [], spec.workdays ?? [], spec.makeUpDay ?? 'mon', false);
  }

  static alwaysOpen(): BusinessCalendar {
    return new BusinessCalendar(BusinessCalendar.ALWAYS_OPEN_ZONE, [], [], [], 'mon', true);
  }

  /** The instant `minutes` business minutes after `start` (start itself when minutes <= 0). */
  addMinutes(start: Date, minutes: number): Date {
    if (minutes <= 0) return new Date(start.getTime());
    if (this.alwaysOpen) return new Date(start.getTime() + minutes * MINUTE);
    let cursor = start.getTime();
    let left = Math.round(minutes * MINUTE);
    let day = this.shiftDay(this.localDate(cursor), -1); // yesterday's overnight shift may still be open
    for (let i = 0; i < MAX_SCAN_DAYS; i++, day = this.shiftDay(day, 1)) {
      for (const [s, e] of this.intervals(day)) {
        if (e <= cursor) continue;
        const from = Math.max(s, cursor);
        if (left <= e - from) return new Date(from + left);
        left -= e - from;
        cursor = e;
      }
    }
    throw new Error(`business calendar has no open hours within ${MAX_SCAN_DAYS} days`);
  }

  /** Business minutes in [from, to); negative when to is before from. */
  minutesBetween(from: Date, to: Date): number {
    const a = from.getTime();
    const b = to.getTime();
    if (b < a) return -this.minutesBetween(to, from);
    if (b === a) return 0;
    if (this.alwaysOpen) return (b - a) / MINUTE;
    let cursor = a;
    let total = 0;
    let day = this.shiftDay(this.localDate(a), -1);
    // Days start in order and each day's shifts are sorted, so shift starts only grow: stop at the first one past b.
    for (let i = 0; i < (b - a) / DAY + 3; i++, day = this.shiftDay(day, 1)) {
      for (const [s, e] of this.intervals(day)) {
        if (s >= b) return total / MINUTE;
        if (e <= cursor) continue;
        const end = Math.min(e, b);
        total += end - Math.max(s, cursor);
        cursor = end;
        if (cursor >= b) return total / MINUTE;
      }
    }
    return total / MINUTE;
  }

  isOpen(at: Date): boolean {
    return this.minutesBetween(at, new Date(at.getTime() + 1)) > 0;
  }

  /** The local calendar date (YYYY-MM-DD) of an instant in this calendar's time zone. */
  localDate(ms: number): string {
    const p = this.parts(ms);
    return `${p.y}-${String(p.m).padStart(2, '0')}-${String(p.d).padStart(2, '0')}`;
  }

  /** Open intervals (UTC ms) of the shifts that start on a local date. */
  private intervals(date: string): Interval[] {
    let cached = this.dayCache.get(date);
    if (cached) return cached;
    cached = this.computeIntervals(date);
    if (this.dayCache.size > 4000) this.dayCache.clear();
    this.dayCache.set(date, cached);
    return cached;
  }

  private computeIntervals(date: string): Interval[] {
    if (this.holidays.has(date)) return [];
    const [y, m, d] = date.split('-').map(Number);
    const weekday = WEEKDAYS[new Date(Date.UTC(y, m - 1, d)).getUTCDay()];
    const shifts = this.shifts.get(this.workdays.has(date) ? this.makeUpDay : weekday)!;
    return shifts.map(([s, e]) => [this.localToUtc(y, m, d, s), this.localToUtc(y, m, d, e)] as const);
  }

  private shiftDay(date: string, days: number): string {
    const [y, m, d] = date.split('-').map(Number);
    return new Date(Date.UTC(y, m - 1, d + days)).toISOString().slice(0, 10);
  }

  private parts(ms: number): { y: number; m: number; d: number; h: number; mi: number; s: number } {
    const out: Record<string, number> = {};
    for (const p of this.format.formatToParts(new Date(ms))) if (p.type !== 'literal') out[p.type] = Number(p.value);
    return { y: out.year, m: out.month, d: out.day, h: out.hour, mi: out.minute, s: out.second };
  }

  /** Offset of the zone from UTC at an instant, in ms (Asia/Shanghai: +8 h). */
  private offsetAt(ms: number): number {
    const p = this.parts(ms);
    return Date.UTC(p.y, p.m - 1, p.d, p.h, p.mi, p.s) - Math.floor(ms / 1000) * 1000;
  }

  /** The instant of a local wall-clock time (minutes past local midnight of y-m-d, may exceed a day). */
  private localToUtc(y: number, m: number, d: number, minutes: number): number {
    const naive = Date.UTC(y, m - 1, d) + minutes * MINUTE;
    const first = naive - this.offsetAt(naive);
    const second = naive - this.offsetAt(first);
    return second;
  }
}

import type { BusinessCalendar } from './calendar.js';

/**
 * One SLA target of one ticket (first response or resolution) as a clock on a business calendar. Pure state
 * transitions; the service persists the result and the scheduler acts on `nextCheckAt`.
 *
 * The deadline is always derivable: dueAt = startedAt + (target + pausedMinutes) business minutes, where
 * pausedMinutes are the business minutes the clock spent paused (PENDING / ON_HOLD) or stopped and reopened.
 * While paused the stored dueAt is the one from before the pause; views project it from now.
 */

export const SLA_METRICS = ['FIRST_RESPONSE', 'RESOLUTION'] as const;
export type SlaMetric = (typeof SLA_METRICS)[number];
export type ClockState = 'RUNNING' | 'PAUSED' | 'DONE';

export interface ClockData {
  metric: SlaMetric;
  targetMinutes: number;
  /** Warn once this share of the target has elapsed; 0 disables the warning. */
  warnPercent: number;
  startedAt: Date;
  state: ClockState;
  pausedAt: Date | null;
  pausedMinutes: number;
  dueAt: Date;
  warnAt: Date;
  achievedAt: Date | null;
  warnedAt: Date | null;
  breachedAt: Date | null;
  /** When the scheduler must look at this clock next (warning or breach); null when nothing is pending. */
  nextCheckAt: Date | null;
}

/** What a transition found out, for the caller to record and announce (once: the flags are set in the row). */
export interface ClockOutcome {
  clock: ClockData;
  breached: boolean;
}

export function startClock(cal: BusinessCalendar, metric: SlaMetric, targetMinutes: number, warnPercent: number, at: Date): ClockData {
  return schedule(cal, {
    metric, targetMinutes, warnPercent, startedAt: at, state: 'RUNNING', pausedAt: null, pausedMinutes: 0,
    dueAt: at, warnAt: at, achievedAt: null, warnedAt: null, breachedAt: null, nextCheckAt: null,
  });
}

/** Recomputes dueAt/warnAt from the start, the target and the paused minutes, and the next check. */
export function schedule(cal: BusinessCalendar, c: ClockData): ClockData {
  const dueAt = cal.addMinutes(c.startedAt, c.targetMinutes + c.pausedMinutes);
  const warnAt = c.warnPercent > 0 ? cal.addMinutes(c.startedAt, (c.targetMinutes * c.warnPercent) / 100 + c.pausedMinutes) : dueAt;
  const next = { ...c, dueAt, warnAt };
  return { ...next, nextCheckAt: nextCheck(next) };
}

export function nextCheck(c: ClockData): Date | null {
  if (c.state !== 'RUNNING') return null;
  if (!c.warnedAt && !c.breachedAt && c.warnPercent > 0 && c.warnAt < c.dueAt) return c.warnAt;
  if (!c.breachedAt) return c.dueAt;
  return null;
}

/** A running clock stops counting (ticket PENDING / ON_HOLD). A deadline already passed is a breach. */
export function pauseClock(c: ClockData, at: Date): ClockOutcome {
  if (c.state !== 'RUNNING') return { clock: c, breached: false };
  const breached = !c.breachedAt && at > c.dueAt;
  return { clock: { ...c, state: 'PAUSED', pausedAt: at, breachedAt: breached ? at : c.breachedAt, nextCheckAt: null }, breached };
}

/**
 * A paused clock counts again; a RESOLUTION clock stopped by solving counts again when the ticket reopens.
 * The business minutes spent paused (or solved) move the deadline.
 */
export function resumeClock(cal: BusinessCalendar, c: ClockData, at: Date): ClockData {
  const since = c.state === 'PAUSED' ? c.pausedAt : c.state === 'DONE' && c.metric === 'RESOLUTION' ? c.achievedAt : null;
  if (!since) return c;
  const paused = Math.max(0, cal.minutesBetween(since, at));
  return schedule(cal, { ...c, state: 'RUNNING', pausedAt: null, achievedAt: null, pausedMinutes: c.pausedMinutes + paused });
}

/** The target is met (first public reply, or solved) at `at`; late when after the deadline. */
export function completeClock(cal: BusinessCalendar, c: ClockData, at: Date): ClockOutcome {
  if (c.state === 'DONE') return { clock: c, breached: false };
  const running = c.state === 'PAUSED' ? resumeClock(cal, c, at) : c;
  const breached = !running.breachedAt && at > running.dueAt;
  return { clock: { ...running, state: 'DONE', achievedAt: at, breachedAt: breached ? at : running.breachedAt, nextCheckAt: null }, breached };
}

/** Stops the clock without judging it (the ticket was merged into another). */
export function cancelClock(c: ClockData, at: Date): ClockData {
  if (c.state === 'DONE') return c;
  return { ...c, state: 'DONE', achievedAt: at, pausedAt: null, nextCheckAt: null };
}

/** A new target (the ticket's type or customer level now matches another policy): same start, same pauses. */
export function retargetClock(cal: BusinessCalendar, c: ClockData, targetMinutes: number, warnPercent: number): ClockData {
  if (c.state === 'DONE') return c;
  const next = { ...c, targetMinutes, warnPercent };
  if (c.state === 'PAUSED') return { ...next, ...pick(schedule(cal, next), 'dueAt', 'warnAt'), nextCheckAt: null };
  return schedule(cal, next);
}

const pick = <T, K extends keyof T>(o: T, ...keys: K[]): Pick<T, K> => Object.fromEntries(keys.map((k) => [k, o[k]])) as Pick<T, K>;

export interface ClockView {
  /** The deadline; while paused, where it would be if the clock resumed now. */
  dueAt: Date;
  breached: boolean;
  paused: boolean;
  /** Business minutes left (negative: overdue); null once the target is met. */
  remainingMinutes: number | null;
  achievedAt: Date | null;
}

export function viewClock(cal: BusinessCalendar, c: ClockData, now: Date): ClockView {
  if (c.state === 'DONE') return { dueAt: c.dueAt, breached: !!c.breachedAt, paused: false, remainingMinutes: null, achievedAt: c.achievedAt };
  if (c.state === 'PAUSED') {
    const remaining = cal.minutesBetween(c.pausedAt!, c.dueAt);
    return { dueAt: remaining > 0 ? cal.addMinutes(now, remaining) : c.dueAt, breached: !!c.breachedAt, paused: true, remainingMinutes: Math.floor(remaining), achievedAt: null };
  }
  const remaining = cal.minutesBetween(now, c.dueAt);
  return { dueAt: c.dueAt, breached: !!c.breachedAt || now > c.dueAt, paused: false, remainingMinutes: Math.floor(remaining), achievedAt: null };
}

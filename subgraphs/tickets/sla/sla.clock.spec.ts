import { BusinessCalendar, type BusinessHours } from './calendar.js';
import { shippedHolidaySets } from './holidays.js';
import { cancelClock, completeClock, nextCheck, pauseClock, resumeClock, retargetClock, startClock, viewClock } from './sla.clock.js';

const cst = (s: string) => new Date(`${s}+08:00`);
const iso = (d: Date | null) => (d ? new Date(d.getTime() + 8 * 3600_000).toISOString().replace('Z', '').slice(0, 16) : null);
const cn = shippedHolidaySets().get('cn')!;
const hours: BusinessHours[] = (['mon', 'tue', 'wed', 'thu', 'fri'] as const).map((day) => ({ day, start: '09:00', end: '18:00' }));
const cal = BusinessCalendar.of({ timeZone: 'Asia/Shanghai', hours, holidays: cn.holidays, workdays: cn.workdays });

describe('SLA clock', () => {
  it('starts with a deadline and a warning point on the calendar, checked in that order', () => {
    const c = startClock(cal, 'RESOLUTION', 600, 80, cst('2026-03-13T16:00')); // Friday
    expect(iso(c.warnAt)).toBe('2026-03-16T15:00'); // 480 business minutes: 2 h Friday + 6 h Monday
    expect(iso(c.dueAt)).toBe('2026-03-16T17:00'); // 600: 2 h Friday + 8 h Monday
    expect(c.nextCheckAt).toEqual(c.warnAt);
    expect(nextCheck({ ...c, warnedAt: c.warnAt })).toEqual(c.dueAt);
    expect(nextCheck({ ...c, warnedAt: c.warnAt, breachedAt: c.dueAt })).toBeNull();
    expect(startClock(cal, 'FIRST_RESPONSE', 60, 0, cst('2026-03-13T16:00')).nextCheckAt).toEqual(cst('2026-03-13T17:00')); // no warning
  });

  it('pauses (PENDING / ON_HOLD): the time paused, in business minutes, moves the deadline', () => {
    const c = startClock(cal, 'RESOLUTION', 240, 80, cst('2026-03-10T09:00')); // due 13:00
    const paused = pauseClock(c, cst('2026-03-10T10:00'));
    expect(paused).toMatchObject({ breached: false, clock: { state: 'PAUSED', nextCheckAt: null } });
    // the view while paused: 180 minutes were left when it paused; resuming at 17:00 would land next morning
    const v = viewClock(cal, paused.clock, cst('2026-03-10T17:00'));
    expect(v).toMatchObject({ paused: true, breached: false, remainingMinutes: 180 });
    expect(iso(v.dueAt)).toBe('2026-03-11T11:00');
    // resumed the next day at 10:00: paused 8 business hours (10:00–18:00, then 09:00–10:00 = 9 h)
    const resumed = resumeClock(cal, paused.clock, cst('2026-03-11T10:00'));
    expect(resumed.pausedMinutes).toBe(9 * 60);
    expect(iso(resumed.dueAt)).toBe('2026-03-11T13:00');
    expect(resumed.state).toBe('RUNNING');
    // a pause over a night and a weekend costs nothing beyond its business minutes
    const weekend = resumeClock(cal, pauseClock(resumed, cst('2026-03-13T17:30')).clock, cst('2026-03-16T09:00'));
    expect(weekend.pausedMinutes).toBe(9 * 60 + 30);
  });

  it('pausing after the deadline is a breach, found once', () => {
    const c = startClock(cal, 'FIRST_RESPONSE', 30, 80, cst('2026-03-10T09:00'));
    const late = pauseClock(c, cst('2026-03-10T09:45'));
    expect(late.breached).toBe(true);
    expect(late.clock.breachedAt).toEqual(cst('2026-03-10T09:45'));
    const again = pauseClock(resumeClock(cal, late.clock, cst('2026-03-10T10:00')), cst('2026-03-10T11:00'));
    expect(again.breached).toBe(false);
    expect(viewClock(cal, again.clock, cst('2026-03-10T11:00')).breached).toBe(true);
  });

  it('completes on time or late; completing while paused counts from the pause', () => {
    const c = startClock(cal, 'FIRST_RESPONSE', 60, 80, cst('2026-03-10T17:30')); // due 09:30 tomorrow (overnight)
    expect(iso(c.dueAt)).toBe('2026-03-11T09:30');
    expect(completeClock(cal, c, cst('2026-03-11T09:10'))).toMatchObject({ breached: false, clock: { state: 'DONE', nextCheckAt: null } });
    expect(completeClock(cal, c, cst('2026-03-11T09:31')).breached).toBe(true);
    const paused = pauseClock(c, cst('2026-03-10T17:45')).clock;
    const solved = completeClock(cal, paused, cst('2026-03-12T17:00')); // two days later, but the clock was paused
    expect(solved.breached).toBe(false);
    expect(viewClock(cal, solved.clock, cst('2026-03-13T12:00'))).toEqual({ dueAt: solved.clock.dueAt, breached: false, paused: false, remainingMinutes: null, achievedAt: cst('2026-03-12T17:00') });
  });

  it('reopens a solved resolution clock with the solved time added, but never a first-response clock', () => {
    const res = startClock(cal, 'RESOLUTION', 120, 80, cst('2026-03-10T09:00'));
    const solved = completeClock(cal, res, cst('2026-03-10T10:00')).clock;
    const reopened = resumeClock(cal, solved, cst('2026-03-11T10:00'));
    expect(reopened).toMatchObject({ state: 'RUNNING', achievedAt: null, pausedMinutes: 9 * 60 });
    expect(iso(reopened.dueAt)).toBe('2026-03-11T11:00');
    const fr = completeClock(cal, startClock(cal, 'FIRST_RESPONSE', 30, 80, cst('2026-03-10T09:00')), cst('2026-03-10T09:05')).clock;
    expect(resumeClock(cal, fr, cst('2026-03-11T10:00'))).toBe(fr);
  });

  it('reports what is left while running, negative when overdue, across holidays', () => {
    const c = startClock(cal, 'RESOLUTION', 180, 80, cst('2026-09-30T16:00')); // due after 国庆: 10-08 10:00
    expect(iso(c.dueAt)).toBe('2026-10-08T10:00');
    expect(viewClock(cal, c, cst('2026-10-03T12:00'))).toMatchObject({ remainingMinutes: 60, breached: false, paused: false });
    expect(viewClock(cal, c, cst('2026-10-08T11:30'))).toMatchObject({ remainingMinutes: -90, breached: true });
  });

  it('retargets a running or paused clock from its start, keeps finished ones, and cancels without judging', () => {
    const c = startClock(cal, 'RESOLUTION', 60, 50, cst('2026-03-10T09:00'));
    const longer = retargetClock(cal, c, 240, 50);
    expect(iso(longer.dueAt)).toBe('2026-03-10T13:00');
    expect(iso(longer.warnAt)).toBe('2026-03-10T11:00');
    const paused = pauseClock(c, cst('2026-03-10T09:30')).clock;
    const pausedLonger = retargetClock(cal, paused, 240, 50);
    expect(pausedLonger).toMatchObject({ state: 'PAUSED', nextCheckAt: null });
    expect(viewClock(cal, pausedLonger, cst('2026-03-10T09:30')).remainingMinutes).toBe(210);
    const done = completeClock(cal, c, cst('2026-03-10T09:10')).clock;
    expect(retargetClock(cal, done, 5, 50)).toBe(done);
    expect(cancelClock(c, cst('2026-03-10T12:00'))).toMatchObject({ state: 'DONE', breachedAt: null, nextCheckAt: null });
  });
});

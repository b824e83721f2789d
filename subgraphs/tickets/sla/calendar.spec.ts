import { BusinessCalendar, calendarProblems, type BusinessHours } from './calendar.js';
import { shippedHolidaySets } from './holidays.js';

/** Shanghai wall-clock time → instant (UTC+8, no daylight saving). */
const cst = (s: string) => new Date(`${s}+08:00`);
const iso = (d: Date) => new Date(d.getTime() + 8 * 3600_000).toISOString().replace('Z', '').slice(0, 16);

const weekdays = (start: string, end: string): BusinessHours[] => (['mon', 'tue', 'wed', 'thu', 'fri'] as const).map((day) => ({ day, start, end }));
const cn = shippedHolidaySets().get('cn')!;
/** Mon–Fri 09:00–18:00 in Shanghai with the shipped Chinese holidays and make-up workdays. */
const office = BusinessCalendar.of({ timeZone: 'Asia/Shanghai', hours: weekdays('09:00', '18:00'), holidays: cn.holidays, workdays: cn.workdays });

describe('business calendar: deadlines (addMinutes)', () => {
  it('counts inside the day and rolls past closing time to the next morning', () => {
    expect(iso(office.addMinutes(cst('2026-03-10T10:00'), 60))).toBe('2026-03-10T11:00');
    expect(iso(office.addMinutes(cst('2026-03-10T17:30'), 60))).toBe('2026-03-11T09:30');
    // exactly the rest of the day ends at closing time, not the next morning
    expect(iso(office.addMinutes(cst('2026-03-10T17:00'), 60))).toBe('2026-03-10T18:00');
    // opened in the night: the clock starts at 09:00
    expect(iso(office.addMinutes(cst('2026-03-10T23:40'), 30))).toBe('2026-03-11T09:30');
    expect(iso(office.addMinutes(cst('2026-03-11T06:00'), 9 * 60 + 15))).toBe('2026-03-12T09:15');
  });

  it('skips weekends', () => {
    expect(iso(office.addMinutes(cst('2026-03-13T17:00'), 120))).toBe('2026-03-16T10:00'); // Fri → Mon
    expect(iso(office.addMinutes(cst('2026-03-14T12:00'), 30))).toBe('2026-03-16T09:30'); // opened on Saturday
  });

  it('skips public holidays (国庆节 10-01..07) and works the make-up Saturday (10-10)', () => {
    expect(iso(office.addMinutes(cst('2026-09-30T17:00'), 120))).toBe('2026-10-08T10:00');
    expect(iso(office.addMinutes(cst('2026-10-09T17:00'), 120))).toBe('2026-10-10T10:00'); // Saturday, 调休上班
    expect(iso(office.addMinutes(cst('2026-10-10T17:30'), 60))).toBe('2026-10-12T09:30'); // Sunday is still off
  });

  it('crosses the nine days of 春节 2026 with make-up Saturdays on both sides', () => {
    expect(iso(office.addMinutes(cst('2026-02-13T17:00'), 120))).toBe('2026-02-14T10:00'); // Sat 02-14 works
    expect(iso(office.addMinutes(cst('2026-02-14T17:00'), 120))).toBe('2026-02-24T10:00'); // 02-15..23 off
    expect(iso(office.addMinutes(cst('2026-02-27T17:00'), 120))).toBe('2026-02-28T10:00'); // Sat 02-28 works
    expect(iso(office.addMinutes(cst('2025-12-31T17:00'), 120))).toBe('2026-01-04T10:00'); // 元旦 off, Sun 01-04 works
  });

  it('gives a make-up workday the weekday hours even when its own weekday has other hours', () => {
    const cal = BusinessCalendar.of({ timeZone: 'Asia/Shanghai', hours: [...weekdays('09:00', '18:00'), { day: 'sat', start: '10:00', end: '12:00' }], holidays: cn.holidays, workdays: cn.workdays });
    expect(cal.minutesBetween(cst('2026-10-10T00:00'), cst('2026-10-11T00:00'))).toBe(9 * 60); // make-up Saturday: Monday's hours
    expect(cal.minutesBetween(cst('2026-10-17T00:00'), cst('2026-10-18T00:00'))).toBe(2 * 60); // ordinary Saturday
  });

  it('handles overnight shifts that end the next day, and a holiday removes the whole shift', () => {
    // a night desk: Mon–Fri 22:00–06:00
    const night = BusinessCalendar.of({ timeZone: 'Asia/Shanghai', hours: weekdays('22:00', '06:00'), holidays: cn.holidays });
    expect(iso(night.addMinutes(cst('2026-03-13T23:00'), 120))).toBe('2026-03-14T01:00'); // Fri night into Saturday
    expect(iso(night.addMinutes(cst('2026-03-14T05:00'), 30))).toBe('2026-03-14T05:30'); // still inside Friday's shift
    expect(iso(night.addMinutes(cst('2026-03-14T07:00'), 30))).toBe('2026-03-16T22:30'); // weekend: next shift Monday night
    expect(night.minutesBetween(cst('2026-03-13T00:00'), cst('2026-03-14T12:00'))).toBe(6 * 60 + 8 * 60); // Thu's tail + Fri's shift
    // 04-06 (Mon) is 清明: no shift that night; the Tuesday shift starts at 22:00
    expect(iso(night.addMinutes(cst('2026-04-06T21:00'), 60))).toBe('2026-04-07T23:00');
    // a shift ending at midnight
    const evening = BusinessCalendar.of({ timeZone: 'Asia/Shanghai', hours: [{ day: 'wed', start: '20:00', end: '24:00' }] });
    expect(iso(evening.addMinutes(cst('2026-03-11T23:00'), 90))).toBe('2026-03-18T20:30');
  });

  it('is additive, and minutesBetween inverts addMinutes from an open instant', () => {
    let seed = 42;
    const rand = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
    for (let i = 0; i < 200; i++) {
      const start = new Date(cst('2026-01-01T00:00').getTime() + Math.floor(rand() * 360) * 86_400_000 + Math.floor(rand() * 1440) * 60_000);
      const a = Math.floor(rand() * 3000);
      const b = Math.floor(rand() * 3000);
      const once = office.addMinutes(start, a + b);
      expect(office.addMinutes(office.addMinutes(start, a), b).getTime()).toBe(once.getTime());
      expect(office.minutesBetween(start, once)).toBe(a + b);
    }
  });

  it('measures business minutes between two instants (negative backwards, zero on holidays)', () => {
    expect(office.minutesBetween(cst('2026-03-10T08:00'), cst('2026-03-10T20:00'))).toBe(540);
    expect(office.minutesBetween(cst('2026-03-10T20:00'), cst('2026-03-10T08:00'))).toBe(-540);
    expect(office.minutesBetween(cst('2026-03-10T12:00'), cst('2026-03-10T12:00'))).toBe(0);
    expect(office.minutesBetween(cst('2026-10-01T00:00'), cst('2026-10-08T00:00'))).toBe(0);
    // 02-13 (Fri) + 02-14 (make-up Sat) + 02-24 (Tue): 27 hours across 春节
    expect(office.minutesBetween(cst('2026-02-13T09:00'), cst('2026-02-25T09:00'))).toBe(27 * 60);
    expect(office.isOpen(cst('2026-10-10T09:00'))).toBe(true);
    expect(office.isOpen(cst('2026-10-07T10:00'))).toBe(false);
    expect(office.isOpen(cst('2026-03-10T18:00'))).toBe(false);
  });

  it('follows daylight-saving offsets in zones that have them', () => {
    const berlin = BusinessCalendar.of({ timeZone: 'Europe/Berlin', hours: (['sun', 'mon'] as const).map((day) => ({ day, start: '00:00', end: '24:00' })) });
    // 2026-03-29: clocks jump from 02:00 to 03:00, so that Sunday has 23 hours
    expect(berlin.minutesBetween(new Date('2026-03-28T23:00:00Z'), new Date('2026-03-29T22:00:00Z'))).toBe(23 * 60);
    expect(berlin.addMinutes(new Date('2026-03-28T23:00:00Z'), 23 * 60).toISOString()).toBe('2026-03-29T22:00:00.000Z');
  });

  it('is wall-clock time when always open, and refuses unusable hours', () => {
    const always = BusinessCalendar.alwaysOpen();
    expect(always.addMinutes(cst('2026-10-01T00:00'), 90).toISOString()).toBe(cst('2026-10-01T01:30').toISOString());
    expect(always.minutesBetween(cst('2026-10-01T00:00'), cst('2026-10-02T00:00'))).toBe(1440);
    expect(calendarProblems({ timeZone: 'Mars/Olympus', hours: [] })).toEqual(['timeZone Mars/Olympus is not an IANA time zone', 'hours must have at least one shift']);
    expect(calendarProblems({ timeZone: 'Asia/Shanghai', hours: [{ day: 'mon', start: '9:00', end: '25:00' }, { day: 'tue', start: '10:00', end: '10:00' }] })).toHaveLength(3);
    expect(() => BusinessCalendar.of({ timeZone: 'Asia/Shanghai', hours: [] })).toThrow('hours must have at least one shift');
    // only holidays for a year: no open minute found, an error rather than an endless loop
    const closed = BusinessCalendar.of({ timeZone: 'Asia/Shanghai', hours: [{ day: 'mon', start: '09:00', end: '10:00' }], holidays: allMondays() });
    expect(() => closed.addMinutes(cst('2026-01-01T00:00'), 10)).toThrow('no open hours');
  });
});

function allMondays(): string[] {
  const out: string[] = [];
  for (let t = Date.UTC(2025, 11, 29); t < Date.UTC(2030, 0, 1); t += 7 * 86_400_000) out.push(new Date(t).toISOString().slice(0, 10));
  return out;
}

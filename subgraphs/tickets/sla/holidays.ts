import { z } from 'zod';
import shipped from './holidays.cn.json';

/**
 * Public holidays and make-up workdays (调休上班日) are data, not code: they are announced every November by the
 * State Council and differ each year. They live in holidays.cn.json (one entry per holiday set, one block per
 * year, with the notice it comes from); this loader validates and expands them. Adding a year is a data change.
 */

const DATE = /^\d{4}-\d{2}-\d{2}$/;
const date = z.string().regex(DATE, 'must be YYYY-MM-DD').refine((d) => isRealDate(d), 'is not a calendar date');

const yearSchema = z.object({
  source: z.string().min(1),
  holidays: z.array(z.object({ name: z.string().min(1), from: date, to: date })),
  workdays: z.array(z.object({ name: z.string().min(1), date })),
});
const fileSchema = z.record(z.string().regex(/^[a-z][a-z0-9-]{0,19}$/), z.object({ name: z.string().min(1), years: z.record(z.string().regex(/^\d{4}$/), yearSchema) }));

export type HolidayFile = z.infer<typeof fileSchema>;

/** One expanded holiday set: every non-working date and every make-up workday, as local YYYY-MM-DD dates. */
export interface HolidaySet {
  id: string;
  name: string;
  years: number[];
  holidays: ReadonlySet<string>;
  workdays: ReadonlySet<string>;
}

export function isRealDate(d: string): boolean {
  if (!DATE.test(d)) return false;
  const [y, m, day] = d.split('-').map(Number);
  const t = new Date(Date.UTC(y, m - 1, day));
  return t.getUTCFullYear() === y && t.getUTCMonth() === m - 1 && t.getUTCDate() === day;
}

function* datesFrom(from: string, to: string): Generator<string> {
  const [y, m, d] = from.split('-').map(Number);
  for (let t = Date.UTC(y, m - 1, d); ; t += 86_400_000) {
    const s = new Date(t).toISOString().slice(0, 10);
    if (s > to) return;
    yield s;
  }
}

/** Validates a holiday file and expands its ranges. Throws with the offending path when the data is wrong. */
export function parseHolidayFile(raw: unknown): Map<string, HolidaySet> {
  const parsed = fileSchema.safeParse(raw);
  if (!parsed.success) {
    throw new Error(`invalid holiday data: ${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`);
  }
  const sets = new Map<string, HolidaySet>();
  for (const [id, set] of Object.entries(parsed.data)) {
    const holidays = new Set<string>();
    const workdays = new Set<string>();
    for (const [year, y] of Object.entries(set.years)) {
      for (const h of y.holidays) {
        if (h.to < h.from) throw new Error(`invalid holiday data: ${id}.${year} ${h.name}: ${h.to} is before ${h.from}`);
        for (const d of datesFrom(h.from, h.to)) {
          if (!d.startsWith(year)) throw new Error(`invalid holiday data: ${id}.${year} ${h.name}: ${d} is not in ${year}`);
          holidays.add(d);
        }
      }
      for (const w of y.workdays) {
        if (!w.date.startsWith(year)) throw new Error(`invalid holiday data: ${id}.${year} ${w.name}: ${w.date} is not in ${year}`);
        if (holidays.has(w.date)) throw new Error(`invalid holiday data: ${id}.${year}: ${w.date} is both a holiday and a workday`);
        workdays.add(w.date);
      }
    }
    sets.set(id, { id, name: set.name, years: Object.keys(set.years).map(Number).sort(), holidays, workdays });
  }
  return sets;
}

/** The holiday sets shipped with Huiliu (holidays.cn.json). The composition root parses them once and passes them down. */
export function shippedHolidaySets(): Map<string, HolidaySet> {
  return parseHolidayFile(shipped);
}

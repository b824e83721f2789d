import 'reflect-metadata';
import { openDataSource } from '../subgraphs/_shared/data-source.js';
import { createInProcessEventBus } from '../subgraphs/_shared/events.js';
import { createLogger } from '../subgraphs/_shared/logger.js';
import { createMemoryPubSub } from '../subgraphs/_shared/pubsub.js';
import { BusinessCalendar } from '../subgraphs/tickets/sla/calendar.js';
import { shippedHolidaySets } from '../subgraphs/tickets/sla/holidays.js';
import { ticketsSubgraph } from '../subgraphs/tickets/index.js';
import { createTicketsServices } from '../subgraphs/tickets/tickets.services.js';
import { TEST_MYSQL_URL, newTenant } from '../test/helpers/env.js';

/**
 * A small benchmark of the SLA machinery (issue 7 has no figure for tickets), run with
 * `npx tsc -p tsconfig.json && node dist/bench/tickets.bench.js`:
 *  (a) business-calendar math: deadlines and remaining time on the Chinese office calendar, cold and warm,
 *  (b) opening tickets with their SLA clocks on MariaDB (one at a time, as agents do),
 *  (c) one scheduler pass that finds and claims N breaches (each claimed in its own transaction).
 * Sizes: BENCH_TICKETS (default 1000).
 */
const N = Number(process.env.BENCH_TICKETS ?? 1000);

function calendarMath(): void {
  const cn = shippedHolidaySets().get('cn')!;
  const hours = (['mon', 'tue', 'wed', 'thu', 'fri'] as const).map((day) => ({ day, start: '09:00', end: '18:00' }));
  const starts = Array.from({ length: 20_000 }, (_, i) => new Date(Date.UTC(2026, 0, 1) + ((i * 7919) % 360) * 86_400_000 + ((i * 104729) % 1440) * 60_000));
  const time = (label: string, fn: (cal: BusinessCalendar, s: Date) => unknown, fresh: boolean) => {
    let cal = BusinessCalendar.of({ timeZone: 'Asia/Shanghai', hours, holidays: cn.holidays, workdays: cn.workdays });
    const t0 = process.hrtime.bigint();
    for (const s of starts) {
      if (fresh) cal = BusinessCalendar.of({ timeZone: 'Asia/Shanghai', hours, holidays: cn.holidays, workdays: cn.workdays });
      fn(cal, s);
    }
    const us = Number(process.hrtime.bigint() - t0) / 1000 / starts.length;
    console.log(`${label.padEnd(58)} ${us.toFixed(2).padStart(8)} µs/op  ${(1e6 / us).toFixed(0).padStart(8)} ops/s`);
    return us;
  };
  const add = (cal: BusinessCalendar, s: Date) => cal.addMinutes(s, 1440); // 2.7 business days
  const between = (cal: BusinessCalendar, s: Date) => cal.minutesBetween(s, new Date(s.getTime() + 5 * 86_400_000));
  const cold = time('addMinutes(+1440 business min), new calendar each time', add, true);
  const warm = time('addMinutes(+1440 business min), warm day cache', add, false);
  time('minutesBetween(5 calendar days), warm day cache', between, false);
  console.log(`warm/cold speed-up: ${(cold / warm).toFixed(1)}×`);
}

async function database(): Promise<void> {
  const log = createLogger('bench-tickets', 'warn');
  const dataSource = await openDataSource({ url: `${TEST_MYSQL_URL}/huiliu_bench_tickets`, subgraph: 'tickets', entities: ticketsSubgraph.entities, migrations: ticketsSubgraph.migrations, log }, true);
  const events = createInProcessEventBus(log);
  const pubsub = createMemoryPubSub();
  try {
    const s = createTicketsServices({ dataSource, events, pubsub, log });
    const tenant = newTenant('bench');
    const now = { at: new Date('2026-03-10T01:00:00Z') }; // Tuesday 09:00 in Shanghai
    s.clock.now = () => new Date(now.at.getTime());
    // settle clocks that earlier runs left due, so the pass below meets only this run's
    now.at = new Date('2031-01-01T00:00:00Z');
    while ((await s.scheduler.tick(1000)).breaches > 0);
    now.at = new Date('2026-03-10T01:00:00Z');
    const cal = await s.sla.createCalendar(tenant, { name: 'bench', hours: (['mon', 'tue', 'wed', 'thu', 'fri'] as const).map((day) => ({ day, start: '09:00', end: '18:00' })), isDefault: true });
    await s.sla.createPolicy(tenant, { name: 'bench', firstResponseMinutes: 60, resolutionMinutes: 480, calendarId: cal.id });

    const t0 = Date.now();
    for (let i = 0; i < N; i++) await s.tickets.create(tenant, { customerId: null, subject: `工单 ${i}`, type: 'order', tags: ['bench'], orderIds: [String(3862410087654321n + BigInt(i))] }, { id: 'bench', kind: 'AGENT' });
    const createMs = Date.now() - t0;
    console.log(`open ${N} tickets with SLA clocks, tags, order ids, history   ${(createMs / N).toFixed(2)} ms/ticket  ${((N * 1000) / createMs).toFixed(0)} tickets/s`);

    now.at = new Date('2026-03-11T01:00:00Z'); // a day later: every first-response and resolution target is breached
    const t1 = Date.now();
    let breaches = 0;
    for (;;) {
      const r = await s.scheduler.tick(500);
      breaches += r.breaches;
      if (!r.breaches && !r.warnings) break;
    }
    const tickMs = Date.now() - t1;
    console.log(`scheduler: claim and announce ${breaches} breaches                ${(tickMs / breaches).toFixed(2)} ms/breach  ${((breaches * 1000) / tickMs).toFixed(0)} breaches/s`);
  } finally {
    await events.close();
    await dataSource.destroy();
  }
}

async function main() {
  console.log(`tickets bench on ${process.platform}/${process.arch}, node ${process.version}, ${N} tickets`);
  calendarMath();
  await database();
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});

import { randomUUID } from 'node:crypto';
import { DEMO_TENANT, DEMO_TICKET } from '../../_shared/demo-data.js';
import { gql, gqlOk } from '../../../test/helpers/graphql-client.js';
import { newTenant, tokenFor } from '../../../test/helpers/env.js';
import { startTestSubgraph, type TestSubgraph } from '../../../test/helpers/subgraph-harness.js';
import { ticketsSubgraph } from '../index.js';
import type { TicketsServices } from '../tickets.services.js';
import { DEMO_POLICIES } from '../tickets.seed.js';
import {
  BY_ID, collectEvents, COMMENT, CREATE_CALENDAR, CREATE_POLICY, cstOf, DELETE_POLICY, eventually, newTicket, OFFICE_HOURS, repeatUntil, setClock, STATUS,
  subscribe, UPDATE, UPDATE_CALENDAR, UPDATE_POLICY,
} from '../tickets.testing.js';

/**
 * SLA on real MariaDB + Redis, with the subgraph's clock pinned to chosen Shanghai times (the server runs in this
 * process), so deadlines over nights, weekends and 国庆 can be checked. A database of its own: the scheduler sweeps
 * every tenant's clocks of its database.
 */
describe('SLA policies, calendars and clocks', () => {
  const stream = `tickets-sla-${randomUUID().slice(0, 8)}`;
  let a: TestSubgraph;
  let b: TestSubgraph;
  const svc = (sg: TestSubgraph) => sg.services as TicketsServices;

  beforeAll(async () => {
    a = await startTestSubgraph(ticketsSubgraph, { db: 'tickets_sla', stream });
    b = await startTestSubgraph(ticketsSubgraph, { db: 'tickets_sla', stream });
    // Clocks earlier runs left behind are settled first, so the ticks below only meet this run's clocks.
    jest.spyOn(svc(a).clock, 'now').mockReturnValue(new Date('2031-01-01T00:00:00Z'));
    while ((await svc(a).scheduler.tick(500)).breaches > 0);
    jest.restoreAllMocks();
  });
  afterEach(() => jest.restoreAllMocks());
  afterAll(async () => {
    await a?.close();
    await b?.close();
  });

  /** A tenant with a Mon–Fri 09:00–18:00 default calendar (Chinese holidays) and four policies. */
  async function slaTenant() {
    const tenant = newTenant('sla');
    const admin = await tokenFor(tenant, ['admin'], randomUUID());
    const agent = await tokenFor(tenant, ['agent'], randomUUID());
    const cal = (await gqlOk(a.url, CREATE_CALENDAR, { input: { name: '客服', hours: OFFICE_HOURS, isDefault: true } }, admin)).createBusinessCalendar.calendar;
    const policy = async (input: Record<string, unknown>) => (await gqlOk(a.url, CREATE_POLICY, { input }, admin)).createSlaPolicy.policy;
    const policies = {
      standard: await policy({ name: '标准', firstResponseMinutes: 120, resolutionMinutes: 600 }),
      complaint: await policy({ name: '投诉', ticketType: 'complaint', firstResponseMinutes: 30, resolutionMinutes: 240 }),
      vip: await policy({ name: 'VIP', customerLevel: 'VIP', firstResponseMinutes: 60, resolutionMinutes: 480 }),
      vipComplaint: await policy({ name: 'VIP 投诉', ticketType: 'complaint', customerLevel: 'VIP', firstResponseMinutes: 15, resolutionMinutes: 120 }),
    };
    return { tenant, admin, agent, cal, policies };
  }

  it('lets managers define calendars and one policy per type and level, with validation', async () => {
    const tenant = newTenant();
    const admin = await tokenFor(tenant, ['admin']);
    const agent = await tokenFor(tenant, ['agent']);
    const first = (await gqlOk(a.url, CREATE_CALENDAR, { input: { name: '白班', hours: OFFICE_HOURS, isDefault: true } }, admin)).createBusinessCalendar.calendar;
    expect(first).toMatchObject({ timeZone: 'Asia/Shanghai', holidaySet: 'cn', extraHolidays: [], extraWorkdays: [], isDefault: true });
    const night = await gqlOk(a.url, CREATE_CALENDAR, { input: { name: '夜班', hours: [{ day: 'mon', start: '22:00', end: '06:00' }], holidaySet: null, extraHolidays: ['2026-12-24'], isDefault: true } }, admin);
    const calendars = (await gqlOk(a.url, '{ businessCalendars { id isDefault holidaySet } }', {}, agent)).businessCalendars;
    expect(calendars).toHaveLength(2);
    expect(calendars).toEqual(expect.arrayContaining([{ id: first.id, isDefault: false, holidaySet: 'cn' }, { id: night.createBusinessCalendar.calendar.id, isDefault: true, holidaySet: null }]));
    const renamed = await gqlOk(a.url, UPDATE_CALENDAR, { input: { calendarId: first.id, name: '白班（新）', extraWorkdays: ['2026-12-26'] } }, admin);
    expect(renamed.updateBusinessCalendar.calendar).toMatchObject({ name: '白班（新）', extraWorkdays: ['2026-12-26'], hours: OFFICE_HOURS });

    const code = async (query: string, input: unknown, token = admin) => {
      const r = await gql(a.url, query, { input }, token);
      return [r.errors?.[0]?.extensions?.code, r.errors?.[0]?.extensions?.field ?? r.errors?.[0]?.extensions?.fields?.map((f: { field: string }) => f.field).join(',')];
    };
    expect(await code(CREATE_CALENDAR, { name: 'x', timeZone: 'Mars/Olympus', hours: OFFICE_HOURS })).toEqual(['BAD_USER_INPUT', 'timeZone']);
    expect(await code(CREATE_CALENDAR, { name: 'x', hours: [{ day: 'mon', start: '09:00', end: '25:00' }] })).toEqual(['BAD_USER_INPUT', 'hours.0.end']);
    expect(await code(CREATE_CALENDAR, { name: 'x', hours: OFFICE_HOURS, holidaySet: 'mars' })).toEqual(['BAD_USER_INPUT', 'holidaySet']);
    expect(await code(CREATE_CALENDAR, { name: 'x', hours: OFFICE_HOURS, extraHolidays: ['2026-02-30'] })).toEqual(['BAD_USER_INPUT', 'extraHolidays']);
    expect(await code(CREATE_CALENDAR, { name: 'x', hours: OFFICE_HOURS }, agent)).toEqual(['FORBIDDEN', undefined]);

    const p = (await gqlOk(a.url, CREATE_POLICY, { input: { name: '投诉', ticketType: 'complaint', firstResponseMinutes: 30, resolutionMinutes: 240, calendarId: first.id } }, admin)).createSlaPolicy.policy;
    expect(p).toMatchObject({ ticketType: 'complaint', customerLevel: null, warnPercent: 80, calendar: { id: first.id } });
    expect(await code(CREATE_POLICY, { name: '又一个', ticketType: 'complaint', firstResponseMinutes: 10, resolutionMinutes: 20 })).toEqual(['CONFLICT', undefined]);
    expect(await code(CREATE_POLICY, { name: 'x', firstResponseMinutes: 300, resolutionMinutes: 200 })).toEqual(['BAD_USER_INPUT', 'firstResponseMinutes']);
    expect(await code(CREATE_POLICY, { name: 'x', firstResponseMinutes: 0, resolutionMinutes: 200, warnPercent: 100 })).toEqual(['BAD_USER_INPUT', 'firstResponseMinutes,warnPercent']);
    expect(await code(CREATE_POLICY, { name: 'x', customerLevel: 'VIP', firstResponseMinutes: 10, resolutionMinutes: 20, calendarId: randomUUID() })).toEqual(['NOT_FOUND', undefined]);
    expect(await code(CREATE_POLICY, { name: 'x', firstResponseMinutes: 10, resolutionMinutes: 20 }, agent)).toEqual(['FORBIDDEN', undefined]);

    const vip = (await gqlOk(a.url, CREATE_POLICY, { input: { name: 'VIP', customerLevel: 'VIP', firstResponseMinutes: 20, resolutionMinutes: 60 } }, admin)).createSlaPolicy.policy;
    const changed = (await gqlOk(a.url, UPDATE_POLICY, { input: { policyId: vip.id, name: 'VIP+', resolutionMinutes: 90, warnPercent: 50, calendarId: first.id } }, admin)).updateSlaPolicy.policy;
    expect(changed).toMatchObject({ name: 'VIP+', customerLevel: 'VIP', firstResponseMinutes: 20, resolutionMinutes: 90, warnPercent: 50, calendar: { id: first.id } });
    expect(await code(UPDATE_POLICY, { policyId: vip.id, ticketType: 'complaint', customerLevel: null })).toEqual(['CONFLICT', undefined]);
    expect((await gqlOk(a.url, '{ slaPolicies { name } }', {}, agent)).slaPolicies.map((x: { name: string }) => x.name).sort()).toEqual(['VIP+', '投诉']);
    expect((await gqlOk(a.url, DELETE_POLICY, { input: { policyId: vip.id } }, admin)).deleteSlaPolicy.deletedPolicyId).toBe(vip.id);
    expect(await code(DELETE_POLICY, { policyId: vip.id })).toEqual(['NOT_FOUND', undefined]);
    expect((await gqlOk(a.url, '{ holidaySets { id years } }', {}, agent)).holidaySets).toEqual([{ id: 'cn', years: expect.arrayContaining([2026]) }]);
  });

  it('picks the most specific policy and counts deadlines on the calendar: 国庆 off, the make-up Saturday on', async () => {
    const { agent, policies } = await slaTenant();
    setClock(svc(a), '2026-09-30T17:00'); // Wednesday; 10-01..07 are holidays
    const standard = await newTicket(a.url, agent);
    expect(standard.sla).toMatchObject({ policy: { id: policies.standard.id }, paused: false, firstResponseBreached: false, remainingBusinessMinutes: 120 });
    expect(cstOf(standard.sla.firstResponseDueAt)).toBe('2026-10-08T10:00'); // 1 h on 09-30, 1 h on 10-08
    expect(cstOf(standard.sla.resolutionDueAt)).toBe('2026-10-08T18:00'); // 1 h + 9 h
    expect(standard.history).toContainEqual(expect.objectContaining({ action: 'sla_applied', field: 'slaPolicy', newValue: '标准' }));
    const pick = async (input: Record<string, unknown>) => (await newTicket(a.url, agent, input)).sla;
    expect(await pick({ type: 'complaint', customerLevel: 'VIP' })).toMatchObject({ policy: { id: policies.vipComplaint.id }, remainingBusinessMinutes: 15 });
    expect(await pick({ type: 'complaint' })).toMatchObject({ policy: { id: policies.complaint.id }, remainingBusinessMinutes: 30 });
    expect(await pick({ type: 'other', customerLevel: 'VIP' })).toMatchObject({ policy: { id: policies.vip.id }, remainingBusinessMinutes: 60 });

    setClock(svc(a), '2026-10-09T17:30'); // Friday; Saturday 10-10 is a make-up workday (调休上班)
    const weekend = await newTicket(a.url, agent);
    expect(cstOf(weekend.sla.firstResponseDueAt)).toBe('2026-10-10T10:30');
    // A tenant without policies has no SLA at all
    expect((await newTicket(a.url, await tokenFor(newTenant(), ['agent']))).sla).toBeNull();
  });

  it('pauses while PENDING or ON_HOLD, stops when SOLVED and resumes on reopening, moving deadlines by business time only', async () => {
    const { agent } = await slaTenant();
    setClock(svc(a), '2026-03-10T09:00'); // Tuesday
    const t = await newTicket(a.url, agent);
    expect([cstOf(t.sla.firstResponseDueAt), cstOf(t.sla.resolutionDueAt)]).toEqual(['2026-03-10T11:00', '2026-03-11T10:00']);
    setClock(svc(a), '2026-03-10T10:00');
    const pending = (await gqlOk(a.url, STATUS, { input: { ticketId: t.id, status: 'PENDING' } }, agent)).updateTicketStatus.ticket;
    expect(pending.sla).toMatchObject({ paused: true, remainingBusinessMinutes: 60, firstResponseBreached: false });

    // A day later the original deadline is long gone, but the clock was paused: no breach, the scheduler skips it.
    setClock(svc(a), '2026-03-11T10:00');
    await svc(a).scheduler.tick();
    const waiting = (await gqlOk(a.url, BY_ID, { id: t.id }, agent)).ticket;
    expect(waiting.sla).toMatchObject({ paused: true, firstResponseBreached: false, remainingBusinessMinutes: 60 });
    expect(cstOf(waiting.sla.firstResponseDueAt)).toBe('2026-03-11T11:00'); // where it lands if resumed now

    // Resumed: 9 business hours were paused (10:00–18:00 and 09:00–10:00), which move both deadlines.
    const open = (await gqlOk(a.url, STATUS, { input: { ticketId: t.id, status: 'OPEN' } }, agent)).updateTicketStatus.ticket;
    expect(open.sla.paused).toBe(false);
    expect([cstOf(open.sla.firstResponseDueAt), cstOf(open.sla.resolutionDueAt)]).toEqual(['2026-03-11T11:00', '2026-03-12T10:00']);

    setClock(svc(a), '2026-03-11T10:30');
    const held = (await gqlOk(a.url, STATUS, { input: { ticketId: t.id, status: 'ON_HOLD' } }, agent)).updateTicketStatus.ticket;
    expect(held.sla.paused).toBe(true);
    setClock(svc(a), '2026-03-11T11:00');
    const solved = (await gqlOk(a.url, STATUS, { input: { ticketId: t.id, status: 'SOLVED' } }, agent)).updateTicketStatus.ticket;
    expect(solved.sla).toMatchObject({ paused: false, resolutionBreached: false, resolutionRemainingBusinessMinutes: null, remainingBusinessMinutes: null });

    // Reopened a day later: the resolution clock counts again from where it stopped (the FR target stays met).
    setClock(svc(a), '2026-03-12T11:00');
    const reopened = (await gqlOk(a.url, STATUS, { input: { ticketId: t.id, status: 'OPEN' } }, agent)).updateTicketStatus.ticket;
    expect(reopened.sla).toMatchObject({ paused: false, resolutionBreached: false, firstResponseRemainingBusinessMinutes: null });
    // 600 target + 540 pending + 30 on hold + 540 solved (11:00–18:00, 09:00–11:00) = 1710 business minutes from 03-10 09:00
    expect(cstOf(reopened.sla.resolutionDueAt)).toBe('2026-03-13T10:30');
    expect(reopened.history.filter((h: { field: string }) => h.field === 'status').map((h: { newValue: string }) => h.newValue)).toEqual(['PENDING', 'OPEN', 'ON_HOLD', 'SOLVED', 'OPEN']);
  });

  it('meets the first-response target with the first public reply by staff; a late one is a breach, announced once', async () => {
    const { tenant, agent } = await slaTenant();
    const service = await tokenFor(tenant, ['service'], 'erp-bridge');
    const events = await collectEvents(a.events, tenant);
    try {
      setClock(svc(a), '2026-03-10T09:00');
      const t = await newTicket(a.url, agent);
      setClock(svc(a), '2026-03-10T09:10');
      await gqlOk(a.url, COMMENT, { input: { ticketId: t.id, body: '内部：先查仓库', public: false } }, agent);
      setClock(svc(a), '2026-03-10T09:20');
      const byService = (await gqlOk(a.url, COMMENT, { input: { ticketId: t.id, body: '系统通知：已受理', public: true } }, service)).addTicketComment;
      expect(byService.comment.authorType).toBe('SERVICE');
      expect(byService.ticket.firstResponseAt).toBeNull();
      setClock(svc(a), '2026-03-10T09:30');
      const reply = (await gqlOk(a.url, COMMENT, { input: { ticketId: t.id, body: '您好，已为您核实', public: true } }, agent)).addTicketComment.ticket;
      expect(cstOf(reply.firstResponseAt)).toBe('2026-03-10T09:30');
      expect(reply.sla).toMatchObject({ firstResponseBreached: false, firstResponseRemainingBusinessMinutes: null, remainingBusinessMinutes: 570 }); // 8.5 h today + 1 h tomorrow

      setClock(svc(a), '2026-03-10T09:00');
      const late = await newTicket(a.url, agent);
      setClock(svc(a), '2026-03-10T11:30');
      const lateReply = (await gqlOk(a.url, COMMENT, { input: { ticketId: late.id, body: '抱歉久等', public: true } }, agent)).addTicketComment.ticket;
      expect(lateReply.sla.firstResponseBreached).toBe(true);
      expect(lateReply.history).toContainEqual(expect.objectContaining({ action: 'sla_breached', field: 'FIRST_RESPONSE' }));
      await eventually(() => events.seen.some((e) => e.type === 'ticket.sla.breached'));
      await eventually(() => events.seen.filter((e) => e.type === 'ticket.first_response').length === 2);
      await new Promise((r) => setTimeout(r, 300));
      expect(events.seen.filter((e) => e.type === 'ticket.sla.breached').map((e) => e.data)).toEqual([{ ticketId: late.id, metric: 'FIRST_RESPONSE', dueAt: expect.any(String), policyId: expect.any(String) }]);
    } finally {
      await events.stop();
    }
  });

  it('warns at 80% and reports each breach once, as event, history entry and ticketUpdated push, with two replicas ticking', async () => {
    const { tenant, agent } = await slaTenant();
    const events = await collectEvents(a.events, tenant);
    setClock(svc(a), '2026-03-10T09:00');
    const t = await newTicket(a.url, agent); // first response due 11:00, warning at 96 minutes (10:36)
    const live = subscribe<{ ticketUpdated: any }>(b.url, agent, `subscription($id: ID!) { ticketUpdated(id: $id) { id sla { firstResponseBreached } } }`, { id: t.id });
    try {
      // The subscription is live once a change reaches it.
      let n = 0;
      await repeatUntil(() => gqlOk(a.url, UPDATE, { input: { ticketId: t.id, priority: n++ % 2 ? 'NORMAL' : 'HIGH' } }, agent), () => live.received.length > 0);
      const seen = live.received.length;
      for (const [wall, type] of [['2026-03-10T10:40', 'ticket.sla.warning'], ['2026-03-10T11:05', 'ticket.sla.breached']] as const) {
        setClock(svc(a), wall);
        setClock(svc(b), wall);
        await Promise.all([svc(a).scheduler.tick(), svc(b).scheduler.tick(), svc(a).scheduler.tick()]);
        await eventually(() => events.seen.some((e) => e.type === type));
      }
      await Promise.all([svc(a).scheduler.tick(), svc(b).scheduler.tick()]);
      await new Promise((r) => setTimeout(r, 400));
      const sla = events.seen.filter((e) => e.type.startsWith('ticket.sla.'));
      expect(sla.map((e) => [e.type, e.data.metric, e.data.ticketId])).toEqual([['ticket.sla.warning', 'FIRST_RESPONSE', t.id], ['ticket.sla.breached', 'FIRST_RESPONSE', t.id]]);
      const read = (await gqlOk(a.url, BY_ID, { id: t.id }, agent)).ticket;
      expect(read.sla).toMatchObject({ firstResponseBreached: true, resolutionBreached: false, remainingBusinessMinutes: -5 });
      expect(read.history.filter((h: { action: string }) => h.action.startsWith('sla_w') || h.action === 'sla_breached')).toEqual([
        { actorId: 'sla-scheduler', action: 'sla_warning', field: 'FIRST_RESPONSE', oldValue: null, newValue: expect.any(String) },
        { actorId: 'sla-scheduler', action: 'sla_breached', field: 'FIRST_RESPONSE', oldValue: null, newValue: expect.any(String) },
      ]);
      await eventually(() => live.received.slice(seen).some((r) => r.ticketUpdated.sla.firstResponseBreached));
    } finally {
      await live.dispose();
      await events.stop();
    }
  });

  it('moves a ticket to the policy that matches after its type or customer level changes', async () => {
    const { agent, policies } = await slaTenant();
    setClock(svc(a), '2026-03-10T09:00');
    const t = await newTicket(a.url, agent);
    setClock(svc(a), '2026-03-10T09:10');
    const vip = (await gqlOk(a.url, UPDATE, { input: { ticketId: t.id, customerLevel: 'VIP' } }, agent)).updateTicket.ticket;
    expect(vip.sla).toMatchObject({ policy: { id: policies.vip.id }, remainingBusinessMinutes: 50 });
    expect(cstOf(vip.sla.firstResponseDueAt)).toBe('2026-03-10T10:00'); // counted from the ticket's start
    expect(vip.history).toContainEqual(expect.objectContaining({ action: 'sla_applied', oldValue: '标准', newValue: 'VIP' }));
    setClock(svc(a), '2026-03-10T09:20');
    const complaint = (await gqlOk(a.url, UPDATE, { input: { ticketId: t.id, type: 'complaint' } }, agent)).updateTicket.ticket;
    expect(complaint.sla).toMatchObject({ policy: { id: policies.vipComplaint.id }, firstResponseBreached: true, remainingBusinessMinutes: -5 });
  });

  it('seeds the demo desk calendar and SLA policies idempotently, and the demo ticket runs on them', async () => {
    await ticketsSubgraph.seedDemo!(svc(a));
    await ticketsSubgraph.seedDemo!(svc(a));
    const token = await tokenFor(DEMO_TENANT.id, ['agent']);
    const d = await gqlOk(a.url, `query($id: ID!) { slaPolicies { id name } businessCalendars { name isDefault holidaySet } ticket(id: $id) { sla { policy { name } } firstResponseAt } }`, { id: DEMO_TICKET.id }, token);
    expect(d.slaPolicies.map((p: { id: string }) => p.id).sort()).toEqual(DEMO_POLICIES.map((p) => p.id).sort());
    expect(d.businessCalendars).toEqual([{ name: '客服中心工作时间', isDefault: true, holidaySet: 'cn' }]);
    expect(d.ticket.sla.policy.name).toBe('标准服务');
    expect(d.ticket.firstResponseAt).toEqual(expect.any(String)); // the seeded public reply
  });
});

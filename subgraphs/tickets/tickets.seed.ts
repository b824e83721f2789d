import { DEMO_AGENTS, DEMO_TENANT, DEMO_TICKET } from '../_shared/demo-data.js';
import { stableId } from '../_shared/ids.js';
import type { BusinessHours } from './sla/calendar.js';
import type { TicketsServices } from './tickets.services.js';

const COMMENTS = [
  { key: '1', body: '非常抱歉给您带来不便，我们已为您安排换货，新米将在 48 小时内发出。', public: true },
  { key: '2', body: '内部备注：同批次（2025-09 仓库 B）请质检抽查。', public: false },
].map((c) => ({ ...c, id: stableId(`demo:ticket:1:comment:${c.key}`) }));

/** The demo desk: weekdays 09:00–21:00, Saturdays 10:00–17:00, Chinese public holidays and make-up workdays. */
export const DEMO_CALENDAR = {
  id: stableId('demo:calendar:desk'),
  name: '客服中心工作时间',
  timeZone: 'Asia/Shanghai',
  holidaySet: 'cn',
  isDefault: true,
  hours: [
    ...(['mon', 'tue', 'wed', 'thu', 'fri'] as const).map((day) => ({ day, start: '09:00', end: '21:00' })),
    { day: 'sat', start: '10:00', end: '17:00' },
  ] as BusinessHours[],
};

/** Targets in business minutes; the most specific policy wins (type + level, type, level, catch-all). */
export const DEMO_POLICIES = [
  { key: 'default', name: '标准服务', ticketType: null, customerLevel: null, firstResponseMinutes: 120, resolutionMinutes: 1440 },
  { key: 'vip', name: 'VIP 客户', ticketType: null, customerLevel: 'VIP', firstResponseMinutes: 30, resolutionMinutes: 720 },
  { key: 'svip', name: 'SVIP 客户', ticketType: null, customerLevel: 'SVIP', firstResponseMinutes: 15, resolutionMinutes: 480 },
  { key: 'complaint', name: '投诉工单', ticketType: 'complaint', customerLevel: null, firstResponseMinutes: 30, resolutionMinutes: 480 },
  { key: 'refund', name: '退款工单', ticketType: 'refund', customerLevel: null, firstResponseMinutes: 60, resolutionMinutes: 960 },
].map((p) => ({ ...p, id: stableId(`demo:sla-policy:${p.key}`), warnPercent: 80 }));

/** The demo tenant's desk calendar, SLA policies and a ticket with a public reply and an internal note; idempotent. */
export async function seedTicketsDemo(s: TicketsServices): Promise<void> {
  const t = DEMO_TENANT.id;
  if (!(await s.sla.calendarsByIds(t, [DEMO_CALENDAR.id])).length) await s.sla.createCalendar(t, DEMO_CALENDAR);
  const policies = new Set((await s.sla.policiesByIds(t, DEMO_POLICIES.map((p) => p.id))).map((p) => p.id));
  for (const p of DEMO_POLICIES) if (!policies.has(p.id)) await s.sla.createPolicy(t, p);

  const [existing] = await s.tickets.byIds(t, [DEMO_TICKET.id]);
  const agent = { id: DEMO_AGENTS[2].id, kind: 'AGENT' as const };
  if (!existing) {
    await s.tickets.create(t, { ...DEMO_TICKET, description: '客户收到的 5kg 装五常大米，开袋后发现米虫，已发来照片，要求换货或退款。', tags: ['质量问题'] }, agent);
  }
  const written = new Set((await s.tickets.commentsOf(t, [DEMO_TICKET.id])).map((c) => c.id));
  for (const c of COMMENTS) {
    if (!written.has(c.id)) await s.tickets.addComment(t, { id: c.id, ticketId: DEMO_TICKET.id, body: c.body, public: c.public }, agent);
  }
  if (!existing) await s.tickets.updateStatus(t, DEMO_TICKET.id, 'OPEN', agent);
}

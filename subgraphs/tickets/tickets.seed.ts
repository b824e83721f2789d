import { DEMO_AGENTS, DEMO_TENANT, DEMO_TICKET } from '../_shared/demo-data.js';
import { stableId } from '../_shared/ids.js';
import type { TicketsServices } from './tickets.services.js';

const COMMENTS = [
  { key: '1', body: '非常抱歉给您带来不便，我们已为您安排换货，新米将在 48 小时内发出。', public: true },
  { key: '2', body: '内部备注：同批次（2025-09 仓库 B）请质检抽查。', public: false },
].map((c) => ({ ...c, id: stableId(`demo:ticket:1:comment:${c.key}`) }));

/** The demo tenant's ticket with a public reply and an internal note; seeding twice changes nothing. */
export async function seedTicketsDemo(s: TicketsServices): Promise<void> {
  const t = DEMO_TENANT.id;
  const [existing] = await s.tickets.byIds(t, [DEMO_TICKET.id]);
  if (!existing) {
    await s.tickets.create(t, { ...DEMO_TICKET, description: '客户收到的 5kg 装五常大米，开袋后发现米虫，已发来照片，要求换货或退款。' });
  }
  const written = new Set((await s.tickets.commentsOf(t, [DEMO_TICKET.id])).map((c) => c.id));
  for (const c of COMMENTS) {
    if (!written.has(c.id)) await s.tickets.addComment(t, { id: c.id, ticketId: DEMO_TICKET.id, body: c.body, public: c.public }, DEMO_AGENTS[2].id);
  }
  if (!existing) await s.tickets.updateStatus(t, DEMO_TICKET.id, 'OPEN');
}

import mysql from 'mysql2/promise';
import { gql, gqlOk } from '../../../test/helpers/graphql-client.js';
import { mysqlUrl } from '../../../test/helpers/env.js';
import { startTestSubgraph, type TestSubgraph } from '../../../test/helpers/subgraph-harness.js';
import { newId } from '../../_shared/ids.js';
import { RESOLVE } from '../conversations.testing.js';
import { conversationsSubgraph } from '../index.js';
import { ACCEPT, DECLINE, MY_OFFERS, open, routingTenant, rules, setStatus, TRANSFER, type OfferRow, type TestAgent } from './routing.testing.js';

const DB = 'conversations_routing_cc';
const CAPACITY = 1;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * Two replicas on the same MariaDB and Redis, hammered at once with arrivals, dispatches on both replicas,
 * accepts sent to both replicas at the same time, declines, resolves, transfers and presence flaps. Afterwards,
 * with both replicas stopped, the database must show: no agent over capacity, every load counter equal to what
 * the agent really holds, no conversation held or assigned twice, and assignments that agree with routing.
 */
describe('routing under concurrency on two replicas', () => {
  let a: TestSubgraph;
  let b: TestSubgraph;
  const stream = `routing-cc-${newId().slice(0, 8)}`;
  beforeAll(async () => {
    a = await startTestSubgraph(conversationsSubgraph, { db: DB, stream });
    b = await startTestSubgraph(conversationsSubgraph, { db: DB, stream });
  });
  let closed = false;
  afterAll(async () => {
    if (closed) return;
    await a?.close().catch(() => undefined);
    await b?.close().catch(() => undefined);
  });

  it('keeps every agent within capacity and every conversation with at most one agent', async () => {
    const urls = () => [a.url, b.url];
    const pick = <T>(xs: T[]) => xs[Math.floor(Math.random() * xs.length)];
    const names = Array.from({ length: 10 }, (_, i) => `坐席${i}`);
    const t = await routingTenant(a.url, {
      groups: ['订单组', '售后组'],
      agents: names.map((name, i) => ({ name, groups: [i % 2 ? '售后组' : '订单组'], chat: CAPACITY })),
    });
    await rules(a.url, t, {
      defaultGroupId: t.groups['订单组'],
      businessTypes: [{ type: 'aftersales', keywords: ['退'] }],
      l1: [{ id: 'aftersales', businessTypes: ['aftersales'], groupId: t.groups['售后组'] }],
      offers: { timeoutSeconds: 2, noReplyMinutes: 0 },
    });
    const agents: TestAgent[] = names.map((n) => t.agents[n]);
    for (const ag of agents) await setStatus(pick(urls()), ag);

    const unexpected: unknown[] = [];
    const call = async (url: string, q: string, v: Record<string, unknown>, token: string) => {
      const r = await gql(url, q, v, token);
      const code = r.errors?.[0]?.extensions?.code;
      if (r.errors && !['CONFLICT', 'FORBIDDEN', 'NOT_FOUND'].includes(code)) unexpected.push(r.errors);
      return r;
    };
    const end = Date.now() + 7000;
    let accepted = 0;
    let doubleAcceptWins = 0;

    // Arrivals in bursts on both replicas: their event consumers route at the same moment, racing for the same
    // longest-idle agents.
    let arrived = 0;
    const arrivals = (async () => {
      for (let burst = 0; burst < 8; burst++) {
        await Promise.all(Array.from({ length: 10 }, (_, i) => open(urls()[i % 2], t, { text: (burst + i) % 3 ? '订单什么时候发货' : '我要退货退款' }).then(() => arrived++)));
        await sleep(500);
      }
    })();
    const dispatchers = (async () => {
      while (Date.now() < end) {
        // Both replicas dispatch the same queue at the same moment: the atomic claim decides.
        await Promise.all(urls().flatMap((u) => [null, t.groups['订单组'], t.groups['售后组']].map((g) => call(u, `mutation($i: DispatchQueueInput!) { dispatchQueue(input: $i) { assigned } }`, { i: { groupId: g } }, t.admin))));
        await sleep(100);
      }
    })();
    const agentLoop = async (ag: TestAgent) => {
      while (Date.now() < end) {
        const offers: OfferRow[] = (await gqlOk(pick(urls()), MY_OFFERS, {}, ag.token)).myOffers;
        for (const o of offers) {
          const roll = Math.random();
          if (o.status === 'OFFERED') {
            if (roll < 0.8) {
              // The same accept on both replicas at once: one assignment, never two.
              const rs = await Promise.all(urls().map((u) => call(u, ACCEPT, { i: { offerId: o.id } }, ag.token)));
              const ok = rs.filter((r) => !r.errors);
              if (ok.length) accepted++;
              if (ok.length === 2) doubleAcceptWins++;
            } else await call(pick(urls()), DECLINE, { i: { offerId: o.id } }, ag.token);
          } else if (roll < 0.45) {
            await call(pick(urls()), RESOLVE, { input: { conversationId: o.conversation.id } }, ag.token);
          } else if (roll < 0.6) {
            // Two transfers of the same conversation to different agents, on both replicas at once.
            const [x, y] = [pick(agents), pick(agents)];
            await Promise.all([
              call(a.url, TRANSFER, { i: { conversationId: o.conversation.id, toAgentId: x.id, note: '转给同事' } }, ag.token),
              call(b.url, TRANSFER, { i: { conversationId: o.conversation.id, toAgentId: y.id } }, ag.token),
            ]);
          } else if (roll < 0.68) {
            await call(pick(urls()), TRANSFER, { i: { conversationId: o.conversation.id, toGroupId: pick(Object.values(t.groups)) } }, ag.token);
          }
        }
        if (Math.random() < 0.08) {
          await setStatus(pick(urls()), ag, pick(['AWAY', 'BUSY', 'AFTER_CALL_WORK']));
          await sleep(60);
          await setStatus(pick(urls()), ag, 'ONLINE');
        }
        await sleep(20 + Math.random() * 40);
      }
    };
    await Promise.all([arrivals, dispatchers, ...agents.map(agentLoop)]);
    await sleep(500);
    // Both replicas drain and stop: the database is what they left.
    await Promise.all([a.close(), b.close()]);
    closed = true;

    const conn = await mysql.createConnection(mysqlUrl(DB));
    try {
      const q = async (sql: string, params: unknown[] = []) => (await conn.query(sql, params))[0] as any[];
      const loads = await q(
        `SELECT l.agent_id, l.channel_class, l.capacity, l.active,
                (SELECT COUNT(*) FROM routing_entries e WHERE e.tenant_id = l.tenant_id AND e.agent_id = l.agent_id AND e.channel_class = l.channel_class AND e.state IN ('OFFERED','ASSIGNED'))
              + (SELECT COUNT(*) FROM routing_entries e WHERE e.tenant_id = l.tenant_id AND e.reassign_from = l.agent_id AND e.channel_class = l.channel_class AND e.state IN ('WAITING','OFFERED')) AS held
           FROM routing_agent_loads l WHERE l.tenant_id = ?`,
        [t.tenant],
      );
      expect(loads.length).toBe(agents.length * 2);
      for (const l of loads) {
        expect({ agent: l.agent_id, cls: l.channel_class, active: Number(l.active) }).toEqual({ agent: l.agent_id, cls: l.channel_class, active: Number(l.held) });
        expect(Number(l.active)).toBeLessThanOrEqual(Number(l.capacity));
      }
      // Nobody holds more than their capacity in assigned conversations either.
      const perAgent = await q(`SELECT assignee_id, COUNT(*) AS n FROM conversations WHERE tenant_id = ? AND status = 'ASSIGNED' GROUP BY assignee_id`, [t.tenant]);
      for (const r of perAgent) expect(Number(r.n)).toBeLessThanOrEqual(CAPACITY);
      // No conversation with two live offers/assignments.
      const doubles = await q(`SELECT conversation_id, COUNT(*) AS n FROM routing_offers WHERE tenant_id = ? AND status IN ('OFFERED','ACCEPTED') GROUP BY conversation_id HAVING COUNT(*) > 1`, [t.tenant]);
      expect(doubles).toEqual([]);
      // Every live offer/assignment is the one its entry points at, with the same agent.
      const mismatched = await q(
        `SELECT o.id FROM routing_offers o LEFT JOIN routing_entries e ON e.offer_id = o.id AND e.agent_id = o.agent_id
          WHERE o.tenant_id = ? AND o.status IN ('OFFERED','ACCEPTED') AND (e.id IS NULL OR (o.status = 'OFFERED' AND e.state <> 'OFFERED') OR (o.status = 'ACCEPTED' AND e.state <> 'ASSIGNED'))`,
        [t.tenant],
      );
      expect(mismatched).toEqual([]);
      // Routing's assignments are the conversations' assignments (and a conversation being handed over is still with
      // the agent who keeps it).
      const disagree = await q(
        `SELECT e.conversation_id, e.state FROM routing_entries e JOIN conversations c ON c.id = e.conversation_id
          WHERE e.tenant_id = ? AND (
            (e.state = 'ASSIGNED' AND (c.assignee_id IS NULL OR c.assignee_id <> e.agent_id OR c.status NOT IN ('ASSIGNED','PENDING')))
            OR (e.state IN ('WAITING','OFFERED') AND e.reassign_from IS NOT NULL AND (c.assignee_id IS NULL OR c.assignee_id <> e.reassign_from))
            OR (e.state IN ('WAITING','OFFERED') AND e.reassign_from IS NULL AND (c.assignee_id IS NOT NULL OR c.status <> 'QUEUED')))`,
        [t.tenant],
      );
      expect(disagree).toEqual([]);
      // Accepted assignments of one conversation never overlap in time (never assigned twice at once). Spans in
      // start order, and for equal starts (two transfers in the same millisecond) the one that ended first first.
      const spans = await q(
        `SELECT conversation_id, responded_at, ended_at FROM routing_offers WHERE tenant_id = ? AND status IN ('ACCEPTED','ENDED') ORDER BY conversation_id, responded_at, ended_at IS NULL, ended_at`,
        [t.tenant],
      );
      for (let i = 1; i < spans.length; i++) {
        if (spans[i].conversation_id !== spans[i - 1].conversation_id) continue;
        expect(spans[i - 1].ended_at).not.toBeNull();
        expect(new Date(spans[i - 1].ended_at).getTime()).toBeLessThanOrEqual(new Date(spans[i].responded_at).getTime());
      }
      const byStatus = await q(`SELECT status, COUNT(*) AS n FROM routing_offers WHERE tenant_id = ? GROUP BY status`, [t.tenant]);
      const n = (st: string) => Number(byStatus.find((r) => r.status === st)?.n ?? 0);
      // It really was busy: every way an offer can end happened.
      expect(arrived).toBe(80);
      expect(n('ENDED')).toBeGreaterThan(0);
      expect(n('ACCEPTED') + n('ENDED')).toBeGreaterThan(5);
      expect(n('DECLINED') + n('EXPIRED') + n('REVOKED')).toBeGreaterThan(0);
      if (process.env.ROUTING_CC_VERBOSE) console.log({ byStatus, accepted, doubleAcceptWins });
      expect(n('ACCEPTED') + n('ENDED') + n('DECLINED') + n('EXPIRED') + n('REVOKED')).toBeGreaterThan(10);
      expect(accepted).toBeGreaterThan(5);
      expect(unexpected).toEqual([]);
    } finally {
      await conn.end();
    }
  }, 60_000);
});

import { randomBytes } from 'node:crypto';
import { gqlOk } from '../../test/helpers/graphql-client.js';
import { TEST_MYSQL_URL, tokenFor } from '../../test/helpers/env.js';
import { startTestSubgraph, type TestSubgraph } from '../../test/helpers/subgraph-harness.js';
import { DEMO_AGENTS, DEMO_CONVERSATIONS, DEMO_GROUPS, DEMO_TENANT } from '../_shared/demo-data.js';
import type { ConversationsServices } from './conversations.services.js';
import { conversationsSubgraph } from './index.js';

const DEMO = `{
  agents { id name email groups { id } }
  agentGroups { id name }
  channels { type }
  conversations(first: 50) { nodes { id subject status channelType customer { id } assignee { id } group { name } channel { type } firstResponseAt
    messages(first: 50) { nodes { id senderType text } } } } }`;

describe('conversations demo seed', () => {
  const db = `conv_seed_${randomBytes(3).toString('hex')}`; // a fresh database: the first seed really creates
  let sg: TestSubgraph;
  beforeAll(async () => {
    sg = await startTestSubgraph(conversationsSubgraph, { db, stream: 'conv-seed' });
  });
  afterAll(async () => {
    await sg.close();
    const mysql = await import('mysql2/promise');
    const u = new URL(TEST_MYSQL_URL);
    const conn = await mysql.createConnection({ host: u.hostname, port: Number(u.port || 3306), user: decodeURIComponent(u.username || 'root'), password: decodeURIComponent(u.password) });
    await conn.query(`DROP DATABASE IF EXISTS \`huiliu_test_${db}\``);
    await conn.end();
  });

  it('seeds agents, groups, channels and conversations with Chinese messages; seeding twice changes nothing', async () => {
    const seed = () => conversationsSubgraph.seedDemo!(sg.services as ConversationsServices);
    await seed();
    const token = await tokenFor(DEMO_TENANT.id, ['admin']);
    const first = await gqlOk(sg.url, DEMO, {}, token);

    expect(first.agents.map((a: { id: string }) => a.id).sort()).toEqual(DEMO_AGENTS.map((a) => a.id).sort());
    expect(first.agents.every((a: { groups: unknown[] }) => a.groups.length === 1)).toBe(true);
    expect(first.agentGroups.map((g: { id: string }) => g.id).sort()).toEqual(DEMO_GROUPS.map((g) => g.id).sort());
    expect(first.channels.map((c: { type: string }) => c.type).sort()).toEqual(['app', 'taobao', 'wechat-mini', 'wechat-oa']);
    const byId = new Map(first.conversations.nodes.map((c: { id: string }) => [c.id, c]));
    expect(byId.size).toBe(DEMO_CONVERSATIONS.length);
    for (const v of DEMO_CONVERSATIONS) {
      const c: any = byId.get(v.id);
      expect(c).toMatchObject({ subject: v.subject, status: v.status, channelType: v.channelType, customer: { id: v.customerId }, channel: { type: v.channelType } });
      expect(c.assignee).toEqual(v.agentIndex === null ? null : { id: DEMO_AGENTS[v.agentIndex].id });
      expect(c.firstResponseAt === null).toBe(v.agentIndex === null);
      expect(c.messages.nodes.length).toBeGreaterThanOrEqual(2);
      expect(c.messages.nodes[0].senderType).toBe('CUSTOMER');
      expect(c.messages.nodes.every((m: { text: string }) => /[\u4e00-\u9fff]/.test(m.text))).toBe(true);
    }

    await seed();
    expect(await gqlOk(sg.url, DEMO, {}, token)).toEqual(first);
  });
});

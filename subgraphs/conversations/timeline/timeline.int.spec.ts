import { MysqlQueryRunner } from 'typeorm/driver/mysql/MysqlQueryRunner.js';
import { gql, gqlOk } from '../../../test/helpers/graphql-client.js';
import { newTenant, tokenFor } from '../../../test/helpers/env.js';
import { startTestSubgraph, type TestSubgraph } from '../../../test/helpers/subgraph-harness.js';
import { newId } from '../../_shared/ids.js';
import { ASSIGN, createAgent, CUSTOMER_SAYS, openConversation, PENDING, RESOLVE, SEND, TIMELINE, timelineOf } from '../conversations.testing.js';
import { conversationsSubgraph } from '../index.js';

const tick = () => new Promise((r) => setTimeout(r, 3)); // distinct milliseconds, so the expected order is exact
type Node = { __typename: string; id: string; text?: string; type?: string; channelType: string; createdAt?: string; at?: string; conversation: { id: string } };
const label = (n: Node) => (n.__typename === 'Message' ? `${n.channelType}:${n.text}` : `${n.channelType}:${n.type}`);
const timeOf = (n: Node) => n.createdAt ?? n.at!;

describe.each([
  ['MariaDB', { db: 'conversations_timeline' }],
  ['SQLite', { databaseUrl: 'sqlite::memory:' }],
])('customer.timeline on %s', (db, where) => {
  let sg: TestSubgraph;
  let admin: string;
  let customerId: string;
  let expected: string[];
  beforeAll(async () => {
    sg = await startTestSubgraph(conversationsSubgraph, { ...where, stream: 'conv-timeline' });
    const tenant = newTenant();
    admin = await tokenFor(tenant, ['admin']);
    const agent = await createAgent(sg.url, admin);
    customerId = newId();
    // Three channels, interleaved in time.
    const app = await openConversation(sg.url, admin, { customerId, channelType: 'app', text: '一' });
    await tick();
    const taobao = await openConversation(sg.url, admin, { customerId, channelType: 'taobao', text: '订单 3862410087654321' });
    await tick();
    await gqlOk(sg.url, ASSIGN, { input: { conversationId: app.id, agentId: agent.id } }, admin);
    await tick();
    await gqlOk(sg.url, SEND, { input: { conversationId: app.id, text: '备注', internal: true } }, admin);
    await tick();
    await gqlOk(sg.url, CUSTOMER_SAYS, { input: { conversationId: taobao.id, text: '在吗' } }, admin);
    await tick();
    const phone = await openConversation(sg.url, admin, { customerId, channelType: 'phone', text: '来电' });
    await tick();
    await gqlOk(sg.url, SEND, { input: { conversationId: app.id, text: '您好' } }, admin);
    await tick();
    await gqlOk(sg.url, PENDING, { input: { conversationId: phone.id } }, admin);
    await tick();
    await gqlOk(sg.url, RESOLVE, { input: { conversationId: taobao.id } }, admin);
    await tick();
    await gqlOk(sg.url, CUSTOMER_SAYS, { input: { conversationId: app.id, text: '谢谢' } }, admin);
    // someone else in the same tenant
    await openConversation(sg.url, admin, { channelType: 'app', text: '别人的消息' });
    expected = [
      'app:OPENED', 'app:一', 'taobao:OPENED', 'taobao:订单 3862410087654321', 'app:ASSIGNED', 'app:备注', 'taobao:在吗', 'phone:OPENED', 'phone:来电',
      'app:您好', 'phone:PENDING', 'taobao:RESOLVED', 'app:谢谢',
    ];
  });
  afterAll(() => sg.close());

  it('returns every message and event of the customer across channels, in time order', async () => {
    const all = await timelineOf(sg.url, admin, customerId, { first: 50 });
    expect(all.nodes.map(label)).toEqual(expected);
    expect(all.pageInfo.hasNextPage).toBe(false);
    for (let i = 1; i < all.nodes.length; i++) expect(timeOf(all.nodes[i]) >= timeOf(all.nodes[i - 1])).toBe(true);
    const event = all.nodes.find((n: Node) => n.type === 'ASSIGNED');
    expect(event).toMatchObject({ __typename: 'ConversationEvent', fromStatus: 'QUEUED', toStatus: 'ASSIGNED', actorType: 'AGENT', channelType: 'app' });
    const newest = await timelineOf(sg.url, admin, customerId, { first: 50, newestFirst: true });
    expect(newest.nodes.map(label)).toEqual([...expected].reverse());
  });

  it('pages by cursor, forwards and backwards, without gaps or repeats', async () => {
    for (const newestFirst of [false, true]) {
      const seen: string[] = [];
      let after: string | null = null;
      let pages = 0;
      for (;;) {
        const page: Awaited<ReturnType<typeof timelineOf>> = await timelineOf(sg.url, admin, customerId, { first: 3, after, newestFirst });
        seen.push(...page.nodes.map(label));
        pages++;
        if (!page.pageInfo.hasNextPage) break;
        after = page.pageInfo.endCursor;
      }
      expect(seen).toEqual(newestFirst ? [...expected].reverse() : expected);
      expect(pages).toBe(Math.ceil(expected.length / 3));
    }
  });

  it('filters by channel types, with pages', async () => {
    const want = expected.filter((l) => l.startsWith('taobao:') || l.startsWith('phone:'));
    const one = await timelineOf(sg.url, admin, customerId, { first: 50, channels: ['taobao', 'phone'] });
    expect(one.nodes.map(label)).toEqual(want);
    const p1 = await timelineOf(sg.url, admin, customerId, { first: 4, channels: ['taobao', 'phone'] });
    const p2 = await timelineOf(sg.url, admin, customerId, { first: 4, channels: ['taobao', 'phone'], after: p1.pageInfo.endCursor });
    expect([...p1.nodes, ...p2.nodes].map(label)).toEqual(want);
    expect(p2.pageInfo.hasNextPage).toBe(false);
    expect((await timelineOf(sg.url, admin, customerId, { channels: ['weibo'] })).nodes).toEqual([]);
  });

  it('refuses bad arguments and non-staff callers', async () => {
    const r = [{ __typename: 'Customer', id: customerId }];
    const codeOf = async (vars: Record<string, unknown>, token = admin) => (await gql(sg.url, TIMELINE, { r, ...vars }, token)).errors?.[0].extensions?.code;
    expect(await codeOf({ after: 'not-a-cursor' })).toBe('BAD_USER_INPUT');
    expect(await codeOf({ first: 0 })).toBe('BAD_USER_INPUT');
    expect(await codeOf({ channels: ['Not A Channel'] })).toBe('BAD_USER_INPUT');
    expect(await codeOf({}, await tokenFor(newTenant(), ['partner']))).toBe('FORBIDDEN');
  });

  it('answers several customers in one request with the same number of queries as one', async () => {
    const other = newId();
    await openConversation(sg.url, admin, { customerId: other, channelType: 'web', text: '网页咨询' });
    const both = (await gqlOk(sg.url, TIMELINE, { r: [{ __typename: 'Customer', id: customerId }, { __typename: 'Customer', id: other }, { __typename: 'Customer', id: newId() }], first: 50 }, admin))._entities;
    expect(both[0].timeline.nodes.map(label)).toEqual(expected);
    expect(both[1].timeline.nodes.map(label)).toEqual(['web:OPENED', 'web:网页咨询']);
    expect(both[2].timeline).toEqual({ nodes: [], pageInfo: { hasNextPage: false, endCursor: null } });
    if (db !== 'MariaDB') return;
    const count = async (ids: string[]) => {
      const spy = jest.spyOn(MysqlQueryRunner.prototype, 'query');
      try {
        await gqlOk(sg.url, `query($r: [_Any!]!) { _entities(representations: $r) { ... on Customer { timeline(first: 20) { nodes { __typename } } } } }`, { r: ids.map((id) => ({ __typename: 'Customer', id })) }, admin);
        return spy.mock.calls.length;
      } finally {
        spy.mockRestore();
      }
    };
    const single = await count([customerId]);
    expect(single).toBe(3); // one UNION ALL of range scans, then messages and events by primary key
    expect(await count([customerId, other, newId(), newId()])).toBe(single);
  });
});

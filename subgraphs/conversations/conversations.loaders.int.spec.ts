import { MysqlQueryRunner } from 'typeorm/driver/mysql/MysqlQueryRunner.js';
import { gqlOk } from '../../test/helpers/graphql-client.js';
import { newTenant, tokenFor } from '../../test/helpers/env.js';
import { startTestSubgraph, type TestSubgraph } from '../../test/helpers/subgraph-harness.js';
import { newId } from '../_shared/ids.js';
import { ASSIGN, CUSTOMER_SAYS, openConversation } from './conversations.testing.js';
import { conversationsSubgraph } from './index.js';

const LIST = `{ conversations(first: 50) { nodes {
  id assignee { name groups { name } } group { name } channel { name }
  customer { id conversations(first: 2) { nodes { id } } }
  messages(first: 3) { nodes { text conversation { id } } pageInfo { hasNextPage } } } } }`;
const REFS = `query($r: [_Any!]!) { _entities(representations: $r) { ... on Conversation { id assignee { name } messages(first: 1) { nodes { text } } } } }`;

describe('conversations subgraph: every list field and reference is batched', () => {
  let sg: TestSubgraph;
  beforeAll(async () => {
    sg = await startTestSubgraph(conversationsSubgraph, { db: 'conversations_loaders', stream: 'conv-loaders' });
  });
  afterAll(() => sg.close());
  afterEach(() => jest.restoreAllMocks());

  /** A tenant with n conversations, each with its own customer, agent, group and 4 messages. */
  async function tenantWith(n: number): Promise<{ token: string; ids: string[] }> {
    const token = await tokenFor(newTenant(), ['admin']);
    const ids: string[] = [];
    for (let i = 0; i < n; i++) {
      const group = (await gqlOk(sg.url, `mutation($n: String!) { createAgentGroup(input: { name: $n }) { group { id } } }`, { n: `组${i}` }, token)).createAgentGroup.group;
      const agent = (await gqlOk(sg.url, `mutation($i: CreateAgentInput!) { createAgent(input: $i) { agent { id } } }`, { i: { name: `坐席${i}`, email: `${newId()}@example.com`, groupIds: [group.id] } }, token)).createAgent.agent;
      const channel = (await gqlOk(sg.url, `mutation { createChannel(input: { type: "app", name: "App" }) { channel { id } } }`, {}, token)).createChannel.channel;
      const c = await openConversation(sg.url, token, { channelType: 'app', channelId: channel.id, groupId: group.id, text: '一' });
      await gqlOk(sg.url, ASSIGN, { input: { conversationId: c.id, agentId: agent.id } }, token);
      for (const text of ['二', '三', '四']) await gqlOk(sg.url, CUSTOMER_SAYS, { input: { conversationId: c.id, text } }, token);
      ids.push(c.id);
    }
    return { token, ids };
  }

  /**
   * The queries a request takes: the fewest over three runs, as the spy counts every query of the process and a
   * background worker's (a sweep, a routing timer) can land inside one run's window (it did under CI load).
   * Background work only adds, so the minimum is the request's own count.
   */
  async function countQueries(run: () => Promise<unknown>): Promise<number> {
    let fewest = Infinity;
    for (let i = 0; i < 3; i++) {
      const spy = jest.spyOn(MysqlQueryRunner.prototype, 'query');
      try {
        await run();
        fewest = Math.min(fewest, spy.mock.calls.length);
      } finally {
        spy.mockRestore();
      }
    }
    return fewest;
  }

  it('answers a nested list over N conversations with the same number of SQL queries for N = 2 and N = 8', async () => {
    const small = await tenantWith(2);
    const large = await tenantWith(8);

    let smallData: any;
    let largeData: any;
    const qSmall = await countQueries(async () => (smallData = await gqlOk(sg.url, LIST, {}, small.token)));
    const qLarge = await countQueries(async () => (largeData = await gqlOk(sg.url, LIST, {}, large.token)));
    expect(largeData.conversations.nodes).toHaveLength(8);
    for (const node of largeData.conversations.nodes) {
      expect(node.assignee.groups).toHaveLength(1);
      expect(node.messages.nodes.map((m: { text: string }) => m.text)).toEqual(['一', '二', '三']);
      expect(node.messages.pageInfo.hasNextPage).toBe(true);
      expect(node.messages.nodes.every((m: { conversation: { id: string } }) => m.conversation.id === node.id)).toBe(true);
      expect(node.customer.conversations.nodes).toEqual([{ id: node.id }]);
    }
    expect(smallData.conversations.nodes).toHaveLength(2);
    expect(qSmall).toBeGreaterThan(0);
    expect(qLarge).toBe(qSmall);
    expect(qLarge).toBeLessThanOrEqual(12);

    const rSmall = await countQueries(() => gqlOk(sg.url, REFS, { r: small.ids.map((id) => ({ __typename: 'Conversation', id })) }, small.token));
    const rLarge = await countQueries(() => gqlOk(sg.url, REFS, { r: large.ids.map((id) => ({ __typename: 'Conversation', id })) }, large.token));
    expect(rLarge).toBe(rSmall);
  });
});

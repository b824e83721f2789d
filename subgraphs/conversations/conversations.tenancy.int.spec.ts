import { gql, gqlOk } from '../../test/helpers/graphql-client.js';
import { newTenant, tokenFor } from '../../test/helpers/env.js';
import { startTestSubgraph, type TestSubgraph } from '../../test/helpers/subgraph-harness.js';
import { newId } from '../_shared/ids.js';
import { ASSIGN, createAgent, CUSTOMER_SAYS, openConversation, RESOLVE, SEND } from './conversations.testing.js';
import { conversationsSubgraph } from './index.js';

describe('conversations subgraph: tenant isolation', () => {
  let sg: TestSubgraph;
  beforeAll(async () => {
    sg = await startTestSubgraph(conversationsSubgraph, { db: 'conversations_tenancy', stream: 'conv-tenancy' });
  });
  afterAll(() => sg.close());

  it("tenant B can neither read nor write tenant A's conversations, messages, agents, groups or channels", async () => {
    const [tA, tB] = [newTenant('a'), newTenant('b')];
    const [adminA, adminB] = [await tokenFor(tA, ['admin']), await tokenFor(tB, ['admin'])];
    const agentA = await createAgent(sg.url, adminA, '李娜');
    const agentB = await createAgent(sg.url, adminB, '王芳');
    const groupA = (await gqlOk(sg.url, `mutation { createAgentGroup(input: { name: "订单组" }) { group { id } } }`, {}, adminA)).createAgentGroup.group;
    const channelA = (await gqlOk(sg.url, `mutation { createChannel(input: { type: "app", name: "App" }) { channel { id } } }`, {}, adminA)).createChannel.channel;
    const customerId = newId(); // the same customer id in both tenants must not mix either
    const a = await openConversation(sg.url, adminA, { customerId, text: 'A 的消息', channelType: 'app', channelId: channelA.id, groupId: groupA.id });
    await gqlOk(sg.url, ASSIGN, { input: { conversationId: a.id, agentId: agentA.id } }, adminA);
    const b = await openConversation(sg.url, adminB, { customerId });
    const messageA = (await gqlOk(sg.url, `query($id: ID!) { conversation(id: $id) { messages { nodes { id } } } }`, { id: a.id }, adminA)).conversation.messages.nodes[0];

    // Reads by id: null, as if it did not exist.
    const byId = await gqlOk(sg.url, `query($c: ID!, $a: ID!) { conversation(id: $c) { id } agent(id: $a) { id } }`, { c: a.id, a: agentA.id }, adminB);
    expect(byId).toEqual({ conversation: null, agent: null });

    // Lists: only B's rows.
    const lists = await gqlOk(sg.url, `{ conversations(first: 50) { nodes { id } } agents { id } agentGroups { id } channels { id } }`, {}, adminB);
    expect(lists).toEqual({ conversations: { nodes: [{ id: b.id }] }, agents: [{ id: agentB.id }], agentGroups: [], channels: [] });
    const filtered = await gqlOk(sg.url, `query($c: ID!, $a: ID!) { byCustomer: conversations(customerId: $c) { nodes { id } } byAgent: conversations(assigneeId: $a) { nodes { id } } }`, { c: customerId, a: agentA.id }, adminB);
    expect(filtered).toEqual({ byCustomer: { nodes: [{ id: b.id }] }, byAgent: { nodes: [] } });

    // References the gateway resolves: null for another tenant's ids; Customer.conversations only B's.
    const ENTITIES = `query($r: [_Any!]!) { _entities(representations: $r) {
      ... on Conversation { id } ... on Message { id } ... on Agent { id } ... on AgentGroup { id } ... on Channel { id }
      ... on Customer { conversations { nodes { id } } } } }`;
    const refs = await gqlOk(sg.url, ENTITIES, { r: [
      { __typename: 'Conversation', id: a.id }, { __typename: 'Message', id: messageA.id }, { __typename: 'Agent', id: agentA.id },
      { __typename: 'AgentGroup', id: groupA.id }, { __typename: 'Channel', id: channelA.id }, { __typename: 'Customer', id: customerId },
    ] }, adminB);
    expect(refs._entities).toEqual([null, null, null, null, null, { conversations: { nodes: [{ id: b.id }] } }]);

    // Writes: NOT_FOUND, and nothing changes on A's side.
    const code = async (query: string, input: Record<string, unknown>) => (await gql(sg.url, query, { input }, adminB)).errors?.[0].extensions?.code;
    expect(await code(SEND, { conversationId: a.id, text: '越权' })).toBe('NOT_FOUND');
    expect(await code(CUSTOMER_SAYS, { conversationId: a.id, text: '越权' })).toBe('NOT_FOUND');
    expect(await code(ASSIGN, { conversationId: a.id, agentId: agentB.id })).toBe('NOT_FOUND');
    expect(await code(ASSIGN, { conversationId: b.id, agentId: agentA.id })).toBe('NOT_FOUND');
    expect(await code(RESOLVE, { conversationId: a.id })).toBe('NOT_FOUND');
    const OPEN_WITH = `mutation($input: CreateConversationInput!) { createConversation(input: $input) { conversation { id } } }`;
    expect(await code(OPEN_WITH, { customerId, channelType: 'app', channelId: channelA.id, subject: 'x' })).toBe('NOT_FOUND');
    expect(await code(OPEN_WITH, { customerId, channelType: 'app', groupId: groupA.id, subject: 'x' })).toBe('NOT_FOUND');
    expect(await code(`mutation($input: CreateAgentInput!) { createAgent(input: $input) { agent { id } } }`, { name: 'x', email: 'x@example.com', groupIds: [groupA.id] })).toBe('NOT_FOUND');

    const after = await gqlOk(sg.url, `query($id: ID!) { conversation(id: $id) { status assignee { id } messages { nodes { text } } } }`, { id: a.id }, adminA);
    expect(after.conversation).toEqual({ status: 'ASSIGNED', assignee: { id: agentA.id }, messages: { nodes: [{ text: 'A 的消息' }] } });
  });
});

import { gql, gqlOk } from '../../../test/helpers/graphql-client.js';
import { newTenant, tokenFor } from '../../../test/helpers/env.js';
import { startTestSubgraph, type TestSubgraph } from '../../../test/helpers/subgraph-harness.js';
import { newId } from '../../_shared/ids.js';
import {
  ASSIGN, collectEvents, createAgent, CUSTOMER_SAYS, eventually, OPEN, openConversation, RESOLVE, SEND,
} from '../conversations.testing.js';
import { conversationsSubgraph } from '../index.js';

// MariaDB in distributed mode; SQLite is what embedded mode (npm start) runs on, so the same rules run on both.
describe.each([
  ['MariaDB', { db: 'conversations_life' }],
  ['SQLite', { databaseUrl: 'sqlite::memory:' }],
])('conversations subgraph on %s: lifecycle, messages, pages', (_db, where) => {
  let sg: TestSubgraph;
  beforeAll(async () => {
    sg = await startTestSubgraph(conversationsSubgraph, { ...where, stream: 'conv-life' });
  });
  afterAll(() => sg.close());

  const MESSAGES = `query($id: ID!) { conversation(id: $id) { id status firstResponseAt assignee { name } messages(first: 50) { nodes { senderType senderId text internal } } } }`;

  it('opens in the queue, is assigned, answered once for first response, resolved, and reopened by the customer', async () => {
    const tenant = newTenant();
    const admin = await tokenFor(tenant, ['admin']);
    const bus = await collectEvents(sg.events, tenant);
    const agent = await createAgent(sg.url, admin, '王芳');
    const agentToken = await tokenFor(tenant, ['agent'], agent.id);
    const customerId = newId();

    const opened = await gqlOk(sg.url, OPEN, { input: { customerId, channelType: 'wechat-oa', subject: '五常大米什么时候发货？', text: '你好，请问什么时候发货？' } }, agentToken);
    const c = opened.createConversation.conversation;
    expect(c).toMatchObject({ status: 'QUEUED', subject: '五常大米什么时候发货？', channelType: 'wechat-oa', firstResponseAt: null, customer: { id: customerId } });

    const assigned = await gqlOk(sg.url, ASSIGN, { input: { conversationId: c.id, agentId: agent.id } }, agentToken);
    expect(assigned.assignConversation.conversation).toMatchObject({ status: 'ASSIGNED', assignee: { id: agent.id, name: '王芳' } });

    const note = await gqlOk(sg.url, SEND, { input: { conversationId: c.id, text: '客户是老顾客，优先处理', internal: true } }, agentToken);
    expect(note.sendMessage.conversation.firstResponseAt).toBeNull();
    const reply = await gqlOk(sg.url, SEND, { input: { conversationId: c.id, text: '您好，今天下午发出。' } }, agentToken);
    const firstResponseAt = reply.sendMessage.conversation.firstResponseAt;
    expect(firstResponseAt).toEqual(expect.any(String));
    expect(reply.sendMessage.message).toMatchObject({ senderType: 'AGENT', senderId: agent.id, internal: false });
    const again = await gqlOk(sg.url, SEND, { input: { conversationId: c.id, text: '发货后会短信通知您。' } }, agentToken);
    expect(again.sendMessage.conversation.firstResponseAt).toBe(firstResponseAt);

    const resolved = await gqlOk(sg.url, RESOLVE, { input: { conversationId: c.id } }, agentToken);
    expect(resolved.resolveConversation.conversation.status).toBe('RESOLVED');
    const back = await gqlOk(sg.url, CUSTOMER_SAYS, { input: { conversationId: c.id, text: '还没收到短信' } }, agentToken);
    expect(back.addCustomerMessage.conversation.status).toBe('ASSIGNED');

    const read = await gqlOk(sg.url, MESSAGES, { id: c.id }, agentToken);
    expect(read.conversation.messages.nodes).toEqual([
      { senderType: 'CUSTOMER', senderId: null, text: '你好，请问什么时候发货？', internal: false },
      { senderType: 'AGENT', senderId: agent.id, text: '客户是老顾客，优先处理', internal: true },
      { senderType: 'AGENT', senderId: agent.id, text: '您好，今天下午发出。', internal: false },
      { senderType: 'AGENT', senderId: agent.id, text: '发货后会短信通知您。', internal: false },
      { senderType: 'CUSTOMER', senderId: null, text: '还没收到短信', internal: false },
    ]);

    // Domain events, with the exact data the analytics subgraph consumes.
    await eventually(() => bus.seen.some((e) => e.type === 'message.received' && bus.seen.filter((x) => x.type === 'message.received').length === 2));
    await new Promise((r) => setTimeout(r, 300)); // nothing more is coming
    await bus.stop();
    const of = (type: string) => bus.seen.filter((e) => e.type === type).map((e) => e.data);
    // Every transition carries its lifecycle-log row (eventId), from/to and who did it.
    const by = { actorType: 'AGENT', actorId: agent.id, eventId: expect.any(String), conversationId: c.id, customerId };
    expect(of('conversation.opened')).toEqual([{ ...by, channelType: 'wechat-oa', from: null, to: 'QUEUED' }]);
    const [first] = of('conversation.first_response') as Array<{ conversationId: string; seconds: number }>;
    expect(of('conversation.first_response')).toHaveLength(1);
    expect(first.conversationId).toBe(c.id);
    expect(first.seconds).toBeGreaterThanOrEqual(0);
    expect(first.seconds).toBeLessThan(60);
    expect(of('conversation.assigned')).toEqual([{ ...by, agentId: agent.id, from: 'QUEUED', to: 'ASSIGNED' }]);
    expect(of('conversation.resolved')).toEqual([{ ...by, from: 'ASSIGNED', to: 'RESOLVED' }]);
    expect(of('conversation.reopened')).toEqual([{ ...by, actorType: 'CUSTOMER', actorId: customerId, from: 'RESOLVED', to: 'ASSIGNED' }]);
    expect(of('message.received')).toHaveLength(2);
    expect(of('message.sent')).toHaveLength(2); // the internal note is not sent to the customer
  });

  it('refuses an unknown agent or conversation with NOT_FOUND and an empty text with BAD_USER_INPUT', async () => {
    const tenant = newTenant();
    const token = await tokenFor(tenant, ['supervisor']);
    const c = await openConversation(sg.url, token);
    const unknownAgent = await gql(sg.url, ASSIGN, { input: { conversationId: c.id, agentId: newId() } }, token);
    expect(unknownAgent.errors?.[0].extensions?.code).toBe('NOT_FOUND');
    const unknownConversation = await gql(sg.url, SEND, { input: { conversationId: newId(), text: 'hi' } }, token);
    expect(unknownConversation.errors?.[0].extensions?.code).toBe('NOT_FOUND');
    const empty = await gql(sg.url, SEND, { input: { conversationId: c.id, text: '' } }, token);
    expect(empty.errors?.[0].extensions?.code).toBe('BAD_USER_INPUT');
    expect(empty.errors?.[0].extensions?.fields.map((f: { field: string }) => f.field)).toEqual(['text']);
    const bad = await gql(sg.url, OPEN, { input: { customerId: 'not-a-uuid', channelType: 'WeChat OA', subject: '' } }, token);
    expect(bad.errors?.[0].extensions?.fields.map((f: { field: string }) => f.field).sort()).toEqual(['channelType', 'customerId', 'subject']);
    expect(JSON.stringify(bad.errors)).not.toContain('stacktrace');
  });

  it('pages messages oldest first and conversations by latest activity, with filters', async () => {
    const tenant = newTenant();
    const token = await tokenFor(tenant, ['agent']);
    const customerId = newId();
    const a = await openConversation(sg.url, token, { customerId, text: '一' });
    for (const text of ['二', '三', '四', '五']) await gqlOk(sg.url, CUSTOMER_SAYS, { input: { conversationId: a.id, text } }, token);
    const b = await openConversation(sg.url, token, { customerId });
    const other = await openConversation(sg.url, token);

    const PAGE = `query($id: ID!, $after: String) { conversation(id: $id) { messages(first: 2, after: $after) { nodes { text } pageInfo { hasNextPage endCursor } } } }`;
    const texts: string[] = [];
    let after: string | null = null;
    for (let i = 0; i < 3; i++) {
      const page: any = (await gqlOk(sg.url, PAGE, { id: a.id, after }, token)).conversation.messages;
      texts.push(...page.nodes.map((n: { text: string }) => n.text));
      expect(page.pageInfo.hasNextPage).toBe(i < 2);
      after = page.pageInfo.endCursor;
    }
    expect(texts).toEqual(['一', '二', '三', '四', '五']);

    // Latest activity first: a message moves a conversation to the top.
    const LIST = `query($after: String, $customerId: ID, $status: ConversationStatus) { conversations(first: 2, after: $after, customerId: $customerId, status: $status) { nodes { id } pageInfo { hasNextPage endCursor } } }`;
    const p1 = (await gqlOk(sg.url, LIST, {}, token)).conversations;
    expect(p1.nodes.map((n: { id: string }) => n.id)).toEqual([other.id, b.id]);
    const p2 = (await gqlOk(sg.url, LIST, { after: p1.pageInfo.endCursor }, token)).conversations;
    expect(p2.nodes.map((n: { id: string }) => n.id)).toEqual([a.id]);
    expect(p2.pageInfo.hasNextPage).toBe(false);
    await gqlOk(sg.url, CUSTOMER_SAYS, { input: { conversationId: a.id, text: '六' } }, token);
    const mine = (await gqlOk(sg.url, LIST, { customerId }, token)).conversations;
    expect(mine.nodes.map((n: { id: string }) => n.id)).toEqual([a.id, b.id]);
    await gqlOk(sg.url, RESOLVE, { input: { conversationId: b.id } }, token);
    const resolved = (await gqlOk(sg.url, LIST, { status: 'RESOLVED' }, token)).conversations;
    expect(resolved.nodes.map((n: { id: string }) => n.id)).toEqual([b.id]);

    // Customer.conversations, as the gateway asks for it.
    const ENTITIES = `query($r: [_Any!]!) { _entities(representations: $r) { ... on Customer { id conversations(first: 1) { nodes { id } pageInfo { hasNextPage } } } } }`;
    const ent = await gqlOk(sg.url, ENTITIES, { r: [{ __typename: 'Customer', id: customerId }, { __typename: 'Customer', id: newId() }] }, token);
    expect(ent._entities).toEqual([
      { id: customerId, conversations: { nodes: [{ id: a.id }], pageInfo: { hasNextPage: true } } },
      { id: expect.any(String), conversations: { nodes: [], pageInfo: { hasNextPage: false } } },
    ]);

    const badCursor = await gql(sg.url, PAGE, { id: a.id, after: 'nope' }, token);
    expect(badCursor.errors?.[0].extensions?.code).toBe('BAD_USER_INPUT');
  });

  it('requires a token, and the right role for each write', async () => {
    const tenant = newTenant();
    expect((await gql(sg.url, `{ conversations { nodes { id } } }`)).errors?.[0].extensions?.code).toBe('UNAUTHENTICATED');
    const partner = await tokenFor(tenant, ['partner']);
    expect((await gql(sg.url, `{ agents { id } }`, {}, partner)).errors?.[0].extensions?.code).toBe('FORBIDDEN');
    const agent = await tokenFor(tenant, ['agent']);
    const channel = await gql(sg.url, `mutation { createChannel(input: { type: "taobao", name: "天猫店" }) { channel { id } } }`, {}, agent);
    expect(channel.errors?.[0].extensions?.code).toBe('FORBIDDEN');
    expect((await gql(sg.url, `mutation { createAgentGroup(input: { name: "订单组" }) { group { id } } }`, {}, agent)).errors?.[0].extensions?.code).toBe('FORBIDDEN');
    const supervisor = await tokenFor(tenant, ['supervisor']);
    const c = await openConversation(sg.url, supervisor);
    const asSupervisor = await gql(sg.url, CUSTOMER_SAYS, { input: { conversationId: c.id, text: '我是顾客' } }, supervisor);
    expect(asSupervisor.errors?.[0].extensions?.code).toBe('FORBIDDEN');
    const service = await tokenFor(tenant, ['service']);
    expect((await gqlOk(sg.url, CUSTOMER_SAYS, { input: { conversationId: c.id, text: '我是顾客' } }, service)).addCustomerMessage.message.senderType).toBe('CUSTOMER');
  });

  it('creates channels, groups and agents for the tenant; CONFLICT on a taken email or group name', async () => {
    const tenant = newTenant();
    const admin = await tokenFor(tenant, ['admin']);
    const channel = (await gqlOk(sg.url, `mutation { createChannel(input: { type: "taobao", name: "天猫店" }) { channel { id type name enabled } } }`, {}, admin)).createChannel.channel;
    expect(channel).toMatchObject({ type: 'taobao', name: '天猫店', enabled: true });
    const group = (await gqlOk(sg.url, `mutation { createAgentGroup(input: { name: "订单组", description: "订单问题" }) { group { id name description } } }`, {}, admin)).createAgentGroup.group;
    const agent = (await gqlOk(sg.url, `mutation($g: [ID!]) { createAgent(input: { name: "张伟", email: "Zhang@Example.com", maxChats: 3, groupIds: $g }) { agent { id email status maxChats groups { name } } } }`, { g: [group.id] }, admin)).createAgent.agent;
    expect(agent).toMatchObject({ email: 'zhang@example.com', status: 'OFFLINE', maxChats: 3, groups: [{ name: '订单组' }] });
    const dupe = await gql(sg.url, `mutation { createAgent(input: { name: "张伟2", email: "zhang@example.com" }) { agent { id } } }`, {}, admin);
    expect(dupe.errors?.[0].extensions?.code).toBe('CONFLICT');
    expect((await gql(sg.url, `mutation { createAgentGroup(input: { name: "订单组" }) { group { id } } }`, {}, admin)).errors?.[0].extensions?.code).toBe('CONFLICT');
    const unknownGroup = await gql(sg.url, `mutation($g: [ID!]) { createAgent(input: { name: "刘洋", email: "liu@example.com", groupIds: $g }) { agent { id } } }`, { g: [newId()] }, admin);
    expect(unknownGroup.errors?.[0].extensions?.code).toBe('NOT_FOUND');

    const c = await openConversation(sg.url, admin, { channelType: 'taobao', channelId: channel.id, groupId: group.id });
    const read = await gqlOk(sg.url, `query($id: ID!) { conversation(id: $id) { channel { name } group { name agents { name } } } channels { id } agentGroups { name } agents { name } }`, { id: c.id }, admin);
    expect(read).toEqual({
      conversation: { channel: { name: '天猫店' }, group: { name: '订单组', agents: [{ name: '张伟' }] } },
      channels: [{ id: channel.id }],
      agentGroups: [{ name: '订单组' }],
      agents: [{ name: '张伟' }],
    });
    const mismatch = await gql(sg.url, OPEN, { input: { customerId: newId(), channelType: 'douyin', channelId: channel.id, subject: 'x' } }, admin);
    expect(mismatch.errors?.[0].extensions?.code).toBe('BAD_USER_INPUT');
  });
});

import { gql, gqlOk } from '../../../test/helpers/graphql-client.js';
import { newTenant, tokenFor } from '../../../test/helpers/env.js';
import { startTestSubgraph, type TestSubgraph } from '../../../test/helpers/subgraph-harness.js';
import { newId } from '../../_shared/ids.js';
import {
  ASSIGN, BOT_SAYS, CLOSE, collectEvents, createAgent, CUSTOMER_SAYS, ESCALATE, eventually, MARK_READ, OPEN, openConversation, PENDING, RECEIVE, REOPEN, RESOLVE,
  SEND, SETTINGS,
} from '../conversations.testing.js';
import type { ConversationsServices } from '../conversations.services.js';
import { conversationsSubgraph } from '../index.js';
import { MessageSenderType } from '../message/message.entity.js';

const EVENTS = `query($id: ID!) { conversation(id: $id) { status resolvedAt closedAt events(first: 50) { nodes { type fromStatus toStatus actorType actorId data } } } }`;
const HOUR = 3600_000;

describe.each([
  ['MariaDB', { db: 'conversations_lifecycle' }],
  ['SQLite', { databaseUrl: 'sqlite::memory:' }],
])('conversation lifecycle on %s', (_db, where) => {
  let sg: TestSubgraph;
  let s: ConversationsServices;
  beforeAll(async () => {
    sg = await startTestSubgraph(conversationsSubgraph, { ...where, stream: 'conv-lifecycle' });
    s = sg.services as ConversationsServices;
  });
  afterAll(() => sg.close());

  const events = async (token: string, id: string) => (await gqlOk(sg.url, EVENTS, { id }, token)).conversation;

  it('BOT → QUEUED → ASSIGNED → PENDING → (customer) ASSIGNED → RESOLVED → (customer) REOPENED → RESOLVED → CLOSED, each an event', async () => {
    const tenant = newTenant();
    const admin = await tokenFor(tenant, ['admin']);
    const bus = await collectEvents(sg.events, tenant);
    const agent = await createAgent(sg.url, admin, '王芳');
    const agentToken = await tokenFor(tenant, ['agent'], agent.id);
    const bot = await tokenFor(tenant, ['service'], 'bot-platform');
    const group = (await gqlOk(sg.url, `mutation { createAgentGroup(input: { name: "售后组" }) { group { id } } }`, {}, admin)).createAgentGroup.group;
    const customerId = newId();

    const c = (await gqlOk(sg.url, OPEN, { input: { customerId, channelType: 'wechat-mini', subject: '退货', text: '我要退货', startWithBot: true } }, bot)).createConversation.conversation;
    expect(c.status).toBe('BOT');
    await gqlOk(sg.url, BOT_SAYS, { input: { conversationId: c.id, text: '请问是哪一笔订单？' } }, bot);
    const escalated = (await gqlOk(sg.url, ESCALATE, { input: { conversationId: c.id, groupId: group.id, reason: '客户要求人工' } }, bot)).escalateConversation.conversation;
    expect(escalated).toEqual({ id: c.id, status: 'QUEUED', group: { id: group.id } });
    // idempotent when already escalated
    expect((await gqlOk(sg.url, ESCALATE, { input: { conversationId: c.id } }, bot)).escalateConversation.conversation.status).toBe('QUEUED');
    await gqlOk(sg.url, ASSIGN, { input: { conversationId: c.id, agentId: agent.id } }, agentToken);
    expect((await gqlOk(sg.url, PENDING, { input: { conversationId: c.id } }, agentToken)).setConversationPending.conversation.status).toBe('PENDING');
    expect((await gqlOk(sg.url, CUSTOMER_SAYS, { input: { conversationId: c.id, text: '订单号 3862410087654321' } }, bot)).addCustomerMessage.conversation.status).toBe('ASSIGNED');
    await gqlOk(sg.url, RESOLVE, { input: { conversationId: c.id } }, agentToken);
    expect((await gqlOk(sg.url, CUSTOMER_SAYS, { input: { conversationId: c.id, text: '还有一个问题' } }, bot)).addCustomerMessage.conversation).toEqual({ id: c.id, status: 'ASSIGNED' });
    await gqlOk(sg.url, RESOLVE, { input: { conversationId: c.id } }, agentToken);
    const closed = (await gqlOk(sg.url, CLOSE, { input: { conversationId: c.id } }, agentToken)).closeConversation.conversation;
    expect(closed).toMatchObject({ status: 'CLOSED', closedAt: expect.any(String) });

    const log = await events(agentToken, c.id);
    expect(log.resolvedAt).toEqual(expect.any(String));
    const bySvc = { actorType: 'SYSTEM', actorId: 'bot-platform' };
    const byAgent = { actorType: 'AGENT', actorId: agent.id };
    const byCustomer = { actorType: 'CUSTOMER', actorId: customerId };
    expect(log.events.nodes).toEqual([
      { type: 'OPENED', fromStatus: null, toStatus: 'BOT', ...bySvc, data: null },
      { type: 'ESCALATED', fromStatus: 'BOT', toStatus: 'QUEUED', ...bySvc, data: { groupId: group.id, reason: '客户要求人工' } },
      { type: 'ASSIGNED', fromStatus: 'QUEUED', toStatus: 'ASSIGNED', ...byAgent, data: { agentId: agent.id } },
      { type: 'PENDING', fromStatus: 'ASSIGNED', toStatus: 'PENDING', ...byAgent, data: null },
      { type: 'RESUMED', fromStatus: 'PENDING', toStatus: 'ASSIGNED', ...byCustomer, data: null },
      { type: 'RESOLVED', fromStatus: 'ASSIGNED', toStatus: 'RESOLVED', ...byAgent, data: null },
      { type: 'REOPENED', fromStatus: 'RESOLVED', toStatus: 'ASSIGNED', ...byCustomer, data: null },
      { type: 'RESOLVED', fromStatus: 'ASSIGNED', toStatus: 'RESOLVED', ...byAgent, data: null },
      { type: 'CLOSED', fromStatus: 'RESOLVED', toStatus: 'CLOSED', ...byAgent, data: null },
    ]);

    // Each transition is also a domain event conversation.<type>, with the log row's id.
    const types = ['conversation.opened', 'conversation.escalated', 'conversation.assigned', 'conversation.pending', 'conversation.resumed', 'conversation.resolved', 'conversation.reopened', 'conversation.closed'];
    await eventually(() => bus.seen.some((e) => e.type === 'conversation.closed'));
    await bus.stop();
    const transitions = bus.seen.filter((e) => types.includes(e.type));
    expect(transitions.map((e) => e.type)).toEqual(['conversation.opened', 'conversation.escalated', 'conversation.assigned', 'conversation.pending', 'conversation.resumed', 'conversation.resolved', 'conversation.reopened', 'conversation.resolved', 'conversation.closed']);
    expect(transitions[1].data).toMatchObject({ conversationId: c.id, customerId, from: 'BOT', to: 'QUEUED', actorType: 'SYSTEM', groupId: group.id, eventId: expect.any(String) });
  });

  it('opens a new conversation for a customer writing after CLOSED or past the reopen window; reopens inside it', async () => {
    const tenant = newTenant();
    const admin = await tokenFor(tenant, ['admin']);
    const customerId = newId();
    // default window: 72 h after RESOLVED (driven through the service to place the message in time)
    const a = await s.conversations.open(tenant, { customerId, channelType: 'taobao', subject: '发票', text: '开发票' });
    const resolved = await s.conversations.resolve(tenant, a.id);
    const at = (h: number) => new Date(resolved.resolvedAt!.getTime() + h * HOUR);
    const inside = await s.conversations.addMessage(tenant, a.id, { senderType: MessageSenderType.CUSTOMER, text: '发票还没收到', at: at(71) });
    expect(inside.conversation).toMatchObject({ id: a.id, status: 'QUEUED' });
    const again = await s.conversations.resolve(tenant, a.id);
    const late = await s.conversations.addMessage(tenant, a.id, { senderType: MessageSenderType.CUSTOMER, text: '又有问题了', at: new Date(again.resolvedAt!.getTime() + 73 * HOUR) });
    expect(late.conversation.id).not.toBe(a.id);
    expect(late.conversation).toMatchObject({ status: 'QUEUED', customerId, channelType: 'taobao', subject: '发票' });
    expect(late.message).toMatchObject({ conversationId: late.conversation.id, text: '又有问题了' });
    const oldLog = await events(admin, a.id);
    expect(oldLog.status).toBe('CLOSED');
    expect(oldLog.events.nodes.at(-1)).toEqual({ type: 'CLOSED', fromStatus: 'RESOLVED', toStatus: 'CLOSED', actorType: 'SYSTEM', actorId: null, data: { reason: 'reopen_window_passed' } });
    expect((await events(admin, late.conversation.id)).events.nodes[0]).toMatchObject({ type: 'OPENED', actorType: 'CUSTOMER', actorId: customerId, data: { previousConversationId: a.id } });

    // a tenant setting of 0 h: any later customer message starts over (through GraphQL)
    expect((await gqlOk(sg.url, SETTINGS, { input: { reopenWindowHours: 0 } }, admin)).updateConversationSettings.settings).toEqual({ reopenWindowHours: 0, customized: true });
    const b = await openConversation(sg.url, admin, { customerId, text: '你好' });
    await gqlOk(sg.url, RESOLVE, { input: { conversationId: b.id } }, admin);
    await new Promise((r) => setTimeout(r, 5));
    const next = (await gqlOk(sg.url, CUSTOMER_SAYS, { input: { conversationId: b.id, text: '在吗' } }, admin)).addCustomerMessage.conversation;
    expect(next.id).not.toBe(b.id);

    // after CLOSED: an agent cannot write, the customer's message opens a new conversation
    await gqlOk(sg.url, CLOSE, { input: { conversationId: next.id } }, admin);
    expect((await gql(sg.url, SEND, { input: { conversationId: next.id, text: '您好' } }, admin)).errors?.[0].extensions?.code).toBe('CONFLICT');
    expect((await gql(sg.url, REOPEN, { input: { conversationId: next.id } }, admin)).errors?.[0].extensions?.code).toBe('CONFLICT');
    const third = (await gqlOk(sg.url, CUSTOMER_SAYS, { input: { conversationId: next.id, text: '我又来了' } }, admin)).addCustomerMessage.conversation;
    expect(third.id).not.toBe(next.id);
    expect(third.status).toBe('QUEUED');

    // receiveCustomerMessage finds the customer's open conversation on the channel, or opens one
    const r1 = (await gqlOk(sg.url, RECEIVE, { input: { customerId, channelType: 'wechat-mini', text: '小程序下单的米' } }, admin)).receiveCustomerMessage;
    const r2 = (await gqlOk(sg.url, RECEIVE, { input: { customerId, channelType: 'wechat-mini', text: '什么时候到？' } }, admin)).receiveCustomerMessage;
    expect(r2.conversation.id).toBe(r1.conversation.id);
    expect(r1.conversation).toMatchObject({ status: 'QUEUED', channelType: 'wechat-mini' });
    const r3 = (await gqlOk(sg.url, RECEIVE, { input: { customerId, channelType: 'wechat-oa', text: '公众号这边也问一下' } }, admin)).receiveCustomerMessage;
    expect(r3.conversation.id).toBe(third.id);
    const r4 = (await gqlOk(sg.url, RECEIVE, { input: { customerId, channelType: 'taobao', text: '淘宝这边呢' } }, admin)).receiveCustomerMessage;
    expect(r4.conversation.id).toBe(late.conversation.id);
  });

  it('manual reopen, and the role rules of each transition', async () => {
    const tenant = newTenant();
    const [admin, supervisor, agent, partner, service] = await Promise.all([
      tokenFor(tenant, ['admin']), tokenFor(tenant, ['supervisor']), tokenFor(tenant, ['agent']), tokenFor(tenant, ['partner']), tokenFor(tenant, ['service']),
    ]);
    const code = async (q: string, input: Record<string, unknown>, token: string) => (await gql(sg.url, q, { input }, token)).errors?.[0].extensions?.code;
    const c = await openConversation(sg.url, admin, { text: '你好' });
    // an agent may not close what is not resolved; a supervisor may
    expect(await code(CLOSE, { conversationId: c.id }, agent)).toBe('FORBIDDEN');
    expect(await code(PENDING, { conversationId: c.id }, service)).toBe('FORBIDDEN');
    expect(await code(REOPEN, { conversationId: c.id }, partner)).toBe('FORBIDDEN');
    expect(await code(BOT_SAYS, { conversationId: c.id, text: '机器人' }, agent)).toBe('FORBIDDEN');
    expect(await code(ESCALATE, { conversationId: c.id }, partner)).toBe('FORBIDDEN');
    expect(await code(SETTINGS, { reopenWindowHours: 1 }, supervisor)).toBe('FORBIDDEN');
    expect(await code(MARK_READ, { conversationId: c.id }, partner)).toBe('FORBIDDEN');
    expect(await code(RECEIVE, { customerId: newId(), channelType: 'app', text: 'x' }, supervisor)).toBe('FORBIDDEN');
    expect(await code(RECEIVE, { customerId: newId(), channelType: 'app', text: ' ' }, service)).toBe('BAD_USER_INPUT');
    expect(await code(SETTINGS, { reopenWindowHours: -1 }, admin)).toBe('BAD_USER_INPUT');
    expect(await code(ESCALATE, { conversationId: newId() }, service)).toBe('NOT_FOUND');
    // escalation is for conversations with the bot
    expect(await code(PENDING, { conversationId: c.id }, agent)).toBeUndefined();
    expect(await code(ESCALATE, { conversationId: c.id }, service)).toBe('CONFLICT');
    await gqlOk(sg.url, RESOLVE, { input: { conversationId: c.id } }, agent);
    expect(await code(PENDING, { conversationId: c.id }, agent)).toBe('CONFLICT');
    expect((await gqlOk(sg.url, REOPEN, { input: { conversationId: c.id } }, agent)).reopenConversation.conversation.status).toBe('QUEUED');
    expect((await gqlOk(sg.url, CLOSE, { input: { conversationId: c.id, reason: '重复会话' } }, supervisor)).closeConversation.conversation.status).toBe('CLOSED');
    const log = await events(admin, c.id);
    expect(log.events.nodes.map((e: { type: string }) => e.type)).toEqual(['OPENED', 'PENDING', 'RESOLVED', 'REOPENED', 'CLOSED']);
    expect(log.events.nodes.at(-1).data).toEqual({ reason: '重复会话' });
    const d = await gqlOk(sg.url, `{ conversationSettings { reopenWindowHours customized } }`, {}, agent);
    expect(d.conversationSettings).toEqual({ reopenWindowHours: 72, customized: false });
  });

  it('hides internal notes from anyone but staff, and keeps attachments as media references', async () => {
    const tenant = newTenant();
    const admin = await tokenFor(tenant, ['admin']);
    const partner = await tokenFor(tenant, ['partner']);
    const c = await openConversation(sg.url, admin, { text: '图片看一下' });
    const photo = { kind: 'image', mediaRef: 'wx-media-3kd93kd', name: 'rice.jpg', size: 20480, mime: 'image/jpeg' };
    const withPhoto = await gqlOk(sg.url, `mutation($input: AddCustomerMessageInput!) { addCustomerMessage(input: $input) { message { id kind attachments { kind mediaRef name size mime } } } }`,
      { input: { conversationId: c.id, text: '米袋破了', attachments: [photo] } }, admin);
    expect(withPhoto.addCustomerMessage.message.attachments).toEqual([photo]);
    const note = (await gqlOk(sg.url, SEND, { input: { conversationId: c.id, text: '老客户，优先补发', internal: true } }, admin)).sendMessage.message;
    await gqlOk(sg.url, SEND, { input: { conversationId: c.id, text: '已为您补发' } }, admin);
    const bad = await gql(sg.url, SEND, { input: { conversationId: c.id, text: 'x', attachments: [{ kind: 'Image!', mediaRef: '' }] } }, admin);
    expect(bad.errors?.[0].extensions?.code).toBe('BAD_USER_INPUT');

    const Q = `query($r: [_Any!]!) { _entities(representations: $r) { ... on Conversation { messages(first: 10) { nodes { text internal } } } ... on Message { id text } } }`;
    const r = [{ __typename: 'Conversation', id: c.id }, { __typename: 'Message', id: note.id }];
    const asStaff = (await gqlOk(sg.url, Q, { r }, admin))._entities;
    expect(asStaff[0].messages.nodes.map((m: { text: string }) => m.text)).toEqual(['图片看一下', '米袋破了', '老客户，优先补发', '已为您补发']);
    expect(asStaff[1]).toEqual({ id: note.id, text: '老客户，优先补发' });
    const asPartner = (await gqlOk(sg.url, Q, { r }, partner))._entities;
    expect(asPartner[0].messages.nodes).toEqual([{ text: '图片看一下', internal: false }, { text: '米袋破了', internal: false }, { text: '已为您补发', internal: false }]);
    expect(asPartner[1]).toBeNull();
  });

  it('counts unread messages per reader, and clears them on markConversationRead or a reply', async () => {
    const tenant = newTenant();
    const admin = await tokenFor(tenant, ['admin']);
    const [liNa, wangFang] = [await createAgent(sg.url, admin, '李娜'), await createAgent(sg.url, admin, '王芳')];
    const li = await tokenFor(tenant, ['agent'], liNa.id);
    const wang = await tokenFor(tenant, ['agent'], wangFang.id);
    const service = await tokenFor(tenant, ['service']);
    const a = await openConversation(sg.url, service, { text: '一' });
    const b = await openConversation(sg.url, service, { text: '甲' });
    await gqlOk(sg.url, CUSTOMER_SAYS, { input: { conversationId: a.id, text: '二' } }, service);
    const LIST = `{ conversations(first: 10) { nodes { id unreadCount lastReadAt } } }`;
    const unread = async (token: string) => Object.fromEntries((await gqlOk(sg.url, LIST, {}, token)).conversations.nodes.map((n: { id: string; unreadCount: number }) => [n.id, n.unreadCount]));
    expect(await unread(li)).toEqual({ [a.id]: 2, [b.id]: 1 });

    const read = (await gqlOk(sg.url, MARK_READ, { input: { conversationId: a.id } }, li)).markConversationRead;
    expect(read.conversation.unreadCount).toBe(0);
    expect(await unread(li)).toEqual({ [a.id]: 0, [b.id]: 1 });
    expect(await unread(wang)).toEqual({ [a.id]: 2, [b.id]: 1 }); // per reader
    await gqlOk(sg.url, CUSTOMER_SAYS, { input: { conversationId: a.id, text: '三' } }, service);
    await gqlOk(sg.url, SEND, { input: { conversationId: a.id, text: '王芳的备注', internal: true } }, wang);
    expect(await unread(li)).toEqual({ [a.id]: 2, [b.id]: 1 });
    // writing (a note or a reply) means having read what came before; one's own messages never count
    expect((await unread(wang))[a.id]).toBe(0);
    await gqlOk(sg.url, CUSTOMER_SAYS, { input: { conversationId: a.id, text: '四' } }, service);
    expect((await unread(wang))[a.id]).toBe(1);
    await gqlOk(sg.url, SEND, { input: { conversationId: a.id, text: '马上处理' } }, wang);
    expect((await unread(wang))[a.id]).toBe(0);
    expect((await unread(li))[a.id]).toBe(4);
    // up to a message; never backwards
    const first = (await gqlOk(sg.url, `query($id: ID!) { conversation(id: $id) { messages(first: 1) { nodes { id } } } }`, { id: b.id }, li)).conversation.messages.nodes[0];
    await gqlOk(sg.url, CUSTOMER_SAYS, { input: { conversationId: b.id, text: '乙' } }, service);
    expect((await gqlOk(sg.url, MARK_READ, { input: { conversationId: b.id, upToMessageId: first.id } }, li)).markConversationRead.conversation.unreadCount).toBe(1);
    const later = (await gqlOk(sg.url, MARK_READ, { input: { conversationId: b.id } }, li)).markConversationRead.lastReadAt;
    expect((await gqlOk(sg.url, MARK_READ, { input: { conversationId: b.id, upToMessageId: first.id } }, li)).markConversationRead.lastReadAt).toBe(later);
    expect((await gql(sg.url, MARK_READ, { input: { conversationId: b.id, upToMessageId: newId() } }, li)).errors?.[0].extensions?.code).toBe('NOT_FOUND');
  });
});

import { gql, gqlOk } from '../../test/helpers/graphql-client.js';
import { newTenant, tokenFor } from '../../test/helpers/env.js';
import { startTestSubgraph, type TestSubgraph } from '../../test/helpers/subgraph-harness.js';
import { newId } from '../_shared/ids.js';
import {
  ASSIGN, BOT_SAYS, CLOSE, createAgent, ESCALATE, MARK_READ, openConversation, PENDING, RECEIVE, REOPEN, SEND, SETTINGS, timelineOf,
} from './conversations.testing.js';
import { conversationsSubgraph } from './index.js';

describe('conversations subgraph: tenant isolation of the lifecycle, read state, timeline, context and handoff', () => {
  let sg: TestSubgraph;
  beforeAll(async () => {
    sg = await startTestSubgraph(conversationsSubgraph, { db: 'conversations_tenancy', stream: 'conv-lifecycle-tenancy' });
  });
  afterAll(() => sg.close());

  it("tenant B can neither read nor change tenant A's lifecycle, reads, timeline, context, summaries or settings", async () => {
    const [tA, tB] = [newTenant('a'), newTenant('b')];
    const [adminA, adminB, serviceB] = [await tokenFor(tA, ['admin']), await tokenFor(tB, ['admin']), await tokenFor(tB, ['service'])];
    const agentA = await createAgent(sg.url, adminA);
    const customerId = newId(); // the same customer id in both tenants
    await openConversation(sg.url, adminA, { customerId, channelType: 'app', text: '订单 3862410087654321 没到' });
    const a = await openConversation(sg.url, adminA, { customerId, channelType: 'phone', text: 'A 的电话' });
    await gqlOk(sg.url, ASSIGN, { input: { conversationId: a.id, agentId: agentA.id } }, adminA);
    await gqlOk(sg.url, SEND, { input: { conversationId: a.id, text: 'A 的备注', internal: true } }, adminA);
    const state = `query($id: ID!) { conversation(id: $id) { status unreadCount events { nodes { id type } } messages { nodes { text } } handoffSummary { id } } }`;
    const before = (await gqlOk(sg.url, state, { id: a.id }, adminA)).conversation;
    expect(before.handoffSummary).not.toBeNull();
    const timelineA = await timelineOf(sg.url, adminA, customerId, { first: 50 });

    const code = async (q: string, input: Record<string, unknown>, token = adminB) => (await gql(sg.url, q, { input }, token)).errors?.[0].extensions?.code;
    expect(await code(ESCALATE, { conversationId: a.id })).toBe('NOT_FOUND');
    expect(await code(PENDING, { conversationId: a.id })).toBe('NOT_FOUND');
    expect(await code(CLOSE, { conversationId: a.id })).toBe('NOT_FOUND');
    expect(await code(REOPEN, { conversationId: a.id })).toBe('NOT_FOUND');
    expect(await code(MARK_READ, { conversationId: a.id })).toBe('NOT_FOUND');
    expect(await code(BOT_SAYS, { conversationId: a.id, text: '越权' }, serviceB)).toBe('NOT_FOUND');
    // B's customer message with the same customer id lands in a conversation of B's own
    const received = (await gqlOk(sg.url, RECEIVE, { input: { customerId, channelType: 'phone', text: 'B 的来电' } }, serviceB)).receiveCustomerMessage;
    expect(received.conversation.id).not.toBe(a.id);
    // settings are per tenant
    await gqlOk(sg.url, SETTINGS, { input: { reopenWindowHours: 1 } }, adminB);
    expect((await gqlOk(sg.url, `{ conversationSettings { reopenWindowHours customized } }`, {}, adminA)).conversationSettings).toEqual({ reopenWindowHours: 72, customized: false });

    // Reads: B's view of the customer holds only B's conversation; A's rows resolve to nothing.
    const timelineB = await timelineOf(sg.url, adminB, customerId, { first: 50 });
    expect(timelineB.nodes.map((n: { conversation: { id: string } }) => n.conversation.id)).toEqual([received.conversation.id, received.conversation.id]);
    const ctx = await gqlOk(sg.url, `query($r: [_Any!]!) { _entities(representations: $r) { ... on Customer { context { recentMessages { text } orderIds channels } } } }`, { r: [{ __typename: 'Customer', id: customerId }] }, adminB);
    expect(ctx._entities[0].context).toEqual({ recentMessages: [{ text: 'B 的来电' }], orderIds: [], channels: ['phone'] });
    const refs = await gqlOk(sg.url, `query($r: [_Any!]!) { _entities(representations: $r) { ... on ConversationEvent { id } ... on HandoffSummary { id } ... on Conversation { id } } }`, {
      r: [{ __typename: 'ConversationEvent', id: before.events.nodes[0].id }, { __typename: 'HandoffSummary', id: before.handoffSummary.id }, { __typename: 'Conversation', id: a.id }],
    }, adminB);
    expect(refs._entities).toEqual([null, null, null]);

    // Nothing changed on A's side.
    expect((await gqlOk(sg.url, state, { id: a.id }, adminA)).conversation).toEqual(before);
    expect(await timelineOf(sg.url, adminA, customerId, { first: 50 })).toEqual(timelineA);
  });
});

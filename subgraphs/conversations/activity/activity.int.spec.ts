import { gqlOk } from '../../../test/helpers/graphql-client.js';
import { newTenant, tokenFor } from '../../../test/helpers/env.js';
import { startTestSubgraph, type TestSubgraph } from '../../../test/helpers/subgraph-harness.js';
import { newId } from '../../_shared/ids.js';
import { ASSIGN, createAgent, CUSTOMER_SAYS, eventually, openConversation, repeatUntil, RESOLVE, SEND, subscribe } from '../conversations.testing.js';
import { conversationsSubgraph } from '../index.js';

const FIELDS = `kind conversation { id channelType } message { text internal senderType } event { type toStatus }`;
const BY_CONVERSATION = `subscription($id: ID!) { conversationEvents(conversationId: $id) { ${FIELDS} } }`;
const BY_CUSTOMER = `subscription($id: ID!) { customerEvents(customerId: $id) { ${FIELDS} } }`;
const MINE = `subscription { myConversations { ${FIELDS} } }`;
type Item = { kind: string; conversation: { id: string; channelType: string }; message: { text: string; internal: boolean } | null; event: { type: string } | null };
const what = (i: Item) => `${i.conversation.channelType}:${i.message?.text ?? i.event?.type ?? i.kind}`;

describe('conversationEvents, customerEvents and myConversations across two replicas on one Redis', () => {
  const stream = `conv-activity-${newId().slice(0, 8)}`;
  let a: TestSubgraph;
  let b: TestSubgraph;
  beforeAll(async () => {
    a = await startTestSubgraph(conversationsSubgraph, { db: 'conversations_activity', stream });
    b = await startTestSubgraph(conversationsSubgraph, { db: 'conversations_activity', stream });
  });
  afterAll(async () => {
    await a?.close();
    await b?.close();
  });

  it('delivers writes made on replica A to subscribers on replica B, scoped to the conversation, the customer, the agent', async () => {
    const tenant = newTenant();
    const admin = await tokenFor(tenant, ['admin']);
    const agent = await createAgent(a.url, admin);
    const agentToken = await tokenFor(tenant, ['agent'], agent.id);
    const customerId = newId();
    const app = await openConversation(a.url, admin, { customerId, channelType: 'app', text: '一' });
    const other = await openConversation(a.url, admin, { channelType: 'app', text: '别人' });

    const conv = subscribe<{ conversationEvents: Item }>(b.url, agentToken, BY_CONVERSATION, { id: app.id });
    const cust = subscribe<{ customerEvents: Item }>(b.url, agentToken, BY_CUSTOMER, { id: customerId });
    const mine = subscribe<{ myConversations: Item }>(b.url, agentToken, MINE);
    try {
      await repeatUntil(() => gqlOk(a.url, CUSTOMER_SAYS, { input: { conversationId: app.id, text: 'ping' } }, admin), () => conv.received.length > 0 && cust.received.length > 0);
      await new Promise((r) => setTimeout(r, 200));
      for (const s of [conv, cust]) s.received.length = 0;

      await gqlOk(a.url, CUSTOMER_SAYS, { input: { conversationId: other.id, text: '别人的第二条' } }, admin);
      await gqlOk(a.url, ASSIGN, { input: { conversationId: app.id, agentId: agent.id } }, admin);
      await gqlOk(a.url, SEND, { input: { conversationId: app.id, text: '内部备注', internal: true } }, admin);
      const taobao = await openConversation(a.url, admin, { customerId, channelType: 'taobao', text: '淘宝' });
      await gqlOk(a.url, CUSTOMER_SAYS, { input: { conversationId: app.id, text: '二' } }, admin);
      await gqlOk(a.url, RESOLVE, { input: { conversationId: taobao.id } }, admin);
      await gqlOk(a.url, CUSTOMER_SAYS, { input: { conversationId: app.id, text: 'marker' } }, admin);

      await eventually(() => conv.received.some((r) => r.conversationEvents.message?.text === 'marker'));
      expect(conv.received.map((r) => what(r.conversationEvents))).toEqual(['app:ASSIGNED', 'app:内部备注', 'app:二', 'app:marker']);
      expect(conv.received[1].conversationEvents.message).toEqual({ text: '内部备注', internal: true, senderType: 'AGENT' }); // staff see notes live

      await eventually(() => cust.received.some((r) => r.customerEvents.message?.text === 'marker'));
      expect(cust.received.map((r) => what(r.customerEvents))).toEqual([
        // a second channel within 30 days: the new conversation comes with a handoff summary
        'app:ASSIGNED', 'app:内部备注', 'taobao:OPENED', 'taobao:淘宝', 'taobao:HANDOFF', 'app:二', 'taobao:RESOLVED', 'app:marker',
      ]);

      // The agent's inbox: the assignment and everything in the conversation they hold, nothing about the rest.
      await eventually(() => mine.received.some((r) => r.myConversations.message?.text === 'marker'));
      expect(mine.received.map((r) => what(r.myConversations))).toEqual(['app:ASSIGNED', 'app:内部备注', 'app:二', 'app:marker']);
    } finally {
      await Promise.all([conv, cust, mine].map((s) => s.dispose()));
    }
  });

  it("never shows one tenant another's activity, and refuses the wrong roles", async () => {
    const [tA, tB] = [newTenant('a'), newTenant('b')];
    const adminA = await tokenFor(tA, ['admin']);
    const agentA = await createAgent(a.url, adminA);
    const customerId = newId();
    const convA = await openConversation(a.url, adminA, { customerId, text: 'A 的消息' });
    await gqlOk(a.url, ASSIGN, { input: { conversationId: convA.id, agentId: agentA.id } }, adminA);
    const watcherA = subscribe<{ customerEvents: Item }>(b.url, adminA, BY_CUSTOMER, { id: customerId });
    // Tenant B, with the same customer id and even the same subject (token sub) as A's agent.
    const sameSubB = await tokenFor(tB, ['agent'], agentA.id);
    const spyConv = subscribe(b.url, sameSubB, BY_CONVERSATION, { id: convA.id });
    const spyCust = subscribe<{ customerEvents: Item }>(b.url, sameSubB, BY_CUSTOMER, { id: customerId });
    const spyMine = subscribe<{ myConversations: Item }>(b.url, sameSubB, MINE);
    const partner = subscribe(b.url, await tokenFor(tA, ['partner']), MINE);
    const partnerCust = subscribe(b.url, await tokenFor(tA, ['partner']), BY_CUSTOMER, { id: customerId });
    const anonymous = subscribe(b.url, undefined, BY_CUSTOMER, { id: customerId });
    try {
      await repeatUntil(() => gqlOk(a.url, CUSTOMER_SAYS, { input: { conversationId: convA.id, text: '还在吗' } }, adminA), () => watcherA.received.length > 0);
      await new Promise((r) => setTimeout(r, 300));
      expect(spyCust.received).toEqual([]);
      expect(spyMine.received).toEqual([]);
      expect(spyConv.received).toEqual([]);
      await eventually(() => spyConv.errors.length && partner.errors.length && partnerCust.errors.length && anonymous.errors.length);
      expect(JSON.stringify(spyConv.errors)).toContain('NOT_FOUND');
      expect(JSON.stringify(partner.errors)).toContain('FORBIDDEN');
      expect(JSON.stringify(partnerCust.errors)).toContain('FORBIDDEN');
      expect(JSON.stringify(anonymous.errors)).toContain('UNAUTHENTICATED');
    } finally {
      await Promise.all([watcherA, spyConv, spyCust, spyMine, partner, partnerCust, anonymous].map((s) => s.dispose()));
    }
  });
});

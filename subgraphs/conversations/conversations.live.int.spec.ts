import { gqlOk } from '../../test/helpers/graphql-client.js';
import { newTenant, tokenFor } from '../../test/helpers/env.js';
import { startTestSubgraph, type TestSubgraph } from '../../test/helpers/subgraph-harness.js';
import { newId } from '../_shared/ids.js';
import { createAgent, eventually, openConversation, repeatUntil, SEND, subscribe } from './conversations.testing.js';
import { conversationsSubgraph } from './index.js';

const MESSAGE_ADDED = `subscription($id: ID!) { messageAdded(conversationId: $id) { id text senderType senderId conversation { id } } }`;
const CONVERSATION_UPDATED = `subscription { conversationUpdated { id status lastMessageAt } }`;

describe('conversations subscriptions over graphql-ws, through Redis', () => {
  const stream = `conv-live-${newId().slice(0, 8)}`;
  let a: TestSubgraph;
  let b: TestSubgraph;
  beforeAll(async () => {
    a = await startTestSubgraph(conversationsSubgraph, { db: 'conversations_live', stream });
    b = await startTestSubgraph(conversationsSubgraph, { db: 'conversations_live', stream });
  });
  afterAll(async () => {
    await a?.close();
    await b?.close();
  });

  const send = (url: string, token: string, conversationId: string, text: string) => gqlOk(url, SEND, { input: { conversationId, text } }, token);

  it("delivers messageAdded to its tenant's subscriber only, for the conversation it asked for", async () => {
    const [tA, tB] = [newTenant('a'), newTenant('b')];
    const adminA = await tokenFor(tA, ['admin']);
    const agent = await createAgent(a.url, adminA);
    const agentA = await tokenFor(tA, ['agent'], agent.id);
    const agentB = await tokenFor(tB, ['agent']);
    const convA = await openConversation(a.url, agentA);
    const otherA = await openConversation(a.url, agentA);
    const convB = await openConversation(a.url, agentB);

    const subA = subscribe<{ messageAdded: any }>(a.url, agentA, MESSAGE_ADDED, { id: convA.id });
    const updatesB = subscribe<{ conversationUpdated: any }>(a.url, agentB, CONVERSATION_UPDATED);
    const spyB = subscribe(a.url, agentB, MESSAGE_ADDED, { id: convA.id }); // another tenant's conversation
    const anonymous = subscribe(a.url, undefined, CONVERSATION_UPDATED);
    try {
      await repeatUntil(() => send(a.url, agentA, convA.id, '已为您加急发货'), () => subA.received.length > 0);
      expect(subA.received[0].messageAdded).toEqual({ id: expect.any(String), text: '已为您加急发货', senderType: 'AGENT', senderId: agent.id, conversation: { id: convA.id } });

      // Same tenant, other conversation: filtered out (Redis keeps order, so it would arrive before the marker).
      await send(a.url, agentA, otherA.id, '别的会话');
      await send(a.url, agentA, convA.id, 'marker');
      await eventually(() => subA.received.some((r) => r.messageAdded.text === 'marker'));
      expect(subA.received.every((r) => r.messageAdded.conversation.id === convA.id)).toBe(true);

      // Tenant B saw none of it, while its own subscription is live and gets its own tenant's updates.
      await repeatUntil(() => send(a.url, agentB, convB.id, 'B 的回复'), () => updatesB.received.length > 0);
      expect(updatesB.received.map((r) => r.conversationUpdated.id)).toEqual(updatesB.received.map(() => convB.id));
      expect(spyB.received).toEqual([]);
      expect(JSON.stringify(spyB.errors)).toContain('NOT_FOUND');
      expect(anonymous.received).toEqual([]);
      await eventually(() => anonymous.errors.length > 0);
      expect(JSON.stringify(anonymous.errors)).toContain('UNAUTHENTICATED');
    } finally {
      await Promise.all([subA, updatesB, spyB, anonymous].map((s) => s.dispose()));
    }
  });

  it("reaches a subscriber on instance B with an event from instance A's mutation (Redis pub/sub)", async () => {
    const token = await tokenFor(newTenant(), ['agent']);
    const conv = await openConversation(a.url, token);
    const onB = subscribe<{ messageAdded: any }>(b.url, token, MESSAGE_ADDED, { id: conv.id });
    const updatesOnB = subscribe<{ conversationUpdated: any }>(b.url, token, CONVERSATION_UPDATED);
    try {
      await repeatUntil(() => send(a.url, token, conv.id, '跨实例'), () => onB.received.length > 0 && updatesOnB.received.length > 0);
      expect(onB.received[0].messageAdded).toMatchObject({ text: '跨实例', conversation: { id: conv.id } });
      expect(updatesOnB.received[0].conversationUpdated).toMatchObject({ id: conv.id, status: 'QUEUED' });
    } finally {
      await Promise.all([onB.dispose(), updatesOnB.dispose()]);
    }
  });
});

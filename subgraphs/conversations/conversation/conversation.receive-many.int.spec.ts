import { MysqlQueryRunner } from 'typeorm/driver/mysql/MysqlQueryRunner.js';
import { gqlOk } from '../../../test/helpers/graphql-client.js';
import { newTenant, tokenFor } from '../../../test/helpers/env.js';
import { startTestSubgraph, type TestSubgraph } from '../../../test/helpers/subgraph-harness.js';
import { newId } from '../../_shared/ids.js';
import type { ConversationsServices } from '../conversations.services.js';
import { eventually, RECEIVE, subscribe } from '../conversations.testing.js';
import { conversationsSubgraph } from '../index.js';

jest.setTimeout(60_000);

const MESSAGES = `query($id: ID!) { conversation(id: $id) { status lastMessageAt messages(first: 50) { nodes { id text createdAt } } } }`;
const RESOLVE = `mutation($input: ResolveConversationInput!) { resolveConversation(input: $input) { conversation { id status } } }`;

describe.each([
  ['MariaDB', { db: 'conversations_receive_many' }],
  ['SQLite', { databaseUrl: 'sqlite::memory:' }],
])('receiveMany on %s: inbound messages written in one batch', (_db, where) => {
  let sg: TestSubgraph;
  beforeAll(async () => {
    sg = await startTestSubgraph(conversationsSubgraph, { ...where, stream: `conv-receive-many-${newId().slice(0, 8)}` });
  });
  afterAll(() => sg.close());

  it('appends to open conversations in order, opens and reopens through the one-by-one path, and announces every message', async () => {
    const tenant = newTenant('rm');
    const admin = await tokenFor(tenant, ['admin']);
    const service = await tokenFor(tenant, ['service']);
    const conversations = (sg.services as ConversationsServices).conversations;
    const [queued, resolved, fresh] = [newId(), newId(), newId()];
    const open = async (customerId: string) => (await gqlOk(sg.url, RECEIVE, { input: { customerId, channelType: 'web', text: '开始' } }, service)).receiveCustomerMessage.conversation.id as string;
    const queuedId = await open(queued);
    const resolvedId = await open(resolved);
    await gqlOk(sg.url, RESOLVE, { input: { conversationId: resolvedId } }, admin);

    const added = subscribe<{ messageAdded: { id: string } }>(sg.url, admin, `subscription($id: ID!) { messageAdded(conversationId: $id) { id } }`, { id: queuedId });
    await new Promise((r) => setTimeout(r, 300));
    const at = new Date(Date.now() - 60_000); // all sent in the same second: the order of the batch decides
    const item = (customerId: string, text: string) => ({ customerId, channelType: 'web', message: { id: newId(), text, at } });
    const items = [item(queued, 'q1'), item(fresh, 'f1'), item(resolved, 'r1'), item(queued, 'q2'), item(fresh, 'f2'), item(queued, 'q3')];
    const results = await conversations.receiveMany(tenant, items);
    expect(results.every((r) => !('error' in r))).toBe(true);
    const ids = results.map((r) => ('conversation' in r ? r.conversation.id : null));
    expect([ids[0], ids[3], ids[5]]).toEqual([queuedId, queuedId, queuedId]);
    expect(ids[2]).toBe(resolvedId); // reopened within the window, not a new conversation
    expect(ids[1]).toBe(ids[4]); // one new conversation for the fresh customer, both messages in it

    const q = (await gqlOk(sg.url, MESSAGES, { id: queuedId }, admin)).conversation;
    expect(q.messages.nodes.map((m: { text: string }) => m.text)).toEqual(['开始', 'q1', 'q2', 'q3']);
    const times = q.messages.nodes.map((m: { createdAt: string }) => Date.parse(m.createdAt));
    expect(times.every((t: number, i: number) => i === 0 || t > times[i - 1])).toBe(true); // strictly increasing
    expect(Date.parse(q.lastMessageAt)).toBe(times[times.length - 1]);
    expect((await gqlOk(sg.url, MESSAGES, { id: resolvedId }, admin)).conversation.status).not.toBe('RESOLVED');
    expect((await gqlOk(sg.url, MESSAGES, { id: ids[1] }, admin)).conversation.messages.nodes.map((m: { text: string }) => m.text)).toEqual(['f1', 'f2']);

    // Live: each batched message reaches the conversation's subscribers.
    await eventually(() => added.received.length >= 3);
    expect(added.received.map((e) => e.messageAdded.id).sort()).toEqual([items[0], items[3], items[5]].map((i) => i.message.id).sort());
    await added.dispose();

    // A message id written twice fails the batch's transaction: every item then goes one by one.
    const again = await conversations.receiveMany(tenant, [item(queued, 'q4'), { ...items[5] }]);
    expect('error' in again[0]).toBe(false);
    expect('error' in again[1]).toBe(true);
    expect((await gqlOk(sg.url, MESSAGES, { id: queuedId }, admin)).conversation.messages.nodes.map((m: { text: string }) => m.text)).toEqual(['开始', 'q1', 'q2', 'q3', 'q4']);
  });

});

describe('receiveMany on MariaDB: statements per batch', () => {
  let sg: TestSubgraph;
  beforeAll(async () => {
    sg = await startTestSubgraph(conversationsSubgraph, { db: 'conversations_receive_many', stream: `conv-receive-many-${newId().slice(0, 8)}` });
  });
  afterAll(() => sg.close());

  it('writes messages to N open conversations with the same number of SQL statements for N = 3 and N = 12', async () => {
    const tenant = newTenant('rmq');
    const service = await tokenFor(tenant, ['service']);
    const conversations = (sg.services as ConversationsServices).conversations;
    const customers = Array.from({ length: 12 }, () => newId());
    for (const customerId of customers) await gqlOk(sg.url, RECEIVE, { input: { customerId, channelType: 'web', text: '开始' } }, service);
    const count = async (ids: string[]) => {
      const spy = jest.spyOn(MysqlQueryRunner.prototype, 'query');
      try {
        const r = await conversations.receiveMany(tenant, ids.map((customerId) => ({ customerId, channelType: 'web', message: { id: newId(), text: '再来一条' } })));
        expect(r.every((x) => !('error' in x))).toBe(true);
        return spy.mock.calls.length;
      } finally {
        spy.mockRestore();
      }
    };
    const small = await count(customers.slice(0, 3));
    const large = await count(customers);
    expect(large).toBe(small);
    expect(small).toBeLessThanOrEqual(6); // find, begin, lock, insert, update, commit
  });
});

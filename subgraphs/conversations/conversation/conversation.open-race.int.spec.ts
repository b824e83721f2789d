import mysql from 'mysql2/promise';
import { gqlOk } from '../../../test/helpers/graphql-client.js';
import { newTenant, TEST_MYSQL_URL, tokenFor } from '../../../test/helpers/env.js';
import { startTestSubgraph, type TestSubgraph } from '../../../test/helpers/subgraph-harness.js';
import { newId } from '../../_shared/ids.js';
import { CLOSE, CUSTOMER_SAYS, RECEIVE, RESOLVE, SETTINGS } from '../conversations.testing.js';
import { conversationsSubgraph } from '../index.js';

jest.setTimeout(60_000);

/** Per customer: how many conversations, and how many messages in each (fewest first). */
async function conversationsOf(tenant: string): Promise<Map<string, number[]>> {
  const db = await mysql.createConnection({ uri: `${TEST_MYSQL_URL}/huiliu_test_conversations_open_race` });
  try {
    const [rows] = (await db.query(
      'SELECT c.customer_id AS customerId, c.id, COUNT(m.id) AS messages FROM conversations c LEFT JOIN messages m ON m.conversation_id = c.id WHERE c.tenant_id = ? GROUP BY c.customer_id, c.id',
      [tenant],
    )) as unknown as [Array<{ customerId: string; id: string; messages: number }>];
    const out = new Map<string, number[]>();
    for (const r of rows) out.set(r.customerId, [...(out.get(r.customerId) ?? []), Number(r.messages)].sort((x, y) => x - y));
    return out;
  } finally {
    await db.end();
  }
}

describe('first messages at once on two replicas (MariaDB)', () => {
  const stream = `conv-open-race-${newId().slice(0, 8)}`;
  let a: TestSubgraph;
  let b: TestSubgraph;
  beforeAll(async () => {
    a = await startTestSubgraph(conversationsSubgraph, { db: 'conversations_open_race', stream });
    b = await startTestSubgraph(conversationsSubgraph, { db: 'conversations_open_race', stream });
  });
  afterAll(async () => {
    await a?.close();
    await b?.close();
  });

  it('open one conversation per customer and channel, holding every message', async () => {
    const tenant = newTenant('race');
    const service = await tokenFor(tenant, ['service']);
    const customers = Array.from({ length: 12 }, () => newId());
    // Every customer writes 4 first messages at once, half of them to each replica.
    const results = await Promise.all(customers.flatMap((customerId) => Array.from({ length: 4 }, (_, i) =>
      gqlOk((i % 2 ? b : a).url, RECEIVE, { input: { customerId, channelType: 'web', text: `第 ${i} 条` } }, service))));
    const counts = await conversationsOf(tenant);
    expect(counts.size).toBe(customers.length);
    for (const c of customers) expect(counts.get(c)).toEqual([4]); // one conversation, with all four
    // Each answer names the conversation that holds the message.
    const byCustomer = new Map<string, Set<string>>();
    results.forEach((r, i) => {
      const c = customers[Math.floor(i / 4)];
      byCustomer.set(c, (byCustomer.get(c) ?? new Set()).add(r.receiveCustomerMessage.conversation.id));
    });
    for (const ids of byCustomer.values()) expect(ids.size).toBe(1);
  });

  // Past its reopen window: every message finds the resolved conversation, the first to lock it closes it, and each
  // then needs a follow-up, which is opened once, under the same lock as a first message; the others join it (this
  // failed before: each opened its own). Closed, written to by its id (addCustomerMessage): the same follow-up path.
  // Closed, received on the channel: no open conversation is found, and one opens as for first messages.
  it.each([
    ['resolved past the reopen window', RESOLVE, 'receive'],
    ['closed, by its id', CLOSE, 'by id'],
    ['closed, on its channel', CLOSE, 'receive'],
  ])('messages at once to a conversation %s open one follow-up, holding every message', async (_, ending, how) => {
    const tenant = newTenant('follow');
    const [service, admin] = await Promise.all([tokenFor(tenant, ['service']), tokenFor(tenant, ['admin'])]);
    await gqlOk(a.url, SETTINGS, { input: { reopenWindowHours: 0 } }, admin);
    const customers = Array.from({ length: 12 }, () => newId());
    const first: string[] = [];
    for (const customerId of customers) {
      const c = (await gqlOk(a.url, RECEIVE, { input: { customerId, channelType: 'web', text: '第一次' } }, service)).receiveCustomerMessage.conversation;
      await gqlOk(a.url, ending, { input: { conversationId: c.id } }, admin);
      first.push(c.id);
    }
    const results = (await Promise.all(customers.flatMap((customerId, n) => Array.from({ length: 4 }, (_, i) => how === 'by id'
      ? gqlOk((i % 2 ? b : a).url, CUSTOMER_SAYS, { input: { conversationId: first[n], text: `又来了 ${i}` } }, service).then((d) => d.addCustomerMessage)
      : gqlOk((i % 2 ? b : a).url, RECEIVE, { input: { customerId, channelType: 'web', text: `又来了 ${i}` } }, service).then((d) => d.receiveCustomerMessage)))));
    const counts = await conversationsOf(tenant);
    expect(counts.size).toBe(customers.length);
    for (const c of customers) expect(counts.get(c)).toEqual([1, 4]); // the old one, and one follow-up with all four
    for (const n of customers.keys()) {
      const ids = new Set(results.slice(n * 4, n * 4 + 4).map((r) => r.conversation.id as string));
      expect(ids.size).toBe(1);
      expect(ids.has(first[n])).toBe(false);
    }
  });
});

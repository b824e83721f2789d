import mysql from 'mysql2/promise';
import { gqlOk } from '../../../test/helpers/graphql-client.js';
import { newTenant, TEST_MYSQL_URL, tokenFor } from '../../../test/helpers/env.js';
import { startTestSubgraph, type TestSubgraph } from '../../../test/helpers/subgraph-harness.js';
import { newId } from '../../_shared/ids.js';
import { RECEIVE } from '../conversations.testing.js';
import { conversationsSubgraph } from '../index.js';

jest.setTimeout(60_000);

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
    const db = await mysql.createConnection({ uri: `${TEST_MYSQL_URL}/huiliu_test_conversations_open_race` });
    try {
      const [rows] = (await db.query(
        'SELECT c.customer_id AS customerId, COUNT(DISTINCT c.id) AS conversations, COUNT(m.id) AS messages FROM conversations c JOIN messages m ON m.conversation_id = c.id WHERE c.tenant_id = ? GROUP BY c.customer_id',
        [tenant],
      )) as unknown as [Array<{ customerId: string; conversations: number; messages: number }>];
      expect(rows).toHaveLength(customers.length);
      for (const r of rows) expect({ conversations: Number(r.conversations), messages: Number(r.messages) }).toEqual({ conversations: 1, messages: 4 });
    } finally {
      await db.end();
    }
    // Each answer names the conversation that holds the message.
    const byCustomer = new Map<string, Set<string>>();
    results.forEach((r, i) => {
      const c = customers[Math.floor(i / 4)];
      byCustomer.set(c, (byCustomer.get(c) ?? new Set()).add(r.receiveCustomerMessage.conversation.id));
    });
    for (const ids of byCustomer.values()) expect(ids.size).toBe(1);
  });
});

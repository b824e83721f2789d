import mysql from 'mysql2/promise';
import { startTestSubgraph, type TestSubgraph } from '../../../test/helpers/subgraph-harness.js';
import { TEST_MYSQL_URL, TEST_SECRET, newTenant } from '../../../test/helpers/env.js';
import { conversationsWithIngest } from '../ingest/ingest.module.js';
import type { DeliveryService } from './delivery.service.js';

/**
 * The sweeper and sendMessage's own first attempt must not race for a fresh delivery: when the sweeper won,
 * the agent's sendMessage answered SENDING instead of SENT or the refusal (seen on a loaded CI machine).
 */
describe('delivery sweeper (MariaDB)', () => {
  let sg: TestSubgraph;
  let db: mysql.Connection;
  beforeAll(async () => {
    sg = await startTestSubgraph(conversationsWithIngest({ customersUrl: 'http://127.0.0.1:9/graphql', jwtSecret: TEST_SECRET, sweepIntervalMs: 0 }), { db: 'delivery_sweep', stream: 'delivery-sweep' });
    db = await mysql.createConnection({ uri: `${TEST_MYSQL_URL}/huiliu_test_delivery_sweep` });
  });
  afterAll(async () => {
    await db?.end();
    await sg?.close();
  });

  it('leaves a fresh first attempt to the replica that enqueued it, and takes it once that replica had its chance', async () => {
    const tenant = newTenant('sweep');
    const row = (id: string, createdSecondsAgo: number, nextAttemptSecondsAgo: number | null) => [
      id, tenant, 'c1', 'ch1', 'PENDING', 0, new Date(Date.now() - createdSecondsAgo * 1000), nextAttemptSecondsAgo === null ? null : new Date(Date.now() - nextAttemptSecondsAgo * 1000),
    ];
    const ids = { fresh: crypto.randomUUID(), abandoned: crypto.randomUUID(), retryDue: crypto.randomUUID() };
    for (const r of [row(ids.fresh, 1, null), row(ids.abandoned, 60, null), row(ids.retryDue, 1, 0.5)]) {
      await db.query('INSERT INTO message_deliveries (id, tenant_id, conversation_id, channel_id, status, attempts, created_at, updated_at, next_attempt_at) VALUES (?, ?, ?, ?, ?, ?, ?, NOW(3), ?)', r);
    }
    const due = await (sg.services as { delivery: DeliveryService }).delivery.due();
    expect(due).toEqual(expect.arrayContaining([ids.abandoned, ids.retryDue]));
    expect(due).not.toContain(ids.fresh);
  });
});

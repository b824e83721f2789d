import Redis from 'ioredis';
import { startTestSubgraph, type TestSubgraph } from '../../../test/helpers/subgraph-harness.js';
import { eventually } from '../../../test/helpers/processes.js';
import { TEST_REDIS_URL, TEST_SECRET } from '../../../test/helpers/env.js';
import { customersSubgraph } from '../../customers/index.js';
import type { ConversationsServices } from '../conversations.services.js';
import { createRedisAckPressure } from './ack-pressure.js';
import { conversationsWithIngest } from './ingest.module.js';

jest.setTimeout(60_000);

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('acknowledgements first across processes: a receiving replica tells processing replicas when its acks are slow (real Redis)', () => {
  const redis = new Redis(TEST_REDIS_URL);
  let customers: TestSubgraph | undefined;
  let receiver: TestSubgraph | undefined;
  afterAll(async () => {
    await receiver?.close();
    await customers?.close();
    redis.disconnect();
  });

  it('a signal holds for its TTL in every process that watches the key, then lapses', async () => {
    // Timings are asserted as bounds that hold on a loaded machine: the key cannot lapse before its TTL, and the
    // waits for it to appear and lapse are generous (CI runs this beside other workers on two cores).
    const key = `test:ack-pressure:${Date.now()}`;
    const clientA = new Redis(TEST_REDIS_URL);
    const clientB = new Redis(TEST_REDIS_URL);
    await Promise.all([clientA.ping(), clientB.ping()]);
    const a = createRedisAckPressure(clientA, key, { holdMs: 400, pollMs: 50 });
    const b = createRedisAckPressure(clientB, key, { holdMs: 400, pollMs: 50 });
    try {
      expect(b.active()).toBe(false);
      await sleep(120);
      expect(b.active()).toBe(false);
      const signalledAt = Date.now();
      a.signal();
      await eventually(async () => (b.active() ? true : undefined), 3_000, 10);
      await eventually(async () => (b.active() ? undefined : true), 5_000, 10);
      expect(Date.now() - signalledAt).toBeGreaterThanOrEqual(400 - 20);
      expect(await redis.exists(key)).toBe(0);
    } finally {
      a.stop();
      b.stop();
      clientA.disconnect();
      clientB.disconnect();
    }
  });

  it('a receive replica signals only when more than 1 % of a window\'s acknowledgements take over twice the target', async () => {
    customers = await startTestSubgraph(customersSubgraph, { db: 'pressure_customers', stream: 'pressure-customers' });
    receiver = await startTestSubgraph(conversationsWithIngest({ customersUrl: customers.url, jwtSecret: TEST_SECRET, sweepIntervalMs: 0, role: 'receive', ackTargetMs: 20 }), { db: 'pressure', stream: 'pressure' });
    const ingest = (receiver.services as ConversationsServices).ingest;
    const key = 'test:pressure:ingest:ack-pressure';
    await redis.del(key);
    const window = async (fast: number, slow: number) => {
      for (let i = 0; i < fast; i++) ingest.noteAck(3);
      for (let i = 0; i < slow; i++) ingest.noteAck(80);
      await sleep(110); // the window closes with the next acknowledgement
      ingest.noteAck(3);
      await sleep(50);
    };
    await window(200, 1); // 0.5 %: noise
    expect(await redis.exists(key)).toBe(0);
    for (let i = 0; i < 3; i++) ingest.noteAck(30); // over the target, under twice it: not slow here
    await window(100, 0);
    expect(await redis.exists(key)).toBe(0);
    await window(100, 5);
    // The key lives 500 ms; poll for it rather than trust one read to land inside that on a busy machine.
    await eventually(async () => ((await redis.pttl(key)) > 0 ? true : undefined), 2_000, 10);
  });
});

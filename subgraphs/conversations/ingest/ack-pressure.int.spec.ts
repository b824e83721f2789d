import Redis from 'ioredis';
import { startTestSubgraph, type TestSubgraph } from '../../../test/helpers/subgraph-harness.js';
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
    const key = `test:ack-pressure:${Date.now()}`;
    const a = createRedisAckPressure(new Redis(TEST_REDIS_URL), key, { holdMs: 400, pollMs: 50 });
    const b = createRedisAckPressure(new Redis(TEST_REDIS_URL), key, { holdMs: 400, pollMs: 50 });
    try {
      expect(b.active()).toBe(false);
      await sleep(120);
      expect(b.active()).toBe(false);
      a.signal();
      await sleep(150);
      expect(b.active()).toBe(true);
      await sleep(600);
      expect(b.active()).toBe(false);
    } finally {
      a.stop();
      b.stop();
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
    expect(await redis.exists(key)).toBe(1);
    expect(await redis.pttl(key)).toBeGreaterThan(0);
  });
});

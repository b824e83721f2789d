import Redis from 'ioredis';
import { TEST_REDIS_URL } from '../../test/helpers/env.js';
import { createRedisEventBus, type DomainEvent } from './events.js';
import { newId } from './ids.js';
import { createLogger } from './logger.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const log = createLogger('test-events', 'silent');

describe('Redis event bus: concurrent consumer', () => {
  const stream = `test:events-concurrency:${newId().slice(0, 8)}`;
  const redis = new Redis(TEST_REDIS_URL);
  afterAll(async () => {
    await redis.del(stream);
    redis.disconnect();
  });

  it('handles up to `concurrency` events at once, one key at a time in stream order, and acks what succeeded', async () => {
    const bus = createRedisEventBus(TEST_REDIS_URL, log, { stream, blockMs: 100 });
    const keys = ['k1', 'k2', 'k3', 'k4', 'k5'];
    // Published before the consumer starts, so they come in one read and really compete for the slots.
    for (let seq = 0; seq < 40; seq++) await bus.publish({ type: 'test.happened', tenantId: 't', data: { k: keys[seq % keys.length], seq } });
    const seen: Record<string, number[]> = {};
    const busyKeys = new Set<string>();
    let active = 0;
    let maxActive = 0;
    let sameKeyOverlap = 0;
    let failedOnce = false;
    const consumer = await bus.consume(
      'g',
      async (e: DomainEvent) => {
        const { k, seq } = e.data as { k: string; seq: number };
        if (busyKeys.has(k)) sameKeyOverlap++;
        busyKeys.add(k);
        active++;
        maxActive = Math.max(maxActive, active);
        await sleep(5 + (seq % 3) * 5);
        active--;
        busyKeys.delete(k);
        if (seq === 7 && !failedOnce) {
          failedOnce = true;
          throw new Error('fails once'); // left pending, handled again later
        }
        (seen[k] ??= []).push(seq);
      },
      { concurrency: 3, keyOf: (e) => (e.data as { k: string }).k },
    );
    const deadline = Date.now() + 10_000;
    while (Object.values(seen).flat().length < 39 && Date.now() < deadline) await sleep(20);
    await consumer.stop();
    await bus.close();

    expect(maxActive).toBe(3);
    expect(sameKeyOverlap).toBe(0);
    for (const [i, k] of keys.entries()) {
      const expected = Array.from({ length: 8 }, (_, j) => i + j * keys.length).filter((seq) => seq !== 7);
      expect(seen[k]).toEqual(expected);
    }
    // Everything else was acknowledged: only the failed event is still pending.
    const pending = (await redis.xpending(stream, 'g')) as [number, ...unknown[]];
    expect(pending[0]).toBe(1);
  });
});

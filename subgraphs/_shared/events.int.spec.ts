import Redis from 'ioredis';
import { TEST_REDIS_URL } from '../../test/helpers/env.js';
import { capturedLogger } from '../../test/helpers/log-capture.js';
import { CUSTOMER_MERGES_TOPIC, createInProcessEventBus, createRedisEventBus, type DomainEvent, type EventBus } from './events.js';
import { newId } from './ids.js';
import { createLogger } from './logger.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const log = createLogger('test-events', 'silent');

// Each case on streams of its own (and their topic streams), all removed at the end.
const redis = new Redis(TEST_REDIS_URL);
const created: string[] = [];
const testStream = (name: string) => {
  const stream = `test:events-${name}:${newId().slice(0, 8)}`;
  created.push(stream, `${stream}:work`, `${stream}:${CUSTOMER_MERGES_TOPIC}`, `${stream}:ticket-comments`);
  return stream;
};
afterAll(async () => {
  await redis.del(...created);
  redis.disconnect();
});

describe('Redis event bus: concurrent consumer', () => {
  const stream = testStream('concurrency');

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

describe('event bus topics: a work hand-off reaches its own group only', () => {
  const stream = testStream('topics');

  const check = async (bus: EventBus) => {
    const domain: string[] = [];
    const work: string[] = [];
    const a = await bus.consume('domain-readers', async (e) => void domain.push(e.type));
    const b = await bus.consume('workers', async (e) => void work.push(e.type), { topic: 'work' });
    await bus.publish({ type: 'thing.happened', tenantId: 't', data: {} });
    await bus.publish({ type: 'work.stored', tenantId: 't', data: {} }, { topic: 'work' });
    const deadline = Date.now() + 5000;
    while ((domain.length < 1 || work.length < 1) && Date.now() < deadline) await sleep(20);
    await sleep(150); // anything misrouted would have arrived by now
    await a.stop();
    await b.stop();
    await bus.close();
    expect(domain).toEqual(['thing.happened']);
    expect(work).toEqual(['work.stored']);
  };

  it('on Redis Streams (a topic is its own stream)', async () => {
    await check(createRedisEventBus(TEST_REDIS_URL, log, { stream, blockMs: 100 }));
    expect(await redis.xlen(`${stream}:work`)).toBe(1);
    expect(await redis.xlen(stream)).toBe(1);
  });

  it('in process', async () => {
    await check(createInProcessEventBus(log));
  });
});

describe('event bus: merges are copied onto their topic, so their followers do not read every domain event', () => {
  const stream = testStream('type-topics');

  const check = async (bus: EventBus) => {
    const domain: DomainEvent[] = [];
    const merges: DomainEvent[] = [];
    const a = await bus.consume('domain-readers', async (e) => void domain.push(e));
    const b = await bus.consume('merge-followers', async (e) => void merges.push(e), { topic: CUSTOMER_MERGES_TOPIC });
    await bus.publish({ type: 'message.added', tenantId: 't', data: { n: 1 } });
    const merged = await bus.publish({ type: 'customer.merged', tenantId: 't', data: { survivorId: 's', mergedId: 'm' } });
    await bus.publish({ type: 'message.added', tenantId: 't', data: { n: 2 } });
    const unmerged = await bus.publish({ type: 'customer.unmerged', tenantId: 't', data: { survivorId: 's', mergedId: 'm' } });
    const deadline = Date.now() + 5000;
    while ((domain.length < 4 || merges.length < 2) && Date.now() < deadline) await sleep(20);
    await sleep(150); // a message event misrouted to the merges topic would have arrived by now
    await a.stop();
    await b.stop();
    await bus.close();
    expect(domain.map((e) => e.type)).toEqual(['message.added', 'customer.merged', 'message.added', 'customer.unmerged']);
    // The same events (same ids), in order, and nothing else.
    expect(merges.map((e) => [e.type, e.id])).toEqual([['customer.merged', merged.id], ['customer.unmerged', unmerged.id]]);
  };

  it('on Redis Streams', async () => {
    await check(createRedisEventBus(TEST_REDIS_URL, log, { stream, blockMs: 100 }));
    expect(await redis.xlen(`${stream}:${CUSTOMER_MERGES_TOPIC}`)).toBe(2);
    expect(await redis.xlen(stream)).toBe(4);
  });

  it('in process', async () => {
    await check(createInProcessEventBus(log));
  });
});

describe('Redis event bus: a group that moved to a topic', () => {
  const stream = testStream('moved-group');

  it('says once, at start, that its old group on the domain stream is no longer read, and how to remove it', async () => {
    await redis.xgroup('CREATE', stream, 'conversations-identity-cache', '0', 'MKSTREAM'); // as an earlier version left it
    const { log: warnings, lines } = capturedLogger();
    const bus = createRedisEventBus(TEST_REDIS_URL, warnings, { stream, blockMs: 100 });
    const moved = await bus.consume('conversations-identity-cache', async () => undefined, { topic: CUSTOMER_MERGES_TOPIC });
    const other = await bus.consume('routing-like', async () => undefined);
    const deadline = Date.now() + 3000;
    while (!lines.length && Date.now() < deadline) await sleep(20);
    await sleep(100);
    await moved.stop();
    await other.stop();
    await bus.close();
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatchObject({ group: 'conversations-identity-cache', stream, remove: `XGROUP DESTROY ${stream} conversations-identity-cache` });
  });
});

describe('Redis event bus: a lingering consumer reads a busy stream in batches', () => {
  const stream = testStream('linger');

  it('takes events that arrive while it lingers in one read, and stops without waiting the linger out', async () => {
    const bus = createRedisEventBus(TEST_REDIS_URL, log, { stream, blockMs: 100 });
    const handledAt = new Map<number, number>();
    const consumer = await bus.consume('g', async (e) => void handledAt.set((e.data as { n: number }).n, performance.now()), { lingerMs: 400 });
    await bus.publish({ type: 'test.tick', tenantId: 't', data: { n: 0 } });
    const deadline = Date.now() + 5000;
    while (!handledAt.has(0) && Date.now() < deadline) await sleep(5);
    for (let n = 1; n <= 5; n++) {
      await bus.publish({ type: 'test.tick', tenantId: 't', data: { n } });
      await sleep(30);
    }
    while (handledAt.size < 6 && Date.now() < deadline) await sleep(5);
    const later = [1, 2, 3, 4, 5].map((n) => handledAt.get(n)!);
    expect(Math.min(...later) - handledAt.get(0)!).toBeGreaterThanOrEqual(350); // waited out the linger
    expect(Math.max(...later) - Math.min(...later)).toBeLessThan(60); // then one read took all five
    const t = performance.now();
    await consumer.stop(); // lingering again after that partial read
    expect(performance.now() - t).toBeLessThan(300);
    await bus.close();
  });
});

describe('Redis event bus: consumers of processes long gone', () => {
  const stream = testStream('prune');

  it('are removed when a consumer starts, unless they still hold pending entries', async () => {
    await redis.xgroup('CREATE', stream, 'g', '0', 'MKSTREAM');
    await redis.xadd(stream, '*', 'event', JSON.stringify({ id: 'e1', type: 'test.pending', tenantId: 't', occurredAt: new Date().toISOString(), data: {} }));
    await redis.xreadgroup('GROUP', 'g', 'dead-with-pending', 'COUNT', 1, 'STREAMS', stream, '>'); // never acknowledged
    await redis.xgroup('CREATECONSUMER', stream, 'g', 'dead-idle'); // 0 pending
    await sleep(120);
    const names = async () => ((await redis.xinfo('CONSUMERS', stream, 'g')) as Array<Array<string | number>>).map((r) => String(r[1])).sort();
    expect(await names()).toEqual(['dead-idle', 'dead-with-pending']);
    const bus = createRedisEventBus(TEST_REDIS_URL, log, { stream, blockMs: 100, staleConsumerMs: 100, claimIdleMs: 60_000 });
    const consumer = await bus.consume('g', async () => undefined);
    const deadline = Date.now() + 5000;
    while ((await names()).includes('dead-idle') && Date.now() < deadline) await sleep(20);
    const left = await names();
    expect(left).not.toContain('dead-idle');
    expect(left).toContain('dead-with-pending'); // its entry must first be claimed by a live consumer
    await consumer.stop();
    await bus.close();
  });
});

describe('Redis event bus: what a dead consumer left pending', () => {
  const stream = testStream('claim');

  it('is claimed page after page at once, not one page of 100 per claim interval', async () => {
    await redis.xgroup('CREATE', stream, 'g', '0', 'MKSTREAM');
    for (let n = 0; n < 250; n++) await redis.xadd(stream, '*', 'event', JSON.stringify({ id: `e${n}`, type: 'test.left', tenantId: 't', occurredAt: new Date().toISOString(), data: { n } }));
    await redis.xreadgroup('GROUP', 'g', 'dead', 'COUNT', 1000, 'STREAMS', stream, '>'); // read, never acknowledged
    await sleep(2100); // idle past claimIdleMs
    const bus = createRedisEventBus(TEST_REDIS_URL, log, { stream, blockMs: 100, claimIdleMs: 2000 });
    const seen = new Set<number>();
    const t = performance.now();
    const consumer = await bus.consume('g', async (e) => void seen.add((e.data as { n: number }).n));
    while (seen.size < 250 && performance.now() - t < 8000) await sleep(10);
    const took = performance.now() - t;
    await consumer.stop();
    await bus.close();
    expect(seen.size).toBe(250);
    expect(took).toBeLessThan(1500); // three pages back to back (~0.1 s); one page per 1 s would take 2 s
  });
});

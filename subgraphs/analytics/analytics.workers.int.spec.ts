import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Redis from 'ioredis';
import { openDataSource, schemaDrift } from '../_shared/data-source.js';
import { createInProcessEventBus, createRedisEventBus, type DomainEvent } from '../_shared/events.js';
import { newId } from '../_shared/ids.js';
import { createLogger } from '../_shared/logger.js';
import { createMemoryPubSub } from '../_shared/pubsub.js';
import { gqlOk } from '../../test/helpers/graphql-client.js';
import { mysqlUrl, newTenant, TEST_REDIS_URL, tokenFor } from '../../test/helpers/env.js';
import { startTestSubgraph, type TestSubgraph } from '../../test/helpers/subgraph-harness.js';
import { ANALYTICS_CONSUMER_GROUP, createAnalyticsServices, startAnalyticsWorkers } from './analytics.services.js';
import { analyticsSubgraph } from './index.js';
import { MetricRecorder } from './metrics/metric.recorder.js';

const log = createLogger('test-analytics', process.env.TEST_LOG_LEVEL ?? 'silent');

async function eventually<T>(read: () => Promise<T>, ok: (v: T) => boolean, timeoutMs = 15_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await read();
    if (ok(v)) return v;
    if (Date.now() > deadline) throw new Error(`condition not met within ${timeoutMs} ms; last value: ${JSON.stringify(v)}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

const opened = (tenantId: string, channelType: string, occurredAt: string) => ({
  type: 'conversation.opened',
  tenantId,
  occurredAt,
  data: { conversationId: newId(), customerId: newId(), channelType },
});

describe('analytics consumer across a restart (MariaDB, Redis Streams)', () => {
  const STREAM = 'analytics-restart';
  const DB = 'analytics_restart';
  const key = `test:${STREAM}:events`; // as the harness names it
  let redis: Redis;
  const running: TestSubgraph[] = [];

  beforeAll(async () => {
    redis = new Redis(TEST_REDIS_URL);
    await redis.del(key);
  });
  afterAll(async () => {
    await Promise.all(running.map((s) => s.close().catch(() => undefined)));
    await redis.del(key);
    redis.disconnect();
  });

  const pendingCount = async () => Number(((await redis.xpending(key, ANALYTICS_CONSUMER_GROUP)) as [number])[0]);

  it('catches up after a restart on the events published while it was down, and on those a crashed replica left unacked, counting none twice', async () => {
    const tenant = newTenant();
    const token = await tokenFor(tenant, ['supervisor']);
    const query = `{ metrics(from: "2025-07-01T00:00:00Z", to: "2025-07-02T00:00:00Z") { conversationsOpened byChannel { channelType conversationsOpened } } }`;
    const read = async (url: string) => (await gqlOk(url, query, {}, token)).metrics;

    // 1. a replica runs, consumes and acks three events, then stops
    const first = await startTestSubgraph(analyticsSubgraph, { stream: STREAM, db: DB });
    running.push(first);
    for (let i = 0; i < 3; i++) await first.events.publish(opened(tenant, 'wechat-oa', `2025-07-01T09:0${i}:00.000Z`));
    await eventually(() => read(first.url), (m) => m.conversationsOpened === 3);
    await eventually(pendingCount, (n) => n === 0);
    await first.close();
    running.pop();

    // 2. while no replica runs: another replica crashed holding two entries unacked, after committing the first one
    const publisher = createRedisEventBus(TEST_REDIS_URL, log, { stream: key });
    const crashedDb = await openDataSource({ url: mysqlUrl(DB), subgraph: 'analytics', entities: analyticsSubgraph.entities, migrations: analyticsSubgraph.migrations }, false);
    try {
      await publisher.publish(opened(tenant, 'web', '2025-07-01T09:30:00.000Z'));
      await publisher.publish(opened(tenant, 'web', '2025-07-01T09:31:00.000Z'));
      const read2 = (await redis.xreadgroup('GROUP', ANALYTICS_CONSUMER_GROUP, 'crashed-replica', 'COUNT', 2, 'STREAMS', key, '>')) as Array<[string, Array<[string, string[]]>]>;
      const taken = read2[0][1];
      expect(taken).toHaveLength(2);
      expect(await new MetricRecorder(crashedDb, log).handle(JSON.parse(taken[0][1][1]) as DomainEvent)).toBe('recorded');
      // make its entries look abandoned for a minute, so a live consumer claims them at once
      await redis.xclaim(key, ANALYTICS_CONSUMER_GROUP, 'crashed-replica', 0, ...taken.map(([id]) => id), 'IDLE', 60_000);
      // ...and conversations keep publishing
      for (let i = 0; i < 4; i++) await publisher.publish(opened(tenant, 'douyin', `2025-07-01T10:0${i}:00.000Z`));
      await publisher.publish(opened(tenant, 'wechat-oa', '2025-07-01T10:30:00.000Z'));
    } finally {
      await publisher.close();
      await crashedDb.destroy();
    }
    expect(await pendingCount()).toBe(2);

    // 3. a new replica on the same stream and database catches up
    const second = await startTestSubgraph(analyticsSubgraph, { stream: STREAM, db: DB });
    running.push(second);
    const expected = {
      conversationsOpened: 10,
      byChannel: [
        { channelType: 'douyin', conversationsOpened: 4 },
        { channelType: 'wechat-oa', conversationsOpened: 4 },
        { channelType: 'web', conversationsOpened: 2 },
      ],
    };
    expect(await eventually(() => read(second.url), (x) => x.conversationsOpened >= 10)).toEqual(expected);
    await eventually(pendingCount, (n) => n === 0); // the claimed entries were acked, the committed one as a duplicate
    await new Promise((r) => setTimeout(r, 500));
    expect(await read(second.url)).toEqual(expected); // and nothing was counted twice
  });
});

describe('analytics on SQLite with the in-process bus (embedded mode)', () => {
  it('migrates up with no drift, aggregates concurrent deliveries exactly once, and migrates down to nothing', async () => {
    const file = join(mkdtempSync(join(tmpdir(), 'huiliu-analytics-')), 'analytics.sqlite');
    const ds = await openDataSource({ url: `sqlite:${file}`, subgraph: 'analytics', entities: analyticsSubgraph.entities, migrations: analyticsSubgraph.migrations, log }, true);
    const events = createInProcessEventBus(log);
    const pubsub = createMemoryPubSub();
    try {
      expect(await schemaDrift(ds)).toEqual([]);
      const deps = { dataSource: ds, events, pubsub, log };
      const s = createAnalyticsServices(deps);
      const workers = await startAnalyticsWorkers(s, deps);
      const tenant = newTenant();
      // the in-process bus delivers each event on its own tick: these all run at once on SQLite's single connection
      for (let i = 0; i < 10; i++) await events.publish(opened(tenant, i % 2 ? 'web' : 'app', `2025-08-01T23:${String(10 + i)}:00.000Z`));
      for (const seconds of [5, 25]) await events.publish({ type: 'conversation.first_response', tenantId: tenant, occurredAt: '2025-08-02T00:05:00.000Z', data: { conversationId: newId(), seconds } });
      const range = { from: new Date('2025-08-01T23:00:00Z'), to: new Date('2025-08-02T01:00:00Z') };
      const m = await eventually(() => s.metrics.summary(tenant, range), (x) => x.conversationsOpened === 10 && x.firstResponses === 2);
      expect(m.byChannel).toEqual([{ channelType: 'app', conversationsOpened: 5 }, { channelType: 'web', conversationsOpened: 5 }]);
      expect(m.buckets).toEqual([
        { start: new Date('2025-08-01T23:00:00Z'), conversationsOpened: 10, firstResponses: 0, avgFirstResponseSeconds: null },
        { start: new Date('2025-08-02T00:00:00Z'), conversationsOpened: 0, firstResponses: 2, avgFirstResponseSeconds: 15 },
      ]);
      expect(m.maxFirstResponseSeconds).toBe(25);

      const again: DomainEvent = { id: newId(), ...opened(tenant, 'web', '2025-08-01T23:59:00.000Z') };
      expect(await Promise.all([s.recorder.handle(again), s.recorder.handle(again)])).toEqual(['recorded', 'duplicate']);
      expect((await s.metrics.summary(tenant, range)).conversationsOpened).toBe(11);
      await Promise.all(workers.map((w) => w.stop()));

      for (let i = 0; i < analyticsSubgraph.migrations.length; i++) await ds.undoLastMigration();
      const qr = ds.createQueryRunner();
      try {
        for (const t of ['metric_buckets', 'processed_events']) expect(await qr.hasTable(t)).toBe(false);
      } finally {
        await qr.release();
      }
    } finally {
      await events.close();
      await pubsub.close();
      await ds.destroy();
    }
  });
});

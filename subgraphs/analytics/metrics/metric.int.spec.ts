import Redis from 'ioredis';
import { openDataSource, schemaDrift } from '../../_shared/data-source.js';
import type { DomainEvent } from '../../_shared/events.js';
import { newId } from '../../_shared/ids.js';
import { createLogger } from '../../_shared/logger.js';
import { gql, gqlOk } from '../../../test/helpers/graphql-client.js';
import { mysqlUrl, newTenant, TEST_REDIS_URL, tokenFor } from '../../../test/helpers/env.js';
import { startTestSubgraph, type TestSubgraph } from '../../../test/helpers/subgraph-harness.js';
import type { AnalyticsServices } from '../analytics.services.js';
import { analyticsSubgraph } from '../index.js';
import { MetricRecorder } from './metric.recorder.js';

const log = createLogger('test-analytics', process.env.TEST_LOG_LEVEL ?? 'silent');
const streamKey = (stream: string) => `test:${stream}:events`; // as the harness names it

const METRICS = `query($from: DateTimeISO, $to: DateTimeISO) {
  metrics(from: $from, to: $to) {
    from to conversationsOpened firstResponses avgFirstResponseSeconds maxFirstResponseSeconds
    byChannel { channelType conversationsOpened }
    buckets { start conversationsOpened firstResponses avgFirstResponseSeconds }
  }
}`;

/** Polls until `ok` holds (the worker consumes asynchronously); fails with the last value seen. */
async function eventually<T>(read: () => Promise<T>, ok: (v: T) => boolean, timeoutMs = 15_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await read();
    if (ok(v)) return v;
    if (Date.now() > deadline) throw new Error(`condition not met within ${timeoutMs} ms; last value: ${JSON.stringify(v)}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

const opened = (tenantId: string, channelType: string | undefined, occurredAt: string) => ({
  type: 'conversation.opened',
  tenantId,
  occurredAt,
  data: { conversationId: newId(), customerId: newId(), ...(channelType ? { channelType } : {}) },
});
const firstResponse = (tenantId: string, seconds: number, occurredAt: string) => ({
  type: 'conversation.first_response',
  tenantId,
  occurredAt,
  data: { conversationId: newId(), seconds },
});

describe('analytics subgraph on MariaDB and Redis Streams', () => {
  const STREAM = 'analytics-metrics';
  let sg: TestSubgraph;
  let redis: Redis;
  const services = () => sg.services as AnalyticsServices;

  beforeAll(async () => {
    redis = new Redis(TEST_REDIS_URL);
    await redis.del(streamKey(STREAM)); // a fresh stream (and consumer group) per run
    sg = await startTestSubgraph(analyticsSubgraph, { stream: STREAM });
  });
  afterAll(async () => {
    await sg.close();
    await redis.del(streamKey(STREAM));
    redis.disconnect();
  });

  const metrics = async (token: string, from?: string, to?: string) => (await gqlOk(sg.url, METRICS, { from, to }, token)).metrics;

  it('counts conversations opened per channel and first response times per hour from the bus', async () => {
    const tenant = newTenant();
    const token = await tokenFor(tenant, ['supervisor']);
    await sg.events.publish(opened(tenant, 'wechat-oa', '2025-03-01T10:05:00.000Z'));
    await sg.events.publish(opened(tenant, 'wechat-oa', '2025-03-01T10:59:59.999Z'));
    await sg.events.publish(opened(tenant, 'douyin', '2025-03-01T11:30:00.000Z'));
    await sg.events.publish(opened(tenant, undefined, '2025-03-01T11:31:00.000Z'));
    await sg.events.publish(firstResponse(tenant, 30, '2025-03-01T10:06:00.000Z'));
    await sg.events.publish(firstResponse(tenant, 90, '2025-03-01T11:40:00.000Z'));
    await sg.events.publish(firstResponse(tenant, 15, '2025-03-01T11:45:00.000Z'));
    // other events on the bus, and an event of the previous hour outside the range, are not counted
    await sg.events.publish({ type: 'message.received', tenantId: tenant, occurredAt: '2025-03-01T10:07:00.000Z', data: { conversationId: newId() } });
    await sg.events.publish(opened(tenant, 'wechat-oa', '2025-03-01T09:59:59.999Z'));

    const m = await eventually(
      () => metrics(token, '2025-03-01T10:00:00Z', '2025-03-01T12:00:00Z'),
      (x) => x.conversationsOpened === 4 && x.firstResponses === 3,
    );
    expect(m).toEqual({
      from: '2025-03-01T10:00:00.000Z',
      to: '2025-03-01T12:00:00.000Z',
      conversationsOpened: 4,
      firstResponses: 3,
      avgFirstResponseSeconds: 45,
      maxFirstResponseSeconds: 90,
      byChannel: [
        { channelType: 'wechat-oa', conversationsOpened: 2 },
        { channelType: '', conversationsOpened: 1 },
        { channelType: 'douyin', conversationsOpened: 1 },
      ],
      buckets: [
        { start: '2025-03-01T10:00:00.000Z', conversationsOpened: 2, firstResponses: 1, avgFirstResponseSeconds: 30 },
        { start: '2025-03-01T11:00:00.000Z', conversationsOpened: 2, firstResponses: 2, avgFirstResponseSeconds: 52.5 },
      ],
    });
    // the earlier event landed in its own hour; a range inside one hour is widened to the whole hour
    const earlier = await eventually(() => metrics(token, '2025-03-01T09:00:00Z', '2025-03-01T10:00:00Z'), (x) => x.conversationsOpened === 1);
    expect(earlier.byChannel).toEqual([{ channelType: 'wechat-oa', conversationsOpened: 1 }]);
    const hour11 = await metrics(token, '2025-03-01T11:20:00Z', '2025-03-01T11:50:00Z');
    expect(hour11).toMatchObject({ from: '2025-03-01T11:00:00.000Z', to: '2025-03-01T12:00:00.000Z', conversationsOpened: 2, firstResponses: 2, maxFirstResponseSeconds: 90 });
  });

  it('defaults to the last 24 hours, and zero-fills the hours without events', async () => {
    const tenant = newTenant();
    const token = await tokenFor(tenant, ['admin']);
    const empty = await metrics(token);
    expect(Date.parse(empty.to) - Date.parse(empty.from)).toBe(24 * 3_600_000);
    expect(Date.parse(empty.to)).toBeGreaterThan(Date.now());
    expect(empty.buckets).toHaveLength(24);
    expect(empty).toMatchObject({ conversationsOpened: 0, firstResponses: 0, avgFirstResponseSeconds: null, maxFirstResponseSeconds: null, byChannel: [] });

    await sg.events.publish({ type: 'conversation.opened', tenantId: tenant, data: { conversationId: newId(), channelType: 'web' } }); // occurredAt: now
    const m = await eventually(() => metrics(token), (x) => x.conversationsOpened === 1);
    expect(m.buckets).toHaveLength(24);
    expect(m.buckets[23]).toMatchObject({ conversationsOpened: 1 });
    expect(m.buckets.slice(0, 23).every((b: { conversationsOpened: number }) => b.conversationsOpened === 0)).toBe(true);
  });

  it('counts an event delivered twice only once', async () => {
    const tenant = newTenant();
    const token = await tokenFor(tenant, ['service']);
    const dup: DomainEvent = { id: newId(), ...opened(tenant, 'web', '2025-04-01T08:10:00.000Z') };
    const dupResponse: DomainEvent = { id: newId(), ...firstResponse(tenant, 120, '2025-04-01T08:20:00.000Z') };
    // the same entry twice on the stream, as a publisher retrying after a lost reply would produce
    for (const e of [dup, dupResponse, dup, dupResponse]) await redis.xadd(streamKey(STREAM), '*', 'event', JSON.stringify(e));
    // a later marker: once it is counted, the consumer has handled both copies before it
    await sg.events.publish(opened(tenant, 'app', '2025-04-01T08:30:00.000Z'));
    const range = ['2025-04-01T08:00:00Z', '2025-04-01T09:00:00Z'] as const;
    const m = await eventually(() => metrics(token, ...range), (x) => x.byChannel.some((c: { channelType: string }) => c.channelType === 'app'));
    expect(m).toMatchObject({
      conversationsOpened: 2,
      firstResponses: 1,
      avgFirstResponseSeconds: 120,
      byChannel: [{ channelType: 'app', conversationsOpened: 1 }, { channelType: 'web', conversationsOpened: 1 }],
    });

    // a redelivery straight to the handler (what a claim after a crash amounts to) is recognised too
    expect(await services().recorder.handle(dup)).toBe('duplicate');
    const direct: DomainEvent = { id: newId(), ...firstResponse(tenant, 60, '2025-04-01T08:40:00.000Z') };
    expect(await services().recorder.handle(direct)).toBe('recorded');
    expect(await services().recorder.handle(direct)).toBe('duplicate');
    expect(await metrics(token, ...range)).toMatchObject({ conversationsOpened: 2, firstResponses: 2, avgFirstResponseSeconds: 90, maxFirstResponseSeconds: 120 });
  });

  it('loses no count when two replicas create and bump the same bucket concurrently', async () => {
    const tenant = newTenant();
    const token = await tokenFor(tenant, ['admin']);
    // a second replica: its own connection pool on the same database
    const ds2 = await openDataSource({ url: mysqlUrl('analytics'), subgraph: 'analytics', entities: analyticsSubgraph.entities, migrations: analyticsSubgraph.migrations }, false);
    try {
      const replicas = [services().recorder, new MetricRecorder(ds2, log)];
      const events: DomainEvent[] = Array.from({ length: 40 }, (_, i) =>
        i % 2
          ? { id: newId(), ...opened(tenant, 'wechat-oa', `2025-05-01T12:${String(i).padStart(2, '0')}:00.000Z`) }
          : { id: newId(), ...firstResponse(tenant, i, `2025-05-01T12:${String(i).padStart(2, '0')}:00.000Z`) },
      );
      // every event twice, once per replica, all at the same time
      const outcomes = await Promise.all(events.flatMap((e) => replicas.map((r) => r.handle(e))));
      expect(outcomes.filter((o) => o === 'recorded')).toHaveLength(40);
      expect(outcomes.filter((o) => o === 'duplicate')).toHaveLength(40);
    } finally {
      await ds2.destroy();
    }
    const m = await metrics(token, '2025-05-01T12:00:00Z', '2025-05-01T13:00:00Z');
    // first responses: seconds 0, 2, ..., 38 → 20 of them, mean 19, max 38
    expect(m).toMatchObject({ conversationsOpened: 20, firstResponses: 20, avgFirstResponseSeconds: 19, maxFirstResponseSeconds: 38 });
    expect(m.buckets).toEqual([{ start: '2025-05-01T12:00:00.000Z', conversationsOpened: 20, firstResponses: 20, avgFirstResponseSeconds: 19 }]);
  });

  it("keeps tenants apart: tenant B sees nothing of tenant A's metrics, by query or by entity", async () => {
    const a = newTenant('a');
    const b = newTenant('b');
    const tokenA = await tokenFor(a, ['admin']);
    const tokenB = await tokenFor(b, ['admin']);
    await sg.events.publish(opened(a, 'taobao', '2025-06-01T09:00:00.000Z'));
    await sg.events.publish(firstResponse(a, 10, '2025-06-01T09:01:00.000Z'));
    const range = { from: '2025-06-01T00:00:00Z', to: '2025-06-02T00:00:00Z' };
    await eventually(() => metrics(tokenA, range.from, range.to), (x) => x.conversationsOpened === 1 && x.firstResponses === 1);

    const seenByB = await metrics(tokenB, range.from, range.to);
    expect(seenByB).toMatchObject({ conversationsOpened: 0, firstResponses: 0, avgFirstResponseSeconds: null, maxFirstResponseSeconds: null, byChannel: [] });
    expect(seenByB.buckets.every((x: { conversationsOpened: number; firstResponses: number }) => x.conversationsOpened === 0 && x.firstResponses === 0)).toBe(true);

    const entities = `query($r: [_Any!]!, $from: DateTimeISO, $to: DateTimeISO) {
      _entities(representations: $r) { ... on Tenant { id metrics(from: $from, to: $to) { conversationsOpened avgFirstResponseSeconds } } }
    }`;
    const reps = { r: [{ __typename: 'Tenant', id: a }], ...range };
    expect((await gqlOk(sg.url, entities, reps, tokenA))._entities).toEqual([{ id: a, metrics: { conversationsOpened: 1, avgFirstResponseSeconds: 10 } }]);
    expect((await gqlOk(sg.url, entities, reps, tokenB))._entities).toEqual([{ id: a, metrics: null }]);
  });

  it('lets managers and services read metrics, refuses agents with FORBIDDEN and anonymous callers with UNAUTHENTICATED', async () => {
    const tenant = newTenant();
    for (const role of ['admin', 'supervisor', 'service'] as const) {
      const r = await gql(sg.url, `{ metrics { conversationsOpened } }`, {}, await tokenFor(tenant, [role]));
      expect(r.errors).toBeUndefined();
      expect(r.data.metrics.conversationsOpened).toBe(0);
    }
    const agent = await tokenFor(tenant, ['agent']);
    const denied = await gql(sg.url, `{ metrics { conversationsOpened } }`, {}, agent);
    expect(denied.errors?.[0].extensions?.code).toBe('FORBIDDEN');
    expect(denied.data).toBeNull();
    const viaEntity = await gql(sg.url, `query($r: [_Any!]!) { _entities(representations: $r) { ... on Tenant { metrics { conversationsOpened } } } }`, { r: [{ __typename: 'Tenant', id: tenant }] }, agent);
    expect(viaEntity.errors?.[0].extensions?.code).toBe('FORBIDDEN');
    expect((await gql(sg.url, `{ metrics { conversationsOpened } }`)).errors?.[0].extensions?.code).toBe('UNAUTHENTICATED');
    expect((await gql(sg.url, `{ metrics { conversationsOpened } }`, {}, await tokenFor(tenant, ['partner']))).errors?.[0].extensions?.code).toBe('FORBIDDEN');
  });

  it('refuses an empty, inverted or too long range with BAD_USER_INPUT', async () => {
    const token = await tokenFor(newTenant(), ['admin']);
    const code = async (from: string, to: string) => (await gql(sg.url, METRICS, { from, to }, token)).errors?.[0].extensions?.code;
    expect(await code('2025-03-01T10:00:00Z', '2025-03-01T10:00:00Z')).toBe('BAD_USER_INPUT');
    expect(await code('2025-03-02T00:00:00Z', '2025-03-01T00:00:00Z')).toBe('BAD_USER_INPUT');
    expect(await code('2025-01-01T00:00:00Z', '2025-04-04T00:00:01Z')).toBe('BAD_USER_INPUT'); // 93 days and a second
    expect(await code('2025-01-01T00:00:00Z', '2025-04-04T00:00:00Z')).toBeUndefined(); // exactly 93 days
    expect(await code('not a date', '2025-04-04T00:00:00Z')).toBe('BAD_USER_INPUT');
    const entity = await gql(sg.url, `query($r: [_Any!]!) { _entities(representations: $r) { ... on Tenant { metrics(from: "2025-03-02T00:00:00Z", to: "2025-03-01T00:00:00Z") { conversationsOpened } } } }`, { r: [{ __typename: 'Tenant', id: 'x' }] }, token);
    expect(entity.data?._entities).toEqual([{ metrics: null }]); // another tenant: null before any range check
  });

  it('leaves no drift between the migration and the entities on MariaDB', async () => {
    const ds = await openDataSource({ url: mysqlUrl('analytics'), subgraph: 'analytics', entities: analyticsSubgraph.entities, migrations: analyticsSubgraph.migrations }, false);
    try {
      expect(await schemaDrift(ds)).toEqual([]);
    } finally {
      await ds.destroy();
    }
  });
});

import { FakeClock, MemoryKeyValueStore, PluginHost } from '../../../plugins/host/index.js';
import { createMemoryLogger } from '../../../plugins/host/plugin-logger.js';
import { ChannelError, DEFAULT_CAPABILITIES, SDK_API_VERSION, badRequest, defineChannel, definePlugin, secret, z, type InboundEvent, type InboundRequest, type PullResult } from '../../../plugins/sdk/index.js';
import { createLogger } from '../../_shared/logger.js';
import type { ChannelEntity } from '../channel/channel.entity.js';
import type { ChannelService } from '../channel/channel.service.js';
import type { ChannelBindings } from './channel-bindings.js';
import { createMemoryPullLock, type PullLock } from './pull.lock.js';
import { PullPoller } from './pull.poller.js';

// The poller's scheduling (order of store and ack, batches, backoff, leases, shutdown) with a scripted pull
// plugin and a recording ingest; storing for real (MariaDB, dedupe) is pull.poller.int.spec.ts.

const ev = (id: string): InboundEvent => ({ channelType: 'poll', dedupeKey: `m:${id}`, sender: { channelType: 'poll', externalId: 'u1' }, origin: 'customer', content: { kind: 'text', text: id }, sentAt: new Date(0), receivedAt: new Date(0) });

function setup(o: { batches?: Array<() => Promise<PullResult>>; lock?: PullLock; settings?: Record<string, number> } = {}) {
  const log: string[] = [];
  const clock = new FakeClock(1_000_000);
  let calls = 0;
  const batches = o.batches ?? [];
  const adapter = defineChannel({
    type: 'poll',
    capabilities: { ...DEFAULT_CAPABILITIES, outbound: false, outboundKinds: [], pull: true },
    configSchema: z.object({ token: secret(), on: z.boolean().default(true) }),
    verify() {},
    parse: () => [],
    pullEnabled: (c) => c.on,
    async pull() {
      log.push('pull');
      const next = batches[Math.min(calls++, batches.length - 1)];
      return next ? next() : { items: [], ack: async () => { log.push('ack'); } };
    },
    async send() { throw new ChannelError('BAD_REQUEST', 'no'); },
  });
  const plugin = definePlugin({ manifest: { id: 'acme-poll', kind: 'channel', version: '1.0.0', apiVersion: SDK_API_VERSION, capabilities: [] }, configSchema: z.object({}), register(h) { h.channels.register(adapter); } });
  const host = new PluginHost({ plugins: [{ plugin }], builtins: {}, logger: createMemoryLogger(), kv: new MemoryKeyValueStore(clock), clock });
  const channels = new Map<string, ChannelEntity>();
  const add = (id: string, config: Record<string, unknown> = { token: 'tok-123456' }, enabled = true) => channels.set(id, { id, tenantId: 't1', type: 'poll', name: id, enabled, config, ownerId: null, createdAt: new Date() } as ChannelEntity);
  const stored: Array<{ request: InboundRequest; events: InboundEvent[]; failure?: unknown }> = [];
  let failStore = 0;
  const ingest = {
    config: { processInline: true },
    async store(_c: ChannelEntity, request: InboundRequest, events: InboundEvent[], failure?: unknown) {
      if (failStore > 0) { failStore--; throw new Error('database gone'); }
      log.push(`store:${events.map((e) => e.dedupeKey).join(',') || 'failed'}`);
      stored.push({ request, events, failure });
      return failure ? [] : events.map((e) => `row-${e.dedupeKey}`);
    },
    handOff(_tenantId: string, ids: string[]) { if (ids.length) log.push(`enqueue:${ids.length}`); },
  };
  const bindings = { host, cached: () => null, bind: (c: ChannelEntity) => host.bindChannel({ id: c.id, tenantId: c.tenantId, type: c.type, config: c.config }) } as unknown as ChannelBindings;
  const poller = new PullPoller({
    channels: { forWebhook: async (id: string) => channels.get(id) ?? null } as unknown as ChannelService,
    bindings, ingest: ingest as never, channelIds: async () => [...channels.keys()], lock: o.lock ?? createMemoryPullLock(() => clock.now()),
    log: createLogger('test', 'silent'), settings: { intervalMs: 100, maxBackoffMs: 1000, maxBatches: 3, ...o.settings }, now: () => clock.now(),
  });
  return { poller, log, stored, add, clock, host, failStoreNext: (n = 1) => { failStore = n; } };
}

const batch = (ids: string[], more: boolean, log: string[], extra: Partial<PullResult> = {}) => async (): Promise<PullResult> => ({
  items: ids.map((id) => ({ raw: `{"id":"${id}"}`, events: [ev(id)] })), more, ack: async () => { log.push(`ack:${ids.join(',')}`); }, ...extra,
});

describe('pull poller', () => {
  it('stores every item, queues it, then acknowledges — batch after batch while more are waiting, up to maxBatches', async () => {
    const log: string[] = [];
    const s = setup({ batches: [batch(['1', '2'], true, log), batch(['3'], true, log), batch(['4'], true, log), batch(['5'], false, log)] });
    s.add('c1');
    expect(await s.poller.poll('c1')).toBe('pulled');
    expect(s.log.filter((x) => x === 'pull')).toHaveLength(3); // maxBatches
    expect(log).toEqual(['ack:1,2', 'ack:3', 'ack:4']);
    expect(s.stored.map((x) => x.events[0].dedupeKey)).toEqual(['m:1', 'm:2', 'm:3', 'm:4']);
    // the synthetic request: raw item bytes, audit headers
    expect(s.stored[0].request).toMatchObject({ method: 'POST', path: '/pull/c1', headers: { 'x-huiliu-source': 'pull' } });
    expect(s.stored[0].request.rawBody.toString()).toBe('{"id":"1"}');
  });

  it('acknowledges only after the batch is stored and queued; a failed store is never acknowledged', async () => {
    const order: string[] = [];
    const s = setup({ batches: [async () => ({ items: [{ raw: 'a', events: [ev('a')] }, { raw: 'b', events: [ev('b')] }], more: false, meta: { requestId: 'r-9' }, ack: async () => { order.push('ack'); } })] });
    s.add('c1');
    await s.poller.poll('c1');
    expect([...s.log.filter((x) => x !== 'pull'), ...order]).toEqual(['store:m:a', 'store:m:b', 'enqueue:2', 'ack']);
    expect(s.stored[0].request.headers).toMatchObject({ 'x-huiliu-pull-requestid': 'r-9' });
    order.length = 0;
    s.failStoreNext();
    expect(await s.poller.poll('c1')).toBe('failed');
    expect(order).toEqual([]);
  });

  it('keeps an item the plugin could not read as a failed payload (nothing of it is handed over for processing)', async () => {
    const log: string[] = [];
    const s = setup({ batches: [batch(['1'], false, log, { items: [{ raw: '{oops', events: [], error: badRequest('TMC content is not a JSON object') }, { raw: '{"id":"1"}', events: [ev('1')] }] })] });
    s.add('c1');
    await s.poller.poll('c1');
    expect(s.stored[0]).toMatchObject({ events: [], failure: expect.objectContaining({ code: 'BAD_REQUEST' }) });
    expect(s.stored[0].request.rawBody.toString()).toBe('{oops');
    expect(s.log.filter((x) => x.startsWith('enqueue'))).toEqual(['enqueue:1']); // the readable one only
    expect(log).toEqual(['ack:1']);
  });

  it('backs off per channel after failures (doubling, capped, the platform\'s retryAfterMs first) and resets on success', async () => {
    let fail: ChannelError | null = new ChannelError('UNAVAILABLE', 'busy');
    const log: string[] = [];
    const s = setup({ batches: [async () => { if (fail) throw fail; return batch(['1'], false, log)(); }] });
    s.add('c1');
    s.add('c2', { token: 'tok-123456', on: false }); // does not pull
    const pulls = () => s.log.filter((x) => x === 'pull').length;
    expect(await s.poller.tick()).toEqual({ c1: 'failed', c2: 'skipped' });
    for (const [wait, expected] of [[99, 1], [1, 2], [199, 2], [1, 3], [399, 3], [1, 4], [799, 4], [1, 5], [999, 5], [1, 6]] as const) {
      s.clock.advance(wait);
      await s.poller.tick();
      expect({ wait, pulls: pulls() }).toEqual({ wait, pulls: expected }); // waits of 100, 200, 400, 800, then 1000 (the cap)
    }
    fail = new ChannelError('RATE_LIMITED', 'App Call Limited', { retryAfterMs: 60_000 });
    s.clock.advance(1000);
    await s.poller.tick();
    s.clock.advance(59_999);
    await s.poller.tick();
    expect(pulls()).toBe(7);
    s.clock.advance(1);
    fail = null;
    expect(await s.poller.tick()).toEqual({ c1: 'pulled', c2: 'skipped' });
    expect(await s.poller.tick()).toEqual({ c1: 'pulled', c2: 'skipped' }); // no backoff left: due again at once
  });

  it('skips a channel another poller holds, a disabled channel and one without pulling; stops after the poll in flight', async () => {
    const lock = createMemoryPullLock();
    const s = setup({ lock });
    s.add('c1');
    s.add('off', { token: 'tok-123456' }, false);
    const held = await lock.acquire('c1', 60_000);
    expect(await s.poller.poll('c1')).toBe('locked');
    expect(await s.poller.poll('off')).toBe('skipped');
    expect(await s.poller.poll('missing')).toBe('skipped');
    await lock.release('c1', held!);
    expect(await s.poller.poll('c1')).toBe('empty');

    let release!: () => void;
    const acked: string[] = [];
    const slow = setup({ batches: [async () => { await new Promise<void>((r) => { release = r; }); return { items: [{ raw: 'x', events: [ev('x')] }], ack: async () => { acked.push('x'); } }; }], settings: { intervalMs: 10 } });
    slow.add('c1');
    slow.poller.start();
    await new Promise((r) => setTimeout(r, 50));
    let stopped = false;
    const stopping = slow.poller.stop().then(() => { stopped = true; });
    await new Promise((r) => setTimeout(r, 20));
    expect(stopped).toBe(false); // waits for the batch in flight…
    release();
    await stopping;
    expect(acked).toEqual(['x']); // …so its acknowledgement is not cut off
  });
});

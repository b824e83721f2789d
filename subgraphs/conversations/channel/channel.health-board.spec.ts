import { ChannelError, DEFAULT_CAPABILITIES, SDK_API_VERSION, defineChannel, definePlugin, z } from '../../../plugins/sdk/index.js';
import { inboundRequest } from '../../../plugins/sdk/testing/harness.js';
import { PluginHost } from '../../../plugins/host/index.js';
import { createMemoryLogger } from '../../../plugins/host/plugin-logger.js';
import { createMemoryCache } from '../../_shared/cache.js';
import { createLogger } from '../../_shared/logger.js';
import { ChannelHealthBoard, REPORT_EVERY_MS, startHealthReports } from './channel.health-board.js';

/** A channel whose parse crashes on "boom" and whose send fails (a platform error) on "rate". */
const flaky = definePlugin({
  manifest: { id: 'flaky-plugin', kind: 'channel', version: '1.0.0', apiVersion: SDK_API_VERSION, capabilities: [] },
  configSchema: z.object({}),
  register(h) {
    h.channels.register(defineChannel({
      type: 'flaky', capabilities: { ...DEFAULT_CAPABILITIES, outboundKinds: ['text'] }, configSchema: z.object({}),
      verify() {},
      parse(r) {
        if (r.rawBody.toString() === 'boom') throw new TypeError('bug');
        return [];
      },
      async send() { throw new ChannelError('RATE_LIMITED', 'slow down'); },
    }));
  },
});

const hostOf = () => new PluginHost({ plugins: [{ plugin: flaky }], builtins: {}, logger: createMemoryLogger() });
const instance = { id: 'ch-1', tenantId: 't', type: 'flaky', config: {} };
const log = createLogger('test', 'silent');

describe('channel health across replicas (the board in the shared cache)', () => {
  it('shows a crash on one replica to the others, each replica\'s view apart, and forgets replicas that stopped reporting', async () => {
    let now = 1_000_000;
    const cache = createMemoryCache({ now: () => now });
    const [hostA, hostB] = [hostOf(), hostOf()];
    const a = new ChannelHealthBoard(hostA, cache, log, 'a', () => now);
    const b = new ChannelHealthBoard(hostB, cache, log, 'b', () => now);
    const chA = hostA.bindChannel(instance);
    hostB.bindChannel(instance);
    expect(() => chA.parse(inboundRequest({ body: 'boom' }))).toThrow();
    await a.report();
    await b.report();

    const seenFromB = await b.channel('ch-1', 'flaky-plugin');
    expect(seenFromB.map((r) => [r.replica, r.status])).toEqual([['b', 'UP'], ['a', 'DISABLED']]);
    expect(seenFromB[1]).toMatchObject({ failures: 1, lastError: expect.stringContaining('flaky.parse'), lastErrorAt: expect.any(Date), reportedAt: new Date(now) });

    // b's own view is live: a delivery failure there shows before b reports again.
    await expect(hostB.bindChannel(instance).send({ id: 'm1', recipient: { channelType: 'flaky', externalId: 'u' }, content: { kind: 'text', text: 'x' } })).rejects.toThrow('slow down');
    expect((await b.channel('ch-1', 'flaky-plugin'))[0]).toMatchObject({ replica: 'b', status: 'DEGRADED', lastError: expect.stringContaining('RATE_LIMITED') });

    now += 31_000; // a stopped reporting 31 s ago (b's board read is cached for 1 s only)
    expect((await b.channel('ch-1', 'flaky-plugin')).map((r) => r.replica)).toEqual(['b']);
    expect(await cache.hashGetAll('channel-health:replicas')).not.toHaveProperty('a'); // removed on the way
  });

  it('answers with this replica\'s view when the board cannot be read, and drops a report it cannot read', async () => {
    const cache = createMemoryCache();
    const host = hostOf();
    host.bindChannel(instance);
    const down = { ...cache, hashGetAll: () => Promise.reject(new Error('connection refused')) };
    expect((await new ChannelHealthBoard(host, down, log, 'here').channel('ch-1', 'flaky-plugin')).map((r) => r.replica)).toEqual(['here']);

    await cache.hashSet('channel-health:replicas', 'old-version', '{not json', 60);
    await new ChannelHealthBoard(hostOf(), cache, log, 'other').report();
    expect((await new ChannelHealthBoard(host, cache, log, 'here').reports()).map((r) => r.replica)).toEqual(['here', 'other']);
    await new Promise((r) => setImmediate(r)); // the removal is not awaited by the read
    expect(Object.keys(await cache.hashGetAll('channel-health:replicas'))).toEqual(['other']);
  });

  it('reports soon after a change and on a timer, and takes the report off the board when the replica stops', async () => {
    jest.useFakeTimers({ now: 2_000_000 });
    try {
      const cache = createMemoryCache();
      const host = hostOf();
      const board = new ChannelHealthBoard(host, cache, log, 'solo');
      const reports = startHealthReports(board, log);
      await jest.advanceTimersByTimeAsync(0);
      const read = async () => JSON.parse((await cache.hashGetAll('channel-health:replicas')).solo ?? 'null');
      expect((await read()).plugins['flaky-plugin'].status).toBe('UP');

      expect(() => host.bindChannel(instance).parse(inboundRequest({ body: 'boom' }))).toThrow();
      await jest.advanceTimersByTimeAsync(250); // well before the next timed report
      expect((await read()).plugins['flaky-plugin'].status).toBe('DISABLED');
      host.enablePlugin('flaky-plugin');
      await jest.advanceTimersByTimeAsync(250);
      expect((await read()).plugins['flaky-plugin'].status).toBe('UP');

      const before = (await read()).at;
      await jest.advanceTimersByTimeAsync(REPORT_EVERY_MS);
      expect((await read()).at).toBeGreaterThan(before);

      await reports.stop();
      expect(await read()).toBeNull();
    } finally {
      jest.useRealTimers();
    }
  });
});

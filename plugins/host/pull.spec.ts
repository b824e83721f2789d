import { ChannelError, DEFAULT_CAPABILITIES, SDK_API_VERSION, defineChannel, definePlugin, secret, z, type InboundEvent, type PullResult } from '../sdk/index.js';
import { FakeClock } from './clock.js';
import { ChannelDisabledError, PluginBootError, PluginCrashError } from './errors.js';
import { MemoryKeyValueStore } from './kv.memory.js';
import { loadPlugins } from './loader.js';
import { PluginHost } from './plugin-host.js';
import { createMemoryLogger } from './plugin-logger.js';

/** A pull channel whose pull/ack behaviour each test scripts. */
function pullPlugin(o: { pull?: () => Promise<unknown>; ack?: () => Promise<void>; pullEnabled?: (c: { on: boolean }) => unknown; capability?: boolean; apiVersion?: string } = {}) {
  const event = (id: string): InboundEvent => ({ channelType: 'poll', dedupeKey: `m:${id}`, sender: { channelType: 'poll', externalId: 'u1' }, origin: 'customer', content: { kind: 'text', text: id }, sentAt: new Date(0), receivedAt: new Date(0) });
  const adapter = defineChannel({
    type: 'poll',
    capabilities: { ...DEFAULT_CAPABILITIES, outbound: false, outboundKinds: [], ...(o.capability === undefined ? { pull: true } : { pull: o.capability }) },
    configSchema: z.object({ token: secret(), on: z.boolean().default(true) }),
    verify() {},
    parse: () => [],
    pullEnabled: (c) => (o.pullEnabled ? o.pullEnabled(c) : c.on) as boolean,
    pull: async () => (o.pull ? o.pull() : { items: [{ raw: '{"id":"1"}', events: [event('1')] }], ack: o.ack ?? (async () => undefined) }) as PullResult,
    async send() { throw new ChannelError('BAD_REQUEST', 'no'); },
  });
  return definePlugin({
    manifest: { id: 'acme-poll', kind: 'channel', version: '1.0.0', apiVersion: o.apiVersion ?? SDK_API_VERSION, capabilities: [] },
    configSchema: z.object({}),
    register(h) { h.channels.register(adapter); },
  });
}

function hostWith(plugin: ReturnType<typeof pullPlugin>) {
  const clock = new FakeClock();
  const logs = createMemoryLogger();
  const host = new PluginHost({ plugins: [{ plugin }], builtins: {}, logger: logs, kv: new MemoryKeyValueStore(clock), clock });
  return { host, logs, bind: (config: Record<string, unknown> = { token: 'tok-secret-value' }, id = 'c1') => host.bindChannel({ id, tenantId: 't', type: 'poll', config }) };
}

describe('SDK 1.1 pull channels in the host', () => {
  it('is a minor SDK version: 1.0 plugins still load; a pull capability without a pull method is a wrong shape', () => {
    expect(SDK_API_VERSION).toBe('1.8.0');
    expect(() => loadPlugins([{ plugin: pullPlugin({ apiVersion: '1.0.0' }) }], { builtins: {} })).not.toThrow();
    const noPull = definePlugin({
      manifest: { id: 'acme-nopull', kind: 'channel', version: '1.0.0', apiVersion: SDK_API_VERSION, capabilities: [] },
      configSchema: z.object({}),
      register(h) { h.channels.register({ type: 'nopull', capabilities: { ...DEFAULT_CAPABILITIES, pull: true }, configSchema: z.object({}), verify() {}, parse: () => [], send: async () => ({ externalMessageId: 'x', status: 'sent' }), pullEnabled: 'yes' } as never); },
    });
    let err: unknown;
    try { loadPlugins([{ plugin: noPull }], { builtins: {} }); } catch (e) { err = e; }
    expect(err).toBeInstanceOf(PluginBootError);
    expect((err as Error).message).toContain('capabilities.pull is true but there is no pull function');
    expect((err as Error).message).toContain('pullEnabled must be a function when present');
  });

  it('pulls only when the capability is declared and the channel config turns it on', () => {
    expect(hostWith(pullPlugin()).bind().pulls).toBe(true);
    expect(hostWith(pullPlugin()).bind({ token: 'tok-secret-value', on: false }).pulls).toBe(false);
    expect(hostWith(pullPlugin({ capability: false })).bind().pulls).toBe(false);
  });

  it('passes a valid batch through and wraps ack; platform errors degrade the channel, a success brings it back', async () => {
    let fail: ChannelError | null = new ChannelError('UNAVAILABLE', 'gateway busy');
    let acked = 0;
    const { bind, host } = hostWith(pullPlugin({
      pull: async () => { if (fail) throw fail; return { items: [{ raw: 'x', events: [] }], ack: async () => { acked++; if (acked === 1) throw new ChannelError('RATE_LIMITED', 'slow down'); } }; },
    }));
    const ch = bind();
    await expect(ch.pull()).rejects.toMatchObject({ code: 'UNAVAILABLE', retryable: true });
    expect(ch.health()).toMatchObject({ status: 'DEGRADED', lastError: 'pull UNAVAILABLE: gateway busy' });
    // the channel's health outlives a rebind of the same channel (the bindings cache expires every few seconds)
    expect(bind().health().status).toBe('DEGRADED');
    fail = null;
    const r = await ch.pull();
    expect(ch.health().status).toBe('UP');
    await expect(r.ack()).rejects.toMatchObject({ code: 'RATE_LIMITED' });
    expect(ch.health()).toMatchObject({ status: 'DEGRADED', lastError: 'ack RATE_LIMITED: slow down' });
    await r.ack();
    expect(acked).toBe(2);
    expect(host.health('poll').status).toBe('UP'); // the plugin itself is fine
  });

  it('treats a throwing pull, a malformed batch or a throwing pullEnabled as a plugin crash that disables its channels', async () => {
    const bad: Array<[string, () => Promise<unknown>, RegExp]> = [
      ['a TypeError', async () => { throw new TypeError('x is undefined'); }, /poll\.pull: TypeError: x is undefined/],
      ['no ack', async () => ({ items: [] }), /pull returned no ack function/],
      ['an invalid event', async () => ({ items: [{ raw: 'x', events: [{ dedupeKey: 1 }] }], ack: async () => undefined }), /pull item #0 returned an invalid event #0/],
      ['an item without raw bytes', async () => ({ items: [{ events: [] }], ack: async () => undefined }), /item #0 without raw bytes/],
      ['an error that is not a ChannelError', async () => ({ items: [{ raw: 'x', events: [], error: new Error('boom') }], ack: async () => undefined }), /whose error is not a ChannelError/],
    ];
    for (const [name, pull, message] of bad) {
      const { bind, host } = hostWith(pullPlugin({ pull }));
      const ch = bind();
      let err: unknown;
      try { await ch.pull(); } catch (e) { err = e; }
      expect({ name, crash: err instanceof PluginCrashError }).toEqual({ name, crash: true });
      expect((err as Error).message).toMatch(message);
      expect(host.health('poll').status).toBe('DISABLED');
      await expect(ch.pull()).rejects.toBeInstanceOf(ChannelDisabledError);
    }
    const { bind } = hostWith(pullPlugin({ pullEnabled: () => { throw new Error('config?'); } }));
    expect(() => bind().pulls).toThrow(PluginCrashError);
  });

  it('keeps secrets out of pull failure logs and health', async () => {
    const { bind, logs } = hostWith(pullPlugin({ pull: async () => { throw new ChannelError('AUTH', 'refused tok-secret-value'); } }));
    const ch = bind();
    await expect(ch.pull()).rejects.toMatchObject({ code: 'AUTH' });
    expect(ch.health().lastError).toBe('pull AUTH: refused [redacted]');
    expect(logs.lines.some((l) => l.msg === 'channel pull failed')).toBe(true);
    expect(JSON.stringify(logs.lines)).not.toContain('tok-secret-value');
  });
});

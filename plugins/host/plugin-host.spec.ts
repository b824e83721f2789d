import { ChannelError, SDK_API_VERSION, defineChannel, definePlugin, secret, z, DEFAULT_CAPABILITIES, REDACTED, type InboundEvent, type InboundRequest } from '../sdk/index.js';
import { inboundRequest } from '../sdk/testing/harness.js';
import { FakeClock } from './clock.js';
import { ChannelConfigError, ChannelDisabledError, PluginCrashError, UnknownChannelTypeError } from './errors.js';
import { MemoryKeyValueStore } from './kv.memory.js';
import { PluginHost } from './plugin-host.js';
import { createMemoryLogger } from './plugin-logger.js';

/** A scriptable channel: its behaviour per call is set by the test. */
function scripted(type: string, id = `${type}-plugin`, capabilities: Array<'http' | 'kv' | 'connections'> = ['kv']) {
  const behaviour: { parse?: (r: InboundRequest) => unknown; send?: () => Promise<unknown>; start?: () => Promise<void>; typing?: () => Promise<void>; history?: () => unknown; receive?: () => Promise<unknown> } = {};
  const stops: string[] = [];
  const event = (r: InboundRequest): InboundEvent => ({ channelType: type, dedupeKey: `k:${r.rawBody.toString()}`, sender: { channelType: type, externalId: 'u1' }, origin: 'customer', content: { kind: 'text', text: r.rawBody.toString() }, sentAt: r.receivedAt, receivedAt: r.receivedAt });
  const adapter = defineChannel({
    type,
    capabilities: { ...DEFAULT_CAPABILITIES, outboundKinds: ['text'] },
    configSchema: z.object({ token: secret(), name: z.string().default('x') }),
    verify(r) { if (r.headers['x-sig'] !== 'ok') throw new ChannelError('AUTH', 'bad signature'); },
    parse: (r) => (behaviour.parse ? behaviour.parse(r) : [event(r)]) as InboundEvent[],
    async send(m, ctx) {
      ctx.logger.info({ config: ctx.channel.config, url: `https://api.example/send?token=${(ctx.channel.config as { token: string }).token}` }, 'sending');
      await ctx.kv.set('last', m.id);
      return (behaviour.send ? behaviour.send() : Promise.resolve({ externalMessageId: `x-${m.id}`, status: 'sent' })) as never;
    },
    typing: async () => { await behaviour.typing?.(); },
    receive: async (events) => (behaviour.receive ? behaviour.receive() : { events }) as never,
    history: (messages) => (behaviour.history ? behaviour.history() : { status: 200, body: String(messages.length) }) as never,
  });
  const plugin = definePlugin({
    manifest: { id, kind: 'channel', version: '1.0.0', apiVersion: SDK_API_VERSION, capabilities },
    configSchema: z.object({ pluginSecret: secret().optional() }),
    register(h) { h.channels.register(adapter); },
    start: async () => { await behaviour.start?.(); },
    stop: () => { stops.push(id); },
  });
  return { plugin, behaviour, stops };
}

const req = (body = 'hi', sig = 'ok') => inboundRequest({ body, headers: { 'x-sig': sig }, receivedAt: new Date(1_700_000_000_000) });
const msg = (id = 'm1') => ({ id, recipient: { channelType: 'alpha', externalId: 'u1' }, content: { kind: 'text' as const, text: 'hello' } });

function hostWith(plugins: ReturnType<typeof scripted>[], o: { disableAfter?: number; sendTimeoutMs?: number; callTimeoutMs?: number } = {}) {
  const logs = createMemoryLogger();
  const clock = new FakeClock();
  const kv = new MemoryKeyValueStore(clock);
  const host = new PluginHost({ plugins: plugins.map((p) => ({ plugin: p.plugin, config: { pluginSecret: 'plugin-secret-value' } })), builtins: {}, logger: logs, kv, clock, ...o });
  return { host, logs, kv, clock };
}

describe('plugin host: isolation and health', () => {
  it('disables only the failing plugin\'s channels when it throws, visibly in health, and the rest keeps working', () => {
    const a = scripted('alpha');
    const b = scripted('beta');
    const { host } = hostWith([a, b]);
    const chA = host.bindChannel({ id: 'ca', tenantId: 't', type: 'alpha', config: { token: 'tok-a-secret' } });
    const chB = host.bindChannel({ id: 'cb', tenantId: 't', type: 'beta', config: { token: 'tok-b-secret' } });
    a.behaviour.parse = () => { throw new TypeError("Cannot read properties of undefined (reading 'MsgId')"); };
    const err = (() => { try { chA.accept(req()); } catch (e) { return e; } })();
    expect(err).toBeInstanceOf(PluginCrashError);
    expect(err).toMatchObject({ pluginId: 'alpha-plugin', channelType: 'alpha', operation: 'parse', disabled: true });
    expect(host.health('alpha')).toMatchObject({ status: 'DISABLED', failures: 1, lastError: "alpha.parse: TypeError: Cannot read properties of undefined (reading 'MsgId')", lastErrorAt: expect.any(Date) });
    expect(chA.health().status).toBe('DISABLED');
    expect(() => chA.accept(req())).toThrow(ChannelDisabledError);
    expect(chB.accept(req('still fine')).events[0].content).toEqual({ kind: 'text', text: 'still fine' });
    expect(host.health('beta').status).toBe('UP');
    host.enablePlugin('alpha-plugin');
    a.behaviour.parse = undefined;
    expect(chA.accept(req()).events).toHaveLength(1);
    expect(host.health('alpha')).toMatchObject({ status: 'UP', failures: 1 });
  });

  it('shows a crash\'s message only to the tenant whose channel it happened on; other tenants see that the plugin failed', () => {
    const a = scripted('alpha');
    const { host } = hostWith([a]);
    const mine = host.bindChannel({ id: 'c1', tenantId: 'tenant-one', type: 'alpha', config: { token: 'tok-1-secret' } });
    const theirs = host.bindChannel({ id: 'c2', tenantId: 'tenant-two', type: 'alpha', config: { token: 'tok-2-secret' } });
    a.behaviour.parse = () => { throw new TypeError('no field MsgId in <Content>call 13800138000</Content>'); };
    expect(() => mine.accept(req())).toThrow(PluginCrashError);
    // The operator's view (GET /plugins) keeps the message and says whose channel it was.
    expect(host.health('alpha')).toMatchObject({ status: 'DISABLED', lastErrorTenantId: 'tenant-one', lastError: expect.stringContaining('13800138000') });
    expect(mine.health()).toMatchObject({ status: 'DISABLED', lastError: expect.stringContaining('13800138000') });
    expect(theirs.health()).toMatchObject({ status: 'DISABLED', lastError: "alpha.parse: the plugin failed on another tenant's channel" });
    expect(theirs.health()).not.toHaveProperty('lastErrorTenantId');
    // What the other tenant's payloads and sends are failed with says no more.
    const refused = (() => { try { theirs.accept(req()); } catch (e) { return e as ChannelDisabledError; } })();
    expect(refused).toBeInstanceOf(ChannelDisabledError);
    expect(refused!.message).toBe("Channel type alpha is disabled (plugin alpha-plugin: alpha.parse: the plugin failed on another tenant's channel)");
    expect(() => mine.accept(req())).toThrow(/13800138000/);
  });

  it('degrades first when configured to disable after several consecutive crashes', () => {
    const a = scripted('alpha');
    const { host } = hostWith([a], { disableAfter: 3 });
    const ch = host.bindChannel({ id: 'ca', tenantId: 't', type: 'alpha', config: { token: 'tok-secret' } });
    a.behaviour.parse = () => { throw new Error('bug'); };
    for (const expected of ['DEGRADED', 'DEGRADED', 'DISABLED']) {
      expect(() => ch.parse(req())).toThrow(PluginCrashError);
      expect(host.health('alpha').status).toBe(expected);
    }
  });

  it('treats malformed plugin output as a crash, and ChannelErrors as expected failures', () => {
    const a = scripted('alpha');
    const { host } = hostWith([a], { disableAfter: 10 });
    const ch = host.bindChannel({ id: 'ca', tenantId: 't', type: 'alpha', config: { token: 'tok-secret' } });
    expect(() => ch.accept(req('x', 'forged'))).toThrow(expect.objectContaining({ name: 'ChannelError', code: 'AUTH' }));
    expect(host.health('alpha')).toMatchObject({ status: 'UP', failures: 0 });
    a.behaviour.parse = (r) => [{ channelType: 'alpha', dedupeKey: '', sender: { channelType: 'alpha', externalId: 'u' }, origin: 'customer', content: { kind: 'text', text: 'x' }, sentAt: r.receivedAt, receivedAt: r.receivedAt }];
    expect(() => ch.parse(req())).toThrow(/returned an invalid event #0: dedupeKey/);
    a.behaviour.parse = (r) => [{ channelType: 'other', dedupeKey: 'k', sender: { channelType: 'alpha', externalId: 'u' }, origin: 'customer', content: { kind: 'text', text: 'x' }, sentAt: r.receivedAt, receivedAt: r.receivedAt }];
    expect(() => ch.parse(req())).toThrow(/event of channel type other/);
    a.behaviour.parse = () => 'nope';
    expect(() => ch.parse(req())).toThrow(/did not return an array/);
    a.behaviour.parse = () => { throw new ChannelError('BAD_REQUEST', 'malformed XML'); };
    expect(() => ch.parse(req())).toThrow(expect.objectContaining({ code: 'BAD_REQUEST' }));
    expect(host.health('alpha').failures).toBe(3);
  });

  it('degrades a channel on retryable send failures, recovers on success, times out slow sends, and disables on a send crash', async () => {
    const a = scripted('alpha');
    const { host } = hostWith([a], { sendTimeoutMs: 50 });
    const ch = host.bindChannel({ id: 'ca', tenantId: 't', type: 'alpha', config: { token: 'tok-secret' } });
    a.behaviour.send = async () => { throw new ChannelError('RATE_LIMITED', 'slow down', { retryAfterMs: 1000 }); };
    await expect(ch.send(msg())).rejects.toMatchObject({ code: 'RATE_LIMITED', retryable: true, retryAfterMs: 1000 });
    expect(ch.health()).toMatchObject({ status: 'DEGRADED', lastError: 'RATE_LIMITED: slow down' });
    expect(host.health('alpha').status).toBe('UP'); // the plugin is fine; the platform throttles
    a.behaviour.send = async () => { throw new ChannelError('INVALID_RECIPIENT', 'unfollowed'); };
    await expect(ch.send(msg())).rejects.toMatchObject({ code: 'INVALID_RECIPIENT' });
    a.behaviour.send = undefined;
    await expect(ch.send(msg())).resolves.toEqual({ externalMessageId: 'x-m1', status: 'sent' });
    expect(ch.health().status).toBe('UP');
    a.behaviour.send = () => new Promise(() => undefined);
    await expect(ch.send(msg())).rejects.toMatchObject({ code: 'UNAVAILABLE', message: expect.stringContaining('timed out') });
    a.behaviour.send = async () => ({ status: 'sent' });
    await expect(ch.send(msg())).rejects.toThrow(/send returned no \{ externalMessageId, status \}/);
    expect(ch.health().status).toBe('DISABLED');
    await expect(ch.send(msg())).rejects.toBeInstanceOf(ChannelDisabledError);
  });

  it("records a send's problem (SDK 1.8) in the channel's health, cleaned of secrets, and keeps the result; a problem that is not a ChannelError is shown, and the send still counts", async () => {
    const a = scripted('alpha');
    const { host } = hostWith([a], { disableAfter: 10 });
    const ch = host.bindChannel({ id: 'ca', tenantId: 't', type: 'alpha', config: { token: 'tok-secret' } });
    a.behaviour.send = async () => ({ externalMessageId: "x-m1", status: 'queued', problem: new ChannelError('AUTH', 'push gateway refused tok-secret') });
    const r = await ch.send(msg());
    expect(r).toMatchObject({ externalMessageId: 'x-m1', status: 'queued', problem: expect.objectContaining({ code: 'AUTH' }) });
    expect(r.problem!.message).not.toContain('tok-secret');
    expect(ch.health()).toMatchObject({ status: 'DEGRADED', lastError: expect.stringMatching(/^AUTH: push gateway refused /), consecutiveFailures: 1 });
    expect(ch.health().lastError).not.toContain('tok-secret');
    // a per-message refusal as the problem (a gone device token) leaves the channel's health alone
    a.behaviour.send = undefined;
    await ch.send(msg());
    a.behaviour.send = async () => ({ externalMessageId: "x-m1", status: 'queued', problem: new ChannelError('INVALID_RECIPIENT', 'token gone') });
    await ch.send(msg());
    expect(ch.health()).toMatchObject({ status: 'UP', consecutiveFailures: 0 });
    a.behaviour.send = async () => ({ externalMessageId: "x-m1", status: 'queued', problem: 'push failed' });
    await expect(ch.send(msg())).resolves.toEqual({ externalMessageId: 'x-m1', status: 'queued' });
    expect(ch.health()).toMatchObject({ status: 'DEGRADED', lastError: 'send: returned a problem that is not a ChannelError' });
    expect(host.health('alpha').status).toBe('UP'); // the plugin is not disabled for it
  });

  it('isolates the SDK 1.2 hooks like the others: a ChannelError from typing passes, a crash or a malformed history disables', async () => {
    const a = scripted('alpha');
    const { host } = hostWith([a], { disableAfter: 2 });
    const ch = host.bindChannel({ id: 'ca', tenantId: 't', type: 'alpha', config: { token: 'tok-secret' } });
    expect(ch.answersHistory).toBe(true);
    expect(ch.history([], false, req())).toEqual({ status: 200, body: '0' });
    await expect(ch.typing({ recipient: msg().recipient }, 'start')).resolves.toBe(true);
    a.behaviour.typing = async () => { throw new ChannelError('UNAVAILABLE', 'platform busy'); };
    await expect(ch.typing({ recipient: msg().recipient }, 'start')).rejects.toMatchObject({ code: 'UNAVAILABLE' });
    expect(host.health('alpha').status).toBe('UP');
    a.behaviour.typing = async () => { throw new TypeError('boom'); };
    await expect(ch.typing({ recipient: msg().recipient }, 'stop')).rejects.toMatchObject({ code: 'PLUGIN_FAILED' });
    a.behaviour.history = () => ({ status: 200 });
    expect(() => ch.history([], false, req())).toThrow(/history returned no \{ status, body \}/);
    expect(host.health('alpha').status).toBe('DISABLED');
  });

  it('refuses sends the channel cannot do before calling the plugin', async () => {
    const a = scripted('alpha');
    const { host } = hostWith([a]);
    const ch = host.bindChannel({ id: 'ca', tenantId: 't', type: 'alpha', config: { token: 'tok-secret' } });
    await expect(ch.send({ ...msg(), content: { kind: 'image', url: 'https://x' } })).rejects.toMatchObject({ code: 'BAD_REQUEST', message: expect.stringContaining('cannot send image') });
    await expect(ch.send({ ...msg(), content: { kind: 'text', text: '字'.repeat(2001) } })).rejects.toMatchObject({ code: 'BAD_REQUEST', message: expect.stringContaining('2000') });
  });

  it('disables a plugin whose start fails; starts the others; stops in reverse order', async () => {
    const a = scripted('alpha');
    const b = scripted('beta');
    a.behaviour.start = async () => { throw new Error('cannot reach the platform'); };
    const { host } = hostWith([a, b]);
    await host.start();
    expect(host.health('alpha')).toMatchObject({ status: 'DISABLED', lastError: 'start: cannot reach the platform' });
    expect(host.health('beta').status).toBe('UP');
    await host.stop();
    expect(b.stops).toEqual(['beta-plugin']);
  });

  it('gives a plugin only the host services its manifest asks for', async () => {
    const a = scripted('alpha', 'alpha-plugin', []);
    const { host } = hostWith([a], { disableAfter: 5 });
    const ch = host.bindChannel({ id: 'ca', tenantId: 't', type: 'alpha', config: { token: 'tok-secret' } });
    await expect(ch.send(msg())).rejects.toThrow(/did not declare the "kv" capability/);
  });

  it('namespaces each channel\'s key-value store', async () => {
    const a = scripted('alpha');
    const { host, kv } = hostWith([a]);
    await host.bindChannel({ id: 'c1', tenantId: 't', type: 'alpha', config: { token: 'tok-secret' } }).send(msg('one'));
    await host.bindChannel({ id: 'c2', tenantId: 't', type: 'alpha', config: { token: 'tok-secret' } }).send(msg('two'));
    expect(kv.keys().sort()).toEqual(['plugin:alpha-plugin:ch:c1:last', 'plugin:alpha-plugin:ch:c2:last']);
  });

  it('scrubs plugin and channel secrets from every log line, tagging lines with plugin and channel', async () => {
    const a = scripted('alpha');
    const { host, logs } = hostWith([a]);
    await host.bindChannel({ id: 'c1', tenantId: 'tenant-1', type: 'alpha', config: { token: 'tok-very-secret' } }).send(msg());
    const line = logs.lines.find((l) => l.msg === 'sending')!;
    expect(line.bindings).toMatchObject({ plugin: 'alpha-plugin', channelType: 'alpha', channelId: 'c1', tenantId: 'tenant-1' });
    expect(JSON.stringify(logs.lines)).not.toContain('tok-very-secret');
    expect(JSON.stringify(line.obj)).toContain('token=[redacted]');
  });

  it('gives up on a receive that never settles (retryable, the channel degraded), so one hung plugin call cannot hold processing', async () => {
    const a = scripted('alpha');
    const { host } = hostWith([a], { callTimeoutMs: 30 });
    const ch = host.bindChannel({ id: 'c1', tenantId: 't', type: 'alpha', config: { token: 'tok-very-secret' } });
    a.behaviour.receive = () => new Promise(() => undefined);
    await expect(ch.receive(ch.parse(req()))).rejects.toMatchObject({ code: 'UNAVAILABLE', retryable: true, message: 'alpha receive timed out after 30 ms' });
    expect(ch.health()).toMatchObject({ status: 'DEGRADED', lastError: 'UNAVAILABLE: alpha receive timed out after 30 ms' });
    a.behaviour.receive = undefined;
    expect((await ch.receive(ch.parse(req('again')))).events).toHaveLength(1); // not disabled: the next call goes through
  });

  it('passes the items receive could not read (SDK 1.6) to the host, and treats failed items without bytes as a crash', async () => {
    const a = scripted('alpha');
    const { host } = hostWith([a], { disableAfter: 5 });
    const ch = host.bindChannel({ id: 'c1', tenantId: 't', type: 'alpha', config: { token: 'tok-very-secret' } });
    const error = new ChannelError('BAD_REQUEST', 'item without id');
    a.behaviour.receive = async () => ({ events: [], failed: [{ raw: '{"x":1}', error }] });
    expect((await ch.receive(ch.parse(req()))).failed).toEqual([{ raw: '{"x":1}', error }]);
    for (const failed of [{}, [{ error }], [null]]) {
      a.behaviour.receive = async () => ({ events: [], failed });
      await expect(ch.receive(ch.parse(req()))).rejects.toBeInstanceOf(PluginCrashError);
    }
  });

  it('keeps secrets out of the error texts staff can read: thrown ChannelErrors, crash messages and health', async () => {
    const a = scripted('alpha');
    const { host } = hostWith([a], { disableAfter: 5 });
    const ch = host.bindChannel({ id: 'c1', tenantId: 'tenant-1', type: 'alpha', config: { token: 'tok-very-secret' } });
    a.behaviour.send = async () => { throw new ChannelError('UNAVAILABLE', 'POST https://api.example/send?token=tok-very-secret: 503', { platformCode: 503, retryAfterMs: 10 }); };
    const sent = await ch.send(msg()).catch((e: unknown) => e);
    expect(sent).toBeInstanceOf(ChannelError);
    expect(sent).toMatchObject({ code: 'UNAVAILABLE', retryable: true, platformCode: 503, retryAfterMs: 10, message: 'POST https://api.example/send?token=[redacted]: 503' });
    expect(ch.health().lastError).toBe('UNAVAILABLE: POST https://api.example/send?token=[redacted]: 503');
    a.behaviour.parse = () => { throw new Error('cannot decode with plugin-secret-value and tok-very-secret'); };
    const crashed = (() => { try { ch.parse(req()); } catch (e) { return e; } })();
    expect(crashed).toBeInstanceOf(PluginCrashError);
    expect((crashed as Error).message).not.toMatch(/plugin-secret-value|tok-very-secret/);
    expect(ch.health().lastError).toBe('alpha.parse: Error: cannot decode with [redacted] and [redacted]');
    a.behaviour.parse = () => { throw new ChannelError('BAD_REQUEST', 'body signed with tok-very-secret is malformed'); };
    expect(() => ch.parse(req())).toThrow(expect.objectContaining({ code: 'BAD_REQUEST', message: 'body signed with [redacted] is malformed' }));
  });

  it('warns at load when a channel config schema is not zod (nothing in it can be secret), and not for zod ones', () => {
    const plain = { safeParse: (v: unknown) => ({ success: true, data: v }) };
    const js = definePlugin({
      manifest: { id: 'acme-plainjs', kind: 'channel', version: '1.0.0', apiVersion: SDK_API_VERSION, capabilities: [] },
      configSchema: z.object({}),
      register(h) { h.channels.register({ ...defineChannel({ type: 'plainjs', capabilities: DEFAULT_CAPABILITIES, configSchema: z.object({}), verify() {}, parse: () => [], send: async () => ({ externalMessageId: 'x', status: 'sent' as const }) }), configSchema: plain as never }); },
    });
    const logs = createMemoryLogger();
    new PluginHost({ plugins: [{ plugin: js }, { plugin: scripted('alpha').plugin }], builtins: {}, logger: logs });
    const warned = logs.lines.filter((l) => l.level === 'warn' && String(l.msg).includes('not a zod schema'));
    expect(warned).toHaveLength(1);
    expect(warned[0]).toMatchObject({ bindings: { plugin: 'acme-plainjs' }, obj: { channelType: 'plainjs' } });
  });

  it('validates, redacts and merges channel configs; unknown types are named', () => {
    const a = scripted('alpha');
    const { host } = hostWith([a]);
    let err: unknown;
    try { host.validateChannelConfig('alpha', { token: 42, name: 'n' }); } catch (e) { err = e; }
    expect(err).toBeInstanceOf(ChannelConfigError);
    expect((err as ChannelConfigError).issues).toEqual([{ path: 'token', message: expect.stringContaining('expected string') }]);
    expect(host.redactChannelConfig('alpha', { token: 'abcd1234', name: 'n' })).toEqual({ token: REDACTED, name: 'n' });
    expect(host.mergeChannelConfig('alpha', { token: 'abcd1234', name: 'n' }, { token: REDACTED, name: 'renamed' })).toEqual({ token: 'abcd1234', name: 'renamed' });
    expect(() => host.bindChannel({ id: 'x', tenantId: 't', type: 'fax', config: {} })).toThrow(UnknownChannelTypeError);
    expect(() => host.bindChannel({ id: 'x', tenantId: 't', type: 'fax', config: {} })).toThrow('No plugin provides channel type "fax" (loaded: alpha)');
  });
});

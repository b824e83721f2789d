import { mkdtempSync, mkdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SDK_API_VERSION, definePlugin, secret, z, type ChannelAdapter } from '../sdk/index.js';
import { BUILTIN_PLUGINS } from './builtins.js';
import { PluginBootError } from './errors.js';
import { expandPluginList, loadPlugins, parsePluginList } from './loader.js';
import { webAdapter } from '../channel-web/index.js';

const echoAdapter = (type: string): ChannelAdapter => ({ ...webAdapter, type } as ChannelAdapter);
const channelPlugin = (id: string, type: string, extra: Record<string, unknown> = {}) => definePlugin({
  manifest: { id, kind: 'channel', version: '1.0.0', apiVersion: SDK_API_VERSION, capabilities: [] },
  configSchema: z.object({ apiKey: secret().optional(), region: z.enum(['cn', 'intl']).default('cn') }),
  register(host) { host.channels.register(echoAdapter(type)); },
  ...extra,
});
const load = (list: Parameters<typeof loadPlugins>[0], baseDir?: string) => loadPlugins(list, { builtins: BUILTIN_PLUGINS, baseDir });
const bootError = (list: Parameters<typeof loadPlugins>[0], baseDir?: string): PluginBootError => {
  try { load(list, baseDir); } catch (e) { if (e instanceof PluginBootError) return e; throw e; }
  throw new Error('expected a PluginBootError');
};

describe('plugin loader', () => {
  it('loads every built-in by default, each with its channel type', () => {
    const loaded = load(undefined);
    expect(loaded.map((p) => p.channels.map((c) => c.type)).flat().sort()).toEqual(['app', 'douyin', 'partner-api', 'phone', 'store', 'taobao', 'web', 'wechat-mini', 'wechat-oa', 'wecom-kf', 'weibo']);
    expect(loaded.every((p) => p.source.startsWith('builtin:'))).toBe(true);
  });

  it('reads the plugin list from config: JSON entries, a comma list, or nothing (the built-ins)', () => {
    expect(parsePluginList(undefined)).toEqual(['builtins']);
    expect(parsePluginList(' builtins , ./plugins/line ')).toEqual(['builtins', './plugins/line']);
    expect(parsePluginList('["channel-web", {"plugin": "channel-phone", "config": {"maxClockSkewSeconds": 60}}]')).toEqual(['channel-web', { plugin: 'channel-phone', config: { maxClockSkewSeconds: 60 } }]);
    expect(() => parsePluginList('[oops')).toThrow(PluginBootError);
    // a later entry configures a built-in listed by "builtins"; enabled:false removes it
    const list = expandPluginList(['builtins', { plugin: 'channel-phone', config: { maxClockSkewSeconds: 60 } }, { plugin: 'channel-taobao', enabled: false }], BUILTIN_PLUGINS);
    expect(list).toHaveLength(10);
    expect(list.find((e) => e.plugin === 'channel-phone')!.config).toEqual({ maxClockSkewSeconds: 60 });
    expect(load(list).find((p) => p.manifest.id === 'channel-phone')!.config).toEqual({ maxClockSkewSeconds: 60 });
  });

  it('names the plugin and the problem when it cannot be found', () => {
    expect(bootError(['./no/such/plugin']).message).toMatch(/^Plugin "\.\/no\/such\/plugin": cannot be loaded: Cannot find module/);
    expect(bootError(['@acme/huiliu-plugin-missing']).message).toMatch(/^Plugin "@acme\/huiliu-plugin-missing": is neither a built-in plugin nor an installed npm package/);
  });

  it('refuses a wrong shape, listing every problem', () => {
    const e = bootError([{ plugin: { manifest: { id: 'Bad Id', kind: 'widget', version: 'one', apiVersion: '1.0.0', capabilities: ['database'] }, register: 'no' } as never }]);
    expect(e.plugin).toBe('Bad Id');
    expect(e.message).toContain('has the wrong shape');
    for (const part of ['manifest.id', 'manifest.kind', 'manifest.version', 'does not provide "database"', 'configSchema must be a zod schema', 'register must be a function']) expect(e.message).toContain(part);
    expect(bootError([{ plugin: {} as never }]).message).toContain('has no manifest');
    const badAdapter = definePlugin({ manifest: { id: 'bad-adapter', kind: 'channel', version: '1.0.0', apiVersion: SDK_API_VERSION, capabilities: [] }, configSchema: z.object({}), register(h) { h.channels.register({ type: 'Bad', capabilities: {} } as never); } });
    expect(bootError([{ plugin: badAdapter }]).message).toMatch(/Plugin "bad-adapter": has the wrong shape: channel adapter type.*verify must be a function.*capabilities\.inbound must be a boolean/);
  });

  it('refuses another SDK major, and a newer minor than the host', () => {
    const v2 = channelPlugin('acme-v2', 'acme', { manifest: { id: 'acme-v2', kind: 'channel', version: '3.1.0', apiVersion: '2.0.0', capabilities: [] } });
    expect(bootError([{ plugin: v2 }]).message).toBe(`Plugin "acme-v2": needs plugin API 2.0.0, this host provides ${SDK_API_VERSION} (a different major version is not supported)`);
    const newer = channelPlugin('acme-new', 'acme', { manifest: { id: 'acme-new', kind: 'channel', version: '1.0.0', apiVersion: '1.9.0', capabilities: [] } });
    expect(bootError([{ plugin: newer }]).message).toContain('newer than this host');
  });

  it('refuses invalid config, naming the fields without echoing values', () => {
    const e = bootError([{ plugin: channelPlugin('acme', 'acme'), config: { apiKey: 12345678, region: 'mars' } }]);
    expect(e.message).toMatch(/^Plugin "acme": invalid config: apiKey: .*; region: /);
    expect(e.message).not.toContain('12345678');
    expect(bootError([{ plugin: 'channel-wechat-oa', config: { apiBaseUrl: 'not a url' } }]).message).toMatch(/^Plugin "channel-wechat-oa": invalid config: apiBaseUrl/);
  });

  it('refuses a channel type two plugins provide, and a plugin listed twice', () => {
    expect(bootError(['channel-web', { plugin: channelPlugin('acme-web', 'web') }]).message).toBe('Plugin "acme-web": registers channel type "web", which plugin "channel-web" already provides');
    expect(bootError([{ plugin: channelPlugin('twin', 'x1') }, { plugin: channelPlugin('twin', 'x2') }]).message).toContain('is listed twice');
  });

  it('refuses register() doing I/O, throwing, registering nothing or the wrong kind', () => {
    expect(bootError([{ plugin: channelPlugin('slow', 'slow', { register: async () => undefined }) }]).message).toContain('register() must be synchronous');
    expect(bootError([{ plugin: channelPlugin('boom', 'boom', { register: () => { throw new Error('kaput'); } }) }]).message).toBe('Plugin "boom": register() threw: kaput');
    expect(bootError([{ plugin: channelPlugin('empty', 'empty', { register: () => undefined }) }]).message).toContain('must register at least one channel adapter');
    const ai = definePlugin({ manifest: { id: 'ai-mixed', kind: 'ai', version: '1.0.0', apiVersion: SDK_API_VERSION, capabilities: [] }, configSchema: z.object({}), register(h) { h.channels.register(echoAdapter('mixed')); } });
    expect(bootError([{ plugin: ai }]).message).toContain('is an AI plugin');
  });

  it('loads AI plugins through the same registrar', () => {
    const ai = definePlugin({ manifest: { id: 'ai-echo', kind: 'ai', version: '1.0.0', apiVersion: SDK_API_VERSION, capabilities: [] }, configSchema: z.object({}), register(h) { h.ai.register({ name: 'echo', handle: async (i) => ({ reply: i.messages.at(-1)?.content }) }); } });
    expect(load([{ plugin: ai }])[0].aiFeatures.map((f) => f.name)).toEqual(['echo']);
  });

  describe('partner plugins outside the repository', () => {
    const dir = mkdtempSync(join(tmpdir(), 'huiliu-plugins-'));
    // a partner written in plain JavaScript: a plain object, no SDK import at run time
    const js = `module.exports = { default: {
      manifest: { id: 'acme-js', kind: 'channel', version: '0.1.0', apiVersion: '1.0.0', capabilities: [] },
      configSchema: { safeParse: (v) => ({ success: true, data: v }) },
      register(host) { host.channels.register({
        type: 'acme-js', configSchema: { safeParse: (v) => ({ success: true, data: v }) },
        capabilities: { inbound: true, outbound: false, media: false, templates: false, maxTextLength: 100, sendWindow: null, outboundKinds: [], ackDeadlineMs: 1000, maxBodyBytes: 1000 },
        verify() {}, parse() { return []; }, async send() { throw new Error('no'); } }); } } };`;
    mkdirSync(join(dir, 'acme-js'));
    writeFileSync(join(dir, 'acme-js', 'index.js'), js);
    mkdirSync(join(dir, 'node_modules', '@acme', 'huiliu-channel'), { recursive: true });
    writeFileSync(join(dir, 'node_modules', '@acme', 'huiliu-channel', 'package.json'), JSON.stringify({ name: '@acme/huiliu-channel', main: 'main.js' }));
    writeFileSync(join(dir, 'node_modules', '@acme', 'huiliu-channel', 'main.js'), js.replace(/acme-js/g, 'acme-npm'));

    it('loads one from a path (relative to the base directory) and one from an npm package name', () => {
      const loaded = load(['./acme-js', '@acme/huiliu-channel'], dir);
      expect(loaded.map((p) => [p.manifest.id, p.source])).toEqual([['acme-js', `path:${join(dir, 'acme-js')}`], ['acme-npm', 'npm:@acme/huiliu-channel']]);
    });
  });
});

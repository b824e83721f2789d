import { isAbsolute, resolve as resolvePath } from 'node:path';
import type { AiFeature } from '../sdk/ai.js';
import type { ChannelAdapter } from '../sdk/channel.js';
import { configIssues, formatIssues } from '../sdk/config.js';
import { HOST_CAPABILITIES } from '../sdk/context.js';
import type { PluginDefinition } from '../sdk/index.js';
import { CHANNEL_TYPE, PLUGIN_ID, SDK_API_VERSION, parseSemver, type PluginManifest } from '../sdk/manifest.js';
import { MESSAGE_KINDS } from '../sdk/messages.js';
import { PluginBootError } from './errors.js';

/** One entry of the host's plugin list: a built-in id, an npm package name, a path, or a plugin object (tests). */
export interface PluginListEntry {
  plugin: string | PluginDefinition;
  /** The plugin's config, checked against its configSchema at boot. */
  config?: unknown;
  enabled?: boolean;
}
/** Strings are shorthand for `{ plugin }`; the string `builtins` stands for every built-in plugin. */
export type PluginList = Array<PluginListEntry | string>;

export interface LoadedPlugin {
  definition: PluginDefinition;
  manifest: PluginManifest;
  /** Where it came from: `builtin:channel-web`, `path:/abs/dir`, `npm:@acme/huiliu-line`, `object`. */
  source: string;
  config: unknown;
  channels: ChannelAdapter[];
  aiFeatures: AiFeature[];
}

export type BuiltinRegistry = Record<string, () => PluginDefinition>;

/**
 * The plugin list from a config string: a JSON array of entries (`["builtins", {"plugin":"./plugins/line",
 * "config":{...}}]`) or a comma-separated list of specs (`builtins,./plugins/line`). Empty: the built-ins.
 */
export function parsePluginList(text: string | undefined): PluginList {
  const t = (text ?? '').trim();
  if (!t) return ['builtins'];
  if (t.startsWith('[')) {
    let v: unknown;
    try { v = JSON.parse(t); } catch (e) { throw new PluginBootError('(plugin list)', `not valid JSON: ${(e as Error).message}`); }
    if (!Array.isArray(v)) throw new PluginBootError('(plugin list)', 'must be a JSON array');
    return v as PluginList;
  }
  return t.split(',').map((s) => s.trim()).filter(Boolean);
}

export function expandPluginList(list: PluginList | undefined, builtins: BuiltinRegistry): PluginListEntry[] {
  const out: PluginListEntry[] = [];
  for (const e of list ?? ['builtins']) {
    if (e === 'builtins') out.push(...Object.keys(builtins).map((id) => ({ plugin: id })));
    else if (typeof e === 'string') out.push({ plugin: e });
    else if (e && typeof e === 'object' && 'plugin' in e) out.push(e);
    else throw new PluginBootError(String(JSON.stringify(e)), 'a plugin list entry must be a string or { plugin, config }');
  }
  // a later entry for the same spec (e.g. a built-in with config after "builtins") replaces the earlier one
  const bySpec = new Map<unknown, PluginListEntry>();
  for (const e of out) bySpec.set(e.plugin, e);
  return [...bySpec.values()].filter((e) => e.enabled !== false);
}

const isPathSpec = (s: string) => s.startsWith('.') || isAbsolute(s);

function resolveModule(spec: string, baseDir: string, builtins: BuiltinRegistry): { value: unknown; source: string } {
  if (builtins[spec]) return { value: builtins[spec](), source: `builtin:${spec}` };
  try {
    if (isPathSpec(spec)) {
      const abs = resolvePath(baseDir, spec);
      return { value: require(abs), source: `path:${abs}` };
    }
    return { value: require(require.resolve(spec, { paths: [baseDir] })), source: `npm:${spec}` };
  } catch (e) {
    const err = e as NodeJS.ErrnoException;
    const what = err.code === 'MODULE_NOT_FOUND' && !isPathSpec(spec) ? 'is neither a built-in plugin nor an installed npm package' : 'cannot be loaded';
    throw new PluginBootError(spec, `${what}: ${err.message.split('\n')[0]}`);
  }
}

function exportedPlugin(mod: unknown): unknown {
  const m = mod as { default?: unknown; plugin?: unknown; __esModule?: boolean } | null;
  if (m && typeof m === 'object') {
    if (m.default && typeof m.default === 'object') return m.default;
    if (m.plugin && typeof m.plugin === 'object') return m.plugin;
  }
  return mod;
}

const fn = (x: unknown) => typeof x === 'function';

function manifestProblems(m: Partial<PluginManifest> | undefined): string[] {
  if (!m || typeof m !== 'object') return ['has no manifest (expected definePlugin({ manifest, configSchema, register }))'];
  const p: string[] = [];
  if (typeof m.id !== 'string' || !PLUGIN_ID.test(m.id)) p.push('manifest.id must be a lower-case id like "acme-line"');
  if (m.kind !== 'channel' && m.kind !== 'ai') p.push('manifest.kind must be "channel" or "ai"');
  if (typeof m.version !== 'string' || !parseSemver(m.version)) p.push('manifest.version must be a semver version like "1.0.0"');
  if (typeof m.apiVersion !== 'string' || !parseSemver(m.apiVersion)) p.push('manifest.apiVersion must be a semver version like "1.0.0"');
  if (!Array.isArray(m.capabilities)) p.push(`manifest.capabilities must be an array of ${HOST_CAPABILITIES.join(', ')}`);
  else for (const c of m.capabilities) if (!(HOST_CAPABILITIES as readonly string[]).includes(c)) p.push(`manifest.capabilities: this host does not provide "${String(c)}" (it provides ${HOST_CAPABILITIES.join(', ')})`);
  return p;
}

export function adapterProblems(a: Partial<ChannelAdapter> | undefined): string[] {
  if (!a || typeof a !== 'object') return ['registered a channel adapter that is not an object'];
  const p: string[] = [];
  const type = typeof a.type === 'string' ? a.type : '?';
  if (typeof a.type !== 'string' || !CHANNEL_TYPE.test(a.type)) p.push('channel adapter type must be lower case like "wechat-oa"');
  for (const m of ['verify', 'parse', 'send'] as const) if (!fn(a[m])) p.push(`channel ${type}: ${m} must be a function`);
  for (const m of ['respond', 'receive', 'pull', 'pullEnabled', 'history', 'typing'] as const) if (a[m] !== undefined && !fn(a[m])) p.push(`channel ${type}: ${m} must be a function when present`);
  if (!a.configSchema || !fn((a.configSchema as { safeParse?: unknown }).safeParse)) p.push(`channel ${type}: configSchema must be a zod schema`);
  const c = a.capabilities as unknown as Record<string, unknown> | undefined;
  if (!c || typeof c !== 'object') p.push(`channel ${type}: capabilities are missing`);
  else {
    for (const k of ['inbound', 'outbound', 'media', 'templates']) if (typeof c[k] !== 'boolean') p.push(`channel ${type}: capabilities.${k} must be a boolean`);
    if (c.pull !== undefined && typeof c.pull !== 'boolean') p.push(`channel ${type}: capabilities.pull must be a boolean when present`);
    if (c.pull === true && !fn(a.pull)) p.push(`channel ${type}: capabilities.pull is true but there is no pull function`);
    for (const k of ['maxTextLength', 'ackDeadlineMs', 'maxBodyBytes']) if (!Number.isInteger(c[k]) || (c[k] as number) <= 0) p.push(`channel ${type}: capabilities.${k} must be a positive integer`);
    const w = c.sendWindow as { hours?: unknown; maxMessages?: unknown } | null | undefined;
    if (w !== null && (typeof w !== 'object' || typeof w.hours !== 'number' || !(w.hours > 0) || !Number.isInteger(w.maxMessages) || (w.maxMessages as number) < 1)) {
      p.push(`channel ${type}: capabilities.sendWindow must be null or { hours > 0, maxMessages >= 1 }`);
    }
    if (!Array.isArray(c.outboundKinds) || c.outboundKinds.some((k) => !(MESSAGE_KINDS as readonly string[]).includes(k as string))) {
      p.push(`channel ${type}: capabilities.outboundKinds must list message kinds (${MESSAGE_KINDS.join(', ')})`);
    }
  }
  return p;
}

/**
 * Loads, checks and registers one plugin. Every failure is a PluginBootError naming the plugin and the
 * problem: not loadable, wrong shape, another SDK major, invalid config, register failing or doing I/O.
 */
export function loadPlugin(entry: PluginListEntry, options: { baseDir: string; builtins: BuiltinRegistry }): LoadedPlugin {
  const spec = typeof entry.plugin === 'string' ? entry.plugin : (entry.plugin as { manifest?: { id?: string } })?.manifest?.id ?? '(plugin object)';
  const { value, source } = typeof entry.plugin === 'string' ? resolveModule(entry.plugin, options.baseDir, options.builtins) : { value: entry.plugin, source: 'object' };
  const def = exportedPlugin(value) as Partial<PluginDefinition> | null;
  if (!def || typeof def !== 'object') throw new PluginBootError(spec, 'does not export a plugin (expected the object from definePlugin as the default export)');

  const problems = manifestProblems(def.manifest);
  if (!def.configSchema || !fn((def.configSchema as { safeParse?: unknown }).safeParse)) problems.push('configSchema must be a zod schema');
  if (!fn(def.register)) problems.push('register must be a function');
  if (def.start !== undefined && !fn(def.start)) problems.push('start must be a function when present');
  if (def.stop !== undefined && !fn(def.stop)) problems.push('stop must be a function when present');
  const name = typeof def.manifest?.id === 'string' ? def.manifest.id : spec;
  if (problems.length) throw new PluginBootError(name, `has the wrong shape: ${problems.join('; ')}`);
  const manifest = def.manifest as PluginManifest;

  const want = parseSemver(manifest.apiVersion)!;
  const have = parseSemver(SDK_API_VERSION)!;
  if (want.major !== have.major) {
    throw new PluginBootError(name, `needs plugin API ${manifest.apiVersion}, this host provides ${SDK_API_VERSION} (a different major version is not supported)`);
  }
  if (want.minor > have.minor) {
    throw new PluginBootError(name, `needs plugin API ${manifest.apiVersion}, newer than this host's ${SDK_API_VERSION}; upgrade Huiliu`);
  }

  const parsed = def.configSchema!.safeParse(entry.config ?? {});
  if (!parsed.success) throw new PluginBootError(name, `invalid config: ${formatIssues(configIssues((parsed as { error: unknown }).error))}`);
  const config = (parsed as { data: unknown }).data;

  const channels: ChannelAdapter[] = [];
  const aiFeatures: AiFeature[] = [];
  let open = true;
  const registrar = {
    config,
    channels: {
      register(adapter: ChannelAdapter) {
        if (!open) throw new PluginBootError(name, 'registered a channel after register() returned');
        const p = adapterProblems(adapter);
        if (p.length) throw new PluginBootError(name, `has the wrong shape: ${p.join('; ')}`);
        if (channels.some((c) => c.type === adapter.type)) throw new PluginBootError(name, `registers channel type "${adapter.type}" twice`);
        channels.push(adapter);
      },
    },
    ai: {
      register(feature: AiFeature) {
        if (!open) throw new PluginBootError(name, 'registered an AI feature after register() returned');
        if (!feature || typeof feature.name !== 'string' || !feature.name || !fn(feature.handle)) throw new PluginBootError(name, 'has the wrong shape: an AI feature needs a name and a handle function');
        aiFeatures.push(feature);
      },
    },
  };
  let ret: unknown;
  try {
    ret = def.register!(registrar as never);
  } catch (e) {
    if (e instanceof PluginBootError) throw e;
    throw new PluginBootError(name, `register() threw: ${(e as Error)?.message ?? String(e)}`);
  } finally {
    open = false;
  }
  if (ret && typeof (ret as Promise<unknown>).then === 'function') throw new PluginBootError(name, 'register() must be synchronous and only call registrars; start I/O in start(ctx)');
  if (manifest.kind === 'channel' && (channels.length === 0 || aiFeatures.length)) throw new PluginBootError(name, 'is a channel plugin: it must register at least one channel adapter and no AI feature');
  if (manifest.kind === 'ai' && (aiFeatures.length === 0 || channels.length)) throw new PluginBootError(name, 'is an AI plugin: it must register at least one AI feature and no channel adapter');
  return { definition: def as PluginDefinition, manifest, source, config, channels, aiFeatures };
}

/** Loads the whole list; plugin ids, channel types and AI feature names must be unique. */
export function loadPlugins(list: PluginList | undefined, options: { baseDir?: string; builtins: BuiltinRegistry }): LoadedPlugin[] {
  const entries = expandPluginList(list, options.builtins);
  const loaded: LoadedPlugin[] = [];
  const types = new Map<string, string>();
  const features = new Map<string, string>();
  for (const entry of entries) {
    const p = loadPlugin(entry, { baseDir: options.baseDir ?? process.cwd(), builtins: options.builtins });
    const twin = loaded.find((l) => l.manifest.id === p.manifest.id);
    if (twin) throw new PluginBootError(p.manifest.id, `is listed twice (${twin.source} and ${p.source})`);
    for (const c of p.channels) {
      const owner = types.get(c.type);
      if (owner) throw new PluginBootError(p.manifest.id, `registers channel type "${c.type}", which plugin "${owner}" already provides`);
      types.set(c.type, p.manifest.id);
    }
    for (const f of p.aiFeatures) {
      const owner = features.get(f.name);
      if (owner) throw new PluginBootError(p.manifest.id, `registers AI feature "${f.name}", which plugin "${owner}" already provides`);
      features.set(f.name, p.manifest.id);
    }
    loaded.push(p);
  }
  return loaded;
}

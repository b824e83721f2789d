/**
 * The host side of plugins: loading (explicit list; built-ins, npm packages, paths), registries, isolation
 * and health, the plugins' HTTP client and key-value stores, retries.
 *
 *   const plugins = createPluginHost({ plugins: parsePluginList(env.CHANNEL_PLUGINS), logger, kv: new RedisKeyValueStore(redis) });
 *   await plugins.start();
 *   const channel = plugins.bindChannel({ id, tenantId, type: 'wechat-oa', config });   // cache per channel
 *   const { events, response } = channel.accept(request);                                 // verify + parse + respond
 *   ... store events (dedupe on channelId + dedupeKey), answer `response`, then later:
 *   const { events: final, commit } = await channel.receive(events); ...store final...; await commit?.();
 *   await withRetry(() => channel.send(message));
 */
import { BUILTIN_PLUGINS } from './builtins.js';
import { PluginHost, type PluginHostOptions } from './plugin-host.js';

export { BUILTIN_PLUGINS } from './builtins.js';
export { FakeClock, systemClock } from './clock.js';
export { ChannelConfigError, ChannelDisabledError, PluginBootError, PluginCrashError, UnknownChannelTypeError } from './errors.js';
export { HealthTracker, healthSeenBy, worst, type Health, type HealthStatus } from './health.js';
export { createHttpClient, type HttpClientOptions } from './http-client.js';
export { MemoryKeyValueStore, namespaced } from './kv.memory.js';
export { RedisKeyValueStore } from './kv.redis.js';
export { expandPluginList, loadPlugin, loadPlugins, parsePluginList, type BuiltinRegistry, type LoadedPlugin, type PluginList, type PluginListEntry } from './loader.js';
export { BoundChannel, PluginHost, type PluginHostOptions } from './plugin-host.js';
export { createMemoryLogger, createPluginLogger, type BaseLogger } from './plugin-logger.js';
export { backoffDelay, isRetryable, withRetry, type BackoffOptions } from './retry.js';

/** A host with the built-in plugins available (the list still decides which load; default: all of them). */
export function createPluginHost(options: Omit<PluginHostOptions, 'builtins'> & { builtins?: PluginHostOptions['builtins'] }): PluginHost {
  return new PluginHost({ builtins: BUILTIN_PLUGINS, ...options });
}

/**
 * The Huiliu plugin SDK: the only thing a plugin imports from Huiliu.
 *
 *   export default definePlugin({
 *     manifest: { id: 'acme-line', kind: 'channel', version: '1.0.0', apiVersion: SDK_API_VERSION, capabilities: ['http'] },
 *     configSchema: z.object({ apiBaseUrl: z.string().url().default('https://api.line.me') }),
 *     register(host) { host.channels.register(lineAdapter); },
 *   });
 */
import { z } from 'zod';
import type { AiFeature } from './ai.js';
import type { ChannelAdapter } from './channel.js';
import type { PluginContext } from './context.js';
import type { PluginManifest } from './manifest.js';

export { z };
export * from './ai.js';
export * from './channel.js';
export * from './config.js';
export * from './context.js';
export * from './crypto.js';
export * from './errors.js';
export * from './event-fields.js';
export * from './json.js';
export * from './manifest.js';
export * from './messages.js';
export * from './reply-window.js';
export * from './token-cache.js';
export * from './webhook-signature.js';

/** What `register` receives: the plugin's parsed config and the registrars. No I/O here; that starts in `start`. */
export interface PluginRegistrar<PluginConfig = unknown> {
  readonly config: PluginConfig;
  readonly channels: { register(adapter: ChannelAdapter<any, PluginConfig>): void }; // eslint-disable-line @typescript-eslint/no-explicit-any
  readonly ai: { register(feature: AiFeature<PluginConfig>): void };
}

/** A zod-like schema: anything with safeParse (the loader duck-types it). */
export interface ConfigSchemaLike<T = unknown> {
  safeParse(input: unknown): { success: true; data: T } | { success: false; error: unknown };
}

export interface PluginDefinition<PluginConfig = any> { // eslint-disable-line @typescript-eslint/no-explicit-any
  manifest: PluginManifest;
  configSchema: ConfigSchemaLike<PluginConfig>;
  /** Synchronous: only calls registrars. */
  register(host: PluginRegistrar<PluginConfig>): void;
  /** Starts the plugin's I/O (timers, connections). A failure disables the plugin's channels, visibly. */
  start?(ctx: PluginContext<PluginConfig>): Promise<void> | void;
  stop?(): Promise<void> | void;
}

/** Declares a plugin, typing `register`/`start` with the config its schema produces. */
export function definePlugin<S extends z.ZodType>(definition: {
  manifest: PluginManifest;
  configSchema: S;
  register(host: PluginRegistrar<z.output<S>>): void;
  start?(ctx: PluginContext<z.output<S>>): Promise<void> | void;
  stop?(): Promise<void> | void;
}): PluginDefinition<z.output<S>> {
  return definition as unknown as PluginDefinition<z.output<S>>;
}

/** Declares a channel adapter, typing its methods with the channel config its schema produces. */
export function defineChannel<S extends z.ZodType, PluginConfig = unknown>(
  adapter: Omit<ChannelAdapter<z.output<S>, PluginConfig>, 'configSchema'> & { configSchema: S },
): ChannelAdapter<z.output<S>, PluginConfig> {
  return adapter as unknown as ChannelAdapter<z.output<S>, PluginConfig>;
}

/** What the host gives a plugin. Deliberately narrow: no database, no Redis client, no GraphQL schema. */

export interface PluginLogger {
  debug(obj: object | string, msg?: string): void;
  info(obj: object | string, msg?: string): void;
  warn(obj: object | string, msg?: string): void;
  error(obj: object | string, msg?: string): void;
  child(bindings: Record<string, unknown>): PluginLogger;
}

export interface Clock {
  /** Milliseconds since the epoch. */
  now(): number;
}

export interface HttpRequest {
  method?: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
  /** Absolute (`https://…`) or relative to the client's base URL (`/cgi-bin/token`). */
  url: string;
  query?: Record<string, string | number | boolean | undefined>;
  headers?: Record<string, string>;
  /** Serialised as JSON with `content-type: application/json`. */
  json?: unknown;
  /** Sent as is (use for form bodies and when the exact bytes are signed). */
  body?: string | Buffer;
  timeoutMs?: number;
}

export interface HttpResponse {
  status: number;
  /** Lower-case header names. */
  headers: Record<string, string>;
  body: Buffer;
  text(): string;
  /** JSON with integers beyond 2^53 kept as strings; throws ChannelError BAD_REQUEST on invalid JSON. */
  json<T = any>(): T; // eslint-disable-line @typescript-eslint/no-explicit-any
}

/**
 * An HTTP client with a timeout and a configurable base URL (a plugin config key `apiBaseUrl`), so tests
 * point a plugin at a local fake server. Network failures and timeouts throw ChannelError UNAVAILABLE
 * (retryable); any HTTP status is returned, for the plugin to map.
 */
export interface HttpClient {
  readonly baseUrl?: string;
  request(req: HttpRequest): Promise<HttpResponse>;
}

export interface KvSetOptions {
  /** Expire after this many milliseconds. */
  ttlMs?: number;
}

/**
 * A namespaced key-value store. The host implements it on Redis (distributed mode: shared by every replica), in
 * the database (embedded mode: kept across restarts) or in memory (tests).
 */
export interface KeyValueStore {
  get(key: string): Promise<string | null>;
  set(key: string, value: string, options?: KvSetOptions): Promise<void>;
  /** Sets only when absent; true when this call set it (locks, once-only work). */
  setIfAbsent(key: string, value: string, options?: KvSetOptions): Promise<boolean>;
  delete(key: string): Promise<void>;
  /** Adds `by` (default 1) atomically and returns the new value; a new key starts at 0 and gets `ttlMs`. */
  increment(key: string, by?: number, options?: KvSetOptions): Promise<number>;
}

/**
 * Live client connections the host holds (the web widget's and the app's WebSockets). `send` returns true
 * when a live connection took the frame, false when the client is offline.
 */
export interface ClientConnections {
  send(channelId: string, clientId: string, frame: Record<string, unknown>): Promise<boolean>;
}

/** Host services a plugin asks for in its manifest; a service it did not ask for throws when used. */
export const HOST_CAPABILITIES = ['http', 'kv', 'connections'] as const;
export type HostCapability = (typeof HOST_CAPABILITIES)[number];

export interface PluginContext<PluginConfig = unknown> {
  readonly pluginId: string;
  /** Tagged with the plugin id (and the channel in a ChannelContext); secrets are scrubbed from every line. */
  readonly logger: PluginLogger;
  /** The plugin's parsed config (its configSchema applied to the entry in the host's plugin list). */
  readonly config: PluginConfig;
  readonly http: HttpClient;
  /** Namespaced per plugin (per channel in a ChannelContext). */
  readonly kv: KeyValueStore;
  readonly clock: Clock;
  readonly connections: ClientConnections;
}

/** One configured channel: a tenant's WeChat OA, Douyin account, store... */
export interface ChannelInstance<ChannelConfig = unknown> {
  id: string;
  tenantId: string;
  type: string;
  config: ChannelConfig;
}

export interface ChannelContext<PluginConfig = unknown, ChannelConfig = unknown> extends PluginContext<PluginConfig> {
  readonly channel: ChannelInstance<ChannelConfig>;
}

/** JSON helpers over the string store. */
export async function kvGetJson<T>(kv: KeyValueStore, key: string): Promise<T | null> {
  const v = await kv.get(key);
  if (v === null) return null;
  try {
    return JSON.parse(v) as T;
  } catch {
    return null;
  }
}

export const kvSetJson = (kv: KeyValueStore, key: string, value: unknown, options?: KvSetOptions) => kv.set(key, JSON.stringify(value), options);

import { createHash } from 'node:crypto';
import type { AiFeature } from '../sdk/ai.js';
import type { ChannelAdapter, ChannelCapabilities, HistoryMessage, ImmediateResponse, InboundRequest, PullResult, ReceiveResult } from '../sdk/channel.js';
import { OK_EMPTY } from '../sdk/channel.js';
import { configIssues, mergeRedacted, redactConfig, secretValues } from '../sdk/config.js';
import type { ChannelContext, ChannelInstance, ClientConnections, Clock, HostCapability, HttpClient, KeyValueStore, PluginContext } from '../sdk/context.js';
import { ChannelError, isChannelError } from '../sdk/errors.js';
import { inboundEventSchema, sendResultSchema, type InboundEvent, type OutboundMessage, type SendResult } from '../sdk/messages.js';
import { systemClock } from './clock.js';
import { ChannelConfigError, ChannelDisabledError, PluginCrashError, UnknownChannelTypeError } from './errors.js';
import { HealthTracker, healthSeenBy, worst, type Health } from './health.js';
import { createHttpClient } from './http-client.js';
import { MemoryKeyValueStore, namespaced } from './kv.memory.js';
import { loadPlugins, type BuiltinRegistry, type LoadedPlugin, type PluginList } from './loader.js';
import { createPluginLogger, scrubSecrets, type BaseLogger } from './plugin-logger.js';

export interface PluginHostOptions {
  /** Default: every built-in plugin. */
  plugins?: PluginList;
  builtins: BuiltinRegistry;
  /** Relative plugin paths resolve against it (default: the working directory). */
  baseDir?: string;
  logger: BaseLogger;
  /** The root store (memory by default; RedisKeyValueStore in distributed mode). Plugins see a namespace of it. */
  kv?: KeyValueStore;
  clock?: Clock;
  /** Live widget/app connections held by the host; without it web/app replies are queued. */
  connections?: ClientConnections;
  /** `blockPrivateAddresses`: the plugins' HTTP client refuses loopback, private and link-local addresses. */
  http?: { timeoutMs?: number; userAgent?: string; blockPrivateAddresses?: boolean };
  /** Consecutive plugin crashes before its channels are disabled (default 1: the first crash disables them). */
  disableAfter?: number;
  /**
   * Where signatures seen with their body are kept (SDK 1.5 replayKey), for minutes: shared by every replica
   * (Redis). Default `kv`; embedded mode gives a memory store rather than its database-backed `kv`, which would
   * write a row per webhook.
   */
  signatureStore?: KeyValueStore;
  /** A send that takes longer fails as UNAVAILABLE (retryable). Default 30 s. */
  sendTimeoutMs?: number;
  /**
   * A `receive` or `pull` that takes longer fails as UNAVAILABLE (retryable: the payload is retried, the poll
   * comes again), so that a plugin call that never settles cannot hold a processing batch, and every tenant's
   * messages behind it, for ever. Default 60 s (WeCom kf's paged sync_msg takes seconds, not minutes).
   */
  callTimeoutMs?: number;
}

const OFFLINE: ClientConnections = { send: async () => false };

function denied(pluginId: string, cap: HostCapability): never {
  throw new Error(`plugin ${pluginId} did not declare the "${cap}" capability in its manifest`);
}

const describeError = (e: unknown) => (e instanceof Error ? e.message : typeof e === 'string' ? e : JSON.stringify(e) ?? String(e)).split('\n')[0];

/** One loaded plugin at run time: its context, health and lifecycle. */
class PluginRuntime {
  readonly health: HealthTracker;
  readonly ctx: PluginContext;
  started = false;

  constructor(readonly loaded: LoadedPlugin, private readonly host: PluginHost) {
    this.health = host.tracker();
    this.ctx = host.makeContext(loaded, {}, namespaced(host.kv, `plugin:${loaded.manifest.id}:`), () => this.secrets());
  }

  get id() { return this.loaded.manifest.id; }

  secrets(): string[] { return secretValues(this.loaded.definition.configSchema, this.loaded.config); }

  /** `tenantId`: whose channel the call was for (null: none, as at start). */
  crash(channelType: string, operation: string, e: unknown, detail: string | undefined, tenantId: string | null): PluginCrashError {
    // health is readable through the admin API: no secret value in it, whatever the plugin threw
    const message = scrubSecrets(detail ?? `${(e as Error)?.name ?? 'Error'}: ${describeError(e)}`, this.secrets());
    const before = this.health.get();
    const disable = before.consecutiveFailures + 1 >= this.host.disableAfter;
    const h = this.health.failure(`${channelType}.${operation}: ${message}`, disable, tenantId);
    const err = new PluginCrashError(this.id, channelType, operation, message, h.status === 'DISABLED', e);
    this.ctx.logger.error({ err: e, channelType, operation, disabled: err.disabled }, 'plugin failed');
    return err;
  }
}

/**
 * The loaded plugins: registries of channel adapters and AI features, their isolation (a plugin that throws
 * disables only its own channels) and health.
 */
export class PluginHost {
  readonly clock: Clock;
  readonly kv: KeyValueStore;
  readonly signatureStore: KeyValueStore;
  readonly disableAfter: number;
  private readonly runtimes: PluginRuntime[];
  private readonly byType = new Map<string, { adapter: ChannelAdapter; runtime: PluginRuntime }>();
  private readonly features = new Map<string, { feature: AiFeature; runtime: PluginRuntime }>();
  /** Per channel id, so a channel's failures outlive a rebind (config cache expiry) in this process. */
  private readonly channelTrackers = new Map<string, HealthTracker>();
  private readonly healthListeners = new Set<() => void>();

  constructor(private readonly options: PluginHostOptions) {
    this.clock = options.clock ?? systemClock;
    this.kv = options.kv ?? new MemoryKeyValueStore(this.clock);
    this.signatureStore = options.signatureStore ?? this.kv;
    this.disableAfter = Math.max(1, options.disableAfter ?? 1);
    const loaded = loadPlugins(options.plugins, { baseDir: options.baseDir, builtins: options.builtins });
    this.runtimes = loaded.map((l) => new PluginRuntime(l, this));
    for (const r of this.runtimes) {
      for (const adapter of r.loaded.channels) {
        this.byType.set(adapter.type, { adapter, runtime: r });
        // A schema that only has safeParse (plain JavaScript) loads, but nothing in it can be marked secret().
        if (!(adapter.configSchema as { _zod?: unknown })._zod) {
          r.ctx.logger.warn({ channelType: adapter.type }, 'channel configSchema is not a zod schema: none of its fields is treated as secret (shown to admins, stored unencrypted); use z and secret() from the SDK');
        }
      }
      for (const feature of r.loaded.aiFeatures) this.features.set(feature.name, { feature, runtime: r });
    }
  }

  /** @internal a health tracker that tells the listeners of onHealthChange */
  tracker(): HealthTracker {
    return new HealthTracker(() => this.clock.now(), () => { for (const f of this.healthListeners) f(); });
  }

  /** Calls `listener` after any plugin's or channel's health changed here; returns the unsubscribe. */
  onHealthChange(listener: () => void): () => void {
    this.healthListeners.add(listener);
    return () => this.healthListeners.delete(listener);
  }

  /** @internal builds a plugin or channel context */
  makeContext(loaded: LoadedPlugin, bindings: Record<string, unknown>, kv: KeyValueStore, secrets: () => string[], baseUrl?: string): PluginContext {
    const caps = new Set(loaded.manifest.capabilities);
    const id = loaded.manifest.id;
    const cfg = (loaded.config ?? {}) as { apiBaseUrl?: unknown; httpTimeoutMs?: unknown };
    const http: HttpClient = caps.has('http')
      ? createHttpClient({
        baseUrl: baseUrl ?? (typeof cfg.apiBaseUrl === 'string' ? cfg.apiBaseUrl : undefined),
        timeoutMs: typeof cfg.httpTimeoutMs === 'number' ? cfg.httpTimeoutMs : this.options.http?.timeoutMs,
        userAgent: this.options.http?.userAgent,
        blockPrivateAddresses: this.options.http?.blockPrivateAddresses,
      })
      : { request: () => denied(id, 'http') };
    const deniedKv = () => denied(id, 'kv');
    return {
      pluginId: id,
      logger: createPluginLogger(this.options.logger, { plugin: id, ...bindings }, secrets),
      config: loaded.config,
      http,
      kv: caps.has('kv') ? kv : { get: deniedKv, set: deniedKv, setIfAbsent: deniedKv, delete: deniedKv, increment: deniedKv },
      clock: this.clock,
      connections: caps.has('connections') ? this.options.connections ?? OFFLINE : { send: () => denied(id, 'connections') },
    };
  }

  plugins(): Array<{ id: string; kind: string; version: string; apiVersion: string; source: string; channelTypes: string[]; aiFeatures: string[]; health: Health }> {
    return this.runtimes.map((r) => ({
      id: r.id, kind: r.loaded.manifest.kind, version: r.loaded.manifest.version, apiVersion: r.loaded.manifest.apiVersion, source: r.loaded.source,
      channelTypes: r.loaded.channels.map((c) => c.type), aiFeatures: r.loaded.aiFeatures.map((f) => f.name), health: r.health.get(),
    }));
  }

  channelTypes(): string[] { return [...this.byType.keys()].sort(); }

  hasChannelType(type: string): boolean { return this.byType.has(type); }

  private entry(type: string) {
    const e = this.byType.get(type);
    if (!e) throw new UnknownChannelTypeError(type, this.channelTypes());
    return e;
  }

  adapter(type: string): ChannelAdapter { return this.entry(type).adapter; }

  capabilities(type: string): ChannelCapabilities { return this.entry(type).adapter.capabilities; }

  /** Parses a channel config (createChannel/updateChannel); throws ChannelConfigError listing the problems. */
  validateChannelConfig(type: string, config: unknown): unknown {
    const { adapter } = this.entry(type);
    const r = adapter.configSchema.safeParse(config ?? {});
    if (!r.success) throw new ChannelConfigError(type, configIssues(r.error));
    return r.data;
  }

  /** The config with secrets replaced by REDACTED, safe to return from an API. */
  redactChannelConfig(type: string, config: unknown): unknown { return redactConfig(this.entry(type).adapter.configSchema, config); }

  /** An update's config where REDACTED secrets keep their stored value. */
  mergeChannelConfig(type: string, previous: unknown, incoming: unknown): unknown { return mergeRedacted(this.entry(type).adapter.configSchema, previous, incoming); }

  /** A configured channel bound to its adapter (validates the config once; cache it per channel). */
  bindChannel(instance: ChannelInstance<unknown>): BoundChannel {
    const { adapter, runtime } = this.entry(instance.type);
    const config = this.validateChannelConfig(instance.type, instance.config);
    let health = this.channelTrackers.get(instance.id);
    if (!health) this.channelTrackers.set(instance.id, (health = this.tracker()));
    return new BoundChannel({ ...instance, config }, adapter, runtime, this, { send: this.options.sendTimeoutMs ?? 30_000, call: this.options.callTimeoutMs ?? 60_000 }, health);
  }

  /** The delivery health of every channel bound in this process, by channel id (plugin crashes are the plugins'). */
  channelHealths(): Map<string, Health> {
    return new Map([...this.channelTrackers].map(([id, h]) => [id, h.get()]));
  }

  /** The plugin that provides a channel type (null: none loaded). */
  pluginOf(type: string): string | null { return this.byType.get(type)?.runtime.id ?? null; }

  /** Plugin-level health of the channel type's plugin. */
  health(type: string): Health { return this.entry(type).runtime.health.get(); }

  pluginHealth(pluginId: string): Health {
    const r = this.runtimes.find((x) => x.id === pluginId);
    if (!r) throw new Error(`unknown plugin ${pluginId}`);
    return r.health.get();
  }

  /** Re-enables a disabled plugin (after an operator fixed its config or upgraded it). */
  enablePlugin(pluginId: string): void { this.runtimes.find((x) => x.id === pluginId)?.health.reset(); }

  aiFeature(name: string): AiFeature | undefined { return this.features.get(name)?.feature; }

  aiFeatureNames(): string[] { return [...this.features.keys()].sort(); }

  /** Starts every plugin's I/O. A plugin whose start fails is disabled (and logged); the others start. */
  async start(): Promise<void> {
    for (const r of this.runtimes) {
      if (r.started || !r.loaded.definition.start) { r.started = true; continue; }
      try {
        await r.loaded.definition.start(r.ctx);
        r.started = true;
      } catch (e) {
        r.health.failure(`start: ${describeError(e)}`, true);
        r.ctx.logger.error({ err: e }, 'plugin failed to start; its channels are disabled');
      }
    }
  }

  async stop(): Promise<void> {
    for (const r of [...this.runtimes].reverse()) {
      if (!r.started) continue;
      r.started = false;
      try { await r.loaded.definition.stop?.(); } catch (e) { r.ctx.logger.warn({ err: e }, 'plugin failed to stop cleanly'); }
    }
  }
}

/**
 * One configured channel bound to its adapter. Every call is isolated: a ChannelError passes through (an
 * expected failure); anything else is a plugin crash, recorded in health, that disables the plugin.
 */
export class BoundChannel {
  readonly ctx: ChannelContext;
  private readonly channelHealth: HealthTracker;
  private readonly secrets: () => string[];
  /** The host's own store of signatures seen with their body (SDK 1.5 replayKey), apart from the plugin's. */
  private readonly seenSignatures: KeyValueStore;

  constructor(
    readonly instance: ChannelInstance<unknown>,
    private readonly adapter: ChannelAdapter,
    private readonly runtime: PluginRuntime,
    host: PluginHost,
    private readonly timeouts: { send: number; call: number },
    channelHealth?: HealthTracker,
  ) {
    this.channelHealth = channelHealth ?? new HealthTracker(() => host.clock.now());
    const secrets = () => [...runtime.secrets(), ...secretValues(adapter.configSchema, instance.config)];
    this.secrets = secrets;
    const cfg = instance.config as { apiBaseUrl?: unknown };
    const base = host.makeContext(runtime.loaded, { channelType: instance.type, channelId: instance.id, tenantId: instance.tenantId },
      namespaced(host.kv, `plugin:${runtime.id}:ch:${instance.id}:`), secrets, typeof cfg?.apiBaseUrl === 'string' ? cfg.apiBaseUrl : undefined);
    this.ctx = { ...base, channel: instance };
    this.seenSignatures = namespaced(host.signatureStore, `host:replay:${instance.id}:`);
  }

  get id() { return this.instance.id; }
  get type() { return this.adapter.type; }
  get capabilities(): ChannelCapabilities { return this.adapter.capabilities; }
  get config(): unknown { return this.instance.config; }
  /** The plugin asked for the host's live client connections: its clients may also speak over a WebSocket. */
  get liveConnections(): boolean { return this.runtime.loaded.manifest.capabilities.includes('connections'); }

  /** Plugin crashes and this channel's delivery failures, whichever is worse, as this channel's tenant may see them. */
  health(): Health { return healthSeenBy(worst(this.runtime.health.get(), this.channelHealth.get()), this.instance.tenantId); }

  private guardDisabled() {
    const h = this.runtime.health.get();
    if (h.status === 'DISABLED') throw new ChannelDisabledError(this.runtime.id, this.type, healthSeenBy(h, this.instance.tenantId).lastError);
  }

  /** `work`, or a retryable UNAVAILABLE once it has taken `ms` (the plugin's promise is left to settle unheard). */
  private async within<T>(operation: string, ms: number, work: Promise<T>): Promise<T> {
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new ChannelError('UNAVAILABLE', `${this.type} ${operation} timed out after ${ms} ms`)), ms);
    });
    try {
      return await Promise.race([work, late]);
    } finally {
      clearTimeout(timer);
    }
  }

  /** A plugin crash on this channel's call: recorded as this channel's tenant's (see healthSeenBy). */
  private crash(operation: string, e: unknown, detail?: string): PluginCrashError {
    const text = scrubSecrets(detail ?? `${(e as Error)?.name ?? 'Error'}: ${describeError(e)}`, this.secrets());
    return this.runtime.crash(this.type, operation, e, text, this.instance.tenantId);
  }

  /**
   * A ChannelError on its way out, without the channel's or the plugin's secret values in its message: it becomes
   * a payload's or a delivery's error, a webhook refusal's reason, the channel's health, all readable by staff.
   */
  private clean(e: ChannelError): ChannelError {
    const message = scrubSecrets(e.message, this.secrets());
    if (message === e.message) return e;
    const { code, retryable, retryAfterMs, platformCode } = e;
    return new ChannelError(code, message, { retryable, ...(retryAfterMs !== undefined ? { retryAfterMs } : {}), ...(platformCode !== undefined ? { platformCode } : {}) });
  }

  private sync<T>(operation: string, f: () => T, check: (v: T) => string | null): T {
    this.guardDisabled();
    let v: T;
    try {
      v = f();
    } catch (e) {
      if (isChannelError(e)) throw this.clean(e);
      throw this.crash(operation, e);
    }
    const bad = check(v);
    if (bad) throw this.crash(operation, null, bad);
    return v;
  }

  verify(request: InboundRequest): void {
    this.sync('verify', () => this.adapter.verify(request, this.instance.config), () => null);
  }

  /**
   * SDK 1.5, after `verify`: a signature that does not cover the body is bound to the first body it came with
   * (for its lifetime); another body under it is refused as AUTH. When the store cannot be reached the request
   * passes, with a warning: the signature itself was valid, and a webhook turned away is one the platform may drop.
   */
  async guardReplay(request: InboundRequest): Promise<void> {
    if (!this.adapter.replayKey) return;
    const k = this.sync('replayKey', () => this.adapter.replayKey!(request, this.instance.config), (v) =>
      v === undefined || (v && typeof v.key === 'string' && v.key.length > 0 && Number.isFinite(v.ttlSeconds) && v.ttlSeconds > 0) ? null : 'replayKey returned no { key, ttlSeconds }');
    if (!k) return;
    const digest = createHash('sha256').update(request.rawBody).digest('hex');
    let first: string | null;
    try {
      if (await this.seenSignatures.setIfAbsent(k.key, digest, { ttlMs: k.ttlSeconds * 1000 })) return;
      first = await this.seenSignatures.get(k.key);
    } catch (e) {
      this.ctx.logger.warn({ err: describeError(e) }, 'signature replay check skipped: its store is unreachable');
      return;
    }
    if (first !== null && first !== digest) throw new ChannelError('AUTH', 'this signature came with another body before: refused as a replay');
  }

  parse(request: InboundRequest): InboundEvent[] {
    return this.sync('parse', () => this.adapter.parse(request, this.instance.config), (v) => this.checkEvents(v));
  }

  respond(request: InboundRequest, events: InboundEvent[]): ImmediateResponse {
    if (!this.adapter.respond) return OK_EMPTY;
    return this.sync('respond', () => this.adapter.respond!(request, events, this.instance.config), (r) =>
      r && Number.isInteger(r.status) && r.status >= 100 && r.status <= 599 && typeof r.body === 'string' ? null : 'respond returned no { status, body }');
  }

  /** SDK 1.2: whether the adapter answers a client's `sync` (its missed messages). */
  get answersHistory(): boolean { return typeof this.adapter.history === 'function'; }

  /** The adapter's answer to a `sync`, isolated like `respond`. */
  history(messages: HistoryMessage[], more: boolean, request: InboundRequest): ImmediateResponse {
    return this.sync('history', () => this.adapter.history!(messages, more, request, this.instance.config), (r) =>
      r && Number.isInteger(r.status) && r.status >= 100 && r.status <= 599 && typeof r.body === 'string' ? null : 'history returned no { status, body }');
  }

  /** verify → parse → respond in one call: what a webhook does before storing the events and answering. */
  accept(request: InboundRequest): { events: InboundEvent[]; response: ImmediateResponse } {
    this.verify(request);
    const events = this.parse(request);
    return { events, response: this.respond(request, events) };
  }

  /** The asynchronous follow-up (pull, enrich); without a `receive` the events pass through. */
  async receive(events: InboundEvent[]): Promise<ReceiveResult> {
    this.guardDisabled();
    if (!this.adapter.receive) return { events };
    let r: ReceiveResult;
    try {
      r = await this.within('receive', this.timeouts.call, this.adapter.receive(events, this.ctx));
    } catch (e) {
      if (isChannelError(e)) { const c = this.clean(e); this.recordDelivery(c); throw c; }
      throw this.crash('receive', e);
    }
    const bad = !r || !Array.isArray(r.events) ? 'receive returned no { events }' : this.checkEvents(r.events)
      ?? (r.commit !== undefined && typeof r.commit !== 'function' ? 'receive returned a commit that is not a function' : null)
      ?? (r.failed !== undefined && (!Array.isArray(r.failed) || r.failed.some((f) => !f || !(typeof f.raw === 'string' || Buffer.isBuffer(f.raw)))) ? 'receive returned failed items without raw bytes' : null);
    if (bad) throw this.crash('receive', null, bad);
    return r;
  }

  /** SDK 1.1: the adapter pulls and this channel's config turns it on (a throwing `pullEnabled` counts as a crash). */
  get pulls(): boolean {
    if (!this.adapter.capabilities.pull || typeof this.adapter.pull !== 'function') return false;
    if (!this.adapter.pullEnabled) return true;
    return this.sync('pullEnabled', () => this.adapter.pullEnabled!(this.instance.config), (v) => (typeof v === 'boolean' ? null : 'pullEnabled returned no boolean'));
  }

  /**
   * One batch from the platform (SDK 1.1). ChannelErrors pass through and, like every pull failure, degrade
   * the channel's health (polling is the channel's only inbound path then); a success brings it back up.
   * `ack` is isolated the same way.
   */
  async pull(): Promise<PullResult> {
    this.guardDisabled();
    if (!this.adapter.pull) throw new ChannelError('BAD_REQUEST', `${this.type} channels do not pull`);
    let r: PullResult;
    try {
      r = await this.within('pull', this.timeouts.call, this.adapter.pull(this.ctx));
    } catch (e) {
      if (isChannelError(e)) { const c = this.clean(e); this.recordPull('pull', c); throw c; }
      throw this.crash('pull', e);
    }
    const bad = this.checkPull(r);
    if (bad) throw this.crash('pull', null, bad);
    this.channelHealth.success();
    const ack = async () => {
      try {
        await r.ack();
      } catch (e) {
        if (isChannelError(e)) { const c = this.clean(e); this.recordPull('ack', c); throw c; }
        throw this.crash('ack', e);
      }
    };
    return { ...r, ack };
  }

  private recordPull(operation: string, e: ChannelError) {
    this.channelHealth.failure(`${operation} ${e.code}: ${e.message}`, false); // `e` is cleaned of secrets
    this.ctx.logger.warn({ code: e.code, retryable: e.retryable, platformCode: e.platformCode, operation }, 'channel pull failed');
  }

  private checkPull(r: PullResult): string | null {
    if (!r || !Array.isArray(r.items)) return 'pull returned no { items }';
    if (typeof r.ack !== 'function') return 'pull returned no ack function';
    for (const [i, item] of r.items.entries()) {
      if (!item || (typeof item.raw !== 'string' && !Buffer.isBuffer(item.raw))) return `pull returned item #${i} without raw bytes`;
      if (item.error !== undefined && !isChannelError(item.error)) return `pull returned item #${i} whose error is not a ChannelError`;
      const bad = this.checkEvents(item.events);
      if (bad) return `pull item #${i} ${bad}`;
    }
    return null;
  }

  /** SDK 1.2: an agent typing, shown to the customer where the adapter can (false: it cannot). Crashes are isolated. */
  async typing(to: Pick<OutboundMessage, 'recipient' | 'context'>, state: 'start' | 'stop'): Promise<boolean> {
    if (!this.adapter.typing) return false;
    this.guardDisabled();
    try {
      await this.adapter.typing(to, state, this.ctx);
    } catch (e) {
      if (isChannelError(e)) throw this.clean(e);
      throw this.crash('typing', e);
    }
    return true;
  }

  /** Sends one message. ChannelErrors keep their code and `retryable`; see withRetry for retries. */
  async send(message: OutboundMessage): Promise<SendResult> {
    this.guardDisabled();
    const caps = this.adapter.capabilities;
    if (!caps.outbound) throw new ChannelError('BAD_REQUEST', `${this.type} channels cannot send messages`);
    if (!caps.outboundKinds.includes(message.content.kind)) throw new ChannelError('BAD_REQUEST', `${this.type} channels cannot send ${message.content.kind} messages (they send ${caps.outboundKinds.join(', ')})`);
    if (message.content.kind === 'text' && [...message.content.text].length > caps.maxTextLength) {
      throw new ChannelError('BAD_REQUEST', `text longer than ${caps.maxTextLength} characters, the ${this.type} limit`);
    }
    let r: SendResult;
    try {
      r = await this.within('send', this.timeouts.send, this.adapter.send(message, this.ctx));
    } catch (e) {
      if (isChannelError(e)) { const c = this.clean(e); this.recordDelivery(c); throw c; }
      throw this.crash('send', e);
    }
    const ok = sendResultSchema.safeParse(r);
    if (!ok.success) {
      const { problem, ...rest } = (r ?? {}) as Partial<SendResult>;
      // The message went; only its `problem` is malformed: a plugin bug to show, not a send to fail (and repeat).
      if (problem !== undefined && sendResultSchema.safeParse(rest).success) {
        this.channelHealth.failure('send: returned a problem that is not a ChannelError', false);
        this.ctx.logger.warn({ operation: 'send' }, 'send returned a problem that is not a ChannelError');
        return rest as SendResult;
      }
      throw this.crash('send', null, 'send returned no { externalMessageId, status }');
    }
    this.runtime.health.success();
    // A side step that failed (SDK 1.8): the message went, the channel's health shows the problem.
    if (ok.data.problem) {
      const problem = this.clean(ok.data.problem);
      this.recordDelivery(problem, 'channel send went, with a problem');
      return { ...ok.data, problem };
    }
    this.channelHealth.success();
    return ok.data;
  }

  /** Platform trouble (retryable errors, credentials refused) degrades the channel; per-message refusals do not. */
  private recordDelivery(e: ChannelError, what = 'channel delivery failed') {
    if (e.retryable || e.code === 'AUTH') {
      this.channelHealth.failure(`${e.code}: ${e.message}`, false);
      this.ctx.logger.warn({ code: e.code, retryable: e.retryable, platformCode: e.platformCode }, what);
    }
  }

  private checkEvents(v: unknown): string | null {
    if (!Array.isArray(v)) return 'did not return an array of events';
    for (const [i, ev] of v.entries()) {
      const r = inboundEventSchema.safeParse(ev);
      if (!r.success) return `returned an invalid event #${i}: ${configIssues(r.error).map((x) => `${x.path} ${x.message}`).join('; ')}`;
      if ((ev as InboundEvent).channelType !== this.type) return `returned an event of channel type ${(ev as InboundEvent).channelType}`;
    }
    return null;
  }
}

import Redis from 'ioredis';
import { In } from 'typeorm';
import { backoffDelay, type BoundChannel } from '../../../plugins/host/index.js';
import { isChannelError, storedItemRequest, type PullResult } from '../../../plugins/sdk/index.js';
import type { Logger } from '../../_shared/logger.js';
import type { SubgraphDeps } from '../../_shared/subgraph-module.js';
import { ChannelEntity } from '../channel/channel.entity.js';
import type { ChannelService } from '../channel/channel.service.js';
import type { ChannelBindings } from './channel-bindings.js';
import type { IngestConfig } from './ingest.config.js';
import type { IngestService } from './ingest.service.js';
import { createMemoryPullLock, createRedisPullLock, type PullLock } from './pull.lock.js';

/** Pull settings (IngestConfig's optional `pull*` fields) with their defaults. */
export interface PullSettings {
  /** Pause between polls of a channel with nothing waiting; 0 turns polling off. */
  intervalMs: number;
  /** Longest pause after repeated failures (exponential from `intervalMs`, the platform's retryAfterMs wins). */
  maxBackoffMs: number;
  /** A poller's lease on a channel; renewed before each batch, so it only runs out when the holder died. */
  lockTtlMs: number;
  /** Batches pulled back to back while the platform says more are waiting, before yielding to the next tick. */
  maxBatches: number;
  /** Items stored at once within a batch. */
  storeConcurrency: number;
}

export function pullSettings(c: Partial<IngestConfig>): PullSettings {
  return {
    intervalMs: c.pullIntervalMs ?? 5000,
    maxBackoffMs: c.pullMaxBackoffMs ?? 5 * 60_000,
    lockTtlMs: c.pullLockTtlMs ?? 60_000,
    maxBatches: c.pullMaxBatches ?? 10,
    storeConcurrency: 8,
  };
}

export type PollOutcome = 'pulled' | 'empty' | 'locked' | 'skipped' | 'failed';

interface ChannelState { failures: number; nextAt: number }

type Ingest = Pick<IngestService, 'store' | 'handOff' | 'config'>;

/**
 * Host side of pull channels (SDK 1.1, e.g. Taobao TMC): for every enabled channel whose plugin pulls and whose
 * config turns it on, one replica at a time (a lease per channel) pulls a batch, stores every item like a
 * webhook payload (raw bytes kept, dedupe on channel + dedupe key), queues the events for processing, and only
 * then acknowledges to the platform. A crash before the acknowledgement makes the platform redeliver, and the
 * dedupe keys collapse the redelivery: exactly one message. Failures back off per channel and show in the
 * channel's health (the bound channel records them); a bad channel never holds up the others.
 */
export class PullPoller {
  private readonly settings: PullSettings;
  private readonly state = new Map<string, ChannelState>();
  private timer: NodeJS.Timeout | null = null;
  private running: Promise<void> | null = null;
  private stopped = false;
  private readonly log: Logger;

  constructor(private readonly d: {
    channels: ChannelService;
    bindings: ChannelBindings;
    ingest: Ingest;
    /** Ids of enabled channels of the given types, across tenants (no configs: those come through ChannelService). */
    channelIds: (types: string[]) => Promise<string[]>;
    lock: PullLock;
    log: Logger;
    settings?: Partial<PullSettings>;
    now?: () => number;
  }) {
    this.settings = { ...pullSettings({}), ...d.settings };
    this.log = d.log.child({ component: 'pull' });
  }

  private now(): number { return (this.d.now ?? Date.now)(); }

  /** Channel types whose plugin can pull (capability and method both present). */
  pullTypes(): string[] {
    const host = this.d.bindings.host;
    return host.channelTypes().filter((t) => { const a = host.adapter(t); return a.capabilities.pull === true && typeof a.pull === 'function'; });
  }

  start(): void {
    if (this.settings.intervalMs <= 0 || this.timer || this.stopped) return;
    if (!this.pullTypes().length) return;
    this.schedule(0);
  }

  private schedule(ms: number): void {
    this.timer = setTimeout(() => {
      this.timer = null;
      this.running = this.tick()
        .then(() => undefined, (err) => this.log.warn({ err }, 'pull tick failed'))
        .finally(() => {
          this.running = null;
          if (!this.stopped) this.schedule(this.settings.intervalMs);
        });
    }, ms);
    this.timer.unref();
  }

  /** Stops polling: no new poll starts, the one in flight finishes (so an acknowledgement is not cut off), the lease store closes. */
  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    await this.running;
    await this.d.lock.close();
  }

  /** One round: every due pull channel, concurrently. */
  async tick(): Promise<Record<string, PollOutcome>> {
    const types = this.pullTypes();
    if (!types.length) return {};
    const ids = await this.d.channelIds(types);
    for (const id of this.state.keys()) if (!ids.includes(id)) this.state.delete(id);
    const now = this.now();
    const due = ids.filter((id) => (this.state.get(id)?.nextAt ?? 0) <= now);
    const out: Record<string, PollOutcome> = {};
    await Promise.all(due.map(async (id) => { out[id] = await this.poll(id); }));
    return out;
  }

  /** Polls one channel now (if it pulls and its lease is free): batches until the platform has no more or `maxBatches`. */
  async poll(channelId: string): Promise<PollOutcome> {
    const channel = this.d.bindings.cached(channelId) ?? (await this.d.channels.forWebhook(channelId));
    if (!channel || !channel.enabled) return 'skipped';
    const lockName = `${channel.id}`;
    let token: string | null = null;
    let bound: BoundChannel | null = null;
    let pulled = 0;
    try {
      bound = this.d.bindings.bind(channel);
      if (!bound || !bound.pulls) return 'skipped';
      token = await this.d.lock.acquire(lockName, this.settings.lockTtlMs);
      if (!token) return 'locked';
      for (let batch = 0; batch < this.settings.maxBatches && !this.stopped; batch++) {
        if (batch > 0 && !(await this.d.lock.renew(lockName, token, this.settings.lockTtlMs))) break;
        const r = await bound.pull();
        pulled += await this.storeBatch(channel, r);
        await r.ack();
        if (!r.more) break;
      }
      this.state.set(channel.id, { failures: 0, nextAt: 0 });
      return pulled ? 'pulled' : 'empty';
    } catch (err) {
      const failures = (this.state.get(channel.id)?.failures ?? 0) + 1;
      const delay = backoffDelay(failures, { baseMs: Math.max(this.settings.intervalMs, 100), maxMs: this.settings.maxBackoffMs, jitter: 'none' }, err);
      this.state.set(channel.id, { failures, nextAt: this.now() + delay });
      const code = isChannelError(err) ? err.code : (err as { code?: unknown })?.code;
      this.log.warn({
        channelId: channel.id, tenantId: channel.tenantId, channelType: channel.type, code: typeof code === 'string' ? code : undefined,
        retryable: isChannelError(err) ? err.retryable : undefined, failures, retryInMs: delay, pulled, err: (err as Error)?.message?.split('\n')[0],
      }, 'channel pull failed');
      return 'failed';
    } finally {
      if (token) await this.d.lock.release(lockName, token).catch(() => undefined);
    }
  }

  /**
   * Stores a batch item by item, each as a synthetic request (`POST /pull/<channelId>`) whose body is the
   * item's raw bytes (audit, and a replay through the plugin's parse) and whose `x-huiliu-pull-*` headers carry
   * the pull's meta; an item the plugin could not read is kept FAILED for an operator. Then hands the events
   * over for processing.
   */
  private async storeBatch(channel: ChannelEntity, r: PullResult): Promise<number> {
    const receivedAt = new Date(this.now());
    const headers: Record<string, string> = {};
    for (const [k, v] of Object.entries(r.meta ?? {})) headers[`x-huiliu-pull-${k.toLowerCase().replace(/[^a-z0-9-]/g, '-')}`] = String(v).slice(0, 200);
    const ids: string[][] = new Array(r.items.length);
    for (let i = 0; i < r.items.length; i += this.settings.storeConcurrency) {
      await Promise.all(r.items.slice(i, i + this.settings.storeConcurrency).map(async (item, j) => {
        const request = storedItemRequest('pull', channel.id, item.raw, receivedAt, headers);
        ids[i + j] = await this.d.ingest.store(channel, request, item.events, item.error);
        if (item.error) this.log.warn({ channelId: channel.id, tenantId: channel.tenantId, code: (item.error as { code?: string }).code }, 'pulled item kept as failed: the plugin could not read it');
      }));
    }
    // like the webhook after storing: processed here, or handed to the processing replicas (INGEST_ROLE=receive)
    this.d.ingest.handOff(channel.tenantId, ids.flat());
    return r.items.length;
  }
}

/** The poller of a conversations process: Redis leases when distributed, in-process ones when embedded. */
export function createPullPoller(s: { channels: ChannelService; channelBindings: ChannelBindings; ingest: Ingest }, deps: SubgraphDeps): PullPoller {
  const repo = deps.dataSource.getRepository(ChannelEntity);
  const lock = deps.redis
    ? createRedisPullLock(new Redis(deps.redis.url, { lazyConnect: true, maxRetriesPerRequest: 2 }), deps.redis.prefix, true)
    : createMemoryPullLock();
  return new PullPoller({
    channels: s.channels,
    bindings: s.channelBindings,
    ingest: s.ingest,
    // ids only: the config (secrets sealed at rest) is read through ChannelService and opened by ChannelBindings
    channelIds: async (types) => (await repo.find({ select: { id: true }, where: { enabled: true, type: In(types) }, order: { id: 'ASC' } })).map((c) => c.id),
    lock,
    log: deps.log,
    settings: pullSettings(s.ingest.config),
  });
}

import { hostname } from 'node:os';
import { worst, type Health, type PluginHost } from '../../../plugins/host/index.js';
import type { KeyValueCache } from '../../_shared/cache.js';
import type { Logger } from '../../_shared/logger.js';
import type { Worker } from '../../_shared/subgraph-module.js';

/** What one replica reports: its plugins' health, and the health of the channels it bound that are not pristine. */
export interface ReplicaHealthReport {
  replica: string;
  at: number;
  plugins: Record<string, Health>;
  channels: Record<string, Health>;
}

/** One replica's view of one channel. */
export interface ReplicaChannelHealth extends Health {
  replica: string;
  reportedAt: Date;
}

const KEY = 'channel-health:replicas';
/** A replica writes its report this often; reports older than STALE_MS are from replicas that are gone. */
export const REPORT_EVERY_MS = 10_000;
const STALE_MS = 3 * REPORT_EVERY_MS;
/** A change here is reported after this long, together with whatever else changed meanwhile. */
const CHANGE_DELAY_MS = 200;
/** A board read serves the requests of the next second: a `channels { health }` list reads it once. */
const READ_CACHE_MS = 1_000;

const pristine = (h: Health) => h.status === 'UP' && h.failures === 0;
const revive = (h: Health): Health => ({ ...h, lastErrorAt: h.lastErrorAt ? new Date(h.lastErrorAt) : null });

/**
 * Plugin crashes and delivery failures are counted where they happen, in one replica. An operator asking
 * `channel.health` through the gateway reaches any replica, so each replica writes what it sees into the shared
 * cache (a Redis hash: one field per replica) every 10 s, and a channel's health is read over every replica that
 * reported in the last 30 s: the worst status, the latest error, the failures added up, and each replica's view.
 * This replica's own view is always the live one. Embedded mode has one replica and the same code.
 */
export class ChannelHealthBoard {
  readonly replica: string;
  private read: { at: number; reports: Promise<ReplicaHealthReport[]> } | null = null;

  constructor(
    private readonly host: PluginHost,
    private readonly cache: KeyValueCache,
    private readonly log: Logger,
    replica?: string,
    private readonly now: () => number = Date.now,
  ) {
    this.replica = replica ?? `${hostname()}/${process.pid}`;
  }

  /** This replica's report, as it is now. */
  own(): ReplicaHealthReport {
    const plugins = Object.fromEntries(this.host.plugins().map((p) => [p.id, p.health]));
    const channels = Object.fromEntries([...this.host.channelHealths()].filter(([, h]) => !pristine(h)));
    return { replica: this.replica, at: this.now(), plugins, channels };
  }

  /** Calls `listener` after a plugin's or a channel's health changed on this replica. */
  onChange(listener: () => void): () => void {
    return this.host.onHealthChange(listener);
  }

  /** Writes this replica's report (startHealthReports: soon after a change, and every REPORT_EVERY_MS). */
  async report(): Promise<void> {
    await this.cache.hashSet(KEY, this.replica, JSON.stringify(this.own()), Math.ceil((STALE_MS * 10) / 1000));
  }

  /** Every replica's report that is fresh, this one's live; stale fields are removed on the way. */
  async reports(): Promise<ReplicaHealthReport[]> {
    const now = this.now();
    if (!this.read || now - this.read.at > READ_CACHE_MS) this.read = { at: now, reports: this.fetch(now) };
    const others = await this.read.reports;
    return [this.own(), ...others.filter((r) => r.replica !== this.replica)];
  }

  /** The channel's health on each replica (the plugin's and the channel's, whichever is worse), this one first. */
  async channel(channelId: string, pluginId: string | null): Promise<ReplicaChannelHealth[]> {
    return (await this.reports()).map((r) => {
      const up: Health = { status: 'UP', lastError: null, lastErrorAt: null, failures: 0, consecutiveFailures: 0 };
      const plugin = pluginId ? r.plugins[pluginId] ?? up : up;
      return { ...worst(plugin, r.channels[channelId] ?? up), replica: r.replica, reportedAt: new Date(r.at) };
    });
  }

  /** Takes this replica's report off the board (it stops: what it counted goes with it). */
  async withdraw(): Promise<void> {
    await this.cache.hashDel(KEY, this.replica);
  }

  private async fetch(now: number): Promise<ReplicaHealthReport[]> {
    let fields: Record<string, string>;
    try {
      fields = await this.cache.hashGetAll(KEY);
    } catch (err) {
      this.log.warn({ err: (err as Error).message }, 'other replicas\' channel health unreadable; showing this replica\'s');
      return [];
    }
    const out: ReplicaHealthReport[] = [];
    const stale: string[] = [];
    for (const [replica, raw] of Object.entries(fields)) {
      try {
        const r = JSON.parse(raw) as ReplicaHealthReport;
        if (now - r.at > STALE_MS) { stale.push(replica); continue; }
        const revived = (m: Record<string, Health>) => Object.fromEntries(Object.entries(m ?? {}).map(([k, h]) => [k, revive(h)]));
        out.push({ replica, at: r.at, plugins: revived(r.plugins), channels: revived(r.channels) });
      } catch {
        stale.push(replica); // unreadable: written by an incompatible version, or damaged
      }
    }
    if (stale.length) this.cache.hashDel(KEY, ...stale).catch(() => undefined);
    return out.sort((a, b) => a.replica.localeCompare(b.replica));
  }
}

/**
 * Reports this replica's health every REPORT_EVERY_MS, and soon after a change here (a crash shows on the other
 * replicas within a fraction of a second, a crash loop still writes at most once per CHANGE_DELAY_MS); withdraws it
 * as the replica stops.
 */
export function startHealthReports(board: ChannelHealthBoard, log: Logger, everyMs = REPORT_EVERY_MS): Worker {
  const report = () => board.report().catch((err) => log.warn({ err: (err as Error).message }, 'channel health not reported'));
  void report();
  const timer = setInterval(() => void report(), everyMs);
  timer.unref();
  let soon: NodeJS.Timeout | null = null;
  const unwatch = board.onChange(() => {
    soon ??= setTimeout(() => {
      soon = null;
      void report();
    }, CHANGE_DELAY_MS);
  });
  return {
    async stop() {
      unwatch();
      clearInterval(timer);
      if (soon) clearTimeout(soon);
      await board.withdraw().catch(() => undefined); // else it reads as stale in 30 s
    },
  };
}

import type { KeyValueCache } from '../../_shared/cache.js';
import type { Logger } from '../../_shared/logger.js';

/** The last webhook of a channel that was refused, as its platform was answered. */
export interface WebhookRefusalRecord {
  at: Date;
  status: number;
  code: string;
  reason: string;
}

export interface ChannelTrafficRecord {
  lastAcceptedAt: Date | null;
  lastRefusal: WebhookRefusalRecord | null;
}

/** A replica writes a channel's "last accepted" at most this often: one Redis write per channel per 10 s, not per webhook. */
const ACCEPTED_EVERY_MS = 10_000;
/** And its last refusal at most once a second (a flood of forged requests must not become a flood of writes). */
const REFUSED_EVERY_MS = 1_000;
const TTL_SECONDS = 30 * 24 * 3600;
const MAX_TRACKED = 10_000;

/**
 * When a channel's platform last got a webhook through, and the last one refused and why: the first thing to look
 * at when "the WeChat messages stopped" (a token changed on the platform's side answers 401, a disabled channel
 * 403). Kept in the shared cache (Redis when distributed: every replica writes, any one answers), throttled per
 * replica so the acknowledgement path pays one map lookup; refusals are never stored as payloads, so this is
 * where they show.
 */
export class ChannelTraffic {
  private readonly written = new Map<string, number>();

  constructor(private readonly cache: KeyValueCache, private readonly log: Logger, private readonly now: () => number = Date.now) {}

  accepted(channelId: string): void {
    if (!this.due(`a:${channelId}`, ACCEPTED_EVERY_MS)) return;
    this.write(`channel-traffic:accepted:${channelId}`, new Date(this.now()).toISOString());
  }

  refused(channelId: string, r: { status: number; code: string; reason: string }): void {
    if (!this.due(`r:${channelId}`, REFUSED_EVERY_MS)) return;
    this.write(`channel-traffic:refused:${channelId}`, JSON.stringify({ at: new Date(this.now()).toISOString(), status: r.status, code: r.code.slice(0, 40), reason: r.reason.slice(0, 200) }));
  }

  /** The records of several channels in one round trip (null fields: nothing seen in the last 30 days). */
  async of(channelIds: readonly string[]): Promise<ChannelTrafficRecord[]> {
    if (!channelIds.length) return [];
    const values = await this.cache.mget(channelIds.flatMap((id) => [`channel-traffic:accepted:${id}`, `channel-traffic:refused:${id}`]));
    return channelIds.map((_, i) => {
      const accepted = values[2 * i];
      const refused = values[2 * i + 1];
      let lastRefusal: WebhookRefusalRecord | null = null;
      if (refused) {
        try {
          const r = JSON.parse(refused) as { at: string; status: number; code: string; reason: string };
          lastRefusal = { at: new Date(r.at), status: r.status, code: r.code, reason: r.reason };
        } catch { /* an unreadable record reads as none */ }
      }
      return { lastAcceptedAt: accepted ? new Date(accepted) : null, lastRefusal };
    });
  }

  private due(key: string, everyMs: number): boolean {
    const now = this.now();
    const last = this.written.get(key);
    if (last !== undefined && now - last < everyMs) return false;
    if (this.written.size >= MAX_TRACKED) this.written.clear();
    this.written.set(key, now);
    return true;
  }

  private write(key: string, value: string): void {
    this.cache.set(key, value, TTL_SECONDS).catch((err) => this.log.warn({ err: (err as Error).message, key }, 'channel traffic not recorded'));
  }
}

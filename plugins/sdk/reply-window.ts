import type { Clock, KeyValueStore } from './context.js';
import { ChannelError } from './errors.js';

export interface WindowRule {
  /** Window length after the customer's message, in hours (fractions allowed: 1/60 is one minute). */
  hours: number;
  maxMessages: number;
}

interface WindowState { at: number; ms: number; max: number }

const HOUR = 3_600_000;
const fmtHours = (ms: number) => (ms >= HOUR ? `${Math.round((ms / HOUR) * 10) / 10} h` : `${Math.round(ms / 60_000)} min`);

/**
 * A platform reply window (WeChat: 5 messages within 48 h of the customer's last message), kept in the
 * plugin's key-value store so every replica sees it. `open` on each customer message; `reserve` before each
 * send, `release` the reservation if the send failed.
 */
export class ReplyWindow {
  constructor(
    private readonly kv: KeyValueStore,
    private readonly clock: Clock,
    private readonly rule: WindowRule,
    private readonly label = 'reply window',
    private readonly prefix = 'window',
  ) {}

  private stateKey(recipient: string) { return `${this.prefix}:${recipient}`; }
  private countKey(recipient: string, s: WindowState) { return `${this.prefix}:${recipient}:${s.at}:n`; }

  private async read(recipient: string): Promise<WindowState | null> {
    const raw = await this.kv.get(this.stateKey(recipient));
    if (!raw) return null;
    try { return JSON.parse(raw) as WindowState; } catch { return null; }
  }

  /** A customer message at `at` (ms) opens a window; a shorter one (e.g. a menu click) never shortens an open window. */
  async open(recipient: string, at: number, rule: WindowRule = this.rule): Promise<void> {
    const next: WindowState = { at, ms: rule.hours * HOUR, max: rule.maxMessages };
    const cur = await this.read(recipient);
    if (cur && cur.at + cur.ms >= next.at + next.ms) return;
    // kept a day past the window, so a late send is told how long ago the customer wrote
    const ttlMs = Math.max(1, next.at + next.ms - this.clock.now()) + 86_400_000;
    await this.kv.set(this.stateKey(recipient), JSON.stringify(next), { ttlMs });
  }

  async status(recipient: string): Promise<{ open: boolean; used: number; max: number; closesAt: number | null }> {
    const s = await this.read(recipient);
    if (!s) return { open: false, used: 0, max: this.rule.maxMessages, closesAt: null };
    const used = Number((await this.kv.get(this.countKey(recipient, s))) ?? 0);
    const closesAt = s.at + s.ms;
    return { open: this.clock.now() <= closesAt && used < s.max, used, max: s.max, closesAt };
  }

  /** Takes one message from the window's quota, or throws ChannelError WINDOW_CLOSED saying why. */
  async reserve(recipient: string): Promise<{ release(): Promise<void> }> {
    const s = await this.read(recipient);
    const now = this.clock.now();
    if (!s) {
      throw new ChannelError('WINDOW_CLOSED', `${this.label}: no customer message within the last ${fmtHours(this.rule.hours * HOUR)}; the platform only allows replies within ${fmtHours(this.rule.hours * HOUR)} of the customer's last message`);
    }
    if (now > s.at + s.ms) {
      throw new ChannelError('WINDOW_CLOSED', `${this.label} closed: the customer's last message was ${fmtHours(now - s.at)} ago (window ${fmtHours(s.ms)})`);
    }
    const key = this.countKey(recipient, s);
    const used = await this.kv.increment(key, 1, { ttlMs: s.at + s.ms - now + 60_000 });
    if (used > s.max) {
      await this.kv.increment(key, -1);
      throw new ChannelError('WINDOW_CLOSED', `${this.label}: all ${s.max} messages allowed within ${fmtHours(s.ms)} of the customer's last message are used; wait for the customer to write again`);
    }
    let released = false;
    return { release: async () => { if (!released) { released = true; await this.kv.increment(key, -1); } } };
  }
}

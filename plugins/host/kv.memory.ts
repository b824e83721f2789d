import type { Clock, KeyValueStore, KvSetOptions } from '../sdk/context.js';
import { systemClock } from './clock.js';

/** In-process store for tests and the embedded (single-process) mode; TTLs follow the given clock. */
export class MemoryKeyValueStore implements KeyValueStore {
  private readonly data = new Map<string, { v: string; exp: number | null }>();
  private writes = 0;

  constructor(private readonly clock: Clock = systemClock) {}

  private live(key: string) {
    const e = this.data.get(key);
    if (!e) return undefined;
    if (e.exp !== null && e.exp <= this.clock.now()) {
      this.data.delete(key);
      return undefined;
    }
    return e;
  }

  private exp(options?: KvSetOptions) {
    // Keys written once and never read again (a signature seen, a window) would stay past their TTL: every 1,000
    // writes with a TTL, the expired ones go.
    if (options?.ttlMs && ++this.writes % 1000 === 0) for (const k of [...this.data.keys()]) this.live(k);
    return options?.ttlMs ? this.clock.now() + options.ttlMs : null;
  }

  async get(key: string) { return this.live(key)?.v ?? null; }

  async set(key: string, value: string, options?: KvSetOptions) { this.data.set(key, { v: value, exp: this.exp(options) }); }

  async setIfAbsent(key: string, value: string, options?: KvSetOptions) {
    if (this.live(key)) return false;
    this.data.set(key, { v: value, exp: this.exp(options) });
    return true;
  }

  async delete(key: string) { this.data.delete(key); }

  async increment(key: string, by = 1, options?: KvSetOptions) {
    const e = this.live(key);
    const n = (e ? Number(e.v) || 0 : 0) + by;
    this.data.set(key, { v: String(n), exp: e ? e.exp : this.exp(options) });
    return n;
  }

  /** Entries held, expired ones not yet dropped included. */
  get size(): number { return this.data.size; }

  /** Test helper: every live key. */
  keys(): string[] { return [...this.data.keys()].filter((k) => this.live(k)); }
}

/** A view of `kv` whose keys are all prefixed, so plugins and channels cannot read each other's state. */
export function namespaced(kv: KeyValueStore, prefix: string): KeyValueStore {
  const k = (key: string) => `${prefix}${key}`;
  return {
    get: (key) => kv.get(k(key)),
    set: (key, value, o) => kv.set(k(key), value, o),
    setIfAbsent: (key, value, o) => kv.setIfAbsent(k(key), value, o),
    delete: (key) => kv.delete(k(key)),
    increment: (key, by, o) => kv.increment(k(key), by, o),
  };
}

import type { Clock } from '../sdk/context.js';

export const systemClock: Clock = { now: () => Date.now() };

/** A clock tests move by hand (token expiry, reply windows, TTLs). */
export class FakeClock implements Clock {
  constructor(private ms = Date.UTC(2024, 3, 26, 6, 20, 45)) {}
  now(): number { return this.ms; }
  set(ms: number | Date): void { this.ms = typeof ms === 'number' ? ms : ms.getTime(); }
  advance(ms: number): void { this.ms += ms; }
}

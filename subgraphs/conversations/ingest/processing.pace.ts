import { monitorEventLoopDelay, type IntervalHistogram } from 'node:perf_hooks';

export interface PaceOptions {
  /** Largest batch (INGEST_CONCURRENCY); two such batches run at once when nothing holds processing back. */
  maxBatch: number;
  /** Acknowledgements slower than this (handler time), or an event loop this late (p99), hold processing back; 0: never. */
  ackTargetMs: number;
  /** Smallest batch before processing starts pausing between batches. */
  minBatch?: number;
  /** Longest pause between batches. */
  maxPauseMs?: number;
  /** The event loop's delay p99 (ms) since the last reset; tests give their own. */
  loopDelay?: { p99Ms(): number; reset(): void; stop(): void };
  /** Another process's acknowledgements are slow (AckPressure: the edge, a `receive` replica). */
  external?: () => boolean;
}

/** Event loop delay sampled every 10 ms (node:perf_hooks). */
function loopDelayMonitor(): NonNullable<PaceOptions['loopDelay']> {
  const h: IntervalHistogram = monitorEventLoopDelay({ resolution: 10 });
  h.enable();
  return { p99Ms: () => (h.count ? h.percentile(99) / 1e6 : 0), reset: () => h.reset(), stop: () => h.disable() };
}

/**
 * Acknowledgements first. On a replica that both acknowledges webhooks and processes them (INGEST_ROLE=all),
 * every callback processing has queued on the event loop delays the acknowledgements behind it; past the
 * channel's deadline the platform delivers again, which only adds load. So processing paces itself on how
 * acknowledgements fare since its previous batch (additive increase, multiplicative decrease):
 * - acknowledgements slower than the target (more than 1 % of them), or the event loop's p99 delay past it:
 *   the batch halves, down to `minBatch`, then a pause between batches doubles (5 ms up to `maxPauseMs`);
 * - otherwise the pause halves away, then the batch grows by an eighth of the largest.
 * With no acknowledgements in the window (a processing-only replica, a quiet channel) processing runs at full
 * size, unless another process signals that its acknowledgements are slow (`external`, AckPressure). Under overload processing lags instead: rows stay PENDING, nothing is lost, and it catches up after.
 */
export class ProcessingPace {
  private batch: number;
  private pause = 0;
  private acks = 0;
  private slowAcks = 0;
  private readonly min: number;
  private readonly maxPause: number;
  /** Started with the first batch: a replica that never processes (role `receive`) never samples the loop. */
  private loop: PaceOptions['loopDelay'];

  constructor(private readonly o: PaceOptions) {
    this.batch = o.maxBatch;
    this.min = Math.min(o.minBatch ?? 4, o.maxBatch);
    this.maxPause = o.maxPauseMs ?? 100;
    this.loop = o.loopDelay;
  }

  /** An acknowledgement took `ms` in its handler. */
  noteAck(ms: number): void {
    if (!this.o.ackTargetMs) return; // pacing off: no acknowledgement ever holds processing back
    this.acks++;
    if (ms > this.o.ackTargetMs) this.slowAcks++;
  }

  /** Payloads per batch, batches at once, and the pause before the next batch. */
  get current(): { batch: number; parallel: number; pauseMs: number } {
    return { batch: this.batch, parallel: this.batch >= this.o.maxBatch ? 2 : 1, pauseMs: this.pause };
  }

  /** Below full pace (smaller batches or pauses). */
  get holding(): boolean {
    return this.batch < this.o.maxBatch || this.pause > 0;
  }

  /** After each batch: adjusts to the acknowledgements seen since the previous one. */
  settle(): void {
    this.loop ??= loopDelayMonitor();
    const pressed = (this.acks > 0 && (this.slowAcks > this.acks * 0.01 || this.loop.p99Ms() > this.o.ackTargetMs))
      || (this.o.ackTargetMs > 0 && (this.o.external?.() ?? false));
    this.loop.reset();
    this.acks = this.slowAcks = 0;
    if (pressed) {
      if (this.batch > this.min) this.batch = Math.max(this.min, Math.floor(this.batch / 2));
      else this.pause = Math.min(this.maxPause, Math.max(5, this.pause * 2));
    } else if (this.pause) {
      this.pause = this.pause >= 10 ? Math.floor(this.pause / 2) : 0;
    } else {
      this.batch = Math.min(this.o.maxBatch, this.batch + Math.max(1, Math.floor(this.o.maxBatch / 8)));
    }
  }

  stop(): void {
    this.loop?.stop();
  }
}

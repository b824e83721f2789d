import type Redis from 'ioredis';

/**
 * Acknowledgements first, across processes. A replica that processes paces itself on its own acknowledgements
 * (ProcessingPace), but one that only processes (behind a `receive` replica, or behind the gateway with
 * GATEWAY_INGEST=edge) sees none, so on shared cores it took the CPU the acknowledging process needed. The
 * acknowledging side signals "acknowledgements are slow" here; processing replicas back off while the signal lasts.
 */
export interface AckPressure {
  /** Acknowledgements are slow now (called by the acknowledging side, as often as it likes). */
  signal(): void;
  /** Whether some acknowledging process signalled within the last `holdMs` (as of the last poll). */
  active(): boolean;
  stop(): void;
}

/**
 * Over Redis: a key with a short TTL (one SET per `pollMs` at most while acknowledgements are slow), read by the
 * processing replicas every `pollMs` (one EXISTS; the poll starts with the first `active()`, so a replica that only
 * acknowledges never polls). A Redis error counts as no pressure: pacing is an optimisation, never a stop.
 */
export function createRedisAckPressure(redis: Redis, key: string, opts: { holdMs?: number; pollMs?: number } = {}): AckPressure {
  const holdMs = opts.holdMs ?? 500;
  const pollMs = opts.pollMs ?? 100;
  let lastSignal = 0;
  let seen = false;
  let timer: NodeJS.Timeout | undefined;
  const poll = () => { redis.exists(key).then((n) => { seen = n > 0; }, () => { seen = false; }); };
  return {
    signal() {
      const now = Date.now();
      if (now - lastSignal < pollMs) return;
      lastSignal = now;
      redis.set(key, '1', 'PX', holdMs).catch(() => undefined);
    },
    active() {
      if (!timer) {
        timer = setInterval(poll, pollMs);
        timer.unref();
        poll();
      }
      return seen;
    },
    stop() {
      if (timer) clearInterval(timer);
      timer = undefined;
    },
  };
}

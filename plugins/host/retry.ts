export interface BackoffOptions {
  /** Attempts after the first (default 4). */
  retries?: number;
  /** First delay (default 500 ms), multiplied by `factor` (default 2) each attempt, capped at `maxMs` (default 60 s). */
  baseMs?: number;
  factor?: number;
  maxMs?: number;
  /** `full`: a random delay in [0, computed] (spreads retries of many messages); `none`: exactly computed. */
  jitter?: 'full' | 'none';
  random?: () => number;
}

/** Retryable = the error says so (ChannelError.retryable: RATE_LIMITED, UNAVAILABLE...). */
export function isRetryable(err: unknown): boolean {
  return !!err && typeof err === 'object' && (err as { retryable?: unknown }).retryable === true;
}

/**
 * The delay before retry number `attempt` (1-based). A platform's `retryAfterMs` (Retry-After, quota
 * reset) wins when it is longer. Pure, so a persistent outbox can compute its next run time with it.
 */
export function backoffDelay(attempt: number, options: BackoffOptions = {}, err?: unknown): number {
  const base = options.baseMs ?? 500;
  const computed = Math.min(options.maxMs ?? 60_000, base * Math.pow(options.factor ?? 2, Math.max(0, attempt - 1)));
  const jittered = (options.jitter ?? 'full') === 'full' ? Math.round(computed * (options.random ?? Math.random)()) : computed;
  const after = (err as { retryAfterMs?: unknown } | undefined)?.retryAfterMs;
  return typeof after === 'number' && after > jittered ? after : jittered;
}

/** Runs `fn`, retrying retryable failures with exponential backoff; the last error is rethrown. */
export async function withRetry<T>(
  fn: (attempt: number) => Promise<T>,
  options: BackoffOptions & {
    shouldRetry?: (err: unknown) => boolean;
    onRetry?: (err: unknown, attempt: number, delayMs: number) => void;
    sleep?: (ms: number) => Promise<void>;
  } = {},
): Promise<T> {
  const retries = options.retries ?? 4;
  const should = options.shouldRetry ?? isRetryable;
  const sleep = options.sleep ?? ((ms: number) => new Promise<void>((r) => setTimeout(r, ms)));
  for (let attempt = 0; ; attempt++) {
    try {
      return await fn(attempt);
    } catch (err) {
      if (attempt >= retries || !should(err)) throw err;
      const delay = backoffDelay(attempt + 1, options, err);
      options.onRetry?.(err, attempt + 1, delay);
      await sleep(delay);
    }
  }
}

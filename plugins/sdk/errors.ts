/**
 * Typed channel errors. A plugin throws ChannelError for every expected failure (bad signature, malformed
 * body, platform refusal); anything else it throws is treated by the host as a plugin bug.
 */
export const ChannelErrorCode = {
  /** Signature, timestamp or credentials are wrong (inbound: reject the request; outbound: fix the channel config). */
  AUTH: 'AUTH',
  /** The platform throttles us; retry after `retryAfterMs` if given. */
  RATE_LIMITED: 'RATE_LIMITED',
  /** The recipient cannot be reached on this channel (unknown id, unfollowed, blocked). */
  INVALID_RECIPIENT: 'INVALID_RECIPIENT',
  /** The platform or the network is down or timed out; retrying later may work. */
  UNAVAILABLE: 'UNAVAILABLE',
  /** The request or message is malformed or unsupported by this channel. */
  BAD_REQUEST: 'BAD_REQUEST',
  /** The platform's reply window is closed or its quota in the window is used up (e.g. WeChat's 48 h / 5 messages). */
  WINDOW_CLOSED: 'WINDOW_CLOSED',
} as const;
export type ChannelErrorCode = (typeof ChannelErrorCode)[keyof typeof ChannelErrorCode];

const DEFAULT_RETRYABLE: Record<ChannelErrorCode, boolean> = {
  AUTH: false,
  RATE_LIMITED: true,
  INVALID_RECIPIENT: false,
  UNAVAILABLE: true,
  BAD_REQUEST: false,
  WINDOW_CLOSED: false,
};

export interface ChannelErrorOptions {
  retryable?: boolean;
  /** The platform asked us to wait this long (Retry-After, quota reset). */
  retryAfterMs?: number;
  /** The platform's own error code (WeChat errcode, Douyin error_code, HTTP status...). */
  platformCode?: string | number;
  cause?: unknown;
}

export class ChannelError extends Error {
  readonly code: ChannelErrorCode;
  readonly retryable: boolean;
  readonly retryAfterMs?: number;
  readonly platformCode?: string | number;

  constructor(code: ChannelErrorCode, message: string, options: ChannelErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'ChannelError';
    this.code = code;
    this.retryable = options.retryable ?? DEFAULT_RETRYABLE[code];
    if (options.retryAfterMs !== undefined) this.retryAfterMs = options.retryAfterMs;
    if (options.platformCode !== undefined) this.platformCode = options.platformCode;
  }

  toJSON() {
    return { name: this.name, code: this.code, message: this.message, retryable: this.retryable, retryAfterMs: this.retryAfterMs, platformCode: this.platformCode };
  }
}

/** Duck-typed, so an error thrown by a plugin bundling its own copy of the SDK is still recognised. */
export function isChannelError(e: unknown): e is ChannelError {
  if (e instanceof ChannelError) return true;
  const x = e as { name?: unknown; code?: unknown; retryable?: unknown } | null;
  return !!x && typeof x === 'object' && x.name === 'ChannelError' && typeof x.code === 'string' && x.code in ChannelErrorCode && typeof x.retryable === 'boolean';
}

/** The HTTP status a webhook endpoint answers when verify/parse throws this error. */
export function httpStatusFor(code: ChannelErrorCode): number {
  switch (code) {
    case 'AUTH': return 401;
    case 'BAD_REQUEST': return 400;
    case 'RATE_LIMITED': return 429;
    case 'UNAVAILABLE': return 503;
    default: return 400;
  }
}

export const authError = (message: string, options?: ChannelErrorOptions) => new ChannelError('AUTH', message, options);
export const badRequest = (message: string, options?: ChannelErrorOptions) => new ChannelError('BAD_REQUEST', message, options);

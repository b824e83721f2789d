import { createHmac } from 'node:crypto';
import { md5Hex } from '../sdk/crypto.js';

export type TopSignMethod = 'md5' | 'hmac' | 'hmac-sha256';

/**
 * TOP request signing: parameters (without `sign` and empty values) sorted by name, concatenated as
 * name+value, then `md5(secret + s + secret)` or HMAC(secret, s) (hmac = HMAC-MD5), upper-case hex.
 * `body` (a pushed request's raw body) is appended to `s`, the 奇门 push convention.
 */
export function topSign(params: Record<string, string | undefined>, secret: string, method: TopSignMethod = 'md5', body = ''): string {
  const s = Object.keys(params)
    .filter((k) => k !== 'sign' && params[k] !== undefined && params[k] !== '')
    .sort()
    .map((k) => `${k}${params[k]}`)
    .join('') + body;
  if (method === 'md5') return md5Hex(secret + s + secret).toUpperCase();
  return createHmac(method === 'hmac' ? 'md5' : 'sha256', secret).update(s).digest('hex').toUpperCase();
}

const pad = (n: number) => String(n).padStart(2, '0');

/** `yyyy-MM-dd HH:mm:ss` in GMT+8, TOP's timestamp format. */
export function topTimestamp(ms: number): string {
  const d = new Date(ms + 8 * 3_600_000);
  return `${d.getUTCFullYear()}-${pad(d.getUTCMonth() + 1)}-${pad(d.getUTCDate())} ${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}:${pad(d.getUTCSeconds())}`;
}

/** Parses TOP's `yyyy-MM-dd HH:mm:ss` (GMT+8); undefined when it is not one. */
export function parseTopTime(s: unknown): Date | undefined {
  if (typeof s !== 'string') return undefined;
  const m = /^(\d{4})-(\d{2})-(\d{2}) (\d{2}):(\d{2}):(\d{2})$/.exec(s.trim());
  if (!m) return undefined;
  const ms = Date.UTC(+m[1], +m[2] - 1, +m[3], +m[4], +m[5], +m[6]) - 8 * 3_600_000;
  return Number.isFinite(ms) ? new Date(ms) : undefined;
}

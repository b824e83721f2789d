import { assertFreshTimestamp, hmacHex, safeEqual } from './crypto.js';
import { authError } from './errors.js';

/**
 * The signature Huiliu uses with partners (partner API channel, CTI and store integrations):
 * `sha256=` + hex(HMAC-SHA256(secret, timestamp + "." + rawBody)), timestamp in unix seconds, ±5 minutes.
 */
export function signPayload(secret: string, timestamp: string | number, rawBody: string | Buffer): string {
  const body = typeof rawBody === 'string' ? Buffer.from(rawBody) : rawBody;
  return 'sha256=' + hmacHex('sha256', secret, Buffer.concat([Buffer.from(`${timestamp}.`), body]));
}

export interface SignedHeaders { timestampHeader: string; signatureHeader: string }

export const HUILIU_SIGNATURE_HEADERS: SignedHeaders = { timestampHeader: 'x-huiliu-timestamp', signatureHeader: 'x-huiliu-signature' };

/** Verifies `signPayload` on an inbound request (several comma-separated signatures allow secret rotation). */
export function verifySignedPayload(
  req: { headers: Record<string, string>; rawBody: Buffer; receivedAt: Date },
  secrets: string | string[],
  options: Partial<SignedHeaders> & { toleranceSeconds?: number } = {},
): void {
  const names = { ...HUILIU_SIGNATURE_HEADERS, ...options };
  const ts = req.headers[names.timestampHeader];
  const sig = req.headers[names.signatureHeader];
  if (!sig) throw authError(`missing ${names.signatureHeader} header`);
  if (!ts || !/^\d{9,13}$/.test(ts)) throw authError(`missing or invalid ${names.timestampHeader} header`);
  const candidates = sig.split(',').map((s) => s.trim());
  const ok = (Array.isArray(secrets) ? secrets : [secrets]).filter(Boolean)
    .some((secret) => { const want = signPayload(secret, ts, req.rawBody); return candidates.some((c) => safeEqual(c, want)); });
  if (!ok) throw authError('signature mismatch');
  assertFreshTimestamp(ts, req.receivedAt, options.toleranceSeconds ?? 300);
}

/**
 * SDK 1.5 `replayKey` for a platform whose signature covers the query's `timestamp` and `nonce` but not the body
 * (Weibo; WeChat in plaintext mode): bound to its first body while the timestamp can pass the freshness check
 * (twice the allowed skew; 10 minutes when the check is off).
 */
export function timestampNonceReplayKey(req: { query: Record<string, string | undefined> }, maxClockSkewSeconds: number): { key: string; ttlSeconds: number } {
  return { key: `${req.query.timestamp}:${req.query.nonce}`, ttlSeconds: 2 * maxClockSkewSeconds || 600 };
}

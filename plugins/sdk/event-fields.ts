import { z } from 'zod';
import { sha256Hex } from './crypto.js';

/** The longest `dedupeKey` the host stores (an indexed column). */
export const MAX_DEDUPE_KEY_LENGTH = 191;

/**
 * A dedupe key from its parts (`a:b:c`). When the platform's ids are long enough to pass the host's limit, the key
 * becomes `prefix:` + the SHA-256 of the parts: still one key per message, and an event the host accepts. A plugin
 * that returned the long key would fail the host's event check, which counts as a crash of the plugin.
 */
export function boundedKey(prefix: string, ...parts: string[]): string {
  const key = [prefix, ...parts].join(':');
  return key.length <= MAX_DEDUPE_KEY_LENGTH ? key : `${prefix}:${sha256Hex(parts.join('\u0000'))}`;
}

/** Seconds since 1970 up to here (year 5138); above, milliseconds. Platforms send either. */
const SECONDS_BELOW = 1e11;
/** Dates a JavaScript Date can hold (±8.64e15 ms). */
const MAX_MS = 8.64e15;

/**
 * A time on the wire: Unix seconds, Unix milliseconds (told apart by size) or an ISO 8601 string with its offset.
 * Parses to a valid Date, or fails as a schema error, so a plugin answers BAD_REQUEST instead of returning an
 * event with an invalid date (or throwing on `toISOString()`).
 */
export const wireTime = z.union([z.number().int().positive(), z.string().datetime({ offset: true })])
  .transform((v, ctx) => {
    const ms = typeof v === 'number' ? (v < SECONDS_BELOW ? v * 1000 : v) : Date.parse(v);
    if (!Number.isFinite(ms) || Math.abs(ms) > MAX_MS) {
      ctx.addIssue({ code: 'custom', message: 'not a valid time' });
      return z.NEVER;
    }
    return new Date(ms);
  });

import { badRequest } from './errors.js';

/**
 * JSON.parse that keeps integers beyond 2^53 (WeChat MsgId, Douyin msg_id, Taobao tid) exact, as strings.
 * Node 20 has no reviver source access, so integer literals with more than 15 digits outside strings are
 * quoted before parsing. Throws ChannelError BAD_REQUEST on invalid JSON.
 */
export function parseJsonLossless<T = any>(text: string): T { // eslint-disable-line @typescript-eslint/no-explicit-any
  try {
    return JSON.parse(quoteBigIntegers(text)) as T;
  } catch (e) {
    throw badRequest(`malformed JSON: ${withoutQuotedInput((e as Error).message)}`);
  }
}

/**
 * V8 quotes the body in its error (`Unexpected token '+', "+8613912345678" is not valid JSON`, or a window around
 * the position of a longer one), and this text ends up in logs and in the channel's refusal reasons: a phone number
 * or a name must not. The position and the reason stay.
 */
export const withoutQuotedInput = (message: string) => message.replace(/,\s*(?:\.\.\.)?".*$/s, '');

export function quoteBigIntegers(text: string): string {
  let out = '';
  let i = 0;
  let last = 0;
  const n = text.length;
  while (i < n) {
    const c = text.charCodeAt(i);
    if (c === 34 /* " */) {
      i++;
      while (i < n) {
        const d = text.charCodeAt(i);
        if (d === 92 /* \ */) i += 2;
        else if (d === 34) { i++; break; } else i++;
      }
      continue;
    }
    if ((c >= 48 && c <= 57) || c === 45 /* - */) {
      const start = i;
      if (c === 45) i++;
      while (i < n && text.charCodeAt(i) >= 48 && text.charCodeAt(i) <= 57) i++;
      const digits = i - start - (c === 45 ? 1 : 0);
      const next = i < n ? text[i] : '';
      if (next === '.' || next === 'e' || next === 'E') {
        while (i < n && /[0-9.eE+-]/.test(text[i])) i++;
        continue;
      }
      if (digits > 15) {
        const literal = text.slice(start, i);
        if (!Number.isSafeInteger(Number(literal))) {
          out += text.slice(last, start) + '"' + literal + '"';
          last = i;
        }
      }
      continue;
    }
    i++;
  }
  return last === 0 ? text : out + text.slice(last);
}

/** A value that must be an id: numbers and strings both become strings ("64-bit ids are strings"). */
export function idString(v: unknown): string | undefined {
  if (typeof v === 'string') return v.length ? v : undefined;
  if (typeof v === 'number' && Number.isFinite(v)) return Number.isInteger(v) ? v.toFixed(0) : String(v);
  if (typeof v === 'bigint') return v.toString();
  return undefined;
}

/**
 * Text helpers shared by indexing, querying and highlighting. Normalisation works character by character and
 * keeps the length, so an offset found in the normalised text is the same offset in the original text
 * (full-width "ＫＧ" and "kg" match, and the highlight still wraps the customer's own characters).
 */
export function normalizeChars(text: string): string {
  let out = '';
  let copied = 0; // text[copied, i) is unchanged and not yet appended
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    let r: string | null = null;
    if (c >= 0x41 && c <= 0x5a) r = String.fromCharCode(c + 32); // A-Z
    else if (c >= 0xff01 && c <= 0xff5e) r = String.fromCharCode(c - 0xfee0).toLowerCase(); // full-width ASCII
    else if (c === 0x3000) r = ' '; // ideographic space
    else if (c >= 0x80 && !(c >= 0x4e00 && c <= 0x9fff) && !(c >= 0x3000 && c <= 0x303f) && !(c >= 0xd800 && c <= 0xdfff)) {
      // anything else outside ASCII and the common CJK block: the compatibility form, when it keeps the length
      const ch = text[i];
      const n = ch.normalize('NFKC').toLowerCase();
      if (n !== ch && n.length === 1) r = n;
      else if (n !== ch) {
        const lower = ch.toLowerCase();
        if (lower !== ch && lower.length === 1) r = lower;
      }
    }
    if (r !== null) {
      out += text.slice(copied, i) + r;
      copied = i + 1;
    }
  }
  return copied === 0 ? text : out + text.slice(copied);
}

/** A token worth indexing: has a letter, digit or CJK character (punctuation and spaces are not). */
export const isWordy = (token: string): boolean => /[\p{L}\p{N}]/u.test(token);

/** Runs of CJK characters, e.g. for character bigrams. */
export function cjkRuns(text: string): string[] {
  return text.match(/[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]+/g) ?? [];
}

/** Overlapping character bigrams of the CJK runs of an already normalised text. */
export function bigrams(normalized: string): string[] {
  const out: string[] = [];
  for (const run of cjkRuns(normalized)) {
    const chars = [...run];
    for (let i = 0; i + 1 < chars.length; i++) out.push(chars[i] + chars[i + 1]);
  }
  return out;
}

const ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };
export const escapeHtml = (s: string): string => s.replace(/[&<>"']/g, (c) => ESCAPES[c]);

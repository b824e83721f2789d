import { escapeHtml, normalizeChars } from './text.js';

/**
 * HTML with every occurrence of the terms wrapped in <em>…</em> (the rest escaped). With `window`, only the
 * stretch of about that many characters that holds the most distinct terms, with … where text was cut.
 * Terms are normalised words; matching ignores case and full/half width.
 */
export function highlight(text: string, terms: readonly string[], window?: number): string {
  const flat = window ? text.replace(/\s+/g, ' ').trim() : text;
  const norm = normalizeChars(flat);
  const marks = new Uint8Array(flat.length);
  const hits: Array<{ at: number; term: number }> = [];
  const sorted = [...new Set(terms.filter((t) => t.length > 0))].sort((a, b) => b.length - a.length);
  sorted.forEach((term, ti) => {
    for (let at = norm.indexOf(term); at !== -1; at = norm.indexOf(term, at + term.length)) {
      marks.fill(1, at, at + term.length);
      hits.push({ at, term: ti });
    }
  });

  let start = 0;
  let end = flat.length;
  if (window && flat.length > window) {
    hits.sort((a, b) => a.at - b.at);
    let best = -1;
    const lead = Math.floor(window / 5);
    for (const h of hits) {
      const s = Math.max(0, Math.min(h.at - lead, flat.length - window));
      const distinct = new Set(hits.filter((x) => x.at >= s && x.at < s + window).map((x) => x.term)).size;
      if (distinct > best) {
        best = distinct;
        start = s;
      }
    }
    end = Math.min(flat.length, start + window);
    // never cut a surrogate pair in half
    if (start > 0 && /[\udc00-\udfff]/.test(flat[start])) start--;
    if (end < flat.length && /[\udc00-\udfff]/.test(flat[end])) end++;
  }

  let out = start > 0 ? '…' : '';
  let i = start;
  while (i < end) {
    let j = i;
    while (j < end && marks[j] === marks[i]) j++;
    const piece = escapeHtml(flat.slice(i, j));
    out += marks[i] ? `<em>${piece}</em>` : piece;
    i = j;
  }
  if (end < flat.length) out += '…';
  return out;
}

import type { Segmenter } from './segmenter.js';
import { SynonymTable } from './synonyms.js';
import { bigrams, normalizeChars } from './text.js';

export type DocKind = 'ARTICLE' | 'FAQ';

/** What the index knows of an article or FAQ: its searchable text and what decides who may see it. */
export interface SearchDoc {
  kind: DocKind;
  id: string;
  /** An article's title; an FAQ's first phrasing. */
  title: string;
  /** Every phrasing of an FAQ's question; empty for articles. */
  questions: string[];
  /** An article's current body or an FAQ's answer. */
  body: string;
  tags: string[];
  /** DRAFT | PUBLISHED (ARCHIVED documents are never indexed). */
  status: string;
  validFrom: Date | null;
  validTo: Date | null;
  stale: boolean;
  updatedAt: Date;
}

/** `bot`: the service role — only published, currently valid, not stale. `staff`: every indexed document. */
export type Audience = 'bot' | 'staff';

export interface SearchOptions {
  first: number;
  kinds?: readonly DocKind[] | null;
  audience: Audience;
  now?: Date;
}

export interface SearchHit {
  doc: SearchDoc;
  score: number;
  /** Normalised words and character pairs of the query (or their synonyms) found in the document. */
  matched: string[];
}

/** Ranking knobs; the defaults are what the quality gate and the benchmark measure. */
export interface RankingOptions {
  k1: number;
  /** Per field: title/phrasings, body/answer, tags, character bigrams of title/phrasings, of body/answer. */
  boosts: [number, number, number, number, number];
  b: [number, number, number, number, number];
  /** Weight of a synonym relative to the word the customer typed. */
  synonymWeight: number;
  /** false: no bigram field (the benchmark's ablation). */
  bigrams: boolean;
  /** false: ignore synonyms (the benchmark's ablation). */
  synonyms: boolean;
}

export const DEFAULT_RANKING: RankingOptions = {
  k1: 1.2,
  boosts: [1.2, 1, 1, 0.5, 0.3],
  b: [0.5, 0.75, 0.3, 0.5, 0.75],
  synonymWeight: 0.8,
  bigrams: true,
  synonyms: true,
};

const F_TITLE = 0;
const F_BODY = 1;
const F_TAGS = 2;
const F_BIGRAM = 3;
const F_BODY_BIGRAM = 4;
const FIELDS = 5;
const WORD_FIELDS = [F_TITLE, F_BODY, F_TAGS];
const BIGRAM_FIELDS = [F_BIGRAM, F_BODY_BIGRAM];
/** Bigram terms live in their own namespace so that a two-character word and a bigram keep separate stats. */
const BIGRAM_PREFIX = '\u0000';
/** Characters that make a bigram meaningless ("米的", "了吗"). */
const STOP_CHARS = new Set([...'的了吗呢吧啊呀嘛哦么是我你他她它在和与及或也都就还又很太这那个请问么亲']);

/** One term's postings in one field: entries `slot << 8 | tf` (tf capped at 255) in one growable buffer. */
class Postings {
  data = new Int32Array(2);
  n = 0;

  push(slot: number, tf: number): void {
    if (this.n === this.data.length) {
      const grown = new Int32Array(this.n * 2);
      grown.set(this.data);
      this.data = grown;
    }
    this.data[this.n++] = (slot << 8) | Math.min(tf, 255);
  }
}

/** A document's terms per field (term → tf) and each field's length for normalisation. */
interface Analyzed {
  terms: Array<Map<string, number>>;
  lengths: number[];
}

/**
 * BM25 over an in-memory inverted index of one tenant's articles and FAQs, with per-field boosts
 * (title or FAQ phrasings, body or answer, tags, character bigrams of titles/phrasings and of bodies/answers)
 * and query-time synonym expansion: a query word and its synonyms form a group that scores by its best member,
 * so a document that says both 快递 and 物流 is not counted twice. Bigrams catch what segmentation splits
 * differently in the question and in the text. Updates tombstone the old slot; the postings are compacted
 * once a third of them are dead.
 */
export class SearchIndex {
  private readonly termIds = new Map<string, number>();
  private df: number[] = [];
  private postings: Array<Array<Postings | undefined>> = Array.from({ length: FIELDS }, () => []);
  private docs: Array<SearchDoc | null> = [];
  /** 1 for a live slot: the scoring loop checks this instead of following a pointer per posting. */
  private live = new Uint8Array(1024);
  private fieldLen: number[][] = Array.from({ length: FIELDS }, () => []);
  private readonly lenSum = new Array<number>(FIELDS).fill(0);
  private docTerms: Int32Array[] = [];
  private readonly slotOf = new Map<string, number>();
  private alive = 0;
  private dead = 0;
  private synonyms: SynonymTable;
  // Scratch buffers reused by every search (search is synchronous, so one set per index is enough).
  private scratch = { acc: new Float64Array(0), group: new Float64Array(0), member: new Float64Array(0) };

  constructor(
    private readonly segmenter: Segmenter,
    synonyms: SynonymTable = SynonymTable.withDefaults(),
    private readonly ranking: RankingOptions = DEFAULT_RANKING,
  ) {
    this.synonyms = synonyms;
  }

  get size(): number {
    return this.alive;
  }

  setSynonyms(table: SynonymTable): void {
    this.synonyms = table;
  }

  get(kind: DocKind, id: string): SearchDoc | undefined {
    const slot = this.slotOf.get(`${kind}:${id}`);
    return slot === undefined ? undefined : (this.docs[slot] ?? undefined);
  }

  /** Adds or replaces a document; ARCHIVED ones are removed instead. */
  upsert(doc: SearchDoc): void {
    this.remove(doc.kind, doc.id);
    if (doc.status === 'ARCHIVED') return;
    const { terms, lengths } = this.analyze(doc);
    const slot = this.docs.length;
    this.docs.push(doc);
    if (slot >= this.live.length) {
      const grown = new Uint8Array(this.live.length * 2);
      grown.set(this.live);
      this.live = grown;
    }
    this.live[slot] = 1;
    const unique = new Set<number>();
    for (let f = 0; f < FIELDS; f++) {
      for (const [term, tf] of terms[f]) {
        const id = this.termId(term);
        unique.add(id);
        (this.postings[f][id] ??= new Postings()).push(slot, tf);
      }
      this.fieldLen[f][slot] = lengths[f];
      this.lenSum[f] += lengths[f];
    }
    const ids = Int32Array.from(unique);
    for (const id of ids) this.df[id]++;
    this.docTerms[slot] = ids;
    this.slotOf.set(`${doc.kind}:${doc.id}`, slot);
    this.alive++;
  }

  remove(kind: DocKind, id: string): void {
    const key = `${kind}:${id}`;
    const slot = this.slotOf.get(key);
    if (slot === undefined) return;
    this.slotOf.delete(key);
    for (const t of this.docTerms[slot]) this.df[t]--;
    for (let f = 0; f < FIELDS; f++) this.lenSum[f] -= this.fieldLen[f][slot];
    this.docs[slot] = null;
    this.live[slot] = 0;
    this.docTerms[slot] = new Int32Array(0);
    this.alive--;
    this.dead++;
    if (this.dead > 1000 && this.dead > this.alive / 2) this.compact();
  }

  search(query: string, o: SearchOptions): SearchHit[] {
    const groups = this.queryGroups(query);
    if (!groups.length || !this.alive || o.first < 1) return [];
    const { acc, group, member } = this.buffers();
    const touched: number[] = [];
    const N = this.alive;
    const avg = this.lenSum.map((s) => s / N || 1);
    const { k1, b, boosts } = this.ranking;

    for (const g of groups) {
      // a group of one term (every bigram, most words) adds straight into the totals; a word with synonyms
      // collects each member's score first and keeps the best
      const single = g.members.length === 1;
      const groupTouched: number[] = [];
      for (const m of g.members) {
        const id = this.termIds.get(m.term);
        if (id === undefined || !this.df[id]) continue;
        const idf = Math.log(1 + (N - this.df[id] + 0.5) / (this.df[id] + 0.5));
        const into = single ? acc : member;
        const intoTouched: number[] = single ? touched : [];
        for (const f of g.fields) {
          const p = this.postings[f][id];
          if (!p) continue;
          this.accumulate(p, into, intoTouched, boosts[f] * idf * m.weight * (k1 + 1), k1 * (1 - b[f]), (k1 * b[f]) / avg[f], this.fieldLen[f]);
        }
        if (single) continue;
        for (const s of intoTouched) {
          if (group[s] === 0) groupTouched.push(s);
          if (member[s] > group[s]) group[s] = member[s];
          member[s] = 0;
        }
      }
      for (const s of groupTouched) {
        if (acc[s] === 0) touched.push(s);
        acc[s] += group[s];
        group[s] = 0;
      }
    }

    const now = (o.now ?? new Date()).getTime();
    const kinds = o.kinds?.length ? new Set(o.kinds) : null;
    const top: Array<{ slot: number; score: number }> = [];
    for (const s of touched) {
      const score = acc[s];
      acc[s] = 0;
      // most candidates lose on score alone: compare that before looking at the document
      if (top.length === o.first && score < top[o.first - 1].score) continue;
      const doc = this.docs[s]!;
      if (kinds && !kinds.has(doc.kind)) continue;
      if (o.audience === 'bot' && !visibleToBot(doc, now)) continue;
      insertTop(top, { slot: s, score }, o.first, this.docs);
    }
    return top.map(({ slot, score }) => ({ doc: this.docs[slot]!, score, matched: this.matchedTerms(slot, groups) }));
  }

  /** BM25 of one term in one field for every live document in its postings: score[s] += w·tf / (tf + k·len-norm). */
  private accumulate(p: Postings, score: Float64Array, touched: number[], w: number, kConst: number, kLen: number, lens: number[]): void {
    const { data, n } = p;
    const live = this.live;
    for (let i = 0; i < n; i++) {
      const v = data[i];
      const s = v >>> 8;
      if (live[s] === 0) continue;
      const tf = v & 255;
      if (score[s] === 0) touched.push(s);
      score[s] += (w * tf) / (tf + kConst + kLen * lens[s]);
    }
  }

  /** Query words (each with its synonyms) and query bigrams, as groups scored by their best member. */
  private queryGroups(query: string): QueryGroup[] {
    const norm = normalizeChars(query);
    const words = new Set(this.segmenter.tokens(query));
    // a tenant's synonym that jieba does not know still counts when the query contains it verbatim
    if (this.ranking.synonyms) for (const w of this.synonyms.words) if (norm.includes(w)) words.add(w);
    const groups: QueryGroup[] = [];
    for (const w of words) {
      const members = [{ term: w, weight: 1 }];
      if (this.ranking.synonyms) for (const s of this.synonyms.of(w)) if (!words.has(s)) members.push({ term: s, weight: this.ranking.synonymWeight });
      groups.push({ members, fields: WORD_FIELDS, display: members.map((m) => m.term) });
    }
    if (this.ranking.bigrams) {
      for (const bg of new Set(bigrams(norm))) {
        if (STOP_CHARS.has(bg[0]) || STOP_CHARS.has(bg[1])) continue;
        groups.push({ members: [{ term: BIGRAM_PREFIX + bg, weight: 1 }], fields: BIGRAM_FIELDS, display: [bg] });
      }
    }
    return groups;
  }

  private matchedTerms(slot: number, groups: QueryGroup[]): string[] {
    const has = new Set(this.docTerms[slot]);
    const out = new Set<string>();
    for (const g of groups) {
      g.members.forEach((m, i) => {
        const id = this.termIds.get(m.term);
        if (id !== undefined && has.has(id)) out.add(g.display[i]);
      });
    }
    return [...out];
  }

  private analyze(doc: SearchDoc): Analyzed {
    const count = (tokens: string[], into = new Map<string, number>()) => {
      for (const t of tokens) into.set(t, (into.get(t) ?? 0) + 1);
      return into;
    };
    const grams = (text: string) => (this.ranking.bigrams ? bigrams(normalizeChars(text)).map((g) => BIGRAM_PREFIX + g) : []);
    const phrasings = doc.kind === 'FAQ' && doc.questions.length ? doc.questions : [doc.title];
    // Several phrasings of one question: a word counts as often as in the phrasing that has it most, and the
    // field is as long as an average phrasing, so an FAQ with many phrasings is not penalised for length.
    const title = new Map<string, number>();
    const titleGrams = new Map<string, number>();
    let titleLen = 0;
    let gramLen = 0;
    for (const q of phrasings) {
      const tokens = this.segmenter.tokens(q);
      const g = grams(q);
      titleLen += tokens.length;
      gramLen += g.length;
      for (const [t, tf] of count(tokens)) title.set(t, Math.max(title.get(t) ?? 0, tf));
      for (const [t, tf] of count(g)) titleGrams.set(t, Math.max(titleGrams.get(t) ?? 0, tf));
    }
    const bodyTokens = this.segmenter.tokens(doc.body);
    const tagTokens = doc.tags.flatMap((t) => this.segmenter.tokens(t));
    const bodyGrams = this.ranking.boosts[F_BODY_BIGRAM] > 0 ? grams(doc.body) : [];
    return {
      terms: [title, count(bodyTokens), count(tagTokens), titleGrams, count(bodyGrams)],
      lengths: [titleLen / phrasings.length, bodyTokens.length, tagTokens.length, gramLen / phrasings.length, bodyGrams.length],
    };
  }

  private termId(term: string): number {
    let id = this.termIds.get(term);
    if (id === undefined) {
      id = this.df.length;
      this.termIds.set(term, id);
      this.df.push(0);
    }
    return id;
  }

  private buffers() {
    const n = this.docs.length;
    if (this.scratch.acc.length < n) {
      const size = Math.max(n, this.scratch.acc.length * 2, 1024);
      this.scratch = { acc: new Float64Array(size), group: new Float64Array(size), member: new Float64Array(size) };
    }
    return this.scratch;
  }

  /** Rebuilds the postings from the live documents, dropping tombstones. */
  private compact(): void {
    const live = this.docs.filter((d): d is SearchDoc => d !== null);
    this.termIds.clear();
    this.df = [];
    this.postings = Array.from({ length: FIELDS }, () => []);
    this.docs = [];
    this.live = new Uint8Array(Math.max(1024, live.length));
    this.fieldLen = Array.from({ length: FIELDS }, () => []);
    this.lenSum.fill(0);
    this.docTerms = [];
    this.slotOf.clear();
    this.alive = 0;
    this.dead = 0;
    for (const d of live) this.upsert(d);
  }
}

interface QueryGroup {
  members: Array<{ term: string; weight: number }>;
  fields: number[];
  /** The members as they read (bigrams without their namespace prefix), for highlighting. */
  display: string[];
}

export function visibleToBot(doc: SearchDoc, now: number): boolean {
  return (
    doc.status === 'PUBLISHED' &&
    !doc.stale &&
    (!doc.validFrom || doc.validFrom.getTime() <= now) &&
    (!doc.validTo || now < doc.validTo.getTime())
  );
}

/** Keeps the best `k` by score (ties: most recently updated, then id), in order. */
function insertTop(top: Array<{ slot: number; score: number }>, e: { slot: number; score: number }, k: number, docs: Array<SearchDoc | null>): void {
  const better = (x: { slot: number; score: number }, y: { slot: number; score: number }) => {
    if (x.score !== y.score) return x.score > y.score;
    const dx = docs[x.slot]!;
    const dy = docs[y.slot]!;
    const ux = dx.updatedAt.getTime();
    const uy = dy.updatedAt.getTime();
    return ux !== uy ? ux > uy : dx.id < dy.id;
  };
  if (top.length === k && !better(e, top[k - 1])) return;
  let i = Math.min(top.length, k - 1);
  if (top.length < k) top.push(e);
  else top[k - 1] = e;
  while (i > 0 && better(e, top[i - 1])) {
    top[i] = top[i - 1];
    i--;
  }
  top[i] = e;
}

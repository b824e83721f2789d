import type { Audience, DocKind, SearchDoc, SearchIndex } from './search.engine.js';

/** One entry of a labelled knowledge base (test/data/knowledge-base.json). */
export interface LabelledEntry {
  key: string;
  kind: DocKind;
  category?: string;
  title?: string;
  body?: string;
  questions?: string[];
  answer?: string;
  tags?: string[];
}

export interface LabelledQuestion {
  q: string;
  expected: string;
}

export interface QualityReport {
  questions: number;
  recallAt1: number;
  recallAt5: number;
  /** Mean reciprocal rank over the first 10 hits. */
  mrr: number;
  misses: Array<{ q: string; expected: string; got: string[] }>;
}

/** A labelled entry as the index sees it: published, always valid; the key serves as the id. */
export function entryToDoc(e: LabelledEntry): SearchDoc {
  const faq = e.kind === 'FAQ';
  return {
    kind: e.kind,
    id: e.key,
    title: faq ? (e.questions?.[0] ?? '') : (e.title ?? ''),
    questions: faq ? (e.questions ?? []) : [],
    body: faq ? (e.answer ?? '') : (e.body ?? ''),
    tags: e.tags ?? [],
    status: 'PUBLISHED',
    validFrom: null,
    validTo: null,
    stale: false,
    updatedAt: new Date(0),
  };
}

/** recall@1, recall@5 and MRR@10 of the index on labelled questions. */
export function evaluate(index: SearchIndex, questions: LabelledQuestion[], audience: Audience = 'bot'): QualityReport {
  let at1 = 0;
  let at5 = 0;
  let rr = 0;
  const misses: QualityReport['misses'] = [];
  for (const { q, expected } of questions) {
    const ids = index.search(q, { first: 10, audience }).map((h) => h.doc.id);
    const rank = ids.indexOf(expected);
    if (rank === 0) at1++;
    if (rank >= 0 && rank < 5) at5++;
    else misses.push({ q, expected, got: ids.slice(0, 5) });
    if (rank >= 0) rr += 1 / (rank + 1);
  }
  const n = questions.length || 1;
  return { questions: questions.length, recallAt1: at1 / n, recallAt5: at5 / n, mrr: rr / n, misses };
}

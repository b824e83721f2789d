import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { entryToDoc, evaluate, type LabelledEntry, type LabelledQuestion } from './quality.js';
import { SearchIndex } from './search.engine.js';
import { Segmenter } from './segmenter.js';

/**
 * The quality gate: recall@5 on the labelled customer questions (test/data) over the demo brand's knowledge
 * base must stay at or above 0.9. A change to segmentation, synonyms or ranking that costs quality fails here.
 */
const DATA = join(__dirname, '..', '..', '..', 'test', 'data');
const kb = JSON.parse(readFileSync(join(DATA, 'knowledge-base.json'), 'utf8')) as { entries: LabelledEntry[] };
const questions = (JSON.parse(readFileSync(join(DATA, 'knowledge-questions.json'), 'utf8')) as { questions: LabelledQuestion[] }).questions;

describe('search quality on the labelled question set', () => {
  it('has at least 300 labelled questions over a 60-100 entry knowledge base', () => {
    expect(questions.length).toBeGreaterThanOrEqual(300);
    expect(kb.entries.length).toBeGreaterThanOrEqual(60);
    expect(kb.entries.length).toBeLessThanOrEqual(100);
    const keys = new Set(kb.entries.map((e) => e.key));
    expect(questions.filter((q) => !keys.has(q.expected))).toEqual([]);
    // customers' own words: no question is an FAQ phrasing copied (ignoring the final punctuation)
    const bare = (s: string) => s.replace(/[？?。！!\s]+$/u, '');
    const phrasings = new Set(kb.entries.flatMap((e) => e.questions ?? []).map(bare));
    expect(questions.filter((q) => phrasings.has(bare(q.q)))).toEqual([]);
    expect(new Set(questions.map((q) => q.q)).size).toBe(questions.length);
  });

  it('finds the expected article or FAQ in the top 5 for at least 90 % of the questions', () => {
    const index = new SearchIndex(new Segmenter());
    for (const e of kb.entries) index.upsert(entryToDoc(e));
    const report = evaluate(index, questions);
    if (process.env.SHOW_MISSES) console.log(JSON.stringify(report, null, 1));
    expect(report.recallAt5).toBeGreaterThanOrEqual(0.9);
    expect(report.recallAt1).toBeGreaterThanOrEqual(0.6);
  });
});

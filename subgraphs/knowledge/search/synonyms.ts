import defaultSynonyms from './synonyms.default.json';
import { normalizeChars } from './text.js';

/** The built-in groups every tenant gets (data in synonyms.default.json). */
export const DEFAULT_SYNONYM_GROUPS: readonly string[][] = defaultSynonyms.groups;

/**
 * Synonyms of one tenant: the built-in groups plus the tenant's own. Applied when querying (never when
 * indexing), so a tenant editing its synonyms needs no re-index: every replica just swaps this table.
 */
export class SynonymTable {
  private readonly byWord = new Map<string, Set<string>>();
  /** Words longer than one character, to spot a synonym jieba did not cut out of the query. */
  readonly words: string[];

  constructor(groups: ReadonlyArray<readonly string[]>) {
    for (const g of groups) {
      const words = [...new Set(g.map((w) => normalizeChars(w.trim())).filter(Boolean))];
      if (words.length < 2) continue;
      for (const w of words) {
        const set = this.byWord.get(w) ?? new Set<string>();
        for (const o of words) if (o !== w) set.add(o);
        this.byWord.set(w, set);
      }
    }
    this.words = [...this.byWord.keys()].filter((w) => [...w].length > 1).sort((a, b) => b.length - a.length);
  }

  static withDefaults(tenantGroups: ReadonlyArray<readonly string[]> = []): SynonymTable {
    return new SynonymTable([...DEFAULT_SYNONYM_GROUPS, ...tenantGroups]);
  }

  /** The other words of every group the (normalised) word belongs to. */
  of(word: string): string[] {
    const s = this.byWord.get(word);
    return s ? [...s] : [];
  }
}

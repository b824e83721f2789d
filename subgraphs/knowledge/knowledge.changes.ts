/** The searchable kinds of knowledge. */
export type KnowledgeKind = 'ARTICLE' | 'FAQ';

/**
 * Where services report every change to searchable knowledge, after it is committed: the search index
 * refreshes the documents on this replica at once and tells the other replicas (see search/search.index.ts).
 */
export interface KnowledgeChangeSink {
  changed(tenantId: string, kind: KnowledgeKind, ids: readonly string[]): Promise<void>;
  synonymsChanged(tenantId: string): Promise<void>;
}

/** Validity of an article or FAQ: open-ended on either side, and never an empty interval. */
export function checkValidity(validFrom: Date | null, validTo: Date | null): string | null {
  if (validFrom && validTo && validFrom.getTime() >= validTo.getTime()) return 'validTo must be after validFrom';
  return null;
}

/** Tags as stored: trimmed, without duplicates, in the given order. */
export function cleanTags(tags: readonly string[] | null | undefined): string[] {
  return [...new Set((tags ?? []).map((t) => t.trim()).filter(Boolean))];
}

export const isValidAt = (row: { validFrom: Date | null; validTo: Date | null }, now = new Date()): boolean =>
  (!row.validFrom || row.validFrom.getTime() <= now.getTime()) && (!row.validTo || now.getTime() < row.validTo.getTime());

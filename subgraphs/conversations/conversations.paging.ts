import DataLoader from 'dataloader';
import { In, type ObjectLiteral, type Repository } from 'typeorm';
import { clampFirst, decodeCursor, toPage, type PageInfo } from '../_shared/pagination.js';

export interface Page<T> {
  nodes: T[];
  pageInfo: PageInfo;
}

/** One page of the children of `key` (a conversation's messages, a customer's conversations). */
export interface PageKey {
  key: string;
  first?: number | null;
  after?: string | null;
}

export interface ChildPageQuery {
  tenantId: string;
  /** Column holding the parent id, e.g. conversation_id. */
  parentColumn: string;
  /** Timestamp column the pages are ordered by (ties broken by id), e.g. created_at. */
  orderColumn: string;
  direction: 'ASC' | 'DESC';
  /** A fixed extra condition on the rows (alias r), e.g. 'r.internal = 0'. Never user input. */
  filter?: string;
}

/**
 * The first `limit` rows of each parent in ONE round of queries, whatever the number of parents: a
 * ROW_NUMBER() window (MariaDB ≥10.2, MySQL 8, SQLite ≥3.25) picks the ids, then one IN query loads them.
 */
export async function firstChildren<T extends ObjectLiteral & { id: string }>(
  repo: Repository<T>,
  q: ChildPageQuery,
  parents: readonly string[],
  limit: number,
  after?: { at: Date; id: string },
): Promise<T[]> {
  if (!parents.length) return [];
  const { parentColumn: p, orderColumn: o, direction: d } = q;
  const cmp = d === 'ASC' ? '>' : '<';
  const picked = await repo.manager
    .createQueryBuilder()
    .select('w.id', 'id')
    .from((sub) => {
      sub
        .select('r.id', 'id')
        .addSelect(`ROW_NUMBER() OVER (PARTITION BY r.${p} ORDER BY r.${o} ${d}, r.id ${d})`, 'rn')
        .from(repo.target, 'r')
        .where('r.tenant_id = :tenantId', { tenantId: q.tenantId })
        .andWhere(`r.${p} IN (:...parents)`, { parents: [...parents] });
      if (q.filter) sub.andWhere(q.filter);
      if (after) sub.andWhere(`(r.${o} ${cmp} :afterAt OR (r.${o} = :afterAt AND r.id ${cmp} :afterId))`, { afterAt: after.at, afterId: after.id });
      return sub;
    }, 'w')
    .where('w.rn <= :limit', { limit })
    .getRawMany<{ id: string }>();
  if (!picked.length) return [];
  return repo.findBy({ id: In(picked.map((r) => r.id)) } as never);
}

/** Fetches the first `limit` children of each parent, after a cursor (firstChildren, tenant-scoped by the caller). */
export type ChildrenFetch<T> = (parents: readonly string[], limit: number, after?: { at: Date; id: string }) => Promise<T[]>;

/**
 * Per-request loader of child pages. Keys asking for the same (first, after) share one fetch, so a list of
 * N parents costs the same two queries as one parent.
 */
export function childPageLoader<T extends { id: string }>(
  fetch: ChildrenFetch<T>,
  direction: 'ASC' | 'DESC',
  parentOf: (row: T) => string,
  at: (row: T) => Date,
): DataLoader<PageKey, Page<T>, string> {
  const sign = direction === 'ASC' ? 1 : -1;
  return new DataLoader<PageKey, Page<T>, string>(
    async (keys) => {
      const byArgs = new Map<string, PageKey[]>();
      for (const k of keys) {
        const args = JSON.stringify([k.first ?? null, k.after ?? null]);
        byArgs.set(args, [...(byArgs.get(args) ?? []), k]);
      }
      const pages = new Map<string, Page<T> | Error>();
      for (const group of byArgs.values()) {
        try {
          const first = clampFirst(group[0].first);
          const rows = await fetch(group.map((k) => k.key), first + 1, decodeCursor(group[0].after));
          rows.sort((a, b) => sign * (at(a).getTime() - at(b).getTime() || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0)));
          for (const k of group) pages.set(cacheKey(k), toPage(rows.filter((r) => parentOf(r) === k.key), first, at));
        } catch (e) {
          for (const k of group) pages.set(cacheKey(k), e as Error); // bad first/after fails only the fields that asked for it
        }
      }
      return keys.map((k) => pages.get(cacheKey(k))!);
    },
    { cacheKeyFn: cacheKey },
  );
}

const cacheKey = (k: PageKey) => JSON.stringify([k.key, k.first ?? null, k.after ?? null]);

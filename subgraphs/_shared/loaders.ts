import DataLoader from 'dataloader';

/** Per-request loader of rows by id: one query per tick for all the ids asked, null where none. */
export function byIdLoader<T extends { id: string }>(fetch: (ids: readonly string[]) => Promise<T[]>): DataLoader<string, T | null> {
  return new DataLoader<string, T | null>(async (ids) => {
    const rows = await fetch(ids);
    const map = new Map(rows.map((r) => [r.id, r]));
    return ids.map((id) => map.get(id) ?? null);
  });
}

/** Per-request loader of the many rows that belong to each key (one query for all keys). */
export function groupLoader<T>(fetch: (keys: readonly string[]) => Promise<T[]>, keyOf: (row: T) => string): DataLoader<string, T[]> {
  return new DataLoader<string, T[]>(async (keys) => {
    const rows = await fetch(keys);
    const groups = new Map<string, T[]>();
    for (const r of rows) {
      const k = keyOf(r);
      const g = groups.get(k);
      if (g) g.push(r);
      else groups.set(k, [r]);
    }
    return keys.map((k) => groups.get(k) ?? []);
  });
}

/** A loader for a viewer-less request: every key resolves to nothing (no tenant, no data). */
export function emptyLoader<V>(empty: V): DataLoader<string, V> {
  return new DataLoader<string, V>(async (keys) => keys.map(() => empty));
}

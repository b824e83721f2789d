import type { AgentLoadEntity, ChannelClass } from './routing.entity.js';

type LoadRow = Pick<AgentLoadEntity, 'id' | 'agentId' | 'channelClass' | 'capacity' | 'active' | 'lastAssignedAt' | 'lastReleasedAt'>;

/**
 * A replica's short-lived copy of agents' load rows, so that routing a conversation does not read the candidates'
 * loads from the database every time. It only guides the choice: the claim itself is conditional in the database
 * (`active < capacity`), so a stale row can cost a lost claim or a less fair pick, never an agent over capacity.
 * Only "has room" is trusted from the copy: an agent it shows without room in the class that matters is read
 * again (a unit may have come back on another replica), so a stale copy never leaves a conversation waiting.
 * This replica's own claims update it (with the counter the claim read back); every other unit this replica moves
 * drops the agent from it; other replicas' moves are seen when the copy expires.
 */
export class LoadCache {
  private readonly tenants = new Map<string, Map<string, { at: number; rows: LoadRow[] }>>();

  constructor(
    readonly ttlMs: number,
    private readonly clock: () => number = Date.now,
  ) {}

  /** The usable cached rows of these agents, and the agents to read (missing, expired, or without room in `classes`). */
  split(tenantId: string, agentIds: readonly string[], classes: readonly ChannelClass[]): { rows: LoadRow[]; missing: string[] } {
    const t = this.tenants.get(tenantId);
    const now = this.clock();
    const rows: LoadRow[] = [];
    const missing: string[] = [];
    for (const id of agentIds) {
      const hit = t?.get(id);
      const usable =
        hit && now - hit.at < this.ttlMs && hit.rows.length >= 2 && classes.every((cls) => hit.rows.some((r) => r.channelClass === cls && r.active < r.capacity));
      if (usable) rows.push(...hit.rows);
      else missing.push(id);
    }
    return { rows, missing };
  }

  /** Rows just read from the database. */
  put(tenantId: string, rows: readonly LoadRow[]): void {
    const now = this.clock();
    let t = this.tenants.get(tenantId);
    if (!t) this.tenants.set(tenantId, (t = new Map()));
    if (t.size > 20_000) this.prune(t, now);
    const by = new Map<string, LoadRow[]>();
    for (const r of rows) {
      const list = by.get(r.agentId);
      if (list) list.push({ ...r });
      else by.set(r.agentId, [{ ...r }]);
    }
    for (const [agentId, list] of by) t.set(agentId, { at: now, rows: list });
  }

  /**
   * A claim of this replica read the agent's counters back in its transaction: after taking the unit
   * (`assignedAt` set), or finding no room.
   */
  observed(tenantId: string, agentId: string, cls: ChannelClass, after: { active: number; capacity: number }, assignedAt: Date | null): void {
    const row = this.tenants.get(tenantId)?.get(agentId)?.rows.find((r) => r.channelClass === cls);
    if (!row) return;
    row.active = after.active;
    row.capacity = after.capacity;
    if (assignedAt) row.lastAssignedAt = assignedAt;
  }

  /** Units of these agents moved (or their capacity changed): read them again next time. */
  forget(tenantId: string, agentIds: ReadonlyArray<string | null | undefined>): void {
    const t = this.tenants.get(tenantId);
    if (!t) return;
    for (const id of agentIds) if (id) t.delete(id);
  }

  private prune(t: Map<string, { at: number }>, now: number): void {
    for (const [k, v] of t) if (now - v.at >= this.ttlMs) t.delete(k);
  }
}

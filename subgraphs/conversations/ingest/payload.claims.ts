import { Brackets, In, type DataSource, type Repository } from 'typeorm';
import type { BacklogTotals } from './channel.metrics.js';
import { RowsUpdate } from '../../_shared/rows-update.js';
import { InboundPayloadEntity, InboundPayloadStatus as P } from './payload.entity.js';

/** How long a claim holds a row: a processor that dies with it lets it go after this, to the sweeper. */
export const LOCK_MS = 60_000;
/** The sweeper leaves fresh PENDING rows to the replica that acknowledged them (it queued them already). */
export const SWEEP_GRACE_MS = 10_000;

/**
 * The statements that move stored payloads between states for processing: claim (PENDING, a due retry or an
 * expired claim → PROCESSING), mark processed, and find what is due. Each is one statement for a whole batch.
 */
export class PayloadClaims {
  private readonly repo: Repository<InboundPayloadEntity>;
  private readonly rows: RowsUpdate<InboundPayloadEntity>;

  constructor(private readonly ds: DataSource) {
    this.repo = ds.getRepository(InboundPayloadEntity);
    this.rows = new RowsUpdate(ds, InboundPayloadEntity);
  }

  /**
   * Marks the due payloads among `ids` PROCESSING under `claim` (one UPDATE); how many it took. Rows held under
   * a token in `holders` (this replica's own, or a receiving replica's that handed them over) are taken whatever
   * their lock. A row stored held is PROCESSING already, so taking it over changes no column's length: InnoDB
   * updates it in place.
   */
  async claim(ids: string[], claim: string, now: Date, holders: string[] = []): Promise<number> {
    const held = holders.length ? holders : [''];
    const lockedUntil = new Date(now.getTime() + LOCK_MS);
    if (this.ds.options.type !== 'better-sqlite3') {
      // FORCE INDEX: left to itself, MariaDB may range-scan idx_inbound_payloads_due (status, ...) rather than look
      // these ids up (EXPLAIN showed it). Under a backlog that scans every PENDING row and next-key-locks them
      // and their gaps, which holds up the acknowledgements' INSERTs and makes every claim slower the further
      // processing lags.
      const r = await this.ds.query(
        `UPDATE inbound_payloads FORCE INDEX (PRIMARY) SET status = ?, locked_until = ?, attempts = attempts + 1, claimed_by = ?
         WHERE id IN (?) AND (status = ? OR (status = ? AND next_attempt_at IS NOT NULL AND next_attempt_at <= ?) OR (status = ? AND (locked_until < ? OR claimed_by IN (?))))`,
        [P.PROCESSING, lockedUntil, claim, ids, P.PENDING, P.FAILED, now, P.PROCESSING, now, held],
      ) as { affectedRows?: number };
      return r.affectedRows ?? 0;
    }
    const r = await this.repo.createQueryBuilder().update(InboundPayloadEntity)
      .set({ status: P.PROCESSING, lockedUntil, attempts: () => 'attempts + 1', claimedBy: claim })
      .where({ id: In(ids) })
      .andWhere(new Brackets((w) => w
        .where('status = :pending', { pending: P.PENDING })
        .orWhere('(status = :failed AND next_attempt_at IS NOT NULL AND next_attempt_at <= :now)', { failed: P.FAILED, now })
        .orWhere('(status = :processing AND (locked_until < :now OR claimed_by IN (:...held)))', { processing: P.PROCESSING, now, held })))
      .execute();
    return r.affected ?? 0;
  }

  /** Rows held under `holder` and not processed go back to PENDING (a replica stopping with a queue); how many. */
  async release(ids: string[], holder: string): Promise<number> {
    let n = 0;
    for (let i = 0; i < ids.length; i += 500) {
      const r = await this.repo.createQueryBuilder().update(InboundPayloadEntity)
        // the hold was counted as the first attempt; nothing was attempted
        .set({ status: P.PENDING, claimedBy: null, lockedUntil: null, attempts: () => 'CASE WHEN attempts > 0 THEN attempts - 1 ELSE 0 END' })
        .where({ id: In(ids.slice(i, i + 500)), status: P.PROCESSING, claimedBy: holder })
        .execute();
      n += r.affected ?? 0;
    }
    return n;
  }

  /** One UPDATE for a batch: status, time and the message each payload became. */
  async markProcessed(done: Array<{ id: string; messageId: string | null }>): Promise<void> {
    if (!done.length) return;
    await this.rows.run(this.ds.manager, done.map((d) => d.id), {
      same: { status: P.PROCESSED, processedAt: new Date(), lockedUntil: null, nextAttemptAt: null, error: null, errorCode: null, claimedBy: null },
      perRow: { messageId: new Map(done.filter((d) => d.messageId).map((d) => [d.id, d.messageId])) },
    });
  }

  /** Payloads stored but not processed (crash after acknowledging), due retries, and expired claims. */
  async due(limit = 200, graceMs = SWEEP_GRACE_MS): Promise<string[]> {
    const now = new Date();
    const rows = await this.repo.createQueryBuilder('p').select('p.id', 'id')
      .where('(p.status = :pending AND p.received_at <= :fresh)', { pending: P.PENDING, fresh: new Date(now.getTime() - graceMs) })
      .orWhere('(p.status = :failed AND p.next_attempt_at IS NOT NULL AND p.next_attempt_at <= :now)', { failed: P.FAILED, now })
      .orWhere('(p.status = :processing AND p.locked_until < :now)', { processing: P.PROCESSING, now })
      .orderBy('p.received_at', 'ASC').limit(limit).getRawMany<{ id: string }>();
    return rows.map((r) => r.id);
  }

  /**
   * Open payloads by state (one grouped count on a status index): PENDING or PROCESSING, FAILED, and FAILED with no
   * retry left. Every tenant's (the operator's metrics), or one tenant's and channel's (inboundBacklog).
   */
  async openCounts(scope: { tenantId?: string; channelId?: string | null } = {}): Promise<{ pending: number; failed: number; waitingForReplay: number }> {
    const qb = this.repo.createQueryBuilder('p').select('p.status', 'status').addSelect('COUNT(*)', 'n')
      .addSelect('SUM(CASE WHEN p.next_attempt_at IS NULL THEN 1 ELSE 0 END)', 'stuck')
      .where('p.status IN (:...open)', { open: [P.PENDING, P.PROCESSING, P.FAILED] });
    if (scope.tenantId) qb.andWhere('p.tenant_id = :tenantId', { tenantId: scope.tenantId });
    if (scope.channelId) qb.andWhere('p.channel_id = :channelId', { channelId: scope.channelId });
    const counts = await qb.groupBy('p.status').getRawMany<{ status: P; n: string | number; stuck: string | number | null }>();
    const of = (s: P) => counts.find((c) => c.status === s);
    return { pending: Number(of(P.PENDING)?.n ?? 0) + Number(of(P.PROCESSING)?.n ?? 0), failed: Number(of(P.FAILED)?.n ?? 0), waitingForReplay: Number(of(P.FAILED)?.stuck ?? 0) };
  }

  /** Every tenant's backlog, for the operator's metrics: the open counts and the age of the oldest waiting row. */
  async totals(now = new Date()): Promise<BacklogTotals> {
    const counts = await this.openCounts();
    const oldest = await this.repo.createQueryBuilder('p').select('MIN(p.received_at)', 'at')
      .where('p.status IN (:...waiting)', { waiting: [P.PENDING, P.PROCESSING] }).getRawOne<{ at: Date | string | null }>();
    // MariaDB answers a Date; SQLite the UTC text typeorm stored ("2026-11-26 13:30:00.000").
    const at = !oldest?.at ? null : oldest.at instanceof Date ? oldest.at : new Date(`${String(oldest.at).replace(' ', 'T')}Z`);
    return { ...counts, oldestPendingSeconds: at ? Math.max(0, (now.getTime() - at.getTime()) / 1000) : 0 };
  }
}

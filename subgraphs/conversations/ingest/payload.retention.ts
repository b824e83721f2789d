import { In, LessThan, type DataSource } from 'typeorm';
import { InboundPayloadEntity, InboundPayloadStatus as P } from './payload.entity.js';

const DAY_MS = 86_400_000;

/**
 * Retention of processed inbound payloads (INGEST_RETENTION_DAYS). Once processed, a payload's message keeps what
 * an audit asks for (the content, the sender, the platform's own fields as `raw`, and `inboundPayloadId`). The
 * stored request — body, headers and query — is the larger part of the row and personal data, and without a limit
 * the table grows by every webhook ever received. So processed rows go after N days. FAILED rows stay until an
 * admin replays them, whatever their age; PENDING and PROCESSING rows are not done yet.
 *
 * A platform redelivering a purged payload (long after its retries would have stopped) is stored again and
 * processed into the same message id (derived from the dedupe key and the platform's send time), which exists:
 * still one message.
 */
export class PayloadRetention {
  constructor(
    private readonly ds: DataSource,
    /** 0: keep forever. */
    readonly days: number,
    /** Rows per DELETE: short statements, so the acknowledgements' INSERTs never wait long behind one. */
    private readonly batch = 1000,
    private readonly now: () => number = Date.now,
  ) {}

  /**
   * Deletes processed payloads older than the retention, at most `maxBatches` batches: how many, and whether
   * more are left (a backlog, as when retention is first turned on).
   */
  async purge(maxBatches = 10): Promise<{ deleted: number; more: boolean }> {
    if (!this.days) return { deleted: 0, more: false };
    const repo = this.ds.getRepository(InboundPayloadEntity);
    const cutoff = new Date(this.now() - this.days * DAY_MS);
    let deleted = 0;
    for (let i = 0; i < maxBatches; i++) {
      // Ids first, then a DELETE by primary key: MariaDB takes no LIMIT in an IN subquery, SQLite no DELETE … LIMIT.
      const rows = await repo.find({ select: { id: true }, where: { status: P.PROCESSED, processedAt: LessThan(cutoff) }, take: this.batch });
      if (!rows.length) return { deleted, more: false };
      await repo.delete({ id: In(rows.map((r) => r.id)) });
      deleted += rows.length;
      if (rows.length < this.batch) return { deleted, more: false };
    }
    return { deleted, more: true };
  }
}

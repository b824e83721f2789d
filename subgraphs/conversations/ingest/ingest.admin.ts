import { Brackets, type DataSource, type Repository, type SelectQueryBuilder } from 'typeorm';
import { badInput, notFound } from '../../_shared/errors.js';
import type { IngestService } from './ingest.service.js';
import { PayloadClaims } from './payload.claims.js';
import { InboundPayloadEntity, InboundPayloadStatus as P } from './payload.entity.js';

/** Rows flipped back to PENDING per UPDATE of a bulk replay (each a short transaction: acknowledgements keep writing). */
const REPLAY_PAGE = 500;
/** At most this many payloads per replayInboundPayloads call; `remaining` says whether to call again. */
export const MAX_REPLAY = 10_000;

export interface PayloadFilter {
  status?: P | null;
  channelId?: string | null;
  errorCode?: string | null;
}

/**
 * What admins see and do with stored inbound payloads, always within their tenant: list (newest first, paged),
 * the backlog's size, and replays — one payload processed now, or many handed back to processing (after a
 * plugin fix, or a customers outage that failed a morning's messages).
 */
export class InboundPayloadAdmin {
  private readonly repo: Repository<InboundPayloadEntity>;
  private readonly claims: PayloadClaims;

  constructor(ds: DataSource, private readonly ingest: Pick<IngestService, 'process' | 'handOff'>) {
    this.repo = ds.getRepository(InboundPayloadEntity);
    this.claims = new PayloadClaims(ds);
  }

  /** Newest first; `after`: the id of the last payload of the previous page (BAD_USER_INPUT when it is not the tenant's). */
  async list(tenantId: string, f: PayloadFilter & { first?: number | null; after?: string | null }): Promise<InboundPayloadEntity[]> {
    const first = Math.min(Math.max(f.first ?? 50, 1), 200);
    const qb = this.filtered(tenantId, f);
    if (f.after) {
      const last = await this.repo.findOne({ select: { id: true, receivedAt: true }, where: { tenantId, id: f.after } });
      if (!last) throw badInput(`after: no inbound payload ${f.after}`, 'after');
      qb.andWhere(new Brackets((w) => w.where('p.received_at < :at', { at: last.receivedAt }).orWhere('(p.received_at = :at AND p.id < :id)', { id: last.id })));
    }
    return qb.orderBy('p.received_at', 'DESC').addOrderBy('p.id', 'DESC').take(first).getMany();
  }

  /** The tenant's (or one channel's) open counts and its oldest PENDING or PROCESSING row. */
  async backlog(tenantId: string, channelId: string | null): Promise<{ pending: number; failed: number; waitingForReplay: number; oldestPendingAt: Date | null; lagSeconds: number | null }> {
    const scope = { tenantId, ...(channelId ? { channelId } : {}) };
    const counts = await this.claims.openCounts(scope);
    // One index lookup per status (tenant_id, status, received_at) rather than a sort over both.
    const oldest = (await Promise.all([P.PENDING, P.PROCESSING].map((status) => this.repo.findOne({ select: { id: true, receivedAt: true }, where: { ...scope, status }, order: { receivedAt: 'ASC' } }))))
      .filter((r): r is InboundPayloadEntity => !!r).map((r) => r.receivedAt).sort((a, b) => a.getTime() - b.getTime())[0] ?? null;
    return { ...counts, oldestPendingAt: oldest, lagSeconds: oldest ? Math.max(0, (Date.now() - oldest.getTime()) / 1000) : null };
  }

  async get(tenantId: string, id: string): Promise<InboundPayloadEntity> {
    const p = await this.repo.findOneBy({ tenantId, id });
    if (!p) throw notFound('inbound payload', id);
    return p;
  }

  /** Processes a FAILED payload again now (attempts keep counting); a PROCESSED one is left alone. */
  async replay(tenantId: string, id: string): Promise<InboundPayloadEntity> {
    const p = await this.get(tenantId, id);
    if (p.status === P.FAILED) {
      await this.repo.update({ tenantId, id, status: P.FAILED }, { status: P.PENDING, nextAttemptAt: null });
      await this.ingest.process(id);
    }
    return this.get(tenantId, id);
  }

  /**
   * Hands the tenant's FAILED payloads (of one channel, with one error code) back to processing, oldest first, up
   * to `limit`: PENDING again (attempts keep counting), then processed in the background like fresh ones (here,
   * or by the processing replicas; the sweeper takes any hand-off that is lost). Pages by (received_at, id), so
   * a payload that fails again at once is not replayed twice by the same call.
   */
  async replayMany(tenantId: string, f: Omit<PayloadFilter, 'status'> & { limit?: number | null }): Promise<{ queued: number; remaining: number }> {
    const limit = f.limit ?? 1000;
    if (!Number.isInteger(limit) || limit < 1 || limit > MAX_REPLAY) throw badInput(`limit must be between 1 and ${MAX_REPLAY}`, 'limit');
    let queued = 0;
    let cursor: { at: Date; id: string } | null = null;
    while (queued < limit) {
      const qb = this.filtered(tenantId, { ...f, status: P.FAILED }).select(['p.id', 'p.receivedAt']);
      if (cursor) {
        const c = cursor;
        qb.andWhere(new Brackets((w) => w.where('p.received_at > :at', { at: c.at }).orWhere('(p.received_at = :at AND p.id > :id)', { id: c.id })));
      }
      const page = await qb.orderBy('p.received_at', 'ASC').addOrderBy('p.id', 'ASC').take(Math.min(REPLAY_PAGE, limit - queued)).getMany();
      if (!page.length) break;
      cursor = { at: page[page.length - 1].receivedAt, id: page[page.length - 1].id };
      const ids = page.map((p) => p.id);
      // Still FAILED: a payload replayed or retried meanwhile by someone else is left to that one.
      const r = await this.repo.createQueryBuilder().update(InboundPayloadEntity).set({ status: P.PENDING, nextAttemptAt: null })
        .where('tenant_id = :tenantId AND status = :failed AND id IN (:...ids)', { tenantId, failed: P.FAILED, ids }).execute();
      queued += r.affected ?? ids.length;
      this.ingest.handOff(tenantId, ids);
    }
    const remaining = await this.filtered(tenantId, { ...f, status: P.FAILED }).getCount();
    return { queued, remaining };
  }

  private filtered(tenantId: string, f: PayloadFilter): SelectQueryBuilder<InboundPayloadEntity> {
    const qb = this.repo.createQueryBuilder('p').where('p.tenant_id = :tenantId', { tenantId });
    if (f.status) qb.andWhere('p.status = :status', { status: f.status });
    if (f.channelId) qb.andWhere('p.channel_id = :channelId', { channelId: f.channelId });
    if (f.errorCode) qb.andWhere('p.error_code = :errorCode', { errorCode: f.errorCode });
    return qb;
  }
}

import { In, type DataSource, type EntityManager, type Repository } from 'typeorm';
import { badInput, conflict, notFound } from '../../_shared/errors.js';
import type { EventBus } from '../../_shared/events.js';
import { newId } from '../../_shared/ids.js';
import { isUniqueViolation } from '../../_shared/db-errors.js';
import { clampFirst, decodeCursor, toPage } from '../../_shared/pagination.js';
import { MergeSuggestionEntity, SUGGESTION_STATUSES, type SuggestionReason } from './merge.entity.js';

/** The weak signals of one customer, as lookup hashes. */
export interface WeakSignals {
  phoneHash?: string | null;
  nameAddressHash?: string | null;
}

export interface Candidate {
  candidateId: string;
  reason: SuggestionReason;
  score: number;
}

/**
 * How sure a suggestion is (0..1), for ordering an agent's queue. A number another customer has proven (a phone
 * identity) weighs more than one merely typed into a profile; name + address is the weakest.
 */
export const SCORES: Record<string, number> = {
  SHARED_STRONG_KEY: 0.95,
  SAME_PHONE_AS_IDENTITY: 0.8,
  SAME_UNVERIFIED_PHONE: 0.6,
  SAME_NAME_AND_ADDRESS: 0.5,
};

const MAX_CANDIDATES = 5;

export const pairKey = (a: string, b: string) => (a < b ? `${a}|${b}` : `${b}|${a}`);

/** Merge suggestions: raised on weak signals, decided by an agent. Every method is scoped by tenant. */
export class MergeSuggestionService {
  private readonly repo: Repository<MergeSuggestionEntity>;

  constructor(private readonly ds: DataSource, private readonly events: EventBus) {
    this.repo = ds.getRepository(MergeSuggestionEntity);
  }

  async byIds(tenantId: string, ids: readonly string[]): Promise<MergeSuggestionEntity[]> {
    if (!ids.length) return [];
    return this.repo.findBy({ tenantId, id: In([...ids]) });
  }

  async get(tenantId: string, id: string): Promise<MergeSuggestionEntity> {
    const s = await this.repo.findOneBy({ tenantId, id });
    if (!s) throw notFound('merge suggestion', id);
    return s;
  }

  /**
   * Looks for other customers with the same phone or the same name and address (one round trip: it runs for
   * every new customer), and records what it finds.
   */
  async suggestFor(tenantId: string, customerId: string, signals: WeakSignals): Promise<MergeSuggestionEntity[]> {
    const branches: string[] = [];
    const params: unknown[] = [];
    if (signals.phoneHash) {
      branches.push(
        "SELECT id AS cid, 'profile' AS src FROM customers WHERE tenant_id = ? AND phone_hash = ? AND merged_into IS NULL AND id <> ?",
        "SELECT customer_id AS cid, 'identity' AS src FROM channel_identities WHERE tenant_id = ? AND kind = 'phone' AND app_id = '' AND external_id = ? AND customer_id <> ?",
      );
      params.push(tenantId, signals.phoneHash, customerId, tenantId, signals.phoneHash, customerId);
    }
    if (signals.nameAddressHash) {
      branches.push("SELECT id AS cid, 'name-address' AS src FROM customers WHERE tenant_id = ? AND name_address_hash = ? AND merged_into IS NULL AND id <> ?");
      params.push(tenantId, signals.nameAddressHash, customerId);
    }
    if (!branches.length) return [];
    const rows = (await this.ds.query(`${branches.join(' UNION ALL ')} LIMIT ${3 * MAX_CANDIDATES}`, params)) as Array<{ cid: string; src: string }>;
    const found = new Map<string, Candidate>();
    for (const r of rows) {
      const [reason, score]: [SuggestionReason, number] =
        r.src === 'name-address' ? ['SAME_NAME_AND_ADDRESS', SCORES.SAME_NAME_AND_ADDRESS]
        : r.src === 'identity' ? ['SAME_UNVERIFIED_PHONE', SCORES.SAME_PHONE_AS_IDENTITY]
        : ['SAME_UNVERIFIED_PHONE', SCORES.SAME_UNVERIFIED_PHONE];
      const prev = found.get(`${r.cid}|${reason}`);
      if (!prev || prev.score < score) found.set(`${r.cid}|${reason}`, { candidateId: r.cid, reason, score });
    }
    return this.record(tenantId, customerId, [...found.values()]);
  }

  /**
   * Records suggestions, once per pair and reason: a pair already suggested (pending, accepted or rejected) is not
   * suggested again, so a rejected pair stays rejected however often the signal recurs.
   */
  async record(tenantId: string, customerId: string, candidates: Candidate[]): Promise<MergeSuggestionEntity[]> {
    const created: MergeSuggestionEntity[] = [];
    for (const c of candidates) {
      const row = this.repo.create({
        id: newId(),
        tenantId,
        customerId,
        candidateId: c.candidateId,
        pairKey: pairKey(customerId, c.candidateId),
        reason: c.reason,
        score: c.score,
        status: 'PENDING',
        createdAt: new Date(),
        decidedBy: null,
        decidedAt: null,
        mergeId: null,
      });
      const exists = await this.repo.exists({ where: { tenantId, pairKey: row.pairKey, reason: row.reason } });
      if (exists) continue;
      try {
        await this.repo.insert(row);
      } catch (e) {
        if (isUniqueViolation(e)) continue; // raised concurrently by another message
        throw e;
      }
      created.push(row);
      await this.events.publish({ type: 'customer.merge_suggested', tenantId, data: { suggestionId: row.id, customerId, candidateId: c.candidateId, reason: c.reason, score: c.score } });
    }
    return created;
  }

  /**
   * Newest first. Pending suggestions that involve a customer merged meanwhile are left out (they come back if
   * it is unmerged).
   */
  async list(tenantId: string, opts: { first?: number | null; after?: string | null; status?: string | null; customerId?: string | null }) {
    const first = clampFirst(opts.first);
    const after = decodeCursor(opts.after);
    const status = opts.status ?? 'PENDING';
    if (!(SUGGESTION_STATUSES as readonly string[]).includes(status)) throw badInput(`status must be one of ${SUGGESTION_STATUSES.join(', ')}`, 'status');
    const qb = this.repo.createQueryBuilder('s').where('s.tenant_id = :tenantId AND s.status = :status', { tenantId, status });
    if (status === 'PENDING') {
      qb.andWhere('NOT EXISTS (SELECT 1 FROM customers c WHERE c.tenant_id = s.tenant_id AND c.id IN (s.customer_id, s.candidate_id) AND c.merged_into IS NOT NULL)');
    }
    if (opts.customerId) qb.andWhere('(s.customer_id = :cid OR s.candidate_id = :cid)', { cid: opts.customerId });
    if (after) qb.andWhere('(s.created_at < :at OR (s.created_at = :at AND s.id < :id))', { at: after.at, id: after.id });
    const rows = await qb.orderBy('s.created_at', 'DESC').addOrderBy('s.id', 'DESC').take(first + 1).getMany();
    return toPage(rows, first, (r) => r.createdAt);
  }

  async reject(tenantId: string, actor: string, id: string): Promise<MergeSuggestionEntity> {
    const s = await this.get(tenantId, id);
    if (s.status !== 'PENDING') throw conflict(`merge suggestion ${id} is already ${s.status.toLowerCase()}`);
    const now = new Date();
    const res = await this.repo.update({ tenantId, id, status: 'PENDING' }, { status: 'REJECTED', decidedBy: actor, decidedAt: now });
    if (!res.affected) throw conflict(`merge suggestion ${id} was decided concurrently`);
    Object.assign(s, { status: 'REJECTED', decidedBy: actor, decidedAt: now });
    await this.events.publish({ type: 'customer.merge_suggestion_rejected', tenantId, data: { suggestionId: id, customerId: s.customerId, candidateId: s.candidateId } });
    return s;
  }

  /** Inside the merge's transaction: the suggestion is accepted by that merge, or the merge fails. */
  async markAccepted(m: EntityManager, tenantId: string, id: string, actor: string, mergeId: string): Promise<void> {
    const res = await m.update(MergeSuggestionEntity, { tenantId, id, status: 'PENDING' }, { status: 'ACCEPTED', decidedBy: actor, decidedAt: new Date(), mergeId });
    if (!res.affected) throw conflict(`merge suggestion ${id} was decided concurrently`);
  }
}

import { In, IsNull, type DataSource, type EntityManager, type Repository } from 'typeorm';
import { badInput, conflict, notFound } from '../../_shared/errors.js';
import type { EventBus } from '../../_shared/events.js';
import { newId } from '../../_shared/ids.js';
import { isRetryableTransactionError } from '../../_shared/db-errors.js';
import { clampFirst, decodeCursor, toPage } from '../../_shared/pagination.js';
import { ChannelIdentityEntity, CustomerEntity, CustomerTagEntity } from '../customer/customer.entity.js';
import { forUpdate } from '../customer/customer.locking.js';
import { nameAddressHash } from '../customer/customer.pii.js';
import { higherLevel } from '../customer/customer.service.js';
import type { PiiVault } from '../pii/pii.vault.js';
import { CustomerMergeEntity, type MergeMoved } from './merge.entity.js';
import type { MergeSuggestionService } from './suggestion.service.js';

export interface MergeRequest {
  survivorId: string;
  mergedId: string;
  reason: string;
  suggestionId?: string | null;
}

export interface MergeResult {
  merge: CustomerMergeEntity;
  survivor: CustomerEntity;
  merged: CustomerEntity;
}

/** Domain events the conversations and tickets subgraphs follow to move their rows (and back). */
export const CUSTOMER_MERGED = 'customer.merged';
export const CUSTOMER_UNMERGED = 'customer.unmerged';

const MAX_ATTEMPTS = 5;

/**
 * Merging two customers of a tenant into one, reversibly.
 *
 * A merge moves the merged customer's identities and tags to the survivor, fills the survivor's empty profile
 * fields from it, marks it `merged_into` the survivor (so it leaves every list and resolves to the survivor), and
 * records exactly what moved in `customer_merges`. An unmerge moves exactly that back. Conversations and tickets
 * live in other subgraphs: they follow through the `customer.merged` / `customer.unmerged` events.
 *
 * Unmerges go in reverse order: a merge can be undone only while its survivor is not itself merged (undo the
 * later merge first), so what it recorded is still where it put it.
 */
export class MergeService {
  private readonly merges: Repository<CustomerMergeEntity>;

  constructor(
    private readonly ds: DataSource,
    private readonly events: EventBus,
    private readonly vault: PiiVault,
    private readonly suggestions: MergeSuggestionService,
  ) {
    this.merges = ds.getRepository(CustomerMergeEntity);
  }

  async byIds(tenantId: string, ids: readonly string[]): Promise<CustomerMergeEntity[]> {
    if (!ids.length) return [];
    return this.merges.findBy({ tenantId, id: In([...ids]) });
  }

  async get(tenantId: string, id: string): Promise<CustomerMergeEntity> {
    const m = await this.merges.findOneBy({ tenantId, id });
    if (!m) throw notFound('customer merge', id);
    return m;
  }

  /** The audit trail: newest first, optionally only the merges a customer took part in. */
  async list(tenantId: string, opts: { first?: number | null; after?: string | null; customerId?: string | null }) {
    const first = clampFirst(opts.first);
    const after = decodeCursor(opts.after);
    const qb = this.merges.createQueryBuilder('m').where('m.tenant_id = :tenantId', { tenantId });
    if (opts.customerId) qb.andWhere('(m.survivor_id = :cid OR m.merged_id = :cid)', { cid: opts.customerId });
    if (after) qb.andWhere('(m.created_at < :at OR (m.created_at = :at AND m.id < :id))', { at: after.at, id: after.id });
    const rows = await qb.orderBy('m.created_at', 'DESC').addOrderBy('m.id', 'DESC').take(first + 1).getMany();
    return toPage(rows, first, (r) => r.createdAt);
  }

  async merge(tenantId: string, actor: string, req: MergeRequest): Promise<MergeResult> {
    if (req.survivorId === req.mergedId) throw badInput('a customer cannot be merged into itself', 'mergedId');
    const result = await this.retrying(() => this.ds.transaction((m) => this.mergeIn(m, tenantId, actor, req)));
    await this.events.publish({
      type: CUSTOMER_MERGED,
      tenantId,
      data: { mergeId: result.merge.id, survivorId: result.survivor.id, mergedId: result.merged.id },
    });
    return result;
  }

  /** Accepting a suggestion merges its pair; by default the older customer survives. */
  async acceptSuggestion(tenantId: string, actor: string, input: { suggestionId: string; survivorId?: string | null; reason?: string | null }): Promise<MergeResult> {
    const s = await this.suggestions.get(tenantId, input.suggestionId);
    if (s.status !== 'PENDING') throw conflict(`merge suggestion ${s.id} is already ${s.status.toLowerCase()}`);
    const pair = [s.customerId, s.candidateId];
    let survivorId = input.survivorId ?? null;
    if (survivorId && !pair.includes(survivorId)) throw badInput('must be one of the two customers of the suggestion', 'survivorId');
    if (!survivorId) {
      const rows = await this.ds.manager.findBy(CustomerEntity, { tenantId, id: In(pair) });
      rows.sort((a, b) => a.createdAt.getTime() - b.createdAt.getTime() || (a.id < b.id ? -1 : 1));
      survivorId = rows[0]?.id ?? s.candidateId;
    }
    const mergedId = pair.find((id) => id !== survivorId)!;
    return this.merge(tenantId, actor, { survivorId, mergedId, reason: input.reason || `accepted suggestion: ${s.reason}`, suggestionId: s.id });
  }

  async unmerge(tenantId: string, actor: string, input: { mergeId: string; reason?: string | null }): Promise<MergeResult> {
    const result = await this.retrying(() => this.ds.transaction((m) => this.unmergeIn(m, tenantId, actor, input)));
    await this.events.publish({
      type: CUSTOMER_UNMERGED,
      tenantId,
      data: { mergeId: result.merge.id, survivorId: result.survivor.id, mergedId: result.merged.id },
    });
    return result;
  }

  private async mergeIn(m: EntityManager, tenantId: string, actor: string, req: MergeRequest): Promise<MergeResult> {
    const { survivor, merged } = await this.pair(m, tenantId, req.survivorId, req.mergedId);
    if (merged.mergedInto) throw conflict(`customer ${merged.id} is already merged into ${merged.mergedInto}`);
    if (survivor.mergedInto) throw conflict(`customer ${survivor.id} is merged into ${survivor.mergedInto}; merge into that customer instead`);
    const now = new Date();
    // Both rows are locked (by the locking read of `pair`, in key order) and claimed by conditional updates: a
    // concurrent merge, unmerge or identity link of either waits for this transaction.
    for (const c of [survivor, merged]) {
      const res = await m.update(
        CustomerEntity,
        { tenantId, id: c.id, mergedInto: IsNull() },
        c === merged ? { mergedInto: survivor.id, updatedAt: now } : { updatedAt: now },
      );
      if (!res.affected) throw conflict(`customer ${c.id} was merged concurrently; reload and retry`);
    }

    const moved: MergeMoved = { identities: [], tagsMoved: [], tagsShared: [], profile: [] };
    const identities = await m.find(ChannelIdentityEntity, { where: { tenantId, customerId: merged.id }, ...forUpdate(m) });
    if (identities.length) {
      await m.update(ChannelIdentityEntity, { tenantId, id: In(identities.map((i) => i.id)) }, { customerId: survivor.id });
      moved.identities = identities.map((i) => ({ id: i.id, kind: i.kind, channelType: i.channelType }));
    }

    const survivorTags = new Set((await m.find(CustomerTagEntity, { where: { tenantId, customerId: survivor.id }, ...forUpdate(m) })).map((t) => t.tag));
    const mergedTags = await m.find(CustomerTagEntity, { where: { tenantId, customerId: merged.id }, ...forUpdate(m) });
    const toMove = mergedTags.filter((t) => !survivorTags.has(t.tag));
    const shared = mergedTags.filter((t) => survivorTags.has(t.tag));
    if (toMove.length) await m.update(CustomerTagEntity, { tenantId, id: In(toMove.map((t) => t.id)) }, { customerId: survivor.id });
    if (shared.length) await m.delete(CustomerTagEntity, { tenantId, id: In(shared.map((t) => t.id)) });
    moved.tagsMoved = toMove.map((t) => t.tag).sort();
    moved.tagsShared = shared.map((t) => t.tag).sort();

    const patch: Partial<CustomerEntity> = {};
    if (!survivor.phoneEnc && merged.phoneEnc) {
      Object.assign(patch, { phoneEnc: merged.phoneEnc, phoneHash: merged.phoneHash });
      moved.profile.push({ field: 'phone', before: null, after: null });
    }
    if (!survivor.addressEnc && merged.addressEnc) {
      const address = this.vault.decrypt(merged.addressEnc, tenantId, 'address');
      Object.assign(patch, { addressEnc: merged.addressEnc, nameAddressHash: nameAddressHash(this.vault, tenantId, survivor.name, address) });
      moved.profile.push({ field: 'address', before: null, after: null });
    }
    const level = higherLevel(survivor.level, merged.level);
    if (level !== survivor.level) {
      patch.level = level;
      moved.profile.push({ field: 'level', before: survivor.level, after: level });
    }
    if (Object.keys(patch).length) await m.update(CustomerEntity, { tenantId, id: survivor.id }, patch);

    const merge = this.merges.create({
      id: newId(),
      tenantId,
      survivorId: survivor.id,
      mergedId: merged.id,
      reason: req.reason,
      mergedBy: actor,
      createdAt: now,
      status: 'MERGED',
      suggestionId: req.suggestionId ?? null,
      moved,
      unmergedBy: null,
      unmergedAt: null,
      unmergeReason: null,
    });
    await m.insert(CustomerMergeEntity, merge);
    if (req.suggestionId) await this.suggestions.markAccepted(m, tenantId, req.suggestionId, actor, merge.id);
    Object.assign(survivor, patch, { updatedAt: now });
    Object.assign(merged, { mergedInto: survivor.id, updatedAt: now });
    return { merge, survivor, merged };
  }

  private async unmergeIn(m: EntityManager, tenantId: string, actor: string, input: { mergeId: string; reason?: string | null }): Promise<MergeResult> {
    const merge = await m.findOne(CustomerMergeEntity, { where: { tenantId, id: input.mergeId }, ...forUpdate(m) });
    if (!merge) throw notFound('customer merge', input.mergeId);
    if (merge.status !== 'MERGED') throw conflict(`customer merge ${merge.id} was already undone`);
    const { survivor, merged } = await this.pair(m, tenantId, merge.survivorId, merge.mergedId);
    if (survivor.mergedInto) throw conflict(`customer ${survivor.id} has since been merged into ${survivor.mergedInto}; undo that merge first`);
    const now = new Date();
    for (const c of [survivor, merged]) {
      const res =
        c === merged
          ? await m.update(CustomerEntity, { tenantId, id: c.id, mergedInto: survivor.id }, { mergedInto: null, updatedAt: now })
          : await m.update(CustomerEntity, { tenantId, id: c.id, mergedInto: IsNull() }, { updatedAt: now });
      if (!res.affected) throw conflict(`customer ${c.id} was changed concurrently; reload and retry`);
    }

    const moved = merge.moved;
    const identityIds = moved.identities.map((i) => i.id);
    if (identityIds.length) await m.update(ChannelIdentityEntity, { tenantId, id: In(identityIds), customerId: survivor.id }, { customerId: merged.id });
    if (moved.tagsMoved.length) await m.update(CustomerTagEntity, { tenantId, customerId: survivor.id, tag: In(moved.tagsMoved) }, { customerId: merged.id });
    const mergedTags = new Set((await m.find(CustomerTagEntity, { where: { tenantId, customerId: merged.id }, ...forUpdate(m) })).map((t) => t.tag));
    const recreate = moved.tagsShared.filter((t) => !mergedTags.has(t));
    if (recreate.length) await m.insert(CustomerTagEntity, recreate.map((tag) => ({ id: newId(), tenantId, customerId: merged.id, tag })));

    // Profile fields go back only where the survivor still has what the merge gave it (a later edit wins).
    const fresh = (await m.findOneBy(CustomerEntity, { tenantId, id: survivor.id }))!;
    const patch: Partial<CustomerEntity> = {};
    for (const p of moved.profile) {
      if (p.field === 'phone' && fresh.phoneHash && fresh.phoneHash === merged.phoneHash) Object.assign(patch, { phoneEnc: null, phoneHash: null });
      if (p.field === 'address' && fresh.addressEnc && merged.addressEnc && this.sameAddress(tenantId, fresh.addressEnc, merged.addressEnc)) {
        Object.assign(patch, { addressEnc: null, nameAddressHash: null });
      }
      if (p.field === 'level' && fresh.level === p.after && p.before) patch.level = p.before;
    }
    if (Object.keys(patch).length) await m.update(CustomerEntity, { tenantId, id: survivor.id }, patch);

    const res = await m.update(
      CustomerMergeEntity,
      { tenantId, id: merge.id, status: 'MERGED' },
      { status: 'UNMERGED', unmergedBy: actor, unmergedAt: now, unmergeReason: input.reason ?? null },
    );
    if (!res.affected) throw conflict(`customer merge ${merge.id} was undone concurrently`);
    Object.assign(merge, { status: 'UNMERGED', unmergedBy: actor, unmergedAt: now, unmergeReason: input.reason ?? null });
    Object.assign(survivor, fresh, patch, { updatedAt: now });
    Object.assign(merged, { mergedInto: null, updatedAt: now });
    return { merge, survivor, merged };
  }

  private sameAddress(tenantId: string, a: string, b: string): boolean {
    return a === b || this.vault.decrypt(a, tenantId, 'address') === this.vault.decrypt(b, tenantId, 'address');
  }

  /** Both customers of the caller's tenant (locked), or NOT_FOUND: a merge across tenants cannot even be expressed. */
  private async pair(m: EntityManager, tenantId: string, survivorId: string, mergedId: string) {
    const rows = await m.find(CustomerEntity, { where: { tenantId, id: In([survivorId, mergedId]) }, order: { id: 'ASC' }, ...forUpdate(m) });
    const survivor = rows.find((r) => r.id === survivorId);
    const merged = rows.find((r) => r.id === mergedId);
    if (!survivor) throw notFound('customer', survivorId);
    if (!merged) throw notFound('customer', mergedId);
    return { survivor, merged };
  }

  private async retrying<T>(fn: () => Promise<T>): Promise<T> {
    for (let attempt = 1; ; attempt++) {
      try {
        return await fn();
      } catch (e) {
        if (attempt >= MAX_ATTEMPTS || !isRetryableTransactionError(e)) throw e;
        await new Promise((r) => setTimeout(r, Math.random() * 10 * 2 ** attempt));
      }
    }
  }
}

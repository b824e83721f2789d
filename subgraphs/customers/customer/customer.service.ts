import { In, IsNull, type DataSource, type EntityManager, type Repository } from 'typeorm';
import { conflict, notFound } from '../../_shared/errors.js';
import type { EventBus } from '../../_shared/events.js';
import { newId } from '../../_shared/ids.js';
import { likeContains } from '../../_shared/sql.js';
import { isUniqueViolation } from '../../_shared/db-errors.js';
import { clampFirst, decodeCursor, toPage } from '../../_shared/pagination.js';
import type { MergeSuggestionService } from '../merge/suggestion.service.js';
import type { PiiVault } from '../pii/pii.vault.js';
import { ChannelIdentityEntity, CustomerEntity, CustomerTagEntity } from './customer.entity.js';
import { CustomerSql, execute } from './customer.sql.js';
import { addressEnc, identityKey, keyString, nameAddressHash, phoneFields, type IdentityKey } from './customer.pii.js';

export interface NewCustomer {
  id?: string;
  name: string;
  level?: string | null;
  identities?: Array<{ channelType: string; externalId: string; appId?: string | null }>;
  tags?: string[] | null;
  phone?: string | null;
  address?: string | null;
}

export interface CustomerChanges {
  id: string;
  name?: string | null;
  level?: string | null;
  /** '' clears it. */
  phone?: string | null;
  /** '' clears it. */
  address?: string | null;
}

const LEVEL_RANK: Record<string, number> = { NORMAL: 0, VIP: 1, SVIP: 2 };
export const higherLevel = (a: string, b: string) => ((LEVEL_RANK[b] ?? 0) > (LEVEL_RANK[a] ?? 0) ? b : a);

/** Customers, their channel identities and tags. Every method is scoped by tenant. */
export class CustomerService {
  private readonly customers: Repository<CustomerEntity>;
  private readonly identities: Repository<ChannelIdentityEntity>;
  private readonly tags: Repository<CustomerTagEntity>;
  readonly sql: CustomerSql;

  constructor(
    private readonly ds: DataSource,
    private readonly events: EventBus,
    private readonly vault: PiiVault,
    private readonly suggestions: MergeSuggestionService,
  ) {
    this.customers = ds.getRepository(CustomerEntity);
    this.identities = ds.getRepository(ChannelIdentityEntity);
    this.tags = ds.getRepository(CustomerTagEntity);
    this.sql = new CustomerSql(ds);
  }

  /** Merged customers included: a reference to one still resolves (and shows `mergedInto`). */
  async byIds(tenantId: string, ids: readonly string[]): Promise<CustomerEntity[]> {
    if (!ids.length) return [];
    return this.customers.findBy({ tenantId, id: In([...ids]) });
  }

  async get(tenantId: string, id: string): Promise<CustomerEntity> {
    const c = await this.customers.findOneBy({ tenantId, id });
    if (!c) throw notFound('customer', id);
    return c;
  }

  /** A customer that may be changed: not merged into another (change its survivor instead). */
  async getActive(tenantId: string, id: string): Promise<CustomerEntity> {
    const c = await this.get(tenantId, id);
    if (c.mergedInto) throw conflict(`customer ${id} is merged into ${c.mergedInto}; change that customer instead`);
    return c;
  }

  /**
   * For each id, the customer it stands for now: itself, or the end of its chain of merges. Ids of another
   * tenant (or none) are absent from the map.
   */
  async survivors(tenantId: string, ids: readonly string[], m: EntityManager = this.ds.manager): Promise<Map<string, CustomerEntity>> {
    const out = new Map<string, CustomerEntity>();
    const rows = new Map<string, CustomerEntity>();
    let pending = [...new Set(ids)];
    for (let depth = 0; pending.length && depth < 16; depth++) {
      for (const c of await m.findBy(CustomerEntity, { tenantId, id: In(pending) })) rows.set(c.id, c);
      pending = [...new Set([...rows.values()].map((c) => c.mergedInto).filter((id): id is string => !!id && !rows.has(id)))];
    }
    for (const id of ids) {
      let c = rows.get(id);
      for (let hops = 0; c?.mergedInto && hops < 16; hops++) c = rows.get(c.mergedInto);
      if (c && !c.mergedInto) out.set(id, c);
    }
    return out;
  }

  /** Newest first; merged customers are not listed. `search` matches the name. */
  async list(tenantId: string, opts: { first?: number | null; after?: string | null; search?: string | null }) {
    const first = clampFirst(opts.first);
    const after = decodeCursor(opts.after);
    const qb = this.customers.createQueryBuilder('c').where('c.tenant_id = :tenantId AND c.merged_into IS NULL', { tenantId });
    if (opts.search) qb.andWhere("c.name LIKE :s ESCAPE '!'", { s: likeContains(opts.search) });
    if (after) qb.andWhere('(c.created_at < :at OR (c.created_at = :at AND c.id < :id))', { at: after.at, id: after.id });
    const rows = await qb.orderBy('c.created_at', 'DESC').addOrderBy('c.id', 'DESC').take(first + 1).getMany();
    return toPage(rows, first, (r) => r.createdAt);
  }

  async identitiesOf(tenantId: string, customerIds: readonly string[]): Promise<ChannelIdentityEntity[]> {
    if (!customerIds.length) return [];
    return this.identities.find({ where: { tenantId, customerId: In([...customerIds]) }, order: { createdAt: 'ASC', id: 'ASC' } });
  }

  async tagsOf(tenantId: string, customerIds: readonly string[]): Promise<CustomerTagEntity[]> {
    if (!customerIds.length) return [];
    return this.tags.find({ where: { tenantId, customerId: In([...customerIds]) }, order: { tag: 'ASC' } });
  }

  async create(tenantId: string, input: NewCustomer): Promise<CustomerEntity> {
    const now = new Date();
    const id = input.id ?? newId();
    const keys = dedupeKeys((input.identities ?? []).map((i, n) => identityKey(this.vault, tenantId, i, `identities.${n}.externalId`)));
    const phone = input.phone ? phoneFields(this.vault, tenantId, input.phone) : null;
    const c = this.customers.create({
      id,
      tenantId,
      name: input.name,
      level: input.level ?? 'NORMAL',
      phoneEnc: phone?.phoneEnc ?? null,
      phoneHash: phone?.phoneHash ?? null,
      addressEnc: input.address ? addressEnc(this.vault, tenantId, input.address) : null,
      nameAddressHash: input.address ? nameAddressHash(this.vault, tenantId, input.name, input.address) : null,
      mergedInto: null,
      createdAt: now,
      updatedAt: now,
    });
    await this.ds.transaction(async (m) => {
      await m.insert(CustomerEntity, c);
      if (keys.length) {
        const taken = await m.find(ChannelIdentityEntity, { where: keys.map((k) => ({ tenantId, kind: k.kind, appId: k.appId, externalId: k.externalId })) });
        if (taken.length) throw conflict(`identity ${taken[0].channelType} is already linked to customer ${taken[0].customerId}`);
        try {
          await m.insert(ChannelIdentityEntity, identityRows(tenantId, id, keys, now));
        } catch (e) {
          if (isUniqueViolation(e)) throw conflict('an identity was linked to another customer concurrently');
          throw e;
        }
      }
      const tags = [...new Set(input.tags ?? [])];
      if (tags.length) await m.insert(CustomerTagEntity, tags.map((tag) => ({ id: newId(), tenantId, customerId: id, tag })));
    });
    await this.events.publish({ type: 'customer.created', tenantId, data: { customerId: id } });
    await this.suggestions.suggestFor(tenantId, id, { phoneHash: c.phoneHash, nameAddressHash: c.nameAddressHash });
    return c;
  }

  async update(tenantId: string, input: CustomerChanges): Promise<CustomerEntity> {
    const c = await this.getActive(tenantId, input.id);
    const patch: Partial<CustomerEntity> = {};
    if (input.name != null) patch.name = input.name;
    if (input.level != null) patch.level = input.level;
    if (input.phone != null) {
      const p = input.phone === '' ? null : phoneFields(this.vault, tenantId, input.phone);
      patch.phoneEnc = p?.phoneEnc ?? null;
      patch.phoneHash = p?.phoneHash ?? null;
    }
    if (input.address != null) patch.addressEnc = input.address === '' ? null : addressEnc(this.vault, tenantId, input.address);
    const name = patch.name ?? c.name;
    if (patch.name !== undefined || patch.addressEnc !== undefined) {
      const address = input.address != null ? input.address : c.addressEnc ? this.vault.decrypt(c.addressEnc, tenantId, 'address') : '';
      patch.nameAddressHash = address ? nameAddressHash(this.vault, tenantId, name, address) : null;
    }
    patch.updatedAt = new Date();
    const res = await this.customers.update({ tenantId, id: c.id, mergedInto: IsNull() }, patch);
    if (!res.affected) throw conflict(`customer ${c.id} was merged concurrently; change its survivor instead`);
    Object.assign(c, patch);
    const changedPhone = patch.phoneHash ?? null;
    const changedNameAddress = patch.nameAddressHash ?? null;
    if (changedPhone || changedNameAddress) await this.suggestions.suggestFor(tenantId, c.id, { phoneHash: changedPhone, nameAddressHash: changedNameAddress });
    return c;
  }

  async tag(tenantId: string, customerId: string, add: string[] = [], remove: string[] = []): Promise<CustomerEntity> {
    const c = await this.getActive(tenantId, customerId);
    await this.ds.transaction(async (m) => {
      if (remove.length) await m.delete(CustomerTagEntity, { tenantId, customerId, tag: In(remove) });
      const existing = new Set((await m.findBy(CustomerTagEntity, { tenantId, customerId })).map((t) => t.tag));
      const fresh = [...new Set(add)].filter((t) => !existing.has(t));
      if (fresh.length) await m.insert(CustomerTagEntity, fresh.map((tag) => ({ id: newId(), tenantId, customerId, tag })));
    });
    return c;
  }

  async linkIdentity(tenantId: string, input: { customerId: string; channelType: string; externalId: string; appId?: string | null }): Promise<CustomerEntity> {
    const c = await this.getActive(tenantId, input.customerId);
    const key = identityKey(this.vault, tenantId, input);
    const taken = await this.identities.findOneBy({ tenantId, kind: key.kind, appId: key.appId, externalId: key.externalId });
    if (taken && taken.customerId !== c.id) throw conflict(`identity ${input.channelType} is already linked to customer ${taken.customerId}`);
    if (!taken) {
      try {
        await this.attach(tenantId, c.id, [key]);
      } catch (e) {
        if (isUniqueViolation(e)) throw conflict(`identity ${input.channelType} was linked concurrently`);
        throw e;
      }
    }
    return c;
  }

  /**
   * Links identities to a customer that is not merged (see CustomerSql.attachIdentities), after filling the
   * profile fields in `extra` on the same condition. Returns false when the customer was merged meanwhile (then
   * resolve again: its survivor takes the identities). A unique violation (linked elsewhere first) is thrown.
   */
  async attach(tenantId: string, customerId: string, keys: IdentityKey[], extra: Partial<CustomerEntity> = {}): Promise<boolean> {
    if (Object.keys(extra).length) {
      const res = await this.customers.update({ tenantId, id: customerId, mergedInto: IsNull() }, { ...extra, updatedAt: new Date() });
      if (!res.affected) return false;
    }
    if (!keys.length) return true;
    const rows = identityRows(tenantId, customerId, keys, new Date());
    const [sql, params] = this.sql.attachIdentities(tenantId, customerId, rows);
    return (await execute(this.ds, sql, params)) === rows.length;
  }
}

/** Same kind, app and id twice in one input is one identity. */
export function dedupeKeys(keys: IdentityKey[]): IdentityKey[] {
  const seen = new Map<string, IdentityKey>();
  for (const k of keys) if (!seen.has(keyString(k))) seen.set(keyString(k), k);
  // A fixed insert order keeps two transactions inserting overlapping keys from deadlocking each other.
  return [...seen.values()].sort((a, b) => (keyString(a) < keyString(b) ? -1 : 1));
}

export function identityRows(tenantId: string, customerId: string, keys: IdentityKey[], at: Date): ChannelIdentityEntity[] {
  return dedupeKeys(keys).map((k) => ({ id: newId(), tenantId, customerId, channelType: k.channelType, kind: k.kind, appId: k.appId, externalId: k.externalId, valueEnc: k.valueEnc, createdAt: at }));
}

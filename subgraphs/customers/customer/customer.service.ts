import { In, type DataSource, type Repository } from 'typeorm';
import { conflict, notFound } from '../../_shared/errors.js';
import type { EventBus } from '../../_shared/events.js';
import { newId } from '../../_shared/ids.js';
import { likeContains } from '../../_shared/sql.js';
import { isUniqueViolation } from '../../_shared/db-errors.js';
import { clampFirst, decodeCursor, toPage } from '../../_shared/pagination.js';
import { ChannelIdentityEntity, CustomerEntity, CustomerTagEntity } from './customer.entity.js';

export interface NewCustomer {
  id?: string;
  name: string;
  level?: string;
  identities?: Array<{ channelType: string; externalId: string }>;
  tags?: string[];
}

/** Customers, their channel identities and tags. Every method is scoped by tenant. */
export class CustomerService {
  private readonly customers: Repository<CustomerEntity>;
  private readonly identities: Repository<ChannelIdentityEntity>;
  private readonly tags: Repository<CustomerTagEntity>;

  constructor(private readonly ds: DataSource, private readonly events: EventBus) {
    this.customers = ds.getRepository(CustomerEntity);
    this.identities = ds.getRepository(ChannelIdentityEntity);
    this.tags = ds.getRepository(CustomerTagEntity);
  }

  async byIds(tenantId: string, ids: readonly string[]): Promise<CustomerEntity[]> {
    if (!ids.length) return [];
    return this.customers.findBy({ tenantId, id: In([...ids]) });
  }

  async get(tenantId: string, id: string): Promise<CustomerEntity> {
    const c = await this.customers.findOneBy({ tenantId, id });
    if (!c) throw notFound('customer', id);
    return c;
  }

  async list(tenantId: string, opts: { first?: number | null; after?: string | null; search?: string | null }) {
    const first = clampFirst(opts.first);
    const after = decodeCursor(opts.after);
    const qb = this.customers.createQueryBuilder('c').where('c.tenant_id = :tenantId', { tenantId });
    if (opts.search) qb.andWhere("c.name LIKE :s ESCAPE '!'", { s: likeContains(opts.search) });
    if (after) qb.andWhere('(c.created_at < :at OR (c.created_at = :at AND c.id < :id))', { at: after.at, id: after.id });
    const rows = await qb.orderBy('c.created_at', 'DESC').addOrderBy('c.id', 'DESC').take(first + 1).getMany();
    return toPage(rows, first, (r) => r.createdAt);
  }

  async identitiesOf(tenantId: string, customerIds: readonly string[]): Promise<ChannelIdentityEntity[]> {
    if (!customerIds.length) return [];
    return this.identities.find({ where: { tenantId, customerId: In([...customerIds]) }, order: { createdAt: 'ASC' } });
  }

  async tagsOf(tenantId: string, customerIds: readonly string[]): Promise<CustomerTagEntity[]> {
    if (!customerIds.length) return [];
    return this.tags.find({ where: { tenantId, customerId: In([...customerIds]) }, order: { tag: 'ASC' } });
  }

  async create(tenantId: string, input: NewCustomer): Promise<CustomerEntity> {
    const now = new Date();
    const customer = await this.ds.transaction(async (m) => {
      const c = m.create(CustomerEntity, { id: input.id ?? newId(), tenantId, name: input.name, level: input.level ?? 'NORMAL', createdAt: now, updatedAt: now });
      await m.insert(CustomerEntity, c);
      for (const i of input.identities ?? []) {
        const taken = await m.findOneBy(ChannelIdentityEntity, { tenantId, channelType: i.channelType, externalId: i.externalId });
        if (taken) throw conflict(`identity ${i.channelType}:${i.externalId} already belongs to customer ${taken.customerId}`);
        await m.insert(ChannelIdentityEntity, { id: newId(), tenantId, customerId: c.id, channelType: i.channelType, externalId: i.externalId, createdAt: now });
      }
      for (const tag of new Set(input.tags ?? [])) await m.insert(CustomerTagEntity, { id: newId(), tenantId, customerId: c.id, tag });
      return c;
    });
    await this.events.publish({ type: 'customer.created', tenantId, data: { customerId: customer.id } });
    return customer;
  }

  async update(tenantId: string, input: { id: string; name?: string | null; level?: string | null }): Promise<CustomerEntity> {
    const c = await this.get(tenantId, input.id);
    if (input.name != null) c.name = input.name;
    if (input.level != null) c.level = input.level;
    c.updatedAt = new Date();
    await this.customers.update({ tenantId, id: c.id }, { name: c.name, level: c.level, updatedAt: c.updatedAt });
    return c;
  }

  async tag(tenantId: string, customerId: string, add: string[] = [], remove: string[] = []): Promise<CustomerEntity> {
    const c = await this.get(tenantId, customerId);
    await this.ds.transaction(async (m) => {
      if (remove.length) await m.delete(CustomerTagEntity, { tenantId, customerId, tag: In(remove) });
      const existing = new Set((await m.findBy(CustomerTagEntity, { tenantId, customerId })).map((t) => t.tag));
      for (const tag of new Set(add)) if (!existing.has(tag)) await m.insert(CustomerTagEntity, { id: newId(), tenantId, customerId, tag });
    });
    return c;
  }

  async linkIdentity(tenantId: string, input: { customerId: string; channelType: string; externalId: string }): Promise<CustomerEntity> {
    const c = await this.get(tenantId, input.customerId);
    const taken = await this.identities.findOneBy({ tenantId, channelType: input.channelType, externalId: input.externalId });
    if (taken && taken.customerId !== c.id) throw conflict(`identity ${input.channelType}:${input.externalId} already belongs to customer ${taken.customerId}`);
    if (!taken) {
      try {
        await this.identities.insert({ id: newId(), tenantId, customerId: c.id, channelType: input.channelType, externalId: input.externalId, createdAt: new Date() });
      } catch (e) {
        if (isUniqueViolation(e)) throw conflict(`identity ${input.channelType}:${input.externalId} was linked concurrently`);
        throw e;
      }
    }
    return c;
  }
}

import { In, type DataSource, type Repository } from 'typeorm';
import { notFound } from '../../_shared/errors.js';
import { newId } from '../../_shared/ids.js';
import { ChannelEntity } from './channel.entity.js';

export interface NewChannel {
  id?: string;
  type: string;
  name: string;
  enabled?: boolean | null;
  /** Already validated by the channel type's plugin, secrets sealed (ChannelAdminService). */
  config?: Record<string, unknown> | null;
  /** The partner that registers it (registerPartnerChannel). */
  ownerId?: string | null;
}

/**
 * Which of the tenant's channels a caller reaches: all of them, or (a partner) only those it owns. A channel
 * outside the scope is NOT_FOUND, exactly like another tenant's, so a partner learns nothing about the others.
 */
export interface ChannelScope {
  ownerId?: string;
}

/** The tenant's channels: the registry webhooks and plugins hang on (validation lives in ChannelAdminService). */
export class ChannelService {
  private readonly repo: Repository<ChannelEntity>;

  constructor(ds: DataSource) {
    this.repo = ds.getRepository(ChannelEntity);
  }

  async byIds(tenantId: string, ids: readonly string[]): Promise<ChannelEntity[]> {
    if (!ids.length) return [];
    return this.repo.findBy({ tenantId, id: In([...ids]) });
  }

  async get(tenantId: string, id: string, scope: ChannelScope = {}): Promise<ChannelEntity> {
    const c = await this.find(tenantId, id, scope);
    if (!c) throw notFound('channel', id);
    return c;
  }

  find(tenantId: string, id: string, scope: ChannelScope = {}): Promise<ChannelEntity | null> {
    return this.repo.findOneBy({ tenantId, id, ...(scope.ownerId !== undefined ? { ownerId: scope.ownerId } : {}) });
  }

  /**
   * The one lookup without a tenant: a webhook only knows the channel id in its URL, and the channel tells
   * the tenant. Nothing from it goes back to the caller.
   */
  forWebhook(id: string): Promise<ChannelEntity | null> {
    return this.repo.findOneBy({ id });
  }

  list(tenantId: string, scope: ChannelScope = {}): Promise<ChannelEntity[]> {
    return this.repo.find({ where: { tenantId, ...(scope.ownerId !== undefined ? { ownerId: scope.ownerId } : {}) }, order: { type: 'ASC', name: 'ASC', id: 'ASC' } });
  }

  async create(tenantId: string, input: NewChannel): Promise<ChannelEntity> {
    const c = this.repo.create({
      id: input.id ?? newId(), tenantId, type: input.type, name: input.name, enabled: input.enabled ?? true, config: (input.config as ChannelEntity['config']) ?? null,
      ownerId: input.ownerId ?? null, createdAt: new Date(),
    });
    await this.repo.insert(c);
    return c;
  }

  async update(tenantId: string, id: string, patch: { name?: string; enabled?: boolean; config?: Record<string, unknown> | null }, scope: ChannelScope = {}): Promise<ChannelEntity> {
    const c = await this.get(tenantId, id, scope);
    const set: Partial<ChannelEntity> = {};
    if (patch.name !== undefined) set.name = patch.name;
    if (patch.enabled !== undefined) set.enabled = patch.enabled;
    if (patch.config !== undefined) set.config = patch.config as ChannelEntity['config'];
    if (Object.keys(set).length) await this.repo.update({ tenantId, id }, set);
    return { ...c, ...set };
  }
}

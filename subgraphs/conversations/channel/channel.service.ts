import { In, type DataSource, type Repository } from 'typeorm';
import { notFound } from '../../_shared/errors.js';
import { newId } from '../../_shared/ids.js';
import { ChannelEntity } from './channel.entity.js';

export interface NewChannel {
  id?: string;
  type: string;
  name: string;
  enabled?: boolean | null;
  /** Already validated by the channel type's plugin (ChannelAdminService). */
  config?: Record<string, unknown> | null;
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

  async get(tenantId: string, id: string): Promise<ChannelEntity> {
    const c = await this.repo.findOneBy({ tenantId, id });
    if (!c) throw notFound('channel', id);
    return c;
  }

  /**
   * The one lookup without a tenant: a webhook only knows the channel id in its URL, and the channel tells
   * the tenant. Nothing from it goes back to the caller.
   */
  forWebhook(id: string): Promise<ChannelEntity | null> {
    return this.repo.findOneBy({ id });
  }

  list(tenantId: string): Promise<ChannelEntity[]> {
    return this.repo.find({ where: { tenantId }, order: { type: 'ASC', name: 'ASC', id: 'ASC' } });
  }

  async create(tenantId: string, input: NewChannel): Promise<ChannelEntity> {
    const c = this.repo.create({
      id: input.id ?? newId(), tenantId, type: input.type, name: input.name, enabled: input.enabled ?? true, config: (input.config as ChannelEntity['config']) ?? null, createdAt: new Date(),
    });
    await this.repo.insert(c);
    return c;
  }

  async update(tenantId: string, id: string, patch: { name?: string; enabled?: boolean; config?: Record<string, unknown> | null }): Promise<ChannelEntity> {
    const c = await this.get(tenantId, id);
    const set: Partial<ChannelEntity> = {};
    if (patch.name !== undefined) set.name = patch.name;
    if (patch.enabled !== undefined) set.enabled = patch.enabled;
    if (patch.config !== undefined) set.config = patch.config as ChannelEntity['config'];
    if (Object.keys(set).length) await this.repo.update({ tenantId, id }, set);
    return { ...c, ...set };
  }
}

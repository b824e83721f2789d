import { In, type DataSource, type Repository } from 'typeorm';
import { newId } from '../../_shared/ids.js';
import { ChannelEntity } from './channel.entity.js';

export interface NewChannel {
  id?: string;
  type: string;
  name: string;
  enabled?: boolean | null;
}

/** The tenant's channels. Plugins and webhooks come later; this is the registry they will hang on. */
export class ChannelService {
  private readonly repo: Repository<ChannelEntity>;

  constructor(ds: DataSource) {
    this.repo = ds.getRepository(ChannelEntity);
  }

  async byIds(tenantId: string, ids: readonly string[]): Promise<ChannelEntity[]> {
    if (!ids.length) return [];
    return this.repo.findBy({ tenantId, id: In([...ids]) });
  }

  list(tenantId: string): Promise<ChannelEntity[]> {
    return this.repo.find({ where: { tenantId }, order: { type: 'ASC', name: 'ASC', id: 'ASC' } });
  }

  async create(tenantId: string, input: NewChannel): Promise<ChannelEntity> {
    const c = this.repo.create({ id: input.id ?? newId(), tenantId, type: input.type, name: input.name, enabled: input.enabled ?? true, createdAt: new Date() });
    await this.repo.insert(c);
    return c;
  }
}

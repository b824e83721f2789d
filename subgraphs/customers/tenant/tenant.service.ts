import type { DataSource, Repository } from 'typeorm';
import { TenantEntity } from './tenant.entity.js';

export class TenantService {
  private readonly repo: Repository<TenantEntity>;
  constructor(ds: DataSource) {
    this.repo = ds.getRepository(TenantEntity);
  }

  get(id: string): Promise<TenantEntity | null> {
    return this.repo.findOneBy({ id });
  }

  /** Idempotent: used by seeding and by tenant provisioning. */
  async ensure(id: string, name: string): Promise<TenantEntity> {
    const existing = await this.get(id);
    if (existing) return existing;
    const t = this.repo.create({ id, name, createdAt: new Date() });
    await this.repo.insert(t);
    return t;
  }
}

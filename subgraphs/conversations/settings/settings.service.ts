import type { DataSource, EntityManager, Repository } from 'typeorm';
import { isUniqueViolation } from '../../_shared/db-errors.js';
import { newId } from '../../_shared/ids.js';
import { ConversationSettingsEntity } from './settings.entity.js';

export interface ConversationSettings {
  reopenWindowHours: number;
  /** False while the tenant runs on the deployment's defaults. */
  customized: boolean;
}

/** Per-tenant conversation rules over deployment defaults. */
export class ConversationSettingsService {
  private readonly repo: Repository<ConversationSettingsEntity>;

  constructor(ds: DataSource, private readonly defaults: { reopenWindowHours: number }) {
    this.repo = ds.getRepository(ConversationSettingsEntity);
  }

  /** Pass the transaction's manager when reading inside one. */
  async get(tenantId: string, m?: EntityManager): Promise<ConversationSettings> {
    const row = await (m ? m.getRepository(ConversationSettingsEntity) : this.repo).findOneBy({ tenantId });
    return row ? { reopenWindowHours: row.reopenWindowHours, customized: true } : { reopenWindowHours: this.defaults.reopenWindowHours, customized: false };
  }

  async update(tenantId: string, patch: { reopenWindowHours: number }): Promise<ConversationSettings> {
    const now = new Date();
    const updated = await this.repo.update({ tenantId }, { reopenWindowHours: patch.reopenWindowHours, updatedAt: now });
    if (!updated.affected) {
      try {
        await this.repo.insert({ id: newId(), tenantId, reopenWindowHours: patch.reopenWindowHours, updatedAt: now });
      } catch (e) {
        if (!isUniqueViolation(e)) throw e;
        await this.repo.update({ tenantId }, { reopenWindowHours: patch.reopenWindowHours, updatedAt: now }); // lost the insert race
      }
    }
    return this.get(tenantId);
  }
}

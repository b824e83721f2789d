import type { DataSource, Repository } from 'typeorm';
import { badInput, notFound } from '../../_shared/errors.js';
import type { EventBus } from '../../_shared/events.js';
import { newId } from '../../_shared/ids.js';
import type { KnowledgeChangeSink } from '../knowledge.changes.js';
import { DEFAULT_SYNONYM_GROUPS } from '../search/synonyms.js';
import { SynonymGroupEntity } from './synonym.entity.js';

export interface SynonymGroupView {
  id: string;
  terms: string[];
  builtIn: boolean;
}

export const MAX_TENANT_GROUPS = 500;

/** A tenant's synonym groups. A change reaches every replica's index (which applies synonyms at query time). */
export class SynonymService {
  private readonly repo: Repository<SynonymGroupEntity>;

  constructor(
    ds: DataSource,
    private readonly events: EventBus,
    private readonly sink: KnowledgeChangeSink,
  ) {
    this.repo = ds.getRepository(SynonymGroupEntity);
  }

  /** The tenant's groups (oldest first), then the built-in ones. */
  async list(tenantId: string): Promise<SynonymGroupView[]> {
    const own = await this.repo.find({ where: { tenantId }, order: { createdAt: 'ASC', id: 'ASC' } });
    return [
      ...own.map((g) => ({ id: g.id, terms: g.terms, builtIn: false })),
      ...DEFAULT_SYNONYM_GROUPS.map((terms, i) => ({ id: `builtin:${i}`, terms: [...terms], builtIn: true })),
    ];
  }

  async create(tenantId: string, terms: string[], authorId: string): Promise<SynonymGroupView> {
    const clean = [...new Set(terms.map((t) => t.trim()).filter(Boolean))];
    if (clean.length < 2) throw badInput('a synonym group needs at least two different words', 'terms');
    if ((await this.repo.countBy({ tenantId })) >= MAX_TENANT_GROUPS) throw badInput(`at most ${MAX_TENANT_GROUPS} synonym groups per tenant`, 'terms');
    const g = this.repo.create({ id: newId(), tenantId, terms: clean, createdBy: authorId, createdAt: new Date() });
    await this.repo.insert(g);
    await this.changed(tenantId, g.id, 'created');
    return { id: g.id, terms: g.terms, builtIn: false };
  }

  async delete(tenantId: string, groupId: string): Promise<string> {
    const g = await this.repo.findOneBy({ tenantId, id: groupId });
    if (!g) throw notFound('synonym group', groupId);
    await this.repo.delete({ tenantId, id: g.id });
    await this.changed(tenantId, g.id, 'deleted');
    return g.id;
  }

  private async changed(tenantId: string, groupId: string, change: 'created' | 'deleted'): Promise<void> {
    await this.events.publish({ type: 'knowledge.synonyms_changed', tenantId, data: { groupId, change } });
    await this.sink.synonymsChanged(tenantId);
  }
}

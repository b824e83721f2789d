import { In, MoreThan, MoreThanOrEqual, Not, type DataSource } from 'typeorm';
import { ArticleEntity, ArticleVersionEntity } from '../article/article.entity.js';
import { FaqEntity, FaqQuestionEntity } from '../faq/faq.entity.js';
import type { KnowledgeKind } from '../knowledge.changes.js';
import { SynonymGroupEntity } from '../synonym/synonym.entity.js';
import type { SearchDoc } from './search.engine.js';

/**
 * Reads what the search index holds from the knowledge subgraph's own tables: an article's head with its
 * current version, an FAQ with its phrasings. Tenant-scoped like every query.
 */
export class KnowledgeDocuments {
  constructor(private readonly ds: DataSource) {}

  /** Every article and FAQ that is not archived, in batches (keyset by id, so memory stays flat). */
  async *all(tenantId: string, batch = 500): AsyncGenerator<SearchDoc[]> {
    for (const kind of ['ARTICLE', 'FAQ'] as const) {
      let after = '';
      for (;;) {
        const where = { tenantId, status: Not('ARCHIVED'), id: MoreThan(after) };
        const heads =
          kind === 'ARTICLE'
            ? await this.ds.getRepository(ArticleEntity).find({ where, order: { id: 'ASC' }, take: batch })
            : await this.ds.getRepository(FaqEntity).find({ where, order: { id: 'ASC' }, take: batch });
        if (!heads.length) break;
        yield kind === 'ARTICLE' ? this.articleDocs(tenantId, heads as ArticleEntity[]) : this.faqDocs(tenantId, heads as FaqEntity[]);
        after = heads[heads.length - 1].id;
        if (heads.length < batch) break;
      }
    }
  }

  /** The documents for these ids as they are now; ids without a row (or archived) come back in `gone`. */
  async byIds(tenantId: string, kind: KnowledgeKind, ids: readonly string[]): Promise<{ docs: SearchDoc[]; gone: string[] }> {
    if (!ids.length) return { docs: [], gone: [] };
    const where = { tenantId, id: In([...ids]) };
    const docs =
      kind === 'ARTICLE'
        ? await this.articleDocs(tenantId, await this.ds.getRepository(ArticleEntity).findBy(where))
        : await this.faqDocs(tenantId, await this.ds.getRepository(FaqEntity).findBy(where));
    const live = new Set(docs.filter((d) => d.status !== 'ARCHIVED').map((d) => d.id));
    return { docs: docs.filter((d) => live.has(d.id)), gone: ids.filter((id) => !live.has(id)) };
  }

  /** Ids of the articles and FAQs changed at or after the instant (archived ones included). */
  async changedSince(tenantId: string, since: Date): Promise<Record<KnowledgeKind, string[]>> {
    const opts = { where: { tenantId, updatedAt: MoreThanOrEqual(since) }, select: { id: true } } as const;
    const [articles, faqs] = await Promise.all([this.ds.getRepository(ArticleEntity).find(opts), this.ds.getRepository(FaqEntity).find(opts)]);
    return { ARTICLE: articles.map((a) => a.id), FAQ: faqs.map((f) => f.id) };
  }

  async synonymGroups(tenantId: string): Promise<string[][]> {
    const rows = await this.ds.getRepository(SynonymGroupEntity).find({ where: { tenantId }, order: { createdAt: 'ASC', id: 'ASC' } });
    return rows.map((r) => r.terms);
  }

  private async articleDocs(tenantId: string, heads: ArticleEntity[]): Promise<SearchDoc[]> {
    if (!heads.length) return [];
    const versions = await this.ds
      .getRepository(ArticleVersionEntity)
      .createQueryBuilder('v')
      .innerJoin(ArticleEntity, 'a', 'a.id = v.article_id AND a.current_version = v.version AND a.tenant_id = v.tenant_id')
      .where('v.tenant_id = :tenantId AND a.id IN (:...ids)', { tenantId, ids: heads.map((h) => h.id) })
      .getMany();
    const body = new Map(versions.map((v) => [v.articleId, v.body]));
    return heads.map((a) => ({
      kind: 'ARTICLE',
      id: a.id,
      title: a.title,
      questions: [],
      body: body.get(a.id) ?? '',
      tags: a.tags ?? [],
      status: a.status,
      validFrom: a.validFrom,
      validTo: a.validTo,
      stale: a.stale,
      updatedAt: a.updatedAt,
    }));
  }

  private async faqDocs(tenantId: string, heads: FaqEntity[]): Promise<SearchDoc[]> {
    if (!heads.length) return [];
    const questions = await this.ds
      .getRepository(FaqQuestionEntity)
      .find({ where: { tenantId, faqId: In(heads.map((h) => h.id)) }, order: { position: 'ASC' } });
    const byFaq = new Map<string, string[]>();
    for (const q of questions) {
      const list = byFaq.get(q.faqId);
      if (list) list.push(q.question);
      else byFaq.set(q.faqId, [q.question]);
    }
    return heads.map((f) => {
      const qs = byFaq.get(f.id) ?? [];
      return {
        kind: 'FAQ',
        id: f.id,
        title: qs[0] ?? '',
        questions: qs,
        body: f.answer,
        tags: f.tags ?? [],
        status: f.status,
        validFrom: f.validFrom,
        validTo: f.validTo,
        stale: false,
        updatedAt: f.updatedAt,
      };
    });
  }
}

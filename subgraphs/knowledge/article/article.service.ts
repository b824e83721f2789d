import { In, type DataSource, type Repository } from 'typeorm';
import { isUniqueViolation } from '../../_shared/db-errors.js';
import { badInput, conflict, notFound } from '../../_shared/errors.js';
import type { EventBus } from '../../_shared/events.js';
import { newId } from '../../_shared/ids.js';
import { clampFirst, decodeCursor, toPage } from '../../_shared/pagination.js';
import type { CategoryService } from '../category/category.service.js';
import { ArticleEntity, ArticleVersionEntity } from './article.entity.js';
import { likeContains } from '../../_shared/sql.js';
import { ARTICLE_STATUSES, isArticleStatus } from './article.type.js';

export interface NewArticle {
  id?: string;
  title: string;
  body: string;
  categoryId?: string | null;
}

type Change = 'created' | 'updated' | 'rolled_back';

export const SEARCH_LIMIT = 20;

/** Versioned articles. Every method is scoped by tenant; every edit appends a version. */
export class ArticleService {
  private readonly articles: Repository<ArticleEntity>;
  private readonly versions: Repository<ArticleVersionEntity>;

  constructor(
    private readonly ds: DataSource,
    private readonly events: EventBus,
    private readonly categories: CategoryService,
  ) {
    this.articles = ds.getRepository(ArticleEntity);
    this.versions = ds.getRepository(ArticleVersionEntity);
  }

  async byIds(tenantId: string, ids: readonly string[]): Promise<ArticleEntity[]> {
    if (!ids.length) return [];
    return this.articles.findBy({ tenantId, id: In([...ids]) });
  }

  async get(tenantId: string, id: string): Promise<ArticleEntity> {
    const a = await this.articles.findOneBy({ tenantId, id });
    if (!a) throw notFound('article', id);
    return a;
  }

  /** Newest first, optionally one status or one category. */
  async list(tenantId: string, opts: { first?: number | null; after?: string | null; status?: string | null; categoryId?: string | null }) {
    const first = clampFirst(opts.first);
    const after = decodeCursor(opts.after);
    if (opts.status != null && !isArticleStatus(opts.status)) throw badInput(`status must be one of ${ARTICLE_STATUSES.join(', ')}`, 'status');
    const qb = this.articles.createQueryBuilder('a').where('a.tenant_id = :tenantId', { tenantId });
    if (opts.status != null) qb.andWhere('a.status = :status', { status: opts.status });
    if (opts.categoryId != null) qb.andWhere('a.category_id = :categoryId', { categoryId: opts.categoryId });
    if (after) qb.andWhere('(a.created_at < :at OR (a.created_at = :at AND a.id < :id))', { at: after.at, id: after.id });
    const rows = await qb.orderBy('a.created_at', 'DESC').addOrderBy('a.id', 'DESC').take(first + 1).getMany();
    return toPage(rows, first, (r) => r.createdAt);
  }

  /**
   * Published articles whose current title or body contains the text, most recently updated first.
   * A plain LIKE: enough for a demo tenant, not a search engine (no ranking, no word segmentation).
   */
  async search(tenantId: string, query: string): Promise<ArticleEntity[]> {
    const q = query.trim();
    if (q.length < 1 || q.length > 100) throw badInput('query must be 1 to 100 characters', 'query');
    return this.articles
      .createQueryBuilder('a')
      .innerJoin(ArticleVersionEntity, 'v', 'v.article_id = a.id AND v.version = a.current_version AND v.tenant_id = a.tenant_id')
      .where('a.tenant_id = :tenantId AND a.status = :published', { tenantId, published: 'PUBLISHED' })
      .andWhere("(a.title LIKE :q ESCAPE '!' OR v.body LIKE :q ESCAPE '!')", { q: likeContains(q) })
      .orderBy('a.updated_at', 'DESC')
      .addOrderBy('a.id', 'DESC')
      .take(SEARCH_LIMIT)
      .getMany();
  }

  /** Every version of the articles, newest first. */
  async versionsOf(tenantId: string, articleIds: readonly string[]): Promise<ArticleVersionEntity[]> {
    if (!articleIds.length) return [];
    return this.versions.find({ where: { tenantId, articleId: In([...articleIds]) }, order: { version: 'DESC' } });
  }

  /** Specific (article, version) pairs, e.g. each article's current one. */
  async versionsAt(tenantId: string, keys: ReadonlyArray<{ articleId: string; version: number }>): Promise<ArticleVersionEntity[]> {
    if (!keys.length) return [];
    return this.versions.find({ where: keys.map((k) => ({ tenantId, articleId: k.articleId, version: k.version })) });
  }

  /** A DRAFT at version 1. NOT_FOUND for a category outside the tenant. */
  async create(tenantId: string, input: NewArticle, authorId: string): Promise<ArticleEntity> {
    const categoryId = input.categoryId ? (await this.categories.get(tenantId, input.categoryId)).id : null;
    const now = new Date();
    const a = this.articles.create({ id: input.id ?? newId(), tenantId, categoryId, title: input.title, status: 'DRAFT', currentVersion: 1, createdAt: now, updatedAt: now });
    await this.ds.transaction(async (m) => {
      await m.insert(ArticleEntity, a);
      await m.insert(ArticleVersionEntity, { id: newId(), tenantId, articleId: a.id, version: 1, title: a.title, body: input.body, authorId, createdAt: now });
    });
    await this.changed(a, 'created');
    return a;
  }

  /** A new current version; the title is kept when not given. The status does not change. */
  async update(tenantId: string, input: { articleId: string; title?: string | null; body: string }, authorId: string): Promise<ArticleEntity> {
    const a = await this.get(tenantId, input.articleId);
    return this.appendVersion(a, { title: input.title ?? a.title, body: input.body }, authorId, 'updated');
  }

  /** Copies an old version into a new current one, so history is never rewritten. */
  async rollback(tenantId: string, input: { articleId: string; version: number }, authorId: string): Promise<ArticleEntity> {
    const a = await this.get(tenantId, input.articleId);
    const old = await this.versions.findOneBy({ tenantId, articleId: a.id, version: input.version });
    if (!old) throw notFound('article version', `${a.id}@${input.version}`);
    if (old.version === a.currentVersion) throw badInput(`version ${old.version} is already the current version`, 'version');
    return this.appendVersion(a, { title: old.title, body: old.body }, authorId, 'rolled_back');
  }

  /** Idempotent: publishing a published article changes nothing and publishes no event. */
  async publish(tenantId: string, articleId: string): Promise<ArticleEntity> {
    const a = await this.get(tenantId, articleId);
    if (a.status === 'PUBLISHED') return a;
    const now = new Date();
    const res = await this.articles.update({ tenantId, id: a.id, status: a.status }, { status: 'PUBLISHED', updatedAt: now });
    if (!res.affected) throw conflict(`article ${a.id} was changed concurrently; reload and retry`);
    Object.assign(a, { status: 'PUBLISHED', updatedAt: now });
    await this.events.publish({ type: 'article.published', tenantId, data: { articleId: a.id, version: a.currentVersion } });
    return a;
  }

  /**
   * Inserts version n+1 and moves the head to it only if the head is still at n: two concurrent edits cannot both
   * win (the loser gets CONFLICT, from the unique (article_id, version) index or the guarded update).
   */
  private async appendVersion(a: ArticleEntity, text: { title: string; body: string }, authorId: string, change: Change): Promise<ArticleEntity> {
    const now = new Date();
    const next = a.currentVersion + 1;
    try {
      await this.ds.transaction(async (m) => {
        await m.insert(ArticleVersionEntity, { id: newId(), tenantId: a.tenantId, articleId: a.id, version: next, title: text.title, body: text.body, authorId, createdAt: now });
        const res = await m.update(ArticleEntity, { tenantId: a.tenantId, id: a.id, currentVersion: a.currentVersion }, { currentVersion: next, title: text.title, updatedAt: now });
        if (!res.affected) throw conflict(`article ${a.id} was changed concurrently; reload and retry`);
      });
    } catch (e) {
      if (isUniqueViolation(e)) throw conflict(`article ${a.id} was changed concurrently; reload and retry`);
      throw e;
    }
    Object.assign(a, { currentVersion: next, title: text.title, updatedAt: now });
    await this.changed(a, change);
    return a;
  }

  private async changed(a: ArticleEntity, change: Change): Promise<void> {
    await this.events.publish({ type: 'article.changed', tenantId: a.tenantId, data: { articleId: a.id, version: a.currentVersion, status: a.status, change } });
  }
}

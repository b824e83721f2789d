import { In, type DataSource, type Repository } from 'typeorm';
import { isUniqueViolation } from '../../_shared/db-errors.js';
import { badInput, conflict, notFound } from '../../_shared/errors.js';
import type { EventBus } from '../../_shared/events.js';
import { newId } from '../../_shared/ids.js';
import { clampFirst, decodeCursor, toPage } from '../../_shared/pagination.js';
import { likeContains } from '../../_shared/sql.js';
import type { CategoryService } from '../category/category.service.js';
import { checkValidity, cleanTags, type KnowledgeChangeSink } from '../knowledge.changes.js';
import { ArticleEntity, ArticleVersionEntity } from './article.entity.js';
import { ARTICLE_STATUSES, isArticleStatus } from './article.type.js';

export interface NewArticle {
  id?: string;
  title: string;
  body: string;
  categoryId?: string | null;
  tags?: string[] | null;
  validFrom?: Date | null;
  validTo?: Date | null;
  changeNote?: string | null;
  /** Set by the crawler for the articles it keeps current. */
  sourceId?: string | null;
}

/** undefined keeps the current value; null clears validFrom/validTo (and empties tags). */
export interface ArticleEdit {
  articleId: string;
  title?: string | null;
  body?: string | null;
  tags?: string[] | null;
  validFrom?: Date | null;
  validTo?: Date | null;
  changeNote?: string | null;
}

type Change = 'created' | 'updated' | 'rolled_back' | 'archived' | 'stale' | 'restored' | 'source_updated';

/** The text and metadata one version holds. */
interface VersionContent {
  title: string;
  body: string;
  tags: string[];
  validFrom: Date | null;
  validTo: Date | null;
}

export const SEARCH_LIMIT = 20;

/**
 * Versioned articles. Every method is scoped by tenant; every edit of the text, tags or validity appends a
 * version that records who made it and why. Every change is a domain event and reaches the search index.
 */
export class ArticleService {
  private readonly articles: Repository<ArticleEntity>;
  private readonly versions: Repository<ArticleVersionEntity>;

  constructor(
    private readonly ds: DataSource,
    private readonly events: EventBus,
    private readonly categories: CategoryService,
    private readonly sink: KnowledgeChangeSink,
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

  /** Newest first, optionally one status, one category, stale ones only (or fresh ones only). */
  async list(
    tenantId: string,
    opts: { first?: number | null; after?: string | null; status?: string | null; categoryId?: string | null; stale?: boolean | null },
  ) {
    const first = clampFirst(opts.first);
    const after = decodeCursor(opts.after);
    if (opts.status != null && !isArticleStatus(opts.status)) throw badInput(`status must be one of ${ARTICLE_STATUSES.join(', ')}`, 'status');
    const qb = this.articles.createQueryBuilder('a').where('a.tenant_id = :tenantId', { tenantId });
    if (opts.status != null) qb.andWhere('a.status = :status', { status: opts.status });
    if (opts.categoryId != null) qb.andWhere('a.category_id = :categoryId', { categoryId: opts.categoryId });
    if (opts.stale != null) qb.andWhere('a.stale = :stale', { stale: opts.stale });
    if (after) qb.andWhere('(a.created_at < :at OR (a.created_at = :at AND a.id < :id))', { at: after.at, id: after.id });
    const rows = await qb.orderBy('a.created_at', 'DESC').addOrderBy('a.id', 'DESC').take(first + 1).getMany();
    return toPage(rows, first, (r) => r.createdAt);
  }

  /**
   * Published articles whose current title or body contains the text, most recently updated first.
   * A plain LIKE kept for existing clients; searchKnowledge is the ranked, segmented search.
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
    const content: VersionContent = { title: input.title, body: input.body, tags: cleanTags(input.tags), validFrom: input.validFrom ?? null, validTo: input.validTo ?? null };
    const invalid = checkValidity(content.validFrom, content.validTo);
    if (invalid) throw badInput(invalid, 'validTo');
    const now = new Date();
    const a = this.articles.create({
      id: input.id ?? newId(), tenantId, categoryId, title: content.title, status: 'DRAFT', currentVersion: 1, tags: content.tags,
      validFrom: content.validFrom, validTo: content.validTo, stale: false, staleSince: null, sourceId: input.sourceId ?? null, createdAt: now, updatedAt: now,
    });
    await this.ds.transaction(async (m) => {
      await m.insert(ArticleEntity, a);
      await m.insert(ArticleVersionEntity, this.versionRow(a, 1, content, authorId, input.changeNote ?? null, now));
    });
    await this.changed(a, 'created');
    return a;
  }

  /**
   * A new current version with the given parts changed and the rest kept; the status does not change.
   * The change note defaults to the list of what changed. BAD_USER_INPUT when nothing would change.
   */
  async update(tenantId: string, input: ArticleEdit, authorId: string, change: Change = 'updated'): Promise<ArticleEntity> {
    const a = await this.get(tenantId, input.articleId);
    const current = await this.currentContent(a);
    const next: VersionContent = {
      title: input.title ?? current.title,
      body: input.body ?? current.body,
      tags: input.tags === undefined ? current.tags : cleanTags(input.tags),
      validFrom: input.validFrom === undefined ? current.validFrom : input.validFrom,
      validTo: input.validTo === undefined ? current.validTo : input.validTo,
    };
    const invalid = checkValidity(next.validFrom, next.validTo);
    if (invalid) throw badInput(invalid, 'validTo');
    const what = describeChanges(current, next);
    if (!what.length) throw badInput('nothing to change: the article already reads like this', 'articleId');
    return this.appendVersion(a, next, authorId, input.changeNote ?? `修改了${what.join('、')}`, change);
  }

  /** Copies an old version (text, tags and validity) into a new current one, so history is never rewritten. */
  async rollback(tenantId: string, input: { articleId: string; version: number; changeNote?: string | null }, authorId: string): Promise<ArticleEntity> {
    const a = await this.get(tenantId, input.articleId);
    const old = await this.versions.findOneBy({ tenantId, articleId: a.id, version: input.version });
    if (!old) throw notFound('article version', `${a.id}@${input.version}`);
    if (old.version === a.currentVersion) throw badInput(`version ${old.version} is already the current version`, 'version');
    return this.appendVersion(a, contentOf(old), authorId, input.changeNote ?? `回滚到第 ${old.version} 版`, 'rolled_back');
  }

  /** Idempotent: publishing a published article changes nothing and publishes no event. Un-archives too. */
  async publish(tenantId: string, articleId: string): Promise<ArticleEntity> {
    const a = await this.get(tenantId, articleId);
    if (a.status === 'PUBLISHED') return a;
    await this.setStatus(a, 'PUBLISHED');
    await this.events.publish({ type: 'article.published', tenantId, data: { articleId: a.id, version: a.currentVersion } });
    await this.sink.changed(tenantId, 'ARTICLE', [a.id]);
    return a;
  }

  /** Takes an article out of search and lists of published knowledge; publishing it again brings it back. */
  async archive(tenantId: string, articleId: string): Promise<ArticleEntity> {
    const a = await this.get(tenantId, articleId);
    if (a.status === 'ARCHIVED') return a;
    await this.setStatus(a, 'ARCHIVED');
    await this.changed(a, 'archived');
    return a;
  }

  /** The crawler's verdict: the product vanished from its source (stale) or is back (not stale). */
  async setStale(tenantId: string, articleId: string, stale: boolean): Promise<ArticleEntity> {
    const a = await this.get(tenantId, articleId);
    if (a.stale === stale) return a;
    const now = new Date();
    const res = await this.articles.update({ tenantId, id: a.id, stale: a.stale }, { stale, staleSince: stale ? now : null, updatedAt: now });
    if (!res.affected) throw conflict(`article ${a.id} was changed concurrently; reload and retry`);
    Object.assign(a, { stale, staleSince: stale ? now : null, updatedAt: now });
    await this.changed(a, stale ? 'stale' : 'restored');
    return a;
  }

  private async setStatus(a: ArticleEntity, status: string): Promise<void> {
    const now = new Date();
    const res = await this.articles.update({ tenantId: a.tenantId, id: a.id, status: a.status }, { status, updatedAt: now });
    if (!res.affected) throw conflict(`article ${a.id} was changed concurrently; reload and retry`);
    Object.assign(a, { status, updatedAt: now });
  }

  private async currentContent(a: ArticleEntity): Promise<VersionContent> {
    const v = await this.versions.findOneBy({ tenantId: a.tenantId, articleId: a.id, version: a.currentVersion });
    if (!v) throw new Error(`article ${a.id} has no version ${a.currentVersion}`);
    return contentOf(v);
  }

  private versionRow(a: ArticleEntity, version: number, c: VersionContent, authorId: string, changeNote: string | null, at: Date): ArticleVersionEntity {
    return this.versions.create({
      id: newId(), tenantId: a.tenantId, articleId: a.id, version, title: c.title, body: c.body, authorId, changeNote: changeNote?.slice(0, 500) ?? null,
      tags: c.tags, validFrom: c.validFrom, validTo: c.validTo, createdAt: at,
    });
  }

  /**
   * Inserts version n+1 and moves the head to it only if the head is still at n: two concurrent edits cannot both
   * win (the loser gets CONFLICT, from the unique (article_id, version) index or the guarded update).
   */
  private async appendVersion(a: ArticleEntity, c: VersionContent, authorId: string, changeNote: string, change: Change): Promise<ArticleEntity> {
    const now = new Date();
    const next = a.currentVersion + 1;
    const head = { currentVersion: next, title: c.title, tags: c.tags, validFrom: c.validFrom, validTo: c.validTo, updatedAt: now };
    try {
      await this.ds.transaction(async (m) => {
        await m.insert(ArticleVersionEntity, this.versionRow(a, next, c, authorId, changeNote, now));
        const res = await m.update(ArticleEntity, { tenantId: a.tenantId, id: a.id, currentVersion: a.currentVersion }, head);
        if (!res.affected) throw conflict(`article ${a.id} was changed concurrently; reload and retry`);
      });
    } catch (e) {
      if (isUniqueViolation(e)) throw conflict(`article ${a.id} was changed concurrently; reload and retry`);
      throw e;
    }
    Object.assign(a, head);
    await this.changed(a, change);
    return a;
  }

  private async changed(a: ArticleEntity, change: Change): Promise<void> {
    await this.events.publish({ type: 'article.changed', tenantId: a.tenantId, data: { articleId: a.id, version: a.currentVersion, status: a.status, change } });
    await this.sink.changed(a.tenantId, 'ARTICLE', [a.id]);
  }
}

function contentOf(v: ArticleVersionEntity): VersionContent {
  return { title: v.title, body: v.body, tags: v.tags ?? [], validFrom: v.validFrom ?? null, validTo: v.validTo ?? null };
}

const time = (d: Date | null) => d?.getTime() ?? null;

/** What differs between two versions, in words for the default change note. */
function describeChanges(a: VersionContent, b: VersionContent): string[] {
  const out: string[] = [];
  if (a.title !== b.title) out.push('标题');
  if (a.body !== b.body) out.push('正文');
  if (a.tags.join('\u0000') !== b.tags.join('\u0000')) out.push('标签');
  if (time(a.validFrom) !== time(b.validFrom) || time(a.validTo) !== time(b.validTo)) out.push('有效期');
  return out;
}

import { Cron } from 'croner';
import { In, LessThanOrEqual, type DataSource, type Repository } from 'typeorm';
import { badInput, conflict, DomainError, notFound } from '../../_shared/errors.js';
import type { EventBus } from '../../_shared/events.js';
import { newId } from '../../_shared/ids.js';
import type { Logger } from '../../_shared/logger.js';
import type { ArticleService } from '../article/article.service.js';
import type { CategoryService } from '../category/category.service.js';
import type { Crawler } from './crawler.http.js';
import { describeFactChanges, parseProducts, productArticle, type ProductFacts, type SourceKind } from './crawler.parse.js';
import { KnowledgeSourceEntity, KnowledgeSourceItemEntity, type JsonObject } from './source.entity.js';
import { SOURCE_KINDS } from './source.type.js';

export const DEFAULT_SCHEDULE = '0 3 * * *';
export const DEFAULT_TIMEZONE = 'Asia/Shanghai';

export interface NewSource {
  name: string;
  kind: string;
  urls: string[];
  schedule?: string | null;
  timezone?: string | null;
  categoryId?: string | null;
  enabled?: boolean | null;
  autoPublish?: boolean | null;
}

export interface SourceEdit {
  sourceId: string;
  name?: string | null;
  urls?: string[] | null;
  schedule?: string | null;
  timezone?: string | null;
  enabled?: boolean | null;
  autoPublish?: boolean | null;
}

export interface CrawlReport {
  status: 'OK' | 'PARTIAL' | 'FAILED';
  startedAt: Date;
  finishedAt: Date;
  fetched: number;
  notModified: number;
  gone: number;
  disallowed: number;
  errors: number;
  products: number;
  created: number;
  updated: number;
  unchanged: number;
  stale: number;
  restored: number;
  messages: string[];
}

export interface SourceServiceOptions {
  /** Who holds a crawl's lease (this replica). */
  owner: string;
  /** How long a claim on a source holds before another replica may take over a crashed crawl. */
  leaseMs?: number;
}

/**
 * Knowledge sources and their crawls. A crawl reads every URL politely (see Crawler), compares each product's
 * facts with the last crawl's, and turns differences into article versions with a change note; products that
 * vanished flag their articles stale. One replica crawls a source at a time (a lease row, not a lock held open).
 */
export class KnowledgeSourceService {
  private readonly sources: Repository<KnowledgeSourceEntity>;
  private readonly items: Repository<KnowledgeSourceItemEntity>;
  private readonly leaseMs: number;
  private stopping = false;

  constructor(
    ds: DataSource,
    private readonly events: EventBus,
    private readonly categories: CategoryService,
    private readonly articles: ArticleService,
    private readonly crawler: Crawler,
    private readonly log: Logger,
    private readonly opts: SourceServiceOptions,
  ) {
    this.sources = ds.getRepository(KnowledgeSourceEntity);
    this.items = ds.getRepository(KnowledgeSourceItemEntity);
    this.leaseMs = opts.leaseMs ?? 15 * 60_000;
  }

  async byIds(tenantId: string, ids: readonly string[]): Promise<KnowledgeSourceEntity[]> {
    if (!ids.length) return [];
    return this.sources.findBy({ tenantId, id: In([...ids]) });
  }

  async get(tenantId: string, id: string): Promise<KnowledgeSourceEntity> {
    const s = await this.sources.findOneBy({ tenantId, id });
    if (!s) throw notFound('knowledge source', id);
    return s;
  }

  list(tenantId: string): Promise<KnowledgeSourceEntity[]> {
    return this.sources.find({ where: { tenantId }, order: { createdAt: 'ASC', id: 'ASC' } });
  }

  async create(tenantId: string, input: NewSource, authorId: string): Promise<KnowledgeSourceEntity> {
    if (!(SOURCE_KINDS as readonly string[]).includes(input.kind)) throw badInput(`kind must be one of ${SOURCE_KINDS.join(', ')}`, 'kind');
    const urls = checkUrls(input.urls);
    const schedule = input.schedule ?? DEFAULT_SCHEDULE;
    const timezone = input.timezone ?? DEFAULT_TIMEZONE;
    const categoryId = input.categoryId ? (await this.categories.get(tenantId, input.categoryId)).id : null;
    const enabled = input.enabled ?? true;
    const now = new Date();
    const s = this.sources.create({
      id: newId(), tenantId, name: input.name.trim(), kind: input.kind, urls, schedule, timezone, categoryId, enabled, autoPublish: input.autoPublish ?? true,
      nextRunAt: enabled ? nextRun(schedule, timezone, now) : null, leaseOwner: null, leaseUntil: null, lastRunAt: null, lastStatus: null,
      lastReport: null, fetchState: null, createdBy: authorId, createdAt: now, updatedAt: now,
    });
    await this.sources.insert(s);
    await this.events.publish({ type: 'knowledge_source.changed', tenantId, data: { sourceId: s.id, change: 'created' } });
    return s;
  }

  async update(tenantId: string, input: SourceEdit): Promise<KnowledgeSourceEntity> {
    const s = await this.get(tenantId, input.sourceId);
    const schedule = input.schedule ?? s.schedule;
    const timezone = input.timezone ?? s.timezone;
    const enabled = input.enabled ?? s.enabled;
    const now = new Date();
    const patch: Partial<KnowledgeSourceEntity> = {
      name: input.name?.trim() || s.name,
      urls: input.urls ? checkUrls(input.urls) : s.urls,
      schedule,
      timezone,
      enabled,
      autoPublish: input.autoPublish ?? s.autoPublish,
      nextRunAt: enabled ? nextRun(schedule, timezone, now) : null,
      updatedAt: now,
    };
    await this.sources.update({ tenantId, id: s.id }, patch);
    Object.assign(s, patch);
    await this.events.publish({ type: 'knowledge_source.changed', tenantId, data: { sourceId: s.id, change: 'updated' } });
    return s;
  }

  /** Crawls now, on the caller's request. CONFLICT while another crawl of the source is running. */
  async runNow(tenantId: string, sourceId: string): Promise<{ source: KnowledgeSourceEntity; report: CrawlReport }> {
    const s = await this.get(tenantId, sourceId);
    if (!(await this.claim(s))) throw conflict(`knowledge source ${s.id} is being crawled right now; try again when it is done`);
    const report = await this.crawl(s);
    return { source: s, report };
  }

  /** Running crawls finish the URL at hand and stop; what they did not reach keeps its state. */
  stop(): void {
    this.stopping = true;
  }

  /** Sources of every tenant whose next run is due. */
  due(now: Date, limit = 5): Promise<KnowledgeSourceEntity[]> {
    return this.sources.find({ where: { enabled: true, nextRunAt: LessThanOrEqual(now) }, order: { nextRunAt: 'ASC' }, take: limit });
  }

  /** The scheduler's entry: crawls the source unless another replica already does. */
  async runScheduled(s: KnowledgeSourceEntity): Promise<CrawlReport | null> {
    if (!(await this.claim(s))) return null;
    return this.crawl(s);
  }

  /** Claims the source for this replica unless a live lease is held by another (a row update, so any replica). */
  private async claim(s: KnowledgeSourceEntity): Promise<boolean> {
    const now = new Date();
    const until = new Date(now.getTime() + this.leaseMs);
    const res = await this.sources
      .createQueryBuilder()
      .update()
      .set({ leaseOwner: this.opts.owner, leaseUntil: until })
      .where('id = :id AND tenant_id = :tenantId AND (lease_until IS NULL OR lease_until < :now)', { id: s.id, tenantId: s.tenantId, now })
      .execute();
    if (!res.affected) return false;
    Object.assign(s, { leaseOwner: this.opts.owner, leaseUntil: until });
    return true;
  }

  private async crawl(s: KnowledgeSourceEntity): Promise<CrawlReport> {
    const log = this.log.child({ tenantId: s.tenantId, sourceId: s.id });
    const report: CrawlReport = {
      status: 'OK', startedAt: new Date(), finishedAt: new Date(), fetched: 0, notModified: 0, gone: 0, disallowed: 0, errors: 0, products: 0,
      created: 0, updated: 0, unchanged: 0, stale: 0, restored: 0, messages: [],
    };
    const problem = (url: string, message: string) => {
      report.errors++;
      if (report.messages.length < 20) report.messages.push(`${url}: ${message}`);
    };
    try {
      const items = new Map((await this.items.findBy({ tenantId: s.tenantId, sourceId: s.id })).map((i) => [i.itemKey, i]));
      const fetchState: JsonObject = { ...(s.fetchState ?? {}) };
      const seen = new Set<string>();
      // URLs whose products we cannot judge this time (304, an error, robots): their items stay as they are
      const keep = new Set<string>();
      const session = this.crawler.session();
      for (const [i, url] of s.urls.entries()) {
        if (this.stopping) {
          // a replica shutting down: the URLs not reached must not count as vanished
          for (const rest of s.urls.slice(i)) keep.add(rest);
          problem('(crawl)', 'stopped early: the replica is shutting down');
          break;
        }
        const r = await session.fetch(url, fetchState[url] ?? {});
        if (r.kind === 'not_modified') {
          report.notModified++;
          keep.add(url);
        } else if (r.kind === 'disallowed') {
          report.disallowed++;
          keep.add(url);
        } else if (r.kind === 'error') {
          problem(url, r.message);
          keep.add(url);
        } else if (r.kind === 'gone') {
          report.gone++;
          delete fetchState[url];
        } else {
          let products: ProductFacts[];
          try {
            products = parseProducts(s.kind as SourceKind, r.body, url);
          } catch (e) {
            problem(url, (e as Error).message);
            keep.add(url);
            continue;
          }
          report.fetched++;
          fetchState[url] = r.validators;
          for (const p of products) {
            if (seen.has(p.key)) continue; // the same SKU twice in one crawl: the first listing wins
            seen.add(p.key);
            report.products++;
            await this.applyProduct(s, items, p, url, report);
          }
        }
        await this.renew(s);
      }
      for (const item of items.values()) {
        if (seen.has(item.itemKey) || keep.has(item.originUrl) || item.vanishedAt) continue;
        const now = new Date();
        await this.items.update({ id: item.id }, { vanishedAt: now, updatedAt: now });
        await this.articles.setStale(s.tenantId, item.articleId, true);
        report.stale++;
      }
      s.fetchState = fetchState;
      report.status = report.errors && !report.fetched && !report.notModified ? 'FAILED' : report.errors || report.disallowed ? 'PARTIAL' : 'OK';
    } catch (e) {
      log.error({ err: e }, 'crawl failed');
      problem('(crawl)', e instanceof DomainError ? e.message : 'internal error');
      report.status = 'FAILED';
    } finally {
      report.finishedAt = new Date();
      await this.finish(s, report);
    }
    log.info({ status: report.status, created: report.created, updated: report.updated, stale: report.stale, errors: report.errors }, 'knowledge source crawled');
    await this.events.publish({
      type: 'knowledge_source.crawled',
      tenantId: s.tenantId,
      data: { sourceId: s.id, status: report.status, created: report.created, updated: report.updated, stale: report.stale, restored: report.restored, errors: report.errors },
    });
    return report;
  }

  /** A product as crawled: a new article, a new version when a fact changed, or nothing. */
  private async applyProduct(s: KnowledgeSourceEntity, items: Map<string, KnowledgeSourceItemEntity>, p: ProductFacts, url: string, report: CrawlReport): Promise<void> {
    const author = `source:${s.id}`;
    const now = new Date();
    const item = items.get(p.key);
    if (!item) {
      const { title, body } = productArticle(p);
      const article = await this.articles.create(
        s.tenantId,
        { title, body, categoryId: s.categoryId, tags: ['商品资料'], sourceId: s.id, changeNote: `来自知识来源「${s.name}」` },
        author,
      );
      if (s.autoPublish) await this.articles.publish(s.tenantId, article.id);
      const row = this.items.create({
        id: newId(), tenantId: s.tenantId, sourceId: s.id, itemKey: p.key, originUrl: url, articleId: article.id, facts: { ...p },
        lastSeenAt: now, vanishedAt: null, createdAt: now, updatedAt: now,
      });
      await this.items.insert(row);
      items.set(p.key, row);
      report.created++;
      return;
    }
    if (item.vanishedAt) {
      await this.articles.setStale(s.tenantId, item.articleId, false);
      report.restored++;
    }
    const changes = describeFactChanges(item.facts as Partial<ProductFacts>, p);
    if (changes.length) {
      const { title, body } = productArticle(p);
      try {
        await this.articles.update(s.tenantId, { articleId: item.articleId, title, body, changeNote: `来源更新：${changes.join('；')}` }, author, 'source_updated');
        report.updated++;
      } catch (e) {
        // the text already reads like this (an editor made the same change): nothing to version
        if (!(e instanceof DomainError && e.code === 'BAD_USER_INPUT')) throw e;
        report.unchanged++;
      }
    } else {
      report.unchanged++;
    }
    const patch = { facts: { ...p } as JsonObject, originUrl: url, lastSeenAt: now, vanishedAt: null, updatedAt: now };
    await this.items.update({ id: item.id }, patch as Partial<KnowledgeSourceItemEntity>);
    Object.assign(item, patch);
  }

  /** Keeps the lease alive through a long crawl. */
  private async renew(s: KnowledgeSourceEntity): Promise<void> {
    if (!s.leaseUntil || s.leaseUntil.getTime() - Date.now() > this.leaseMs / 2) return;
    const until = new Date(Date.now() + this.leaseMs);
    await this.sources.update({ id: s.id, leaseOwner: this.opts.owner }, { leaseUntil: until });
    s.leaseUntil = until;
  }

  private async finish(s: KnowledgeSourceEntity, report: CrawlReport): Promise<void> {
    const now = new Date();
    const patch: Partial<KnowledgeSourceEntity> = {
      lastRunAt: report.startedAt,
      lastStatus: report.status,
      lastReport: { ...report, startedAt: report.startedAt.toISOString(), finishedAt: report.finishedAt.toISOString() },
      fetchState: s.fetchState,
      nextRunAt: s.enabled ? nextRun(s.schedule, s.timezone, now) : null,
      leaseOwner: null,
      leaseUntil: null,
      updatedAt: now,
    };
    await this.sources.update({ id: s.id, leaseOwner: this.opts.owner }, patch);
    Object.assign(s, patch);
  }
}

/** The schedule's next instant after `from`; BAD_USER_INPUT for a pattern or time zone croner refuses. */
export function nextRun(schedule: string, timezone: string, from: Date): Date {
  let next: Date | null;
  try {
    next = new Cron(schedule, { paused: true, timezone }).nextRun(from);
  } catch (e) {
    throw badInput(`schedule: ${(e as Error).message}`, 'schedule');
  }
  if (!next) throw badInput('schedule never runs again', 'schedule');
  return next;
}

function checkUrls(urls: readonly string[]): string[] {
  const out: string[] = [];
  for (const raw of urls) {
    let u: URL;
    try {
      u = new URL(raw.trim());
    } catch {
      throw badInput(`"${raw}" is not a URL`, 'urls');
    }
    if (u.protocol !== 'http:' && u.protocol !== 'https:') throw badInput(`"${raw}" must be http or https`, 'urls');
    if (u.username || u.password) throw badInput('URLs must not carry credentials', 'urls');
    if (!out.includes(u.href)) out.push(u.href);
  }
  return out;
}

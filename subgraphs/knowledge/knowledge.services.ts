import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import type { SubgraphDeps, Worker } from '../_shared/subgraph-module.js';
import { ArticleService } from './article/article.service.js';
import { CategoryService } from './category/category.service.js';
import { FaqService } from './faq/faq.service.js';
import { KnowledgeDocuments } from './search/search.documents.js';
import { KnowledgeIndex, type KnowledgeIndexOptions } from './search/search.index.js';
import { Segmenter } from './search/segmenter.js';
import { Crawler, DEFAULT_CRAWLER, type CrawlerOptions } from './source/crawler.http.js';
import { startSourceScheduler } from './source/source.scheduler.js';
import { KnowledgeSourceService } from './source/source.service.js';
import { SynonymService } from './synonym/synonym.service.js';
import { ReplyTemplateService } from './template/template.service.js';

/** Knobs of the knowledge subgraph; main.ts fills them from the environment, tests and benchmarks directly. */
export interface KnowledgeOptions {
  index?: KnowledgeIndexOptions;
  crawler?: Partial<CrawlerOptions>;
  /** How often each replica looks for due sources (seconds); false: no scheduled crawling on this replica. */
  schedulerTickSeconds?: number | false;
  /** A segmenter to share (tests that start several replicas in one process save its load time). */
  segmenter?: Segmenter;
}

export interface KnowledgeServices {
  articles: ArticleService;
  categories: CategoryService;
  faqs: FaqService;
  templates: ReplyTemplateService;
  synonyms: SynonymService;
  sources: KnowledgeSourceService;
  index: KnowledgeIndex;
}

export function createKnowledgeServices(deps: SubgraphDeps, opts: KnowledgeOptions = {}): KnowledgeServices {
  const { dataSource: ds, events, pubsub, log } = deps;
  const segmenter = opts.segmenter ?? new Segmenter();
  const index = new KnowledgeIndex(new KnowledgeDocuments(ds), segmenter, pubsub, log.child({ component: 'knowledge-index' }), opts.index);
  const categories = new CategoryService(ds);
  const articles = new ArticleService(ds, events, categories, index);
  const crawler = new Crawler({ ...DEFAULT_CRAWLER, ...opts.crawler });
  const owner = `${hostname()}-${process.pid}-${randomUUID().slice(0, 8)}`;
  return {
    articles,
    categories,
    faqs: new FaqService(ds, events, categories, index),
    templates: new ReplyTemplateService(ds, events),
    synonyms: new SynonymService(ds, events, index),
    sources: new KnowledgeSourceService(ds, events, categories, articles, crawler, log.child({ component: 'knowledge-sources' }), { owner }),
    index,
  };
}

/** The index's listener and sweep, and the crawl scheduler. */
export async function startKnowledgeWorkers(s: KnowledgeServices, deps: SubgraphDeps, opts: KnowledgeOptions = {}): Promise<Worker[]> {
  const workers = [await s.index.start()];
  const tick = opts.schedulerTickSeconds ?? 15;
  if (tick !== false) workers.push(startSourceScheduler(s.sources, deps.log.child({ component: 'knowledge-scheduler' }), { tickSeconds: tick }));
  return workers;
}

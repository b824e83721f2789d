import { randomUUID } from 'node:crypto';
import type { Logger } from '../../_shared/logger.js';
import type { PubSub } from '../../_shared/pubsub.js';
import type { Worker } from '../../_shared/subgraph-module.js';
import type { KnowledgeChangeSink, KnowledgeKind } from '../knowledge.changes.js';
import { highlight } from './highlight.js';
import type { KnowledgeDocuments } from './search.documents.js';
import { DEFAULT_RANKING, SearchIndex, type RankingOptions, type SearchOptions } from './search.engine.js';
import type { Segmenter } from './segmenter.js';
import { SynonymTable } from './synonyms.js';
import { normalizeChars } from './text.js';

/**
 * The pub/sub topic that keeps every replica's index current. A broadcast, not the event bus: a consumer group
 * hands each event to ONE replica, but every replica holds its own copy of the index and must see every change.
 */
export const INDEX_TOPIC = 'knowledge.index';

/** Ids only, like every pub/sub payload: the receiving replica reloads the rows itself. */
export interface IndexMessage {
  tenantId: string;
  kind: KnowledgeKind | 'SYNONYMS';
  ids: string[];
  /** The replica that made the change (it has already applied it). */
  origin: string;
}

export interface KnowledgeIndexOptions {
  /** How often each tenant's index re-reads what changed lately, in case a pub/sub message was lost. */
  sweepMs?: number;
  /** How far back each sweep looks beyond the previous one (commit delays, clock skew between replicas). */
  sweepOverlapMs?: number;
  /** Tenants kept in memory; the least recently searched is dropped beyond this (rebuilt when needed). */
  maxTenants?: number;
  ranking?: RankingOptions;
}

export interface KnowledgeHitView {
  kind: KnowledgeKind;
  id: string;
  score: number;
  title: string;
  highlightedTitle: string;
  snippet: string;
}

interface TenantIndex {
  index: SearchIndex;
  ready: Promise<void>;
  building: boolean;
  /** Changes that arrived while the index was loading; replayed once it is loaded. */
  pending: Array<{ kind: KnowledgeKind | 'SYNONYMS'; ids: string[] }>;
  /** Applies run one after another, so an older reload can never overwrite a newer one. */
  queue: Promise<void>;
  sweptFrom: Date;
  lastUsed: number;
}

const SNIPPET_CHARS = 120;

/**
 * The in-memory search index of each tenant on this replica: built lazily from the database on the first
 * search, then kept current by every change (applied at once here, broadcast to the other replicas over
 * pub/sub) and by a periodic sweep of recently updated rows that repairs anything a lost message missed.
 */
export class KnowledgeIndex implements KnowledgeChangeSink {
  private readonly tenants = new Map<string, TenantIndex>();
  private readonly replica = randomUUID();
  private readonly sweepMs: number;
  private readonly overlapMs: number;
  private readonly maxTenants: number;
  private readonly ranking: RankingOptions;

  constructor(
    private readonly docs: KnowledgeDocuments,
    private readonly segmenter: Segmenter,
    private readonly pubsub: PubSub,
    private readonly log: Logger,
    opts: KnowledgeIndexOptions = {},
  ) {
    this.sweepMs = opts.sweepMs ?? 30_000;
    this.overlapMs = opts.sweepOverlapMs ?? 60_000;
    this.maxTenants = opts.maxTenants ?? 200;
    this.ranking = opts.ranking ?? DEFAULT_RANKING;
  }

  /** Ranked hits of the tenant's knowledge, with highlighted titles and snippets. */
  async search(tenantId: string, query: string, o: SearchOptions): Promise<KnowledgeHitView[]> {
    const t = await this.ensure(tenantId);
    return t.index.search(query, o).map(({ doc, score, matched }) => {
      // an FAQ shows the phrasing that matches best
      const title = doc.kind === 'FAQ' ? bestPhrasing(doc.questions, matched) ?? doc.title : doc.title;
      return {
        kind: doc.kind,
        id: doc.id,
        score: Math.round(score * 1e4) / 1e4,
        title,
        highlightedTitle: highlight(title, worthMarking(matched, title)),
        snippet: highlight(doc.body, worthMarking(matched, doc.body), SNIPPET_CHARS),
      };
    });
  }

  /** Builds the tenant's index now instead of at its first search (benchmarks, warm-up). */
  async warm(tenantId: string): Promise<number> {
    return (await this.ensure(tenantId)).index.size;
  }

  stats(): { tenants: number; documents: number } {
    let documents = 0;
    for (const t of this.tenants.values()) documents += t.index.size;
    return { tenants: this.tenants.size, documents };
  }

  async changed(tenantId: string, kind: KnowledgeKind, ids: readonly string[]): Promise<void> {
    await this.apply(tenantId, kind, [...ids]);
    await this.broadcast({ tenantId, kind, ids: [...ids], origin: this.replica });
  }

  async synonymsChanged(tenantId: string): Promise<void> {
    await this.apply(tenantId, 'SYNONYMS', []);
    await this.broadcast({ tenantId, kind: 'SYNONYMS', ids: [], origin: this.replica });
  }

  /** Listens to the other replicas' changes and sweeps periodically, until stopped. */
  async start(): Promise<Worker> {
    const messages = this.pubsub.subscribe<IndexMessage>(INDEX_TOPIC);
    const listening = (async () => {
      for await (const m of messages) {
        if (!m || m.origin === this.replica) continue;
        await this.apply(m.tenantId, m.kind, m.ids).catch((err) => this.log.warn({ err, tenantId: m.tenantId }, 'index update failed; the sweep will repair it'));
      }
    })();
    const timer = setInterval(() => void this.sweep(), this.sweepMs);
    timer.unref();
    return {
      stop: async () => {
        clearInterval(timer);
        await messages.return?.();
        await listening;
      },
    };
  }

  /** Re-reads every tenant's recently changed rows and its synonyms. */
  async sweep(): Promise<void> {
    for (const [tenantId, t] of this.tenants) {
      if (t.building) continue;
      const from = t.sweptFrom;
      const next = new Date(Date.now() - this.overlapMs);
      try {
        const changed = await this.docs.changedSince(tenantId, from);
        await this.apply(tenantId, 'ARTICLE', changed.ARTICLE);
        await this.apply(tenantId, 'FAQ', changed.FAQ);
        await this.apply(tenantId, 'SYNONYMS', []);
        t.sweptFrom = next;
      } catch (err) {
        this.log.warn({ err, tenantId }, 'index sweep failed');
      }
    }
  }

  private async broadcast(m: IndexMessage): Promise<void> {
    try {
      await this.pubsub.publish(INDEX_TOPIC, m as unknown as Record<string, unknown>);
    } catch (err) {
      // the change is committed; the other replicas' sweeps will pick it up
      this.log.warn({ err, tenantId: m.tenantId }, 'index broadcast failed');
    }
  }

  private ensure(tenantId: string): Promise<TenantIndex> {
    let t = this.tenants.get(tenantId);
    if (!t) {
      this.evict();
      const index = new SearchIndex(this.segmenter, SynonymTable.withDefaults(), this.ranking);
      const entry: TenantIndex = { index, building: true, pending: [], queue: Promise.resolve(), sweptFrom: new Date(Date.now() - this.overlapMs), lastUsed: Date.now(), ready: Promise.resolve() };
      entry.ready = this.build(tenantId, entry).catch((err) => {
        this.tenants.delete(tenantId); // the next search tries again
        throw err;
      });
      this.tenants.set(tenantId, entry);
      t = entry;
    }
    t.lastUsed = Date.now();
    const entry = t;
    return entry.ready.then(() => entry);
  }

  private async build(tenantId: string, t: TenantIndex): Promise<void> {
    const started = Date.now();
    t.index.setSynonyms(SynonymTable.withDefaults(await this.docs.synonymGroups(tenantId)));
    for await (const batch of this.docs.all(tenantId)) for (const d of batch) t.index.upsert(d);
    t.building = false;
    const pending = t.pending.splice(0);
    for (const p of pending) await this.apply(tenantId, p.kind, p.ids);
    this.log.info({ tenantId, documents: t.index.size, ms: Date.now() - started }, 'knowledge index built');
  }

  /** Reloads the documents (or the synonyms) and updates this replica's index, if it holds the tenant. */
  private apply(tenantId: string, kind: KnowledgeKind | 'SYNONYMS', ids: string[]): Promise<void> {
    const t = this.tenants.get(tenantId);
    if (!t) return Promise.resolve(); // not loaded here: it will be built from the database when searched
    if (t.building) {
      t.pending.push({ kind, ids });
      return Promise.resolve();
    }
    if (kind !== 'SYNONYMS' && !ids.length) return Promise.resolve();
    const run = t.queue.then(async () => {
      if (kind === 'SYNONYMS') {
        t.index.setSynonyms(SynonymTable.withDefaults(await this.docs.synonymGroups(tenantId)));
        return;
      }
      const { docs, gone } = await this.docs.byIds(tenantId, kind, ids);
      for (const d of docs) t.index.upsert(d);
      for (const id of gone) t.index.remove(kind, id);
    });
    t.queue = run.catch(() => undefined);
    return run;
  }

  private evict(): void {
    while (this.tenants.size >= this.maxTenants) {
      let oldest: [string, TenantIndex] | undefined;
      for (const e of this.tenants) if (!e[1].building && (!oldest || e[1].lastUsed < oldest[1].lastUsed)) oldest = e;
      if (!oldest) return;
      this.tenants.delete(oldest[0]);
    }
  }
}

/** Single characters (米, 发) only when no longer match is in the text: marking every 米 is noise. */
function worthMarking(matched: string[], text: string): string[] {
  const norm = normalizeChars(text);
  const long = matched.filter((m) => m.length > 1 && norm.includes(m));
  return long.length ? long : matched;
}

function bestPhrasing(questions: string[], matched: string[]): string | undefined {
  let best: string | undefined;
  let bestCount = 0;
  for (const q of questions) {
    const norm = normalizeChars(q);
    const count = matched.filter((m) => norm.includes(m)).reduce((n, m) => n + m.length, 0);
    if (count > bestCount) {
      best = q;
      bestCount = count;
    }
  }
  return best;
}

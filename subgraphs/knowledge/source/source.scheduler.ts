import { Cron } from 'croner';
import type { Logger } from '../../_shared/logger.js';
import type { Worker } from '../../_shared/subgraph-module.js';
import type { KnowledgeSourceService } from './source.service.js';

export interface SchedulerOptions {
  /** How often this replica looks for due sources, in seconds. */
  tickSeconds: number;
  /** Sources crawled per tick at most (a long crawl must not starve the others forever). */
  batch?: number;
}

/**
 * Every replica ticks (croner, no overlapping ticks) and crawls the due sources it manages to claim: the lease
 * in the row makes sure one replica crawls a source, and a replica that dies mid-crawl loses its claim when
 * the lease expires. Each source's own schedule decides its next_run_at.
 */
export function startSourceScheduler(sources: KnowledgeSourceService, log: Logger, o: SchedulerOptions): Worker {
  let current: Promise<void> = Promise.resolve();
  const job = new Cron(
    '* * * * * *',
    { interval: Math.max(1, Math.round(o.tickSeconds)), protect: true, unref: true, name: 'knowledge-sources' },
    () => {
      current = (async () => {
        try {
          for (const s of await sources.due(new Date(), o.batch ?? 5)) {
            try {
              await sources.runScheduled(s);
            } catch (err) {
              log.error({ err, tenantId: s.tenantId, sourceId: s.id }, 'scheduled crawl failed');
            }
          }
        } catch (err) {
          log.warn({ err }, 'could not look for due knowledge sources');
        }
      })();
      return current;
    },
  );
  return {
    stop: async () => {
      job.stop();
      sources.stop();
      await current;
    },
  };
}

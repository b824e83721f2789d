import { RELAXED_LATENCY } from '../_shared/events.js';
import type { SubgraphDeps, Worker } from '../_shared/subgraph-module.js';
import { MetricRecorder } from './metrics/metric.recorder.js';
import { MetricService } from './metrics/metric.service.js';

export interface AnalyticsServices {
  metrics: MetricService;
  recorder: MetricRecorder;
}

/** The consumer group of this subgraph on the domain-event bus: each event reaches one analytics replica. */
export const ANALYTICS_CONSUMER_GROUP = 'analytics';

export function createAnalyticsServices(deps: SubgraphDeps): AnalyticsServices {
  return {
    metrics: new MetricService(deps.dataSource),
    recorder: new MetricRecorder(deps.dataSource, deps.log.child({ component: 'metric-recorder' })),
  };
}

/** Feeds the aggregates from the bus. A handler that throws leaves the event pending, to be redelivered. */
export async function startAnalyticsWorkers(s: AnalyticsServices, deps: SubgraphDeps): Promise<Worker[]> {
  const consumer = await deps.events.consume(ANALYTICS_CONSUMER_GROUP, async (event) => {
    await s.recorder.handle(event);
  }, RELAXED_LATENCY);
  return [consumer];
}

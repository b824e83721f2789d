import DataLoader from 'dataloader';
import type { Viewer } from '../../_shared/auth.js';
import { emptyLoader } from '../../_shared/loaders.js';
import type { MetricRange } from './metric.buckets.js';
import type { MetricService, MetricSummaryData } from './metric.service.js';

export interface MetricLoaders {
  /** Keyed by rangeKey(range); the same range asked twice in one request (Query.metrics, Tenant.metrics) is read once. */
  summary: DataLoader<string, MetricSummaryData | null>;
}

export const rangeKey = (r: MetricRange) => `${r.from.toISOString()}|${r.to.toISOString()}`;

/** Tenant-scoped by construction: the viewer's tenant is baked into the loader of the request. */
export function createMetricLoaders(service: MetricService, viewer: Viewer | null): MetricLoaders {
  if (!viewer) return { summary: emptyLoader(null) };
  const tenant = viewer.tenant;
  return {
    summary: new DataLoader<string, MetricSummaryData | null>((keys) =>
      Promise.all(
        keys.map((k) => {
          const [from, to] = k.split('|');
          return service.summary(tenant, { from: new Date(from), to: new Date(to) });
        }),
      ),
    ),
  };
}

import type { SubgraphModule } from '../_shared/subgraph-module.js';
import { AnalyticsInitial1764500000000 } from '../../migrations/analytics/1764500000000-initial.js';
import { createAnalyticsServices, startAnalyticsWorkers, type AnalyticsServices } from './analytics.services.js';
import { MetricBucketEntity, ProcessedEventEntity } from './metrics/metric.entity.js';
import { createMetricLoaders, type MetricLoaders } from './metrics/metric.loaders.js';
import { MetricResolver } from './metrics/metric.resolver.js';
import { TenantMetricsResolver } from './tenant/tenant.resolver.js';
import { Tenant } from './tenant/tenant.type.js';

export const analyticsSubgraph: SubgraphModule<AnalyticsServices, MetricLoaders> = {
  name: 'analytics',
  defaultPort: 4005,
  definition: {
    name: 'analytics',
    resolvers: [MetricResolver, TenantMetricsResolver],
    // Tenant is reachable only through _entities, so type-graphql must be told to emit it.
    orphanedTypes: [Tenant],
    references: {
      // A stub: no row to load. Tenant.metrics does the scoping (null unless it is the caller's tenant).
      Tenant: (ref) => ({ id: ref.id }),
    },
  },
  entities: [MetricBucketEntity, ProcessedEventEntity],
  migrations: [AnalyticsInitial1764500000000],
  createServices: createAnalyticsServices,
  createLoaders: (s, viewer) => createMetricLoaders(s.metrics, viewer),
  startWorkers: startAnalyticsWorkers,
};

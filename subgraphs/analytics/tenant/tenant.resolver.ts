import { Arg, Authorized, Ctx, FieldResolver, Resolver, Root } from 'type-graphql';
import { requireViewer, type SubgraphContext } from '../../_shared/context.js';
import type { AnalyticsServices } from '../analytics.services.js';
import type { MetricLoaders } from '../metrics/metric.loaders.js';
import { loadSummary, METRIC_READERS } from '../metrics/metric.resolver.js';
import { MetricSummary } from '../metrics/metric.type.js';
import { Tenant } from './tenant.type.js';

type Ctx = SubgraphContext<AnalyticsServices, MetricLoaders>;

@Resolver(() => Tenant)
export class TenantMetricsResolver {
  @Authorized(...METRIC_READERS)
  @FieldResolver(() => MetricSummary, {
    nullable: true,
    description: "The tenant's aggregates over [from, to) (see Query.metrics); null for any tenant but the caller's.",
  })
  metrics(
    @Root() tenant: Tenant,
    @Ctx() ctx: Ctx,
    // declared to-then-from: type-graphql lists parameter decorators in reverse, so the SDL reads (from, to)
    @Arg('to', () => Date, { nullable: true }) to?: Date,
    @Arg('from', () => Date, { nullable: true }) from?: Date,
  ) {
    if (tenant.id !== requireViewer(ctx).tenant) return null;
    return loadSummary(ctx, from, to);
  }
}

import { Arg, Authorized, Ctx, Query, Resolver } from 'type-graphql';
import type { Role } from '../../_shared/auth.js';
import { requireViewer, type SubgraphContext } from '../../_shared/context.js';
import { MANAGERS } from '../../_shared/roles.js';
import type { AnalyticsServices } from '../analytics.services.js';
import { resolveRange } from './metric.buckets.js';
import { rangeKey, type MetricLoaders } from './metric.loaders.js';
import { MetricSummary } from './metric.type.js';

/** Who may read metrics: managers, and internal services (reporting jobs). Agents may not. */
export const METRIC_READERS: Role[] = [...MANAGERS, 'service'];

type Ctx = SubgraphContext<AnalyticsServices, MetricLoaders>;

/** Shared by Query.metrics and Tenant.metrics. */
export async function loadSummary(ctx: Ctx, from: Date | null | undefined, to: Date | null | undefined) {
  requireViewer(ctx, ...METRIC_READERS);
  return ctx.loaders.summary.load(rangeKey(resolveRange({ from, to }, new Date())));
}

@Resolver(() => MetricSummary)
export class MetricResolver {
  @Authorized(...METRIC_READERS)
  @Query(() => MetricSummary, {
    description: "Aggregates of the caller's tenant over [from, to). Defaults to the last 24 hours; at most 93 days.",
  })
  metrics(
    @Ctx() ctx: Ctx,
    // declared to-then-from: type-graphql lists parameter decorators in reverse, so the SDL reads (from, to)
    @Arg('to', () => Date, { nullable: true }) to?: Date,
    @Arg('from', () => Date, { nullable: true }) from?: Date,
  ) {
    return loadSummary(ctx, from, to);
  }
}

import type { DataSource, Repository } from 'typeorm';
import { hourBuckets, METRIC, type MetricRange } from './metric.buckets.js';
import { MetricBucketEntity } from './metric.entity.js';

export interface ChannelMetricData {
  channelType: string;
  conversationsOpened: number;
}

export interface MetricBucketData {
  start: Date;
  conversationsOpened: number;
  firstResponses: number;
  avgFirstResponseSeconds: number | null;
}

export interface MetricSummaryData {
  from: Date;
  to: Date;
  conversationsOpened: number;
  firstResponses: number;
  avgFirstResponseSeconds: number | null;
  maxFirstResponseSeconds: number | null;
  byChannel: ChannelMetricData[];
  buckets: MetricBucketData[];
}

interface Agg {
  count: number;
  sum: number;
  max: number | null;
}

const num = (v: unknown): number => (v == null ? 0 : Number(v)); // MySQL returns SUM(int) as a DECIMAL string
const avg = (a: Agg | undefined): number | null => (a && a.count > 0 ? a.sum / a.count : null);

/** Reads the aggregates. Every method is scoped by tenant; ranges are hour-aligned (see resolveRange). */
export class MetricService {
  private readonly buckets: Repository<MetricBucketEntity>;

  constructor(private readonly ds: DataSource) {
    this.buckets = ds.getRepository(MetricBucketEntity);
  }

  async summary(tenantId: string, range: MetricRange): Promise<MetricSummaryData> {
    const base = () =>
      this.buckets
        .createQueryBuilder('b')
        .select('b.metric', 'metric')
        .addSelect('SUM(b.count)', 'count')
        .addSelect('SUM(b.sum)', 'sum')
        .addSelect('MAX(b.max)', 'max')
        .where('b.tenantId = :tenantId', { tenantId })
        .andWhere('b.metric IN (:...metrics)', { metrics: [METRIC.conversationsOpened, METRIC.firstResponseSeconds] })
        .andWhere('b.bucketStart >= :from AND b.bucketStart < :to', { from: range.from, to: range.to })
        .groupBy('b.metric');

    const [byChannelRows, byBucketRows] = await Promise.all([
      base().addSelect('b.channelType', 'channelType').addGroupBy('b.channelType').getRawMany<Record<string, unknown>>(),
      base().addSelect('b.bucketStart', 'start').addGroupBy('b.bucketStart').getRawMany<Record<string, unknown>>(),
    ]);

    const totals = new Map<string, Agg>();
    const byChannel: ChannelMetricData[] = [];
    for (const r of byChannelRows) {
      const metric = String(r.metric);
      const t = totals.get(metric) ?? { count: 0, sum: 0, max: null };
      t.count += num(r.count);
      t.sum += num(r.sum);
      if (r.max != null) t.max = Math.max(t.max ?? -Infinity, num(r.max));
      totals.set(metric, t);
      if (metric === METRIC.conversationsOpened) byChannel.push({ channelType: String(r.channelType), conversationsOpened: num(r.count) });
    }
    byChannel.sort((a, b) => b.conversationsOpened - a.conversationsOpened || a.channelType.localeCompare(b.channelType));

    const startColumn = this.buckets.metadata.findColumnWithPropertyName('bucketStart')!;
    const perBucket = new Map<number, { opened: number; responses?: Agg }>();
    for (const r of byBucketRows) {
      // MySQL hands back a Date, SQLite a 'YYYY-MM-DD HH:MM:SS.SSS' UTC string: let the driver hydrate it.
      const start = (this.ds.driver.prepareHydratedValue(r.start, startColumn) as Date).getTime();
      const b = perBucket.get(start) ?? { opened: 0 };
      if (r.metric === METRIC.conversationsOpened) b.opened += num(r.count);
      else b.responses = { count: num(r.count), sum: num(r.sum), max: num(r.max) };
      perBucket.set(start, b);
    }

    const opened = totals.get(METRIC.conversationsOpened);
    const responses = totals.get(METRIC.firstResponseSeconds);
    return {
      from: range.from,
      to: range.to,
      conversationsOpened: opened?.count ?? 0,
      firstResponses: responses?.count ?? 0,
      avgFirstResponseSeconds: avg(responses),
      maxFirstResponseSeconds: responses?.max ?? null,
      byChannel,
      buckets: hourBuckets(range.from, range.to).map((start) => {
        const b = perBucket.get(start.getTime());
        return {
          start,
          conversationsOpened: b?.opened ?? 0,
          firstResponses: b?.responses?.count ?? 0,
          avgFirstResponseSeconds: avg(b?.responses),
        };
      }),
    };
  }
}

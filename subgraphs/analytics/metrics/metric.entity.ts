import { Column, Entity, Index, PrimaryColumn } from 'typeorm';

/**
 * One hour of one metric for one tenant (and channel, where the metric has one): count, sum and max of the
 * values observed. Averages are sum / count, so buckets add up over any range.
 */
@Entity('metric_buckets')
@Index('uq_metric_buckets', ['tenantId', 'metric', 'bucketStart', 'channelType'], { unique: true })
export class MetricBucketEntity {
  @PrimaryColumn({ type: 'varchar', length: 36 })
  id: string;

  @Column({ name: 'tenant_id', type: 'varchar', length: 64 })
  tenantId: string;

  /** conversations_opened | first_response_seconds */
  @Column({ name: 'metric', type: 'varchar', length: 64 })
  metric: string;

  /** Start of the UTC hour. */
  @Column({ name: 'bucket_start', type: 'datetime', precision: 3 })
  bucketStart: Date;

  /** '' when the metric is not split by channel. */
  @Column({ name: 'channel_type', type: 'varchar', length: 40 })
  channelType: string;

  @Column({ name: 'count', type: 'int' })
  count: number;

  @Column({ name: 'sum', type: 'double' })
  sum: number;

  @Column({ name: 'max', type: 'double' })
  max: number;
}

/** Events already counted: the guard that makes redelivery (after a crash, or a claim) count nothing twice. */
@Entity('processed_events')
export class ProcessedEventEntity {
  @PrimaryColumn({ name: 'event_id', type: 'varchar', length: 36 })
  eventId: string;

  @Column({ name: 'tenant_id', type: 'varchar', length: 64 })
  tenantId: string;

  @Column({ name: 'processed_at', type: 'datetime', precision: 3 })
  processedAt: Date;
}

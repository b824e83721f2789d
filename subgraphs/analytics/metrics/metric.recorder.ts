import type { DataSource, EntityManager } from 'typeorm';
import { isRetryableTransactionError, isUniqueViolation } from '../../_shared/db-errors.js';
import type { DomainEvent } from '../../_shared/events.js';
import { newId } from '../../_shared/ids.js';
import type { Logger } from '../../_shared/logger.js';
import { toObservation, type Observation } from './metric.buckets.js';
import { MetricBucketEntity, ProcessedEventEntity } from './metric.entity.js';

export type RecordOutcome = 'recorded' | 'duplicate' | 'ignored' | 'malformed';

const MAX_ATTEMPTS = 8;

/**
 * Turns domain events into hour-bucket aggregates, exactly once per event id.
 *
 * In one transaction: insert the event id into processed_events (a unique violation there means the event was
 * counted before: nothing to do, the caller acks), then add the value to its bucket. The bucket is bumped with an
 * atomic `UPDATE … SET count = count + 1`; when no row exists yet it is inserted, and if another replica inserted
 * it in between (unique violation on uq_metric_buckets) the insert is retried as an update. A deadlock or lock
 * timeout rolls back the whole transaction, which is then retried, so a retry never counts twice either.
 */
export class MetricRecorder {
  // On SQLite the data source itself runs transactions one at a time (see buildDataSource).
  constructor(private readonly ds: DataSource, private readonly log: Logger) {}

  async handle(event: DomainEvent): Promise<RecordOutcome> {
    const result = toObservation(event);
    if (result.kind === 'ignore') return 'ignored';
    if (result.kind === 'malformed') {
      // Retrying cannot fix it; log (no personal data: ids and the reason only) and let the bus ack it.
      this.log.warn({ eventId: event?.id, type: event?.type, tenantId: event?.tenantId, reason: result.reason }, 'malformed event skipped by analytics');
      return 'malformed';
    }
    const outcome = await this.withRetry(() => this.apply(result.observation));
    this.log.debug({ eventId: event.id, type: event.type, tenantId: event.tenantId, outcome }, 'analytics event handled');
    return outcome;
  }

  private async withRetry<T>(fn: () => Promise<T>): Promise<T> {
    for (let attempt = 1; ; attempt++) {
      try {
        return await fn();
      } catch (e) {
        if (attempt >= MAX_ATTEMPTS || !isRetryableTransactionError(e)) throw e;
        this.log.debug({ attempt, code: (e as { driverError?: { code?: string } }).driverError?.code }, 'analytics transaction lost a lock race; retrying');
        await new Promise((r) => setTimeout(r, Math.random() * 20 * 2 ** attempt));
      }
    }
  }

  private apply(o: Observation): Promise<'recorded' | 'duplicate'> {
    return this.ds.transaction(async (m) => {
      try {
        await m.insert(ProcessedEventEntity, { eventId: o.eventId, tenantId: o.tenantId, processedAt: new Date() });
      } catch (e) {
        if (isUniqueViolation(e)) return 'duplicate';
        throw e;
      }
      await this.bump(m, o);
      return 'recorded';
    });
  }

  private async bump(m: EntityManager, o: Observation): Promise<void> {
    const q = (c: string) => m.connection.driver.escape(c);
    const key = { tenantId: o.tenantId, metric: o.metric, bucketStart: o.bucketStart, channelType: o.channelType };
    for (let attempt = 0; attempt < 2; attempt++) {
      const updated = await m
        .createQueryBuilder()
        .update(MetricBucketEntity)
        .set({
          count: () => `${q('count')} + 1`,
          sum: () => `${q('sum')} + :value`,
          max: () => `CASE WHEN ${q('max')} < :value THEN :value ELSE ${q('max')} END`,
        })
        .where(key)
        .setParameter('value', o.value)
        .execute();
      if (updated.affected) return;
      if (attempt > 0) break;
      try {
        await m.insert(MetricBucketEntity, { id: newId(), ...key, count: 1, sum: o.value, max: o.value });
        return;
      } catch (e) {
        if (!isUniqueViolation(e)) throw e;
        // another replica created the bucket since our update: add to it instead
        this.log.debug({ tenantId: o.tenantId, metric: o.metric, bucketStart: o.bucketStart }, 'metric bucket created concurrently; updating it');
      }
    }
    throw new Error(`metric bucket ${o.metric} ${o.bucketStart.toISOString()} neither updatable nor insertable`);
  }
}

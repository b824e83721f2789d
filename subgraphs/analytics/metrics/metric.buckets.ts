import { badInput } from '../../_shared/errors.js';
import type { DomainEvent } from '../../_shared/events.js';

/** The metrics this subgraph aggregates, as stored in metric_buckets.metric. */
export const METRIC = {
  conversationsOpened: 'conversations_opened',
  firstResponseSeconds: 'first_response_seconds',
} as const;
export type MetricName = (typeof METRIC)[keyof typeof METRIC];

export const HOUR_MS = 3_600_000;
export const DAY_MS = 24 * HOUR_MS;
export const MAX_RANGE_DAYS = 93;
export const DEFAULT_RANGE_MS = DAY_MS;

/** Column limits of metric_buckets / processed_events: an event that does not fit is malformed, not retried. */
const MAX_EVENT_ID = 36;
const MAX_TENANT_ID = 64;
const MAX_CHANNEL_TYPE = 40;

/** Start of the UTC hour that contains `at` (aggregates are kept in hour buckets). */
export function hourBucket(at: Date): Date {
  return new Date(Math.floor(at.getTime() / HOUR_MS) * HOUR_MS);
}

/** The smallest hour boundary at or after `at`. */
export function hourCeil(at: Date): Date {
  return new Date(Math.ceil(at.getTime() / HOUR_MS) * HOUR_MS);
}

/** Start of every hour bucket in [from, to), both hour-aligned. */
export function hourBuckets(from: Date, to: Date): Date[] {
  const out: Date[] = [];
  for (let t = hourBucket(from).getTime(); t < to.getTime(); t += HOUR_MS) out.push(new Date(t));
  return out;
}

export interface MetricRange {
  from: Date;
  to: Date;
}

/**
 * The window a metrics query covers. Defaults: the last 24 hours up to the end of the current hour.
 * Refuses from >= to and windows longer than 93 days. The result is widened to whole hour buckets,
 * since that is the resolution the aggregates are kept at.
 */
export function resolveRange(input: { from?: Date | null; to?: Date | null }, now: Date): MetricRange {
  const to = input.to ?? new Date(hourBucket(now).getTime() + HOUR_MS);
  const from = input.from ?? new Date(to.getTime() - DEFAULT_RANGE_MS);
  if (from.getTime() >= to.getTime()) throw badInput('from must be before to', 'from');
  if (to.getTime() - from.getTime() > MAX_RANGE_DAYS * DAY_MS) throw badInput(`the range may not exceed ${MAX_RANGE_DAYS} days`, 'to');
  return { from: hourBucket(from), to: hourCeil(to) };
}

/** One value observed for one metric, in the bucket where the event happened. */
export interface Observation {
  eventId: string;
  tenantId: string;
  metric: MetricName;
  bucketStart: Date;
  /** '' when the event names no channel. */
  channelType: string;
  value: number;
}

export type ObservationResult = { kind: 'observe'; observation: Observation } | { kind: 'ignore' } | { kind: 'malformed'; reason: string };

const isNonEmptyString = (v: unknown, max: number): v is string => typeof v === 'string' && v.length > 0 && v.length <= max;

/**
 * What a domain event contributes to the aggregates. Pure: events of other types are ignored;
 * events of our types that cannot be stored (missing tenant, bad time, negative seconds...) are malformed.
 * Buckets follow when the event happened (occurredAt), not when it is processed, so a consumer catching up
 * after downtime fills the right hours.
 */
export function toObservation(event: DomainEvent): ObservationResult {
  if (event?.type !== 'conversation.opened' && event?.type !== 'conversation.first_response') return { kind: 'ignore' };
  if (!isNonEmptyString(event.id, MAX_EVENT_ID)) return { kind: 'malformed', reason: 'id must be a string of 1 to 36 characters' };
  if (!isNonEmptyString(event.tenantId, MAX_TENANT_ID)) return { kind: 'malformed', reason: 'tenantId must be a string of 1 to 64 characters' };
  const at = typeof event.occurredAt === 'string' ? new Date(event.occurredAt) : new Date(NaN);
  if (Number.isNaN(at.getTime())) return { kind: 'malformed', reason: 'occurredAt must be an ISO-8601 time' };
  const data = (event.data ?? {}) as Record<string, unknown>;
  const base = { eventId: event.id, tenantId: event.tenantId, bucketStart: hourBucket(at) };
  if (event.type === 'conversation.opened') {
    // Opened already RESOLVED: a record of an order or call event, not a customer's contact (conversations ingest).
    if (data.to === 'RESOLVED') return { kind: 'ignore' };
    const channel = data.channelType;
    if (channel != null && !(typeof channel === 'string' && channel.length <= MAX_CHANNEL_TYPE)) {
      return { kind: 'malformed', reason: 'data.channelType must be a string of at most 40 characters' };
    }
    return { kind: 'observe', observation: { ...base, metric: METRIC.conversationsOpened, channelType: channel ?? '', value: 1 } };
  }
  const seconds = data.seconds;
  if (typeof seconds !== 'number' || !Number.isFinite(seconds) || seconds < 0) {
    return { kind: 'malformed', reason: 'data.seconds must be a finite number >= 0' };
  }
  return { kind: 'observe', observation: { ...base, metric: METRIC.firstResponseSeconds, channelType: '', value: seconds } };
}

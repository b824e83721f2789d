import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { RawRoute } from '../../_shared/subgraph-module.js';

/** The database-wide backlog (every tenant): what an operator alerts on. */
export interface BacklogTotals {
  pending: number;
  failed: number;
  waitingForReplay: number;
  /** Age of the oldest PENDING or PROCESSING payload, 0 when there is none. */
  oldestPendingSeconds: number;
}

/** What this process holds: payloads queued here and processing's pace. */
export interface LocalIngestState {
  queued: number;
  holding: boolean;
  batch: number;
}

/**
 * Prometheus metrics of the channel layer, one registry per process (no global one): webhooks by channel type
 * and HTTP status with their acknowledgement time, inbound payloads processed or failed, outbound sends, the
 * backlog in the database and in this process, and Node's own (event loop delay, GC, memory). Labels are
 * channel types and statuses only: never a tenant, a channel id or anything a customer wrote.
 */
export class ChannelMetrics {
  readonly registry = new Registry();
  private readonly webhooks: Counter<'channel_type' | 'status'>;
  private readonly ackSeconds: Histogram<'channel_type'>;
  private readonly inbound: Counter<'channel_type' | 'result'>;
  private readonly outbound: Counter<'channel_type' | 'result'>;
  private readonly batches: Histogram<never>;

  constructor(o: { backlog?: () => Promise<BacklogTotals>; local?: () => LocalIngestState; nodeDefaults?: boolean } = {}) {
    const registers = [this.registry];
    this.webhooks = new Counter({ name: 'huiliu_webhook_requests_total', help: 'Webhook requests answered, by channel type (unknown before the channel is found) and HTTP status.', labelNames: ['channel_type', 'status'], registers });
    this.ackSeconds = new Histogram({
      name: 'huiliu_webhook_ack_seconds', help: 'Time from a webhook request to its answer (the payload stored first), accepted requests only.', labelNames: ['channel_type'], registers,
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
    });
    this.inbound = new Counter({ name: 'huiliu_inbound_payloads_total', help: 'Stored inbound payloads processed into messages, or failed (each failed attempt counts).', labelNames: ['channel_type', 'result'], registers });
    this.batches = new Histogram({
      name: 'huiliu_ingest_batch_payloads', help: 'Payloads per processing batch started here (few large batches: processing keeps pace with fewer statements).', buckets: [1, 2, 4, 8, 16, 32, 64], registers,
    });
    this.outbound = new Counter({ name: 'huiliu_outbound_sends_total', help: 'Outbound send attempts through channel plugins: sent, retry (failed, rescheduled) or failed (given up or refused).', labelNames: ['channel_type', 'result'], registers });
    if (o.backlog) {
      const backlog = o.backlog;
      let last: Promise<BacklogTotals> | null = null;
      // One query per scrape for the four gauges: a scrape calls their collect() together, so the first starts the
      // query and the others share it while it runs; the next scrape queries afresh.
      // A database that does not answer makes the gauges NaN (unknown), not the whole scrape fail.
      const none: BacklogTotals = { pending: NaN, failed: NaN, waitingForReplay: NaN, oldestPendingSeconds: NaN };
      const totals = () => (last ??= backlog().catch(() => none).finally(() => { last = null; }));
      const gauge = (name: string, help: string, pick: (b: BacklogTotals) => number) => new Gauge({
        name, help, registers, async collect() { this.set(pick(await totals())); },
      });
      gauge('huiliu_inbound_backlog_pending', 'Stored payloads waiting for processing or being processed, all tenants.', (b) => b.pending);
      gauge('huiliu_inbound_backlog_failed', 'Stored payloads that failed (retried on a schedule or waiting for a replay), all tenants.', (b) => b.failed);
      gauge('huiliu_inbound_backlog_waiting_for_replay', 'Failed payloads with no retry left: replayInboundPayloads brings them back.', (b) => b.waitingForReplay);
      gauge('huiliu_inbound_oldest_pending_seconds', 'Age of the oldest payload waiting for processing (0 when none): how far behind processing is.', (b) => b.oldestPendingSeconds);
    }
    if (o.local) {
      const local = o.local;
      new Gauge({ name: 'huiliu_ingest_queued', help: 'Payloads queued for processing in this process.', registers, collect() { this.set(local().queued); } });
      new Gauge({ name: 'huiliu_ingest_paced', help: '1 while processing here backs off because acknowledgements are slow (INGEST_ACK_TARGET_MS).', registers, collect() { this.set(local().holding ? 1 : 0); } });
      new Gauge({ name: 'huiliu_ingest_batch', help: 'Payloads per processing batch here now (smaller while paced).', registers, collect() { this.set(local().batch); } });
    }
    if (o.nodeDefaults !== false) collectDefaultMetrics({ register: this.registry, prefix: 'huiliu_' });
  }

  webhook(channelType: string, status: number, seconds: number | null): void {
    this.webhooks.inc({ channel_type: channelType, status: String(status) });
    if (seconds !== null) this.ackSeconds.observe({ channel_type: channelType }, seconds);
  }

  /** A processing batch of `payloads` started. */
  batch(payloads: number): void {
    this.batches.observe(payloads);
  }

  processed(channelType: string, result: 'processed' | 'failed'): void {
    this.inbound.inc({ channel_type: channelType, result });
  }

  sent(channelType: string, result: 'sent' | 'retry' | 'failed'): void {
    this.outbound.inc({ channel_type: channelType, result });
  }
}

/** GET /metrics: the Prometheus text format, on the deployable's own (internal) port. */
export function metricsRoute(metrics: ChannelMetrics): RawRoute {
  return (req, res) => {
    if ((req.url ?? '').split('?')[0] !== '/metrics') return false;
    if (req.method !== 'GET') {
      res.writeHead(405, { allow: 'GET', 'content-type': 'text/plain' }).end('method not allowed');
      return true;
    }
    metrics.registry.metrics().then(
      (text) => res.writeHead(200, { 'content-type': metrics.registry.contentType }).end(text),
      () => res.writeHead(503, { 'content-type': 'text/plain' }).end('metrics unavailable'),
    );
    return true;
  };
}

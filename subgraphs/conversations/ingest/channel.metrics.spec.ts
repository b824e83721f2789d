import { metric } from '../../../test/helpers/metrics.js';
import { ChannelMetrics } from './channel.metrics.js';

describe('ChannelMetrics', () => {
  it('asks the database for the backlog once per scrape, afresh each scrape, and shows NaN rather than failing when it cannot', async () => {
    let calls = 0;
    let down = false;
    const m = new ChannelMetrics({
      nodeDefaults: false,
      backlog: async () => {
        calls++;
        if (down) throw new Error('database gone');
        return { pending: calls, failed: 2, waitingForReplay: 1, oldestPendingSeconds: 42 };
      },
      local: () => ({ queued: 7, holding: true, batch: 4 }),
    });
    const first = await m.registry.metrics();
    expect(calls).toBe(1);
    expect([metric(first, 'huiliu_inbound_backlog_pending'), metric(first, 'huiliu_inbound_backlog_failed'), metric(first, 'huiliu_inbound_backlog_waiting_for_replay'), metric(first, 'huiliu_inbound_oldest_pending_seconds')]).toEqual([1, 2, 1, 42]);
    expect([metric(first, 'huiliu_ingest_queued'), metric(first, 'huiliu_ingest_paced'), metric(first, 'huiliu_ingest_batch')]).toEqual([7, 1, 4]);
    expect(metric(await m.registry.metrics(), 'huiliu_inbound_backlog_pending')).toBe(2); // not a cached answer
    down = true;
    const third = await m.registry.metrics();
    expect(metric(third, 'huiliu_inbound_backlog_pending')).toBeNaN();
    expect(metric(third, 'huiliu_ingest_queued')).toBe(7);
  });

  it('labels webhooks, payloads and sends by channel type and outcome', async () => {
    const m = new ChannelMetrics({ nodeDefaults: false });
    m.webhook('douyin', 200, 0.004);
    m.webhook('douyin', 200, 0.3);
    m.webhook('douyin', 401, null);
    m.processed('douyin', 'processed');
    m.sent('douyin', 'retry');
    const text = await m.registry.metrics();
    expect(metric(text, 'huiliu_webhook_requests_total', { channel_type: 'douyin', status: '200' })).toBe(2);
    expect(metric(text, 'huiliu_webhook_ack_seconds_bucket', { channel_type: 'douyin', le: '0.005' })).toBe(1);
    expect(metric(text, 'huiliu_webhook_ack_seconds_bucket', { channel_type: 'douyin', le: '0.5' })).toBe(2);
    expect(metric(text, 'huiliu_inbound_payloads_total', { channel_type: 'douyin', result: 'processed' })).toBe(1);
    expect(metric(text, 'huiliu_outbound_sends_total', { channel_type: 'douyin', result: 'retry' })).toBe(1);
  });
});

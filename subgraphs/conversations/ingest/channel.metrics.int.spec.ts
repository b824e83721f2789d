import { wechatPush, wechatXml } from '../../../plugins/wechat-common/wechat.testing.js';
import { gqlOk } from '../../../test/helpers/graphql-client.js';
import { metric, scrape } from '../../../test/helpers/metrics.js';
import { startTestSubgraph, type TestSubgraph } from '../../../test/helpers/subgraph-harness.js';
import mysql from 'mysql2/promise';
import { newTenant, TEST_MYSQL_URL, TEST_SECRET, tokenFor } from '../../../test/helpers/env.js';
import { customersSubgraph } from '../../customers/index.js';
import type { IngestConfig } from './ingest.config.js';
import { conversationsWithIngest } from './ingest.module.js';

jest.setTimeout(60_000);

const CFG = { appId: 'wx4ab900c96f6b0360', appSecret: 'app-secret-0123456789', token: 'QDG6eK', encodingAESKey: 'jWmYm7qr5nMoAUwZRjGtBxmz3KA1tkAj3ykkR6q2B2C', mode: 'safe' };
let msgId = 4_000_000_000_000_000_000n;

function push(openId: string, text: string) {
  const ts = String(Math.floor(Date.now() / 1000));
  const body = wechatXml({ ToUserName: 'gh_metrics', FromUserName: openId, CreateTime: Number(ts), MsgType: 'text', Content: text, MsgId: String(msgId++) });
  return wechatPush({ token: CFG.token, appId: CFG.appId, encodingAESKey: CFG.encodingAESKey, mode: 'safe', body, timestamp: ts, nonce: String(Math.floor(Math.random() * 1e9)) });
}

async function post(base: string, channelId: string, req: { query: Record<string, string>; rawBody: Buffer }) {
  return (await fetch(`${base}/webhooks/${channelId}?${new URLSearchParams(req.query)}`, { method: 'POST', headers: { 'content-type': 'text/xml' }, body: new Uint8Array(req.rawBody) })).status;
}

const until = async (f: () => Promise<boolean>, ms = 15_000) => {
  for (const end = Date.now() + ms; !(await f());) {
    if (Date.now() > end) throw new Error('timed out waiting');
    await new Promise((r) => setTimeout(r, 100));
  }
};

describe('what an operator sees of the channels: GET /metrics and Channel.traffic (MariaDB + Redis)', () => {
  let customers: TestSubgraph;
  let conv: TestSubgraph | undefined;
  beforeAll(async () => {
    // The backlog gauges count every tenant's payloads: start from an empty database.
    const admin = await mysql.createConnection({ uri: TEST_MYSQL_URL });
    await admin.query('DROP DATABASE IF EXISTS `huiliu_test_metrics`');
    await admin.end();
    customers = await startTestSubgraph(customersSubgraph, { db: 'metrics_customers', stream: 'metrics-customers' });
  });
  afterAll(async () => {
    await conv?.close();
    await customers?.close();
  });
  const start = (over: Partial<IngestConfig>) => startTestSubgraph(conversationsWithIngest({
    customersUrl: customers.url, jwtSecret: TEST_SECRET, sweepIntervalMs: 0, plugins: ['builtins'], ...over,
  }), { db: 'metrics', stream: 'metrics' });

  it('counts webhooks by channel type and status with their ack time, payloads processed and failed, and the backlog; no tenant, id or text in it', async () => {
    // The customers subgraph unreachable and one attempt: messages are acknowledged, then fail and wait for a replay.
    conv = await start({ customersUrl: 'http://127.0.0.1:9/graphql', maxAttempts: 1 });
    const base = conv.url.replace(/\/graphql$/, '');
    const tenant = newTenant('metrics');
    const admin = await tokenFor(tenant, ['admin']);
    const channelId = (await gqlOk(conv.url, `mutation($i: CreateChannelInput!) { createChannel(input: $i) { channel { id } } }`, { i: { type: 'wechat-oa', name: 'OA', config: CFG } }, admin)).createChannel.channel.id as string;

    expect(await post(base, channelId, push('oMetricsA', '米到了吗'))).toBe(200);
    expect(await post(base, channelId, push('oMetricsB', '发票'))).toBe(200);
    const forged = push('oMetricsA', 'forged');
    forged.query.msg_signature = '0'.repeat(40);
    expect(await post(base, channelId, forged)).toBe(401);
    expect(await post(base, '00000000-0000-4000-8000-000000000000', push('oMetricsA', 'nowhere'))).toBe(404);

    const failed = (t: string) => metric(t, 'huiliu_inbound_payloads_total', { channel_type: 'wechat-oa', result: 'failed' });
    await until(async () => failed(await scrape(base)) === 2);
    const text = await scrape(base);
    expect(metric(text, 'huiliu_webhook_requests_total', { channel_type: 'wechat-oa', status: '200' })).toBe(2);
    expect(metric(text, 'huiliu_webhook_requests_total', { channel_type: 'wechat-oa', status: '401' })).toBe(1);
    expect(metric(text, 'huiliu_webhook_requests_total', { channel_type: 'unknown', status: '404' })).toBe(1);
    expect(metric(text, 'huiliu_webhook_ack_seconds_count', { channel_type: 'wechat-oa' })).toBe(2); // accepted ones only
    expect(metric(text, 'huiliu_webhook_ack_seconds_bucket', { channel_type: 'wechat-oa', le: '+Inf' })).toBe(2);
    expect(metric(text, 'huiliu_inbound_payloads_total', { result: 'processed' })).toBe(0);
    expect(metric(text, 'huiliu_inbound_backlog_failed')).toBe(2);
    expect(metric(text, 'huiliu_inbound_backlog_waiting_for_replay')).toBe(2);
    expect(metric(text, 'huiliu_inbound_backlog_pending')).toBe(0);
    expect(metric(text, 'huiliu_inbound_oldest_pending_seconds')).toBe(0);
    expect(text).toMatch(/^huiliu_nodejs_eventloop_lag_p99_seconds /m);
    for (const secret of [tenant, channelId, '米到了吗', 'oMetricsA', CFG.appSecret, CFG.encodingAESKey]) expect(text).not.toContain(secret);

    // The same story per channel, in GraphQL: messages got through, and the last one refused was a bad signature.
    const TRAFFIC = `query { channels { id traffic { lastAcceptedAt lastRefusal { at status code reason } } } }`;
    const [channel] = (await gqlOk(conv.url, TRAFFIC, {}, admin)).channels;
    expect(channel.traffic).toMatchObject({ lastAcceptedAt: expect.any(String), lastRefusal: { status: 401, code: 'AUTH', reason: expect.stringMatching(/signature/) } });
    expect(Date.now() - Date.parse(channel.traffic.lastAcceptedAt)).toBeLessThan(60_000);
    const agent = await tokenFor(tenant, ['agent'], 'agent-metrics');
    expect((await gqlOk(conv.url, TRAFFIC, {}, agent)).channels).toEqual([{ id: channelId, traffic: null }]); // admins' view

    // A replica that stores but does not process (a crash before processing): the backlog's age grows.
    await conv.close();
    conv = await start({ processInline: false });
    const base2 = conv.url.replace(/\/graphql$/, '');
    expect(await post(base2, channelId, push('oMetricsC', '还在吗'))).toBe(200);
    await new Promise((r) => setTimeout(r, 1100));
    const later = await scrape(base2);
    expect(metric(later, 'huiliu_inbound_backlog_pending')).toBe(1);
    expect(metric(later, 'huiliu_inbound_oldest_pending_seconds')).toBeGreaterThanOrEqual(1);

    // Customers is back: a replay processes the failed ones, and the counters say so.
    const replay = (await gqlOk(conv.url, `mutation { replayInboundPayloads(input: {}) { queued } }`, {}, admin)).replayInboundPayloads;
    expect(replay.queued).toBe(2);
    await conv.close();
    conv = await start({ sweepIntervalMs: 100 }); // its boot sweep takes the PENDING ones
    const base3 = conv.url.replace(/\/graphql$/, '');
    await until(async () => metric(await scrape(base3), 'huiliu_inbound_payloads_total', { channel_type: 'wechat-oa', result: 'processed' }) === 3);
    await until(async () => metric(await scrape(base3), 'huiliu_inbound_backlog_pending') === 0);
    expect(metric(await scrape(base3), 'huiliu_inbound_backlog_failed')).toBe(0);
    expect((await fetch(`${base3}/metrics`, { method: 'POST' })).status).toBe(405);
  });
});

import { createConnection } from 'mysql2/promise';
import { postPush, safeTextPush } from '../../plugins/wechat-common/wechat.testing.js';
import { gqlOk } from '../helpers/graphql-client.js';
import { newTenant, tokenFor, TEST_REDIS_URL } from '../helpers/env.js';
import { createEdgeAccount } from '../helpers/edge-account.js';
import { eventually, freePort, startNode, waitForOk, type NodeProcess } from '../helpers/processes.js';
import { startSubgraphs, type Started } from '../helpers/topology.js';

/**
 * GATEWAY_INGEST=edge as real processes on MariaDB and Redis: the gateway verifies, stores and acknowledges
 * webhooks itself and a conversations replica processes them from the Redis stream; the gateway keeps
 * acknowledging while no conversations replica runs, and what it stored then is processed once one is back.
 * The gateway runs under the least-privileged account of deploy/mysql/edge-grants.sql, as docker-compose.yml runs it:
 * a grant the edge needs and the file lacks fails these tests.
 */

const DB = 'huiliu_e2e_edge';
const OA = { appId: 'wx5823bf96d3bd56c7', appSecret: 'edge-app-secret-0123456789abcdef', token: 'EdgeT0ken', encodingAESKey: 'kWxPEV2UEDyxWpmPdKC3F4dgPDmOvfKX1HGnEUDS1aR', mode: 'safe' };
const CHANNEL_KEY = `e1:${Buffer.from('huiliu-e2e-channel-secret-key-32').toString('base64')}`;
const CONVERSATIONS = `{ conversations(first: 50) { nodes { id channelType messages { nodes { text } } } } }`;
describe('ingest at the edge: the gateway acknowledges webhooks, the replicas process them', () => {
  const procs: Started[] = [];
  let gateway: NodeProcess;
  let base: string;
  let metricsPort: number;
  let customersUrl: string;
  let edgeDatabaseUrl: string;
  const tenant = newTenant('edge');
  let admin: string;
  // The conversations replicas and the edge read the same settings: database, stream, keys, plugins.
  const shared = { EVENTS_STREAM: `huiliu:${DB}:events`, CHANNEL_SECRET_KEYS: CHANNEL_KEY, INGEST_SWEEP_MS: '200' };
  const startConversations = async () => (await startSubgraphs([{ name: 'conversations' }], DB, { CUSTOMERS_URL: customersUrl, PUBLIC_BASE_URL: base, ...shared })).conversations;

  beforeAll(async () => {
    const port = await freePort();
    base = `http://127.0.0.1:${port}`;
    const customers = await startSubgraphs([{ name: 'customers' }], DB);
    customersUrl = customers.customers.url;
    procs.push(customers.customers);
    const conversations = await startConversations();
    procs.push(conversations);
    const dead = `http://127.0.0.1:${await freePort()}/graphql`;
    metricsPort = await freePort();
    edgeDatabaseUrl = await createEdgeAccount(DB); // the tables exist: the replica has migrated
    gateway = startNode('gateway-edge', 'gateway/main.js', {
      PORT: String(port), HOST: '127.0.0.1', GATEWAY_INGEST: 'edge',
      DATABASE_URL: edgeDatabaseUrl, REDIS_URL: TEST_REDIS_URL, REPLICA_ID: 'edge', METRICS_PORT: String(metricsPort), ...shared,
      SUBGRAPH_CUSTOMERS_URL: customersUrl, SUBGRAPH_CONVERSATIONS_URL: conversations.url,
      SUBGRAPH_TICKETS_URL: dead, SUBGRAPH_KNOWLEDGE_URL: dead, SUBGRAPH_ANALYTICS_URL: dead,
    });
    await waitForOk(`${base}/healthz`, gateway);
    admin = await tokenFor(tenant, ['admin']);
  }, 120_000);

  afterAll(async () => {
    await gateway?.stop();
    await Promise.all(procs.map((p) => p.proc.stop()));
  });

  let msgId = BigInt(Date.now()) * 1000n;
  const push = (text: string, o: { badSignature?: boolean } = {}) => safeTextPush(OA, { to: 'gh_edge', from: 'oEdgeCustomer', text, msgId: String(msgId++), ...o });
  const post = postPush;
  const texts = async (graphqlUrl: string) => ((await gqlOk(graphqlUrl, CONVERSATIONS, {}, admin)).conversations.nodes as Array<{ messages: { nodes: Array<{ text: string }> } }>)
    .flatMap((c) => c.messages.nodes.map((m) => m.text));

  test('an account without one of the grants, or without any, stops the boot with what to grant, before any webhook could fail', async () => {
    const boot = async (withoutGrantOn: string) => {
      const p = startNode('gateway-edge-lacking', 'gateway/main.js', {
        PORT: String(await freePort()), HOST: '127.0.0.1', GATEWAY_INGEST: 'edge', DATABASE_URL: await createEdgeAccount(DB, { withoutGrantOn }),
        REDIS_URL: TEST_REDIS_URL, METRICS_PORT: 'off', EVENTS_STREAM: `huiliu:${DB}:events`, CHANNEL_SECRET_KEYS: CHANNEL_KEY, SUBGRAPH_CONVERSATIONS_URL: procs[1].url,
      });
      expect(await p.exited).toBe(1);
      expect(p.output()).not.toMatch(/edge-test-Pa55word|\n\s+at /); // no password, no stack trace
      return p.output();
    };
    expect(await boot('message_deliveries')).toContain('DATABASE_URL: the account lacks SELECT on message_deliveries: grant it deploy/mysql/edge-grants.sql');
    expect(await boot('*')).toContain('DATABASE_URL: the account has no grant in this database: grant it deploy/mysql/edge-grants.sql');
  }, 60_000);

  // Before the outage below: the gateway's conversations subgraph URL is this first replica's.
  test('the chat widget at the edge: a visitor writes, an agent answers, the visitor syncs it and types; the account can do no more', async () => {
    const agent = await tokenFor(tenant, ['agent'], 'edge-agent');
    const web = (await gqlOk(`${base}/graphql`, `mutation($i: CreateChannelInput!) { createChannel(input: $i) { webhookUrl } }`,
      { i: { type: 'web', name: '官网', config: { widgetSecret: 'edge-widget-secret-0123456789abcdefgh' } } }, admin)).createChannel.webhookUrl as string;
    const frame = async (body: object) => {
      const r = await fetch(web, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
      expect(r.status).toBe(200);
      return r.json();
    };
    const { token } = await frame({ v: 1, type: 'hello' });
    expect(await frame({ v: 1, type: 'message', token, id: 'w-1', content: { kind: 'text', text: '边缘的网页咨询' } })).toMatchObject({ type: 'ack', ids: ['w-1'] });
    const conv = await eventually(async () => ((await gqlOk(`${base}/graphql`, CONVERSATIONS, {}, admin)).conversations.nodes as Array<{ id: string; channelType: string }>)
      .find((c) => c.channelType === 'web'), 20_000);
    const sent = (await gqlOk(`${base}/graphql`, `mutation($i: SendMessageInput!) { sendMessage(input: $i) { message { id delivery { status outcome } } } }`,
      { i: { conversationId: conv.id, text: '已为您查询' } }, agent)).sendMessage.message;
    expect(sent.delivery).toEqual({ status: 'SENT', outcome: 'queued' }); // no socket open: kept for the visitor's sync
    // sync reads our deliveries and messages, typing reads the conversation: both at the edge, under its account
    expect(await frame({ v: 1, type: 'sync', token })).toMatchObject({ type: 'messages', more: false, messages: [{ id: sent.id, content: { kind: 'text', text: '已为您查询' } }] });
    expect((await frame({ v: 1, type: 'typing', token, state: 'start' })).type).not.toBe('error');

    // the edge's account reads and stores what ingest needs, and nothing else: no update, no customers' table
    const edgeSql = await createConnection({ uri: edgeDatabaseUrl });
    try {
      await expect(edgeSql.query('UPDATE messages SET text = text')).rejects.toMatchObject({ code: 'ER_TABLEACCESS_DENIED_ERROR' });
      await expect(edgeSql.query('SELECT id FROM customers LIMIT 1')).rejects.toMatchObject({ code: 'ER_TABLEACCESS_DENIED_ERROR' });
      await expect(edgeSql.query('DELETE FROM inbound_payloads')).rejects.toMatchObject({ code: 'ER_TABLEACCESS_DENIED_ERROR' });
    } finally {
      await edgeSql.end();
    }
    // and nothing the edge did was refused (a relay's failure is only logged: typing is live-only)
    await new Promise((r) => setTimeout(r, 300));
    expect(gateway.output()).not.toMatch(/command denied/i);
  }, 60_000);

  test('acknowledged at the gateway, processed once by a replica, refused when forged, and accepted while no replica runs', async () => {
    const ready = await fetch(`${base}/readyz`).then((r) => r.json());
    expect(ready.checks).toMatchObject({ 'edge-database': 'ok', 'edge-redis': 'ok', conversations: 'ok' });

    const created = (await gqlOk(`${base}/graphql`, `mutation($i: CreateChannelInput!) { createChannel(input: $i) { webhookUrl channel { id } } }`,
      { i: { type: 'wechat-oa', name: '服务号', config: OA } }, admin)).createChannel;
    const webhookUrl: string = created.webhookUrl;
    expect(webhookUrl).toBe(`${base}/webhooks/${created.channel.id}`);

    // WeChat redelivers: the same delivery three times, every one answered "success", one message
    const first = push('边缘收到的第一条');
    for (const a of await Promise.all([1, 2, 3].map(() => post(webhookUrl, first)))) expect(a).toEqual({ status: 200, body: 'success' });
    await eventually(async () => ((await texts(`${base}/graphql`)).includes('边缘收到的第一条') ? true : undefined), 20_000);
    expect((await texts(`${base}/graphql`)).filter((t) => t === '边缘收到的第一条')).toHaveLength(1);
    // stored by the edge: the payload is there for admins, under the channel, processed
    const payloads = async () => (await gqlOk(`${base}/graphql`, `query($c: ID) { inboundPayloads(channelId: $c, first: 200) { id status } }`, { c: created.channel.id }, admin)).inboundPayloads as Array<{ status: string }>;
    expect(await payloads()).toEqual([expect.objectContaining({ status: 'PROCESSED' })]);

    // a forged signature is refused at the edge, and nothing is stored
    expect((await post(webhookUrl, push('伪造的', { badSignature: true }))).status).toBe(401);
    expect(await payloads()).toHaveLength(1);
    expect((await post(`${base}/webhooks/00000000-0000-4000-8000-000000000000`, push('无此渠道'))).status).toBe(404);

    // the edge counts what it answered on its own metrics port; the public port does not serve them
    const scraped = await fetch(`http://127.0.0.1:${metricsPort}/metrics`).then((r) => r.text());
    expect(scraped).toMatch(/huiliu_webhook_requests_total\{channel_type="wechat-oa",status="200"\} 3\b/);
    expect(scraped).toMatch(/huiliu_webhook_requests_total\{channel_type="wechat-oa",status="401"\} 1\b/);
    expect((await fetch(`${base}/metrics`)).status).not.toBe(200);

    // every conversations replica down: the edge still acknowledges, and keeps what it acknowledged
    await procs[1].proc.stop();
    const down = await fetch(`${base}/readyz`).then((r) => r.json());
    expect(down.checks.conversations).toMatch(/^down/);
    expect(down.checks['edge-database']).toBe('ok');
    // a load balancer routing webhooks asks only what taking them needs: still ready
    const forWebhooks = await fetch(`${base}/readyz?scope=webhooks`);
    expect(forWebhooks.status).toBe(200);
    expect((await forWebhooks.json()).checks).toEqual({ 'edge-database': 'ok', 'edge-redis': 'ok' });
    expect(await post(webhookUrl, push('副本都停了也收下'))).toEqual({ status: 200, body: 'success' });

    // a replica back (another port): its sweeper takes what the edge stored meanwhile
    const back = await startConversations();
    procs[1] = back;
    await eventually(async () => ((await texts(back.url)).includes('副本都停了也收下') ? true : undefined), 30_000);
    expect((await texts(back.url)).filter((t) => t === '副本都停了也收下')).toHaveLength(1);
  }, 120_000);
});

import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gql, gqlOk } from '../helpers/graphql-client.js';
import { eventually, freePort, startNode, waitForOk, type NodeProcess } from '../helpers/processes.js';
import { subscribe, wsClient } from '../helpers/ws-client.js';
import { tokenFor } from '../helpers/env.js';
import { DEMO_AGENTS, DEMO_CONVERSATIONS, DEMO_CUSTOMERS } from '../../subgraphs/_shared/demo-data.js';

/** `npm start`'s process: one Node process, SQLite under DATA_DIR, in-process pub/sub, the demo tenant. */
async function startEmbedded(dataDir: string, env: Record<string, string> = {}): Promise<{ proc: NodeProcess; url: string; port: number; metricsPort: number; token: string }> {
  const port = await freePort();
  const metricsPort = await freePort();
  const proc = startNode('embedded', 'embedded/main.js', { PORT: String(port), METRICS_PORT: String(metricsPort), DATA_DIR: dataDir, LOG_LEVEL: 'warn', ...env });
  await waitForOk(`http://127.0.0.1:${port}/readyz`, proc, 90_000);
  // Printed once the demo tenant is seeded: as slow as the start itself when the suite loads both cores.
  const token = await eventually(async () => /Admin token[^\n]*\n\s*(\S+)/.exec(proc.output())?.[1], 60_000);
  return { proc, url: `http://127.0.0.1:${port}/graphql`, port, metricsPort, token };
}

describe('embedded mode (npm start)', () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'huiliu-embedded-'));
  let app: Awaited<ReturnType<typeof startEmbedded>>;

  beforeAll(async () => {
    app = await startEmbedded(dataDir);
  }, 120_000);
  afterAll(() => app?.proc.stop());

  it('prints the GraphQL URL and a working admin token for the seeded demo tenant', async () => {
    expect(app.proc.output()).toContain(`http://localhost:${app.port}/graphql`);
    // the operators' plugin view, on the conversations subgraph's loopback port, printed because it changes at each start
    const plugins = /Channel plugins[^\n]*: (http:\/\/127\.0\.0\.1:\d+\/plugins)/.exec(app.proc.output())?.[1];
    expect(plugins).toBeDefined();
    const listed = (await (await fetch(plugins!)).json()) as { plugins: Array<{ id: string; health: { status: string } }> };
    expect(listed.plugins.find((p) => p.id === 'channel-wechat-oa')?.health.status).toBe('UP');
    const d = await gqlOk(app.url, '{ tenant { id name } customers(first: 50) { nodes { id name identities { channelType } } } }', {}, app.token);
    expect(d.tenant.id).toBe('demo');
    expect(d.customers.nodes.map((c: { id: string }) => c.id).sort()).toEqual(DEMO_CUSTOMERS.map((c) => c.id).sort());
    expect(d.customers.nodes.every((c: { identities: unknown[] }) => c.identities.length >= 2)).toBe(true);
  });

  it('serves the demo data of all five subgraphs through the gateway, joined across subgraphs', async () => {
    const d = await gqlOk(
      app.url,
      `{ agentGroups { name } agents { id } conversations(first: 10) { nodes { id subject customer { name } } }
         tickets(first: 5) { nodes { subject status customer { name } conversation { subject } } }
         articles(first: 20) { nodes { title status } } metrics { conversationsOpened } }`,
      {},
      app.token,
    );
    expect(d.agentGroups.map((g: { name: string }) => g.name)).toEqual(expect.arrayContaining(['订单组', '物流组', '售后组']));
    expect(d.agents).toHaveLength(DEMO_AGENTS.length);
    expect(d.conversations.nodes).toHaveLength(DEMO_CONVERSATIONS.length);
    expect(d.conversations.nodes.every((c: { customer: { name: string } }) => c.customer.name.length > 0)).toBe(true);
    expect(d.tickets.nodes.length).toBeGreaterThanOrEqual(1);
    expect(d.tickets.nodes[0].customer.name).toBe('刘阿姨');
    expect(d.tickets.nodes[0].conversation.subject).toBe('大米生虫了怎么办');
    expect(d.articles.nodes.length).toBeGreaterThanOrEqual(4);
    expect(d.metrics.conversationsOpened).toBeGreaterThanOrEqual(0);
  });

  it('serves Prometheus metrics on METRICS_PORT, printed at start, with what the webhooks did', async () => {
    const metricsUrl = `http://127.0.0.1:${app.metricsPort}/metrics`;
    expect(app.proc.output()).toContain(`Metrics (Prometheus): ${metricsUrl}`);
    const unknown = await fetch(`http://127.0.0.1:${app.port}/webhooks/00000000-0000-4000-8000-000000000000`, { method: 'POST', body: '<xml/>' });
    expect(unknown.status).toBe(404);
    const scrape = await fetch(metricsUrl);
    expect(scrape.status).toBe(200);
    expect(scrape.headers.get('content-type')).toMatch(/^text\/plain/);
    const text = await scrape.text();
    expect(text).toMatch(/^huiliu_webhook_requests_total\{channel_type="unknown",status="404"\} [1-9]/m);
    expect(text).toMatch(/^huiliu_nodejs_eventloop_lag_p99_seconds /m);
    expect((await fetch(metricsUrl, { method: 'POST' })).status).toBe(405);
    expect((await fetch(`http://127.0.0.1:${app.metricsPort}/graphql`)).status).toBe(404);
  });

  it('refuses to start when METRICS_PORT is taken, saying which setting to change', async () => {
    const clash = startNode('embedded-clash', 'embedded/main.js', { PORT: String(await freePort()), METRICS_PORT: String(app.metricsPort), DATA_DIR: mkdtempSync(join(tmpdir(), 'huiliu-embedded-3-')), LOG_LEVEL: 'warn' });
    expect(await clash.exited).toBe(1);
    expect(clash.output()).toContain(`METRICS_PORT ${app.metricsPort} on 127.0.0.1 is in use: set METRICS_PORT to a free port, or to off`);
    expect(clash.output()).not.toMatch(/\n\s+at /); // a message, not a stack trace
  }, 90_000);

  it('opens a GraphQL IDE in a browser', async () => {
    const r = await fetch(app.url, { headers: { accept: 'text/html' } });
    expect(r.status).toBe(200);
    expect(await r.text()).toMatch(/graphiql/i);
  });

  it('delivers subscriptions in-process, with the token from connection_init', async () => {
    const agentToken = await tokenFor('demo', ['agent'], DEMO_AGENTS[1].id);
    const conversationId = DEMO_CONVERSATIONS[0].id;
    const client = wsClient(app.url, agentToken);
    const sub = subscribe(client, 'subscription($id: ID!) { messageAdded(conversationId: $id) { text senderType } }', { id: conversationId });
    const send = setInterval(() => void gql(app.url, 'mutation($i: SendMessageInput!) { sendMessage(input: $i) { message { id } } }', { i: { conversationId, text: '已为您加急发货' } }, agentToken), 250);
    try {
      expect(await sub.first).toEqual({ messageAdded: { text: '已为您加急发货', senderType: 'AGENT' } });
    } finally {
      clearInterval(send);
      sub.dispose();
      await client.dispose();
    }
  });

  it("reads the subgraphs' own settings: a partner plugin loaded from a path (CHANNEL_PLUGINS), webhook URLs on PUBLIC_BASE_URL", async () => {
    const other = await startEmbedded(mkdtempSync(join(tmpdir(), 'huiliu-embedded-plugins-')), {
      CHANNEL_PLUGINS: 'builtins,./dist/examples/partner-channel-line', PUBLIC_BASE_URL: 'https://cs.example.com',
    });
    try {
      const config = { channelSecret: '0123456789abcdef0123456789abcdef', channelAccessToken: 'line-channel-access-token-0123456789' };
      const created = (await gqlOk(other.url, `mutation($i: CreateChannelInput!) { createChannel(input: $i) { webhookUrl channel { id type } } }`, { i: { type: 'line', name: 'LINE', config } }, other.token)).createChannel;
      expect(created.channel.type).toBe('line');
      expect(created.webhookUrl).toBe(`https://cs.example.com/webhooks/${created.channel.id}`);
    } finally {
      expect(await other.proc.stop()).toBe(0);
    }
    // a plugin that cannot be loaded stops the boot, naming it, as in distributed mode
    const port = await freePort();
    const broken = startNode('embedded', 'embedded/main.js', { PORT: String(port), METRICS_PORT: 'off', DATA_DIR: mkdtempSync(join(tmpdir(), 'huiliu-embedded-broken-')), LOG_LEVEL: 'warn', CHANNEL_PLUGINS: 'builtins,./does-not-exist' });
    expect(await broken.exited).not.toBe(0);
    expect(broken.output()).toContain('./does-not-exist');
  }, 120_000);

  it('restarts on the same data without seeding twice, and a second instance runs beside it', async () => {
    const count = async (url: string, token: string) => (await gqlOk(url, '{ customers(first: 100) { nodes { id } } }', {}, token)).customers.nodes.length;
    const before = await count(app.url, app.token);
    const second = await startEmbedded(mkdtempSync(join(tmpdir(), 'huiliu-embedded-2-')));
    try {
      expect(second.port).not.toBe(app.port);
      expect(await count(second.url, second.token)).toBe(DEMO_CUSTOMERS.length);
    } finally {
      expect(await second.proc.stop()).toBe(0);
    }
    expect(await app.proc.stop()).toBe(0); // SIGTERM drains and exits 0
    app = await startEmbedded(dataDir);
    expect(await count(app.url, app.token)).toBe(before);
  }, 120_000);
});

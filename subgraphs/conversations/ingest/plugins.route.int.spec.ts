import { DEFAULT_CAPABILITIES, SDK_API_VERSION, defineChannel, definePlugin, z } from '../../../plugins/sdk/index.js';
import { gqlOk } from '../../../test/helpers/graphql-client.js';
import { newTenant, TEST_SECRET, tokenFor } from '../../../test/helpers/env.js';
import { leftoverSubgraphs, startTestSubgraph, type TestSubgraph } from '../../../test/helpers/subgraph-harness.js';
import { until } from '../../../test/helpers/until.js';
import { customersSubgraph } from '../../customers/index.js';
import { conversationsWithIngest } from './ingest.module.js';

jest.setTimeout(60_000);

/** A partner plugin with a bug: its parse throws (not a ChannelError) on a body that says "boom". */
const buggy = definePlugin({
  manifest: { id: 'acme-buggy', kind: 'channel', version: '1.0.0', apiVersion: SDK_API_VERSION, capabilities: [] },
  configSchema: z.object({}),
  register(host) {
    host.channels.register(defineChannel({
      type: 'acme-buggy', displayName: 'Buggy', capabilities: { ...DEFAULT_CAPABILITIES, outbound: false }, configSchema: z.object({ name: z.string() }),
      verify() {},
      parse(req) {
        const text = req.rawBody.toString('utf8');
        if (text === 'boom') throw new TypeError("Cannot read properties of undefined (reading 'id')");
        return [{ channelType: 'acme-buggy', dedupeKey: text, externalMessageId: text, sender: { channelType: 'acme-buggy', externalId: 'u1' }, origin: 'customer', content: { kind: 'text', text }, sentAt: req.receivedAt, receivedAt: req.receivedAt }];
      },
      // and its answer throws for a body that says "answer-boom" (parsed fine)
      respond(req) {
        if (req.rawBody.toString('utf8') === 'answer-boom') throw new RangeError('Invalid status code: undefined');
        return { status: 200, body: 'ok' };
      },
      send: async () => ({ externalMessageId: 'x', status: 'sent' }),
    }));
  },
});

describe('operators: GET /plugins and POST /plugins/:id/enable (two replicas, real MariaDB + Redis)', () => {
  let a: TestSubgraph;
  let b: TestSubgraph;
  let channelId: string;
  let admin: string;
  let tenant: string;
  let customers: TestSubgraph;
  const start = (replicaId: string, disableAfter?: number) => startTestSubgraph(conversationsWithIngest({ customersUrl: customers.url, jwtSecret: TEST_SECRET, sweepIntervalMs: 0, publicBaseUrl: 'https://cs.example.com', plugins: ['builtins', { plugin: buggy }], pluginDisableAfter: disableAfter, replicaId }), { db: 'plugins_route', stream: 'plugins-route' });
  const base = (s: TestSubgraph) => s.url.replace(/\/graphql$/, '');
  const post = async (s: TestSubgraph, body: string) => (await fetch(`${base(s)}/webhooks/${channelId}`, { method: 'POST', body })).status;
  const health = async (s: TestSubgraph, id = 'acme-buggy') => ((await (await fetch(`${base(s)}/plugins`)).json()).plugins as Array<{ id: string; health: { status: string; lastError: string | null; consecutiveFailures: number } }>).find((p) => p.id === id)!.health;

  beforeAll(async () => {
    customers = await startTestSubgraph(customersSubgraph, { db: 'plugins_route_customers', stream: 'plugins-route-customers' });
    a = await start('replica-a');
    b = await start('replica-b', 2);
    tenant = newTenant('plg');
    admin = await tokenFor(tenant, ['admin']);
    channelId = (await gqlOk(a.url, `mutation($i: CreateChannelInput!) { createChannel(input: $i) { channel { id } } }`, { i: { type: 'acme-buggy', name: 'Buggy', config: { name: 'x' } } }, admin)).createChannel.channel.id;
  });

  afterAll(async () => {
    for (const s of leftoverSubgraphs()) await s.close();
  });

  test('a crash disables the plugin on its replica, visibly; an operator enables it again on every replica', async () => {
    // verified, then the plugin crashed: kept raw for a replay, and an admin can see what it held
    expect((await fetch(`${base(a)}/webhooks/${channelId}?from=crm`, { method: 'POST', body: 'boom', headers: { cookie: 'session=abc', 'x-trace': 't-1' } })).status).toBe(200);
    expect(await health(a)).toMatchObject({ status: 'DISABLED', consecutiveFailures: 1, lastError: expect.stringContaining("reading 'id'") });
    const [kept] = (await gqlOk(a.url, `query($c: ID) { inboundPayloads(channelId: $c, status: FAILED) { errorCode event request { method path query headers body bodyBase64 } } }`, { c: channelId }, admin)).inboundPayloads;
    expect(kept).toMatchObject({ errorCode: 'PLUGIN_FAILED', event: null, request: { method: 'POST', path: `/webhooks/${channelId}`, query: { from: 'crm' }, body: 'boom', bodyBase64: null } });
    expect(kept.request.headers).toMatchObject({ 'x-trace': 't-1' });
    expect(kept.request.headers.cookie).toBeUndefined();
    expect((await health(a, 'channel-wechat-oa')).status).toBe('UP'); // the others keep working
    expect(await post(a, 'hello')).toBe(503);

    // CHANNEL_PLUGIN_DISABLE_AFTER=2 on b: one crash degrades, the second disables.
    expect(await post(b, 'boom')).toBe(200);
    expect(await health(b)).toMatchObject({ status: 'DEGRADED', consecutiveFailures: 1 });
    expect(await post(b, 'boom')).toBe(200);
    expect((await health(b)).status).toBe('DISABLED');

    // Enabled through b: a hears it over pub/sub.
    const r = await fetch(`${base(b)}/plugins/acme-buggy/enable`, { method: 'POST' });
    expect(r.status).toBe(200);
    expect((await r.json()).plugin).toMatchObject({ id: 'acme-buggy', health: { status: 'UP', consecutiveFailures: 0 } });
    await until(async () => (await health(a)).status === 'UP');
    expect(await post(a, 'hello')).toBe(200);

    expect((await fetch(`${base(a)}/plugins/acme-nope/enable`, { method: 'POST' })).status).toBe(404);
    expect((await fetch(`${base(a)}/plugins/%E0%A4%A/enable`, { method: 'POST' })).status).toBe(404); // a bad escape is just an unknown id
    expect((await fetch(`${base(a)}/plugins/acme-buggy/enable`)).status).toBe(405);
    expect((await fetch(`${base(a)}/plugins`, { method: 'DELETE' })).status).toBe(405);
  });

  test('channel.health, asked of any replica, shows a crash on another one, and whose it is', async () => {
    const HEALTH = `query($id: ID!) { channel(id: $id) { health { status failures lastError replicas { replica status failures lastError reportedAt } } } }`;
    const healthVia = async (s: TestSubgraph) => (await gqlOk(s.url, HEALTH, { id: channelId }, admin)).channel.health;
    await until(async () => (await healthVia(b)).replicas.length === 2 && (await healthVia(b)).status === 'UP'); // the first test's enable, reported
    expect(await post(a, 'boom')).toBe(200);
    // b never saw the crash; a reports it within a fraction of a second.
    await until(async () => (await healthVia(b)).status === 'DISABLED');
    const h = await healthVia(b);
    expect(h).toMatchObject({ status: 'DISABLED', lastError: expect.stringContaining("reading 'id'") });
    expect(h.replicas).toEqual([
      expect.objectContaining({ replica: 'replica-b', status: 'UP' }),
      expect.objectContaining({ replica: 'replica-a', status: 'DISABLED', lastError: expect.stringContaining('acme-buggy.parse') }),
    ]);
    expect(h.failures).toBe(h.replicas.reduce((n: number, r: { failures: number }) => n + r.failures, 0));
    // Another tenant's channel of the same plugin is down too, but is not shown this tenant's error.
    const other = newTenant('plg2');
    const otherAdmin = await tokenFor(other, ['admin']);
    const otherChannel = (await gqlOk(b.url, `mutation($i: CreateChannelInput!) { createChannel(input: $i) { channel { id } } }`, { i: { type: 'acme-buggy', name: 'Theirs', config: { name: 'y' } } }, otherAdmin)).createChannel.channel.id;
    const seen = (await gqlOk(b.url, HEALTH, { id: otherChannel }, otherAdmin)).channel.health;
    const elsewhere = "acme-buggy.parse: the plugin failed on another tenant's channel";
    expect(seen).toMatchObject({ status: 'DISABLED', lastError: elsewhere });
    expect(seen.replicas).toEqual(expect.arrayContaining([expect.objectContaining({ replica: 'replica-a', status: 'DISABLED', lastError: elsewhere })]));
    expect(JSON.stringify(seen)).not.toContain("reading 'id'");
    // Agents see the channel's health, not the installation's replica names.
    const agent = await tokenFor(tenant, ['agent']);
    expect((await gqlOk(b.url, HEALTH, { id: channelId }, agent)).channel.health).toMatchObject({ status: 'DISABLED', replicas: [] });
    // The operator's view on b lists a's plugins as well.
    const plugins = await (await fetch(`${base(b)}/plugins`)).json() as { replica: string; replicas: Array<{ replica: string; plugins: Array<{ id: string; health: { status: string } }> }> };
    expect(plugins.replica).toBe('replica-b');
    expect(plugins.replicas.find((r) => r.replica === 'replica-a')!.plugins.find((p) => p.id === 'acme-buggy')!.health.status).toBe('DISABLED');

    await fetch(`${base(b)}/plugins/acme-buggy/enable`, { method: 'POST' });
    await until(async () => (await healthVia(b)).status === 'UP');
  });

  test('a crash building the answer to a verified delivery still stores it: answered 200, processed after the plugin is enabled and the payload replayed', async () => {
    const res = await fetch(`${base(a)}/webhooks/${channelId}`, { method: 'POST', body: 'answer-boom' });
    expect(res.status).toBe(200);
    expect(await res.text()).toBe('');
    expect(await health(a)).toMatchObject({ status: 'DISABLED', lastError: expect.stringContaining('acme-buggy.respond') });
    const PAYLOADS = `query($c: ID) { inboundPayloads(channelId: $c, first: 50) { externalMessageId status errorCode messageId event } }`;
    const stored = await until(async () => ((await gqlOk(a.url, PAYLOADS, { c: channelId }, admin)).inboundPayloads as Array<{ externalMessageId: string; status: string; messageId: string | null }>)
      .find((p) => p.externalMessageId === 'answer-boom' && p.status === 'FAILED'));
    expect(stored).toMatchObject({ errorCode: 'CHANNEL_DISABLED', messageId: null, event: { externalMessageId: 'answer-boom', content: { kind: 'text', text: 'answer-boom' } } });
    await fetch(`${base(a)}/plugins/acme-buggy/enable`, { method: 'POST' });
    await until(async () => (await health(a)).status === 'UP');
    expect((await gqlOk(a.url, `mutation($i: ReplayInboundPayloadsInput!) { replayInboundPayloads(input: $i) { queued } }`, { i: { channelId, errorCode: 'CHANNEL_DISABLED' } }, admin)).replayInboundPayloads.queued).toBe(1);
    await until(async () => ((await gqlOk(a.url, PAYLOADS, { c: channelId }, admin)).inboundPayloads as Array<{ externalMessageId: string; status: string; messageId: string | null }>)
      .some((p) => p.externalMessageId === 'answer-boom' && p.status === 'PROCESSED' && p.messageId));
  });
});

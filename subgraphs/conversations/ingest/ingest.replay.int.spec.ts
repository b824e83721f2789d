import { ChannelError, DEFAULT_CAPABILITIES, SDK_API_VERSION, defineChannel, definePlugin, secret, z, type InboundRequest } from '../../../plugins/sdk/index.js';
import { gql, gqlOk } from '../../../test/helpers/graphql-client.js';
import { startTestSubgraph, type TestSubgraph } from '../../../test/helpers/subgraph-harness.js';
import { newTenant, TEST_SECRET, tokenFor } from '../../../test/helpers/env.js';
import { customersSubgraph } from '../../customers/index.js';
import { conversationsWithIngest } from './ingest.module.js';

jest.setTimeout(60_000);

/** A channel whose parse has a bug until `fixed`: what a partner plugin looks like before and after its patch. */
const state = { fixed: false };
const buggy = definePlugin({
  manifest: { id: 'buggy-channel', kind: 'channel', version: '1.0.0', apiVersion: SDK_API_VERSION, capabilities: [] },
  configSchema: z.object({}),
  register(h) {
    h.channels.register(defineChannel({
      type: 'buggy',
      capabilities: { ...DEFAULT_CAPABILITIES, outbound: false, outboundKinds: [] },
      configSchema: z.object({ token: secret(z.string().min(8)) }),
      verify(r: InboundRequest, c: { token: string }) { if (r.headers['x-token'] !== c.token) throw new ChannelError('AUTH', 'bad token'); },
      parse(r: InboundRequest) {
        const body = JSON.parse(r.rawBody.toString('utf8')) as { id: string; from: string; text: string };
        if (!state.fixed) throw new TypeError("Cannot read properties of undefined (reading 'text')");
        return [{ channelType: 'buggy', dedupeKey: body.id, externalMessageId: body.id, sender: { channelType: 'buggy', externalId: body.from }, origin: 'customer' as const, content: { kind: 'text' as const, text: body.text }, sentAt: r.receivedAt, receivedAt: r.receivedAt }];
      },
      async send() { throw new ChannelError('BAD_REQUEST', 'inbound only'); },
    }));
  },
});

const PAYLOADS = `query { inboundPayloads { id status errorCode error messageId } }`;

describe('failed inbound payloads are kept and replayed: one after a plugin fix, many after an outage (MariaDB + Redis)', () => {
  let customers: TestSubgraph;
  let conv: TestSubgraph | undefined;
  afterAll(async () => {
    await conv?.close();
    await customers?.close();
  });

  it('stores the exact request as FAILED, and a replay on the fixed plugin turns it into the message', async () => {
    customers = await startTestSubgraph(customersSubgraph, { db: 'replay_customers', stream: 'replay-customers' });
    const start = () => startTestSubgraph(conversationsWithIngest({
      customersUrl: customers.url, jwtSecret: TEST_SECRET, sweepIntervalMs: 0, plugins: [{ plugin: buggy }],
    }), { db: 'replay', stream: 'replay' });
    conv = await start();
    const tenant = newTenant('replay');
    const admin = await tokenFor(tenant, ['admin']);
    const channelId = (await gqlOk(conv.url, `mutation($i: CreateChannelInput!) { createChannel(input: $i) { channel { id } } }`, { i: { type: 'buggy', name: 'Buggy', config: { token: 'token-123456' } } }, admin)).createChannel.channel.id;
    const body = JSON.stringify({ id: 'm-1', from: 'u-7', text: '大米什么时候发货？' });
    const res = await fetch(`${conv.url.replace(/\/graphql$/, '')}/webhooks/${channelId}`, { method: 'POST', headers: { 'x-token': 'token-123456', 'content-type': 'application/json' }, body });
    expect(res.status).toBe(200); // verified: acknowledged, so the platform does not retry into the same bug
    const [failed] = (await gqlOk(conv.url, PAYLOADS, {}, admin)).inboundPayloads;
    expect(failed).toMatchObject({ status: 'FAILED', errorCode: 'PLUGIN_FAILED', messageId: null });
    expect(failed.error).toContain("reading 'text'");

    // The partner ships a fix; the replica restarts with it and an admin replays the payload.
    await conv.close();
    state.fixed = true;
    conv = await start();
    const replayed = (await gqlOk(conv.url, `mutation($i: ReplayInboundPayloadInput!) { replayInboundPayload(input: $i) { payload { status messageId error } } }`, { i: { id: failed.id } }, admin)).replayInboundPayload.payload;
    expect(replayed).toMatchObject({ status: 'PROCESSED', error: null, messageId: expect.any(String) });
    const convs = (await gqlOk(conv.url, `query { conversations(first: 5) { nodes { channelType messages { nodes { id text } } } } }`, {}, admin)).conversations.nodes;
    expect(convs).toEqual([{ channelType: 'buggy', messages: { nodes: [{ id: replayed.messageId, text: '大米什么时候发货？' }] } }]);
  });

  it('replays many at once after an outage: one channel, one error code, a limit; pages the list; another tenant sees none of it', async () => {
    await conv?.close();
    state.fixed = true;
    // The customers subgraph unreachable and no retries: every message fails and waits for a replay.
    const start = (customersUrl: string) => startTestSubgraph(conversationsWithIngest({
      customersUrl, jwtSecret: TEST_SECRET, sweepIntervalMs: 0, maxAttempts: 1, plugins: [{ plugin: buggy }],
    }), { db: 'replay', stream: 'replay' });
    conv = await start('http://127.0.0.1:9/graphql');
    const base = conv.url.replace(/\/graphql$/, '');
    const tenant = newTenant('bulk');
    const admin = await tokenFor(tenant, ['admin']);
    const other = await tokenFor(newTenant('bulk-other'), ['admin']);
    const create = async (name: string) => (await gqlOk(conv!.url, `mutation($i: CreateChannelInput!) { createChannel(input: $i) { channel { id } } }`, { i: { type: 'buggy', name, config: { token: 'token-123456' } } }, admin)).createChannel.channel.id as string;
    const [a, b] = [await create('A'), await create('B')];
    const deliver = async (channelId: string, id: string) => {
      const res = await fetch(`${base}/webhooks/${channelId}`, { method: 'POST', headers: { 'x-token': 'token-123456', 'content-type': 'application/json' }, body: JSON.stringify({ id, from: `u-${id}`, text: `消息 ${id}` }) });
      expect(res.status).toBe(200);
    };
    for (let i = 0; i < 5; i++) await deliver(a, `a-${i}`);
    for (let i = 0; i < 2; i++) await deliver(b, `b-${i}`);
    const failed = async () => (await gqlOk(conv!.url, `query { inboundPayloads(status: FAILED) { errorCode nextAttemptAt } }`, {}, admin)).inboundPayloads as Array<{ errorCode: string; nextAttemptAt: string | null }>;
    for (const end = Date.now() + 20_000; (await failed()).length < 7 && Date.now() < end;) await new Promise((r) => setTimeout(r, 100));
    const [{ errorCode }] = await failed();
    expect(await failed()).toEqual(Array(7).fill({ errorCode, nextAttemptAt: null }));

    // Paging: newest first, `after` the last id of a page, no payload twice, none left out.
    const LIST = `query($c: ID, $e: String, $after: ID) { inboundPayloads(channelId: $c, status: FAILED, errorCode: $e, first: 2, after: $after) { id } }`;
    const seen: string[] = [];
    let after: string | undefined;
    for (;;) {
      const page = (await gqlOk(conv.url, LIST, { c: a, e: errorCode, after }, admin)).inboundPayloads as Array<{ id: string }>;
      if (!page.length) break;
      seen.push(...page.map((p) => p.id));
      after = page[page.length - 1].id;
    }
    expect(seen).toHaveLength(5);
    expect(new Set(seen).size).toBe(5);
    expect((await gqlOk(conv.url, LIST, { c: a, e: 'NO_SUCH_CODE' }, admin)).inboundPayloads).toEqual([]);
    const badCursor = await gql(conv.url, LIST, { c: a, after: seen[0] }, other);
    expect(badCursor.errors?.[0].extensions?.code).toBe('BAD_USER_INPUT'); // another tenant's id is no cursor

    const REPLAY = `mutation($i: ReplayInboundPayloadsInput!) { replayInboundPayloads(input: $i) { queued remaining } }`;
    expect((await gql(conv.url, REPLAY, { i: { limit: 0 } }, admin)).errors?.[0].extensions?.code).toBe('BAD_USER_INPUT');
    expect((await gqlOk(conv.url, REPLAY, { i: {} }, other)).replayInboundPayloads).toEqual({ queued: 0, remaining: 0 });
    expect((await gqlOk(conv.url, REPLAY, { i: { channelId: a, errorCode: 'NO_SUCH_CODE' } }, admin)).replayInboundPayloads).toEqual({ queued: 0, remaining: 0 });

    // Customers is back: channel A's payloads go back in two calls (limit 3), B's stay.
    await conv.close();
    conv = await start(customers.url);
    expect((await gqlOk(conv.url, REPLAY, { i: { channelId: a, errorCode, limit: 3 } }, admin)).replayInboundPayloads).toEqual({ queued: 3, remaining: 2 });
    expect((await gqlOk(conv.url, REPLAY, { i: { channelId: a } }, admin)).replayInboundPayloads).toEqual({ queued: 2, remaining: 0 });
    const texts = async () => ((await gqlOk(conv!.url, `query { conversations(first: 20) { nodes { messages { nodes { text } } } } }`, {}, admin)).conversations.nodes as Array<{ messages: { nodes: Array<{ text: string }> } }>)
      .flatMap((c) => c.messages.nodes.map((m) => m.text)).sort();
    const deadline = Date.now() + 20_000;
    while ((await texts()).length < 5 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
    expect(await texts()).toEqual(['消息 a-0', '消息 a-1', '消息 a-2', '消息 a-3', '消息 a-4']);
    const states = (await gqlOk(conv.url, `query { inboundPayloads(first: 20) { channelId status } }`, {}, admin)).inboundPayloads as Array<{ channelId: string; status: string }>;
    expect(states.filter((p) => p.channelId === a).map((p) => p.status)).toEqual(Array(5).fill('PROCESSED'));
    expect(states.filter((p) => p.channelId === b).map((p) => p.status)).toEqual(['FAILED', 'FAILED']);
    expect((await gqlOk(conv.url, REPLAY, { i: { channelId: a } }, admin)).replayInboundPayloads).toEqual({ queued: 0, remaining: 0 });
  });
});

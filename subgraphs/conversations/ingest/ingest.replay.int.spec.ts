import { ChannelError, DEFAULT_CAPABILITIES, SDK_API_VERSION, defineChannel, definePlugin, secret, z, type InboundRequest } from '../../../plugins/sdk/index.js';
import { gqlOk } from '../../../test/helpers/graphql-client.js';
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

describe('a verified webhook its plugin crashed on: kept raw, acknowledged, replayed once the plugin is fixed (MariaDB + Redis)', () => {
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
});

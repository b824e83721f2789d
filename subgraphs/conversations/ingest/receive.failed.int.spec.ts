import { ChannelError, DEFAULT_CAPABILITIES, SDK_API_VERSION, defineChannel, definePlugin, isStoredItem, secret, z, type InboundEvent, type InboundRequest } from '../../../plugins/sdk/index.js';
import { gqlOk } from '../../../test/helpers/graphql-client.js';
import { eventually } from '../../../test/helpers/processes.js';
import { startTestSubgraph, type TestSubgraph } from '../../../test/helpers/subgraph-harness.js';
import { newTenant, TEST_SECRET, tokenFor } from '../../../test/helpers/env.js';
import { customersSubgraph } from '../../customers/index.js';
import { conversationsWithIngest } from './ingest.module.js';

jest.setTimeout(60_000);

/**
 * A notice channel like WeCom kf: the webhook only announces a page of items, which `receive` fetches (here: they
 * ride in the notice). Until `fixed`, the plugin reads only `id`; the platform sends some items with `msgid`.
 */
const state = { fixed: false };
type Item = { id?: string; msgid?: string; from: string; text: string };
const itemEvent = (raw: unknown, at: Date): InboundEvent => {
  const m = raw as Item;
  const id = m?.id ?? (state.fixed ? m?.msgid : undefined);
  if (!id) throw new ChannelError('BAD_REQUEST', 'item without id');
  return { channelType: 'pager', dedupeKey: `msg:${id}`, externalMessageId: id, sender: { channelType: 'pager', externalId: m.from }, origin: 'customer', content: { kind: 'text', text: m.text }, sentAt: at, receivedAt: at };
};
const pager = definePlugin({
  manifest: { id: 'pager-channel', kind: 'channel', version: '1.0.0', apiVersion: SDK_API_VERSION, capabilities: [] },
  configSchema: z.object({}),
  register(h) {
    h.channels.register(defineChannel({
      type: 'pager',
      capabilities: { ...DEFAULT_CAPABILITIES, outbound: false, outboundKinds: [] },
      configSchema: z.object({ token: secret(z.string().min(8)) }),
      verify(r: InboundRequest, c: { token: string }) { if (r.headers['x-token'] !== c.token) throw new ChannelError('AUTH', 'bad token'); },
      parse(r: InboundRequest) {
        if (isStoredItem(r)) return [itemEvent(JSON.parse(r.rawBody.toString('utf8')), r.receivedAt)];
        const notice = JSON.parse(r.rawBody.toString('utf8')) as { notice: string; items: Item[] };
        return [{ channelType: 'pager', dedupeKey: `notice:${notice.notice}`, sender: { channelType: 'pager', externalId: 'platform' }, origin: 'system' as const, content: { kind: 'event' as const, name: 'notice', data: { items: notice.items } }, sentAt: r.receivedAt, receivedAt: r.receivedAt, notice: true }];
      },
      async receive(events) {
        const out: InboundEvent[] = [];
        const failed: Array<{ raw: string; error: unknown }> = [];
        for (const e of events) {
          if (!e.notice) { out.push(e); continue; }
          const items = (e.content.kind === 'event' ? e.content.data?.items : []) as Item[];
          for (const item of items) {
            try { out.push(itemEvent(item, e.receivedAt)); } catch (error) { failed.push({ raw: JSON.stringify(item), error }); }
          }
        }
        return { events: out, failed };
      },
      async send() { throw new ChannelError('BAD_REQUEST', 'inbound only'); },
    }));
  },
});

const PAYLOADS = `query { inboundPayloads(first: 20) { id status errorCode error messageId request { path headers body } } }`;
type Payload = { id: string; status: string; errorCode: string | null; error: string | null; messageId: string | null; request: { path: string; headers: Record<string, string>; body: string } };

describe('items receive could not read are kept FAILED and replayed, not dropped (SDK 1.6; MariaDB + Redis)', () => {
  let customers: TestSubgraph;
  let conv: TestSubgraph | undefined;
  afterAll(async () => {
    await conv?.close();
    await customers?.close();
  });

  it('processes the readable items, keeps the unreadable one with its bytes and error, and replays it on the fixed plugin', async () => {
    customers = await startTestSubgraph(customersSubgraph, { db: 'receive_failed_customers', stream: 'receive-failed-customers' });
    const start = () => startTestSubgraph(conversationsWithIngest({
      customersUrl: customers.url, jwtSecret: TEST_SECRET, sweepIntervalMs: 0, plugins: [{ plugin: pager }],
    }), { db: 'receive_failed', stream: 'receive-failed' });
    conv = await start();
    const admin = await tokenFor(newTenant('receive-failed'), ['admin']);
    const channelId = (await gqlOk(conv.url, `mutation($i: CreateChannelInput!) { createChannel(input: $i) { channel { id } } }`, { i: { type: 'pager', name: 'Pager', config: { token: 'token-123456' } } }, admin)).createChannel.channel.id as string;
    const items: Item[] = [{ id: 'a', from: 'u-1', text: '五常大米到货了吗' }, { msgid: 'b', from: 'u-1', text: '我要退货' }];
    const post = () => fetch(`${conv!.url.replace(/\/graphql$/, '')}/webhooks/${channelId}`, { method: 'POST', headers: { 'x-token': 'token-123456', 'content-type': 'application/json' }, body: JSON.stringify({ notice: 'n-1', items }) });
    expect((await post()).status).toBe(200);

    const payloads = async () => (await gqlOk(conv!.url, PAYLOADS, {}, admin)).inboundPayloads as Payload[];
    const settled = await eventually(async () => { const p = await payloads(); return p.length === 2 && p.every((x) => x.status !== 'PROCESSING' && x.status !== 'PENDING') ? p : undefined; });
    const notice = settled.find((p) => p.request.path.startsWith('/webhooks/'))!;
    const kept = settled.find((p) => p.request.path === `/receive/${channelId}`)!;
    expect(notice).toMatchObject({ status: 'PROCESSED', messageId: expect.any(String) });
    expect(kept).toMatchObject({ status: 'FAILED', errorCode: 'BAD_REQUEST', error: expect.stringContaining('item without id'), messageId: null });
    expect(JSON.parse(kept.request.body)).toEqual(items[1]);
    expect(kept.request.headers).toMatchObject({ 'x-huiliu-source': 'receive', 'x-huiliu-payload': notice.id });

    // The platform redelivers the notice: it collapses, so nothing is fetched or kept twice
    expect((await post()).status).toBe(200);
    expect((await payloads()).map((p) => p.id).sort()).toEqual([notice.id, kept.id].sort());

    // The partner ships a fix; an admin replays the kept item and it becomes its message
    await conv.close();
    state.fixed = true;
    conv = await start();
    const replayed = (await gqlOk(conv.url, `mutation($i: ReplayInboundPayloadInput!) { replayInboundPayload(input: $i) { payload { status messageId error } } }`, { i: { id: kept.id } }, admin)).replayInboundPayload.payload;
    expect(replayed).toMatchObject({ status: 'PROCESSED', error: null, messageId: expect.any(String) });
    const texts = (await gqlOk(conv.url, `query { conversations(first: 5) { nodes { messages { nodes { text } } } } }`, {}, admin)).conversations.nodes
      .flatMap((c: { messages: { nodes: Array<{ text: string }> } }) => c.messages.nodes.map((m) => m.text));
    expect(texts.sort()).toEqual(['五常大米到货了吗', '我要退货'].sort());
  });
});

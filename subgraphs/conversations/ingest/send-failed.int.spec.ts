import { ChannelError, DEFAULT_CAPABILITIES, SDK_API_VERSION, defineChannel, definePlugin, secret, z, type InboundEvent, type InboundRequest } from '../../../plugins/sdk/index.js';
import { gqlOk } from '../../../test/helpers/graphql-client.js';
import { eventually } from '../../../test/helpers/processes.js';
import { until } from '../../../test/helpers/until.js';
import { subscribe, wsClient } from '../../../test/helpers/ws-client.js';
import { startTestSubgraph, type TestSubgraph } from '../../../test/helpers/subgraph-harness.js';
import { newTenant, TEST_SECRET, tokenFor } from '../../../test/helpers/env.js';
import { customersSubgraph } from '../../customers/index.js';
import { conversationsWithIngest } from './ingest.module.js';

jest.setTimeout(60_000);

/**
 * A channel whose platform reports, after accepting one of our messages, that it did not reach the customer (as
 * WeCom kf's msg_send_fail does): the webhook's `{ failed, reason }` is a `send_failed` signal keyed by the id
 * `send` returned. Sends "go out" at once (nothing outside this machine to fake).
 */
const sends: string[] = [];
const hold: { promise?: Promise<void>; release?: () => void } = {};
const relay = definePlugin({
  manifest: { id: 'relay-channel', kind: 'channel', version: '1.0.0', apiVersion: SDK_API_VERSION, capabilities: [] },
  configSchema: z.object({}),
  register(h) {
    h.channels.register(defineChannel({
      type: 'relay',
      capabilities: { ...DEFAULT_CAPABILITIES, outboundKinds: ['text', 'image'] },
      configSchema: z.object({ token: secret(z.string().min(8)) }),
      verify(r: InboundRequest, c: { token: string }) { if (r.headers['x-token'] !== c.token) throw new ChannelError('AUTH', 'bad token'); },
      parse(r: InboundRequest): InboundEvent[] {
        const b = JSON.parse(r.rawBody.toString('utf8')) as { id: string; from: string; text?: string; failed?: string; reason?: string };
        const base = { channelType: 'relay', dedupeKey: b.id, sender: { channelType: 'relay', externalId: b.from }, sentAt: r.receivedAt, receivedAt: r.receivedAt };
        return [b.failed
          ? { ...base, origin: 'system', content: { kind: 'event', name: 'send_failed', key: b.failed, data: { reason: b.reason } }, signal: true }
          : { ...base, origin: 'customer', content: { kind: 'text', text: b.text ?? '' } }];
      },
      async send(m) {
        sends.push(m.id);
        if (m.part?.index === 1 && hold.promise) await hold.promise; // the test holds a message's second part
        return { externalMessageId: `ext-${m.id}`, status: 'sent' };
      },
    }));
  },
});

const MESSAGES = `query($c: ID!) { conversation(id: $c) { status messages(first: 20) { nodes { id text senderType delivery { status errorCode error externalMessageId } } } } }`;
type Msg = { id: string; text: string; senderType: string; delivery: { status: string; errorCode: string | null; error: string | null; externalMessageId: string | null } | null };

describe("a platform's report that a sent message failed turns its delivery FAILED (MariaDB + Redis)", () => {
  let customers: TestSubgraph | undefined;
  let conv: TestSubgraph | undefined;
  let admin: string;
  let c: { id: string };
  let post: (body: object) => Promise<void>;
  let messages: () => Promise<{ status: string; messages: { nodes: Msg[] } }>;
  beforeAll(async () => {
    customers = await startTestSubgraph(customersSubgraph, { db: 'send_failed_customers', stream: 'send-failed-customers' });
    conv = await startTestSubgraph(conversationsWithIngest({ customersUrl: customers.url, jwtSecret: TEST_SECRET, sweepIntervalMs: 0, plugins: ['builtins', { plugin: relay }] }), { db: 'send_failed', stream: 'send-failed' });
    const tenant = newTenant('send-failed');
    admin = await tokenFor(tenant, ['admin']);
    const channelId = (await gqlOk(conv!.url, `mutation($i: CreateChannelInput!) { createChannel(input: $i) { channel { id } } }`, { i: { type: 'relay', name: 'Relay', config: { token: 'token-123456' } } }, admin)).createChannel.channel.id as string;
    post = async (body: object) => {
      const res = await fetch(`${conv!.url.replace(/\/graphql$/, '')}/webhooks/${channelId}`, { method: 'POST', headers: { 'x-token': 'token-123456', 'content-type': 'application/json' }, body: JSON.stringify(body) });
      expect(res.status).toBe(200);
    };
    await post({ id: 'in-1', from: 'u-1', text: '快递到哪了' });
    c = await eventually(async () => (await gqlOk(conv!.url, `query { conversations(first: 5) { nodes { id } } }`, {}, admin)).conversations.nodes[0] as { id: string } | undefined);
    messages = async () => (await gqlOk(conv!.url, MESSAGES, { c: c.id }, admin)).conversation as { status: string; messages: { nodes: Msg[] } };
  });
  afterAll(async () => {
    await conv?.close();
    await customers?.close();
  });

  it('marks only that message FAILED (UNDELIVERED, with the reason), opens nothing, ignores an id it never sent, and stops the parts still to go', async () => {
    const SEND = `mutation($i: SendMessageInput!) { sendMessage(input: $i) { message { id delivery { status externalMessageId } } } }`;
    const first = (await gqlOk(conv!.url, SEND, { i: { conversationId: c.id, text: '已发出，单号 SF1' } }, admin)).sendMessage.message;
    const second = (await gqlOk(conv!.url, SEND, { i: { conversationId: c.id, text: '明天送达' } }, admin)).sendMessage.message;
    expect(first.delivery).toEqual({ status: 'SENT', externalMessageId: `ext-${first.id}` });

    await post({ id: 'evt-1', from: 'u-1', failed: `ext-${first.id}`, reason: 'user blocked' });
    await post({ id: 'evt-2', from: 'u-1', failed: 'ext-never-sent', reason: 'x' });
    const after = await eventually(async () => { const m = await messages(); return m.messages.nodes.find((x) => x.id === first.id)?.delivery?.status === 'FAILED' ? m : undefined; });
    expect(after.messages.nodes.find((x) => x.id === first.id)!.delivery).toEqual({ status: 'FAILED', errorCode: 'UNDELIVERED', error: 'the platform reported that it did not reach the customer (reason user blocked)', externalMessageId: `ext-${first.id}` });
    expect(after.messages.nodes.find((x) => x.id === second.id)!.delivery!.status).toBe('SENT');
    // The reports are lines in the conversation, which they neither open nor move.
    expect(after.status).toBe('QUEUED');
    expect((await gqlOk(conv!.url, `query { conversations(first: 5) { nodes { id } } }`, {}, admin)).conversations.nodes).toHaveLength(1);

    // A report on a message whose later parts are still going out: the parts after it are not sent.
    hold.promise = new Promise<void>((r) => (hold.release = r));
    const SEND_PARTS = `mutation($i: SendMessageInput!) { sendMessage(input: $i) { message { id } } }`;
    const photos = [1, 2].map((i) => ({ kind: 'image', mediaRef: `https://cdn.example.com/${i}.jpg` }));
    const sending = gqlOk(conv!.url, SEND_PARTS, { i: { conversationId: c.id, text: '实拍图', attachments: photos } }, admin);
    const third = await eventually(async () => sends.find((x) => x.endsWith(':1'))?.split(':')[0]);
    await post({ id: 'evt-3', from: 'u-1', failed: `ext-${third}`, reason: 'user blocked' });
    const failedMid = await eventually(async () => (await messages()).messages.nodes.find((x) => x.id === third && x.delivery?.status === 'FAILED'));
    hold.release!();
    await sending;
    await new Promise((r) => setTimeout(r, 300));
    expect(sends.filter((x) => x.startsWith(third))).toEqual([third, `${third}:1`]); // never `:2`
    expect(failedMid.delivery).toMatchObject({ status: 'FAILED', errorCode: 'UNDELIVERED' });
    expect((await messages()).messages.nodes.find((x) => x.id === third)!.delivery!.status).toBe('FAILED');
  });

  it("a report on a later part (a photo after the text) fails its delivery too, the error names the part, and the conversation's watchers see it live", async () => {
    const sub = subscribe(wsClient(conv!.url, admin), `subscription($id: ID!) { conversationEvents(conversationId: $id) { kind message { id delivery { status errorCode } } } }`, { id: c.id });
    try {
      // The subscription comes up lazily: type until it is seen.
      const timer = setInterval(() => void gqlOk(conv!.url, `mutation($i: SetTypingInput!) { setTyping(input: $i) }`, { i: { conversationId: c.id, typing: true } }, admin).catch(() => undefined), 200);
      await until(async () => sub.events.find((e) => e.conversationEvents.kind === 'TYPING')).finally(() => clearInterval(timer));

      const photos = [1, 2].map((i) => ({ kind: 'image', mediaRef: `https://cdn.example.com/later-${i}.jpg` }));
      const sent = (await gqlOk(conv!.url, `mutation($i: SendMessageInput!) { sendMessage(input: $i) { message { id delivery { status } } } }`,
        { i: { conversationId: c.id, text: '两张实拍图', attachments: photos } }, admin)).sendMessage.message;
      expect(sent.delivery.status).toBe('SENT');
      expect(sends.filter((x) => x.startsWith(sent.id))).toEqual([sent.id, `${sent.id}:1`, `${sent.id}:2`]);
      await post({ id: 'evt-later', from: 'u-1', failed: `ext-${sent.id}:2`, reason: 'media expired' });
      const failed = await eventually(async () => (await messages()).messages.nodes.find((x) => x.id === sent.id && x.delivery?.status === 'FAILED'));
      expect(failed.delivery).toEqual({
        status: 'FAILED', errorCode: 'UNDELIVERED', externalMessageId: `ext-${sent.id}`,
        error: 'the platform reported that its part 3 (the text first, then each attachment) did not reach the customer (reason media expired)',
      });
      // Live: the message, then each change of its delivery (sent, then failed) as a DELIVERY activity. Each is
      // read when it reaches the subscriber, so the first may already read FAILED on a slow machine.
      const live = await until(async () => {
        const deliveries = sub.events.map((e) => e.conversationEvents).filter((a) => a.kind === 'DELIVERY' && a.message?.id === sent.id);
        return deliveries.length >= 2 ? deliveries : undefined;
      });
      expect(live).toHaveLength(2);
      expect(live[1].message.delivery).toEqual({ status: 'FAILED', errorCode: 'UNDELIVERED' });
      expect(['SENT', 'FAILED']).toContain(live[0].message.delivery.status);
      expect(sub.events.some((e) => e.conversationEvents.kind === 'MESSAGE' && e.conversationEvents.message?.id === sent.id)).toBe(true);
    } finally {
      sub.dispose();
    }
  });
});

import { HUILIU_SIGNATURE_HEADERS, signPayload } from '../../../plugins/sdk/index.js';
import { storeQrSignature } from '../../../plugins/channel-store/index.js';
import { gql, gqlOk } from '../../../test/helpers/graphql-client.js';
import mysql from 'mysql2/promise';
import { mysqlUrl, newTenant, TEST_SECRET, tokenFor } from '../../../test/helpers/env.js';
import { startTestSubgraph, type TestSubgraph } from '../../../test/helpers/subgraph-harness.js';
import { until } from '../../../test/helpers/until.js';
import { subscribe, wsClient } from '../../../test/helpers/ws-client.js';
import { customersSubgraph } from '../../customers/index.js';
import { conversationsWithIngest } from './ingest.module.js';

jest.setTimeout(60_000);

const SECRET = 'thread-secret-0123456789';
const CREATE = `mutation($i: CreateChannelInput!) { createChannel(input: $i) { channel { id } } }`;
const CONVS = `query { conversations(first: 50) { nodes { id status channelType subject messages(first: 50) { nodes { kind text senderType payload } } } } }`;
type Conv = { id: string; status: string; channelType: string; subject: string; messages: { nodes: Array<{ kind: string; text: string; senderType: string; payload: { externalMessageId?: string } }> } };

// Platform threads (InboundEvent.thread): a call, a consultation, a store's QR chat is a conversation of its own.
describe('threads: one conversation per call, per consultation, per store chat (real MariaDB + Redis)', () => {
  let customers: TestSubgraph;
  let conv: TestSubgraph;
  let admin: string;
  let tenant: string;
  let phone: string;
  let store: string;

  const post = async (channelId: string, body: unknown) => {
    const raw = JSON.stringify(body);
    const ts = Math.floor(Date.now() / 1000);
    const res = await fetch(`${conv.url.replace(/\/graphql$/, '')}/webhooks/${channelId}`, {
      method: 'POST', body: raw,
      headers: { 'content-type': 'application/json', [HUILIU_SIGNATURE_HEADERS.timestampHeader]: String(ts), [HUILIU_SIGNATURE_HEADERS.signatureHeader]: signPayload(SECRET, ts, raw) },
    });
    expect(res.status).toBe(200);
  };
  const conversations = async (channelType: string): Promise<Conv[]> => ((await gqlOk(conv.url, CONVS, {}, admin)).conversations.nodes as Conv[]).filter((c) => c.channelType === channelType);
  const holding = (cs: Conv[], externalId: string) => cs.find((c) => c.messages.nodes.some((m) => m.payload?.externalMessageId === externalId));

  beforeAll(async () => {
    customers = await startTestSubgraph(customersSubgraph, { db: 'threads_customers', stream: 'threads-customers' });
    conv = await startTestSubgraph(conversationsWithIngest({ customersUrl: customers.url, jwtSecret: TEST_SECRET, sweepIntervalMs: 200, publicBaseUrl: 'https://cs.example.com' }), { db: 'threads', stream: 'threads' });
    tenant = newTenant('thr');
    admin = await tokenFor(tenant, ['admin']);
    phone = (await gqlOk(conv.url, CREATE, { i: { type: 'phone', name: 'Hotline', config: { secret: SECRET } } }, admin)).createChannel.channel.id;
    store = (await gqlOk(conv.url, CREATE, { i: { type: 'store', name: 'Stores', config: { secret: SECRET } } }, admin)).createChannel.channel.id;
  });

  afterAll(async () => {
    await conv?.close();
    await customers?.close();
  });

  test('a call is one conversation, resolved when it ends; the next call from the same number is another; neither waits in a queue', async () => {
    const call = (callId: string) => ({ callId, direction: 'inbound', caller: '+8613800138000', callee: '4008001234' });
    const t0 = Date.now() - 60_000;
    await post(phone, { events: [
      { ...call('c-1'), id: 'c1-ring', type: 'call.ringing', at: t0 },
      { ...call('c-1'), id: 'c1-ans', type: 'call.answered', agentId: 'cti-7', at: t0 + 5_000 },
      { ...call('c-1'), id: 'c1-seg1', type: 'transcript.segment', at: t0 + 8_000, segment: { seq: 1, speaker: 'customer', text: '我买的大米还没到', final: true } },
      { ...call('c-1'), id: 'c1-seg2', type: 'transcript.segment', at: t0 + 12_000, segment: { seq: 2, speaker: 'agent', text: '我帮您查一下物流', final: true } },
    ] });
    // During the call: the caller's words are in its conversation, which stays a record, out of the chat queue.
    const during = await until(async () => {
      const c = holding(await conversations('phone'), 'c1-seg2');
      return c && c.messages.nodes.length === 4 && c;
    });
    expect(during.status).toBe('RESOLVED');
    expect((await gqlOk(conv.url, `query { queue { waiting } }`, {}, admin)).queue.waiting).toBe(0);
    // A supervisor opens it to follow the call up; the call's end resolves it again.
    await gqlOk(conv.url, `mutation($i: ReopenConversationInput!) { reopenConversation(input: $i) { conversation { status } } }`, { i: { conversationId: during.id } }, admin);
    await post(phone, { events: [
      { ...call('c-1'), id: 'c1-end', type: 'call.ended', durationSec: 95, at: t0 + 100_000 },
      { ...call('c-1'), id: 'c1-rec', type: 'call.recording', recordingUrl: 'https://cti.example.com/rec/c-1.mp3', durationSec: 95, at: t0 + 101_000 },
    ] });
    const first = await until(async () => {
      const c = holding(await conversations('phone'), 'c1-rec');
      return c && c.messages.nodes.length === 6 && c.status === 'RESOLVED' && c;
    });
    expect(first.subject).toBe('Inbound call');
    expect(first.messages.nodes.map((m) => m.senderType)).toEqual(['SYSTEM', 'SYSTEM', 'CUSTOMER', 'AGENT', 'SYSTEM', 'SYSTEM']);
    // The phone channel sends nothing: a reply is refused before it is stored (it would never reach the caller);
    // a note is fine.
    const SEND_MSG = `mutation($i: SendMessageInput!) { sendMessage(input: $i) { message { id internal } } }`;
    const refused = await gql(conv.url, SEND_MSG, { i: { conversationId: first.id, text: '稍后给您回电' } }, admin);
    expect(refused.errors?.[0]).toMatchObject({ message: expect.stringContaining('phone channel cannot send messages'), extensions: { code: 'BAD_USER_INPUT', field: 'internal' } });
    expect((await gqlOk(conv.url, SEND_MSG, { i: { conversationId: first.id, text: '已登记，48 小时内回电', internal: true } }, admin)).sendMessage.message.internal).toBe(true);
    // The bot likewise: its reply is refused, its system notice is kept.
    const BOT_MSG = `mutation($i: AddBotMessageInput!) { addBotMessage(input: $i) { message { id senderType } } }`;
    const bot = await tokenFor(tenant, ['service']);
    const botRefused = await gql(conv.url, BOT_MSG, { i: { conversationId: first.id, text: '您好，我是智能客服' } }, bot);
    expect(botRefused.errors?.[0]).toMatchObject({ message: expect.stringContaining('phone channel cannot send messages'), extensions: { code: 'BAD_USER_INPUT', field: 'system' } });
    expect((await gqlOk(conv.url, BOT_MSG, { i: { conversationId: first.id, text: '来电已记录', system: true } }, bot)).addBotMessage.message.senderType).toBe('SYSTEM');
    const notes = (await conversations('phone')).find((x) => x.id === first.id)!;
    expect(notes.messages.nodes.map((m) => m.text)).not.toContain('稍后给您回电');
    expect(notes.messages.nodes.map((m) => m.text)).not.toContain('您好，我是智能客服');

    await post(phone, { events: [
      { ...call('c-2'), id: 'c2-ring', type: 'call.ringing', at: t0 + 200_000 },
      { ...call('c-2'), id: 'c2-miss', type: 'call.missed', at: t0 + 230_000 },
    ] });
    const second = await until(async () => {
      const c = holding(await conversations('phone'), 'c2-miss');
      return c && c.messages.nodes.length === 2 && c;
    });
    expect(second.id).not.toBe(first.id);
    expect(second.status).toBe('RESOLVED');
    expect((await gqlOk(conv.url, `query { queue { waiting } }`, {}, admin)).queue.waiting).toBe(0);
  });

  test("a call's partial transcript reaches whoever watches its conversation live, keyed by utterance, and is never stored", async () => {
    const call = { callId: 'c-20', direction: 'inbound', caller: '+8613600136000', callee: '4008001234' };
    const t0 = Date.now() - 30_000;
    await post(phone, { events: [{ ...call, id: 'c20-ring', type: 'call.ringing', at: t0 }] });
    const c = await until(async () => holding(await conversations('phone'), 'c20-ring'));
    const client = wsClient(conv.url, admin);
    const sub = subscribe<{ conversationEvents: { kind: string; partial: { by: string; text: string; key: string } | null } }>(client,
      `subscription($id: ID!) { conversationEvents(conversationId: $id) { kind partial { by text key } } }`, { id: c.id });
    try {
      // The subscription comes up lazily: keep speaking until a partial is seen.
      let n = 0;
      const seen = until(async () => sub.events.find((e) => e.conversationEvents.kind === 'PARTIAL'));
      const timer = setInterval(() => void post(phone, { events: [{ ...call, id: `c20-p${n++}`, type: 'transcript.segment', at: t0 + 2_000, segment: { seq: 3, speaker: 'customer', text: '我想退', final: false } }] }), 200);
      const first = await seen.finally(() => clearInterval(timer));
      expect(first.conversationEvents).toEqual({ kind: 'PARTIAL', partial: { by: 'CUSTOMER', text: '我想退', key: 'c-20:3' } });
    } finally {
      sub.dispose();
      await client.dispose();
    }
    // Only the ringing is in the conversation: partials are live only.
    const after = (await conversations('phone')).find((x) => x.id === c.id)!;
    expect(after.messages.nodes.map((m) => m.payload.externalMessageId)).toEqual(['c20-ring']);
  });

  test('a call whose end was stored but not acted on (a crash after the message) is resolved when the payload is processed again', async () => {
    const call = { callId: 'c-3', direction: 'inbound', caller: '+8613900139000', callee: '4008001234' };
    const t0 = Date.now() - 20_000;
    await post(phone, { events: [
      { ...call, id: 'c3-ring', type: 'call.ringing', at: t0 },
      { ...call, id: 'c3-seg', type: 'transcript.segment', at: t0 + 2_000, segment: { seq: 1, speaker: 'customer', text: '想改一下收货地址', final: true } },
      { ...call, id: 'c3-end', type: 'call.ended', at: t0 + 9_000 },
    ] });
    const c = await until(async () => {
      const x = holding(await conversations('phone'), 'c3-end');
      return x && x.status === 'RESOLVED' && x;
    });
    // As if the processing replica had crashed after storing call.ended's message, before resolving: the
    // conversation is open again, and the payload failed after its first attempt.
    await gqlOk(conv.url, `mutation($i: ReopenConversationInput!) { reopenConversation(input: $i) { conversation { status } } }`, { i: { conversationId: c.id } }, admin);
    const PAYLOADS = `query($c: ID) { inboundPayloads(channelId: $c, first: 50) { id dedupeKey status } }`;
    const ended = ((await gqlOk(conv.url, PAYLOADS, { c: phone }, admin)).inboundPayloads as Array<{ id: string; dedupeKey: string }>).find((p) => p.dedupeKey.endsWith(':c3-end'))!;
    const sql = await mysql.createConnection({ uri: mysqlUrl('threads') });
    await sql.query(`UPDATE inbound_payloads SET status = 'FAILED', error = 'replica crashed' WHERE id = ?`, [ended.id]);
    await sql.end();
    expect((await conversations('phone')).find((x) => x.id === c.id)!.status).toBe('QUEUED');
    const replayed = (await gqlOk(conv.url, `mutation($i: ReplayInboundPayloadInput!) { replayInboundPayload(input: $i) { payload { status attempts } } }`, { i: { id: ended.id } }, admin)).replayInboundPayload.payload;
    expect(replayed).toMatchObject({ status: 'PROCESSED', attempts: 2 });
    const after = (await conversations('phone')).find((x) => x.id === c.id)!;
    expect(after.status).toBe('RESOLVED');
    expect(after.messages.nodes.filter((m) => m.payload.externalMessageId === 'c3-end')).toHaveLength(1);
  });

  test('a call answered by a mapped CTI agent records that agent as its assignee; an agent of another tenant is left out', async () => {
    const AGENT = `mutation($i: CreateAgentInput!) { createAgent(input: $i) { agent { id } } }`;
    const mine = (await gqlOk(conv.url, AGENT, { i: { name: '电话客服小李', email: 'li@rice.example' } }, admin)).createAgent.agent.id as string;
    const otherAdmin = await tokenFor(newTenant('thr-other'), ['admin']);
    const theirs = (await gqlOk(conv.url, AGENT, { i: { name: 'Not ours', email: 'x@other.example' } }, otherAdmin)).createAgent.agent.id as string;
    const hotline = (await gqlOk(conv.url, CREATE, { i: { type: 'phone', name: 'Hotline 2', config: { secret: SECRET, agents: { 'cti-7': mine, 'cti-9': theirs } } } }, admin)).createChannel.channel.id as string;
    const call = (callId: string) => ({ callId, direction: 'inbound', caller: '+8613700137000', callee: '4008001234' });
    const t0 = Date.now() - 60_000;
    await post(hotline, { events: [
      { ...call('c-10'), id: 'c10-ring', type: 'call.ringing', at: t0 },
      { ...call('c-10'), id: 'c10-ans', type: 'call.answered', agentId: 'cti-7', at: t0 + 3_000 },
      { ...call('c-10'), id: 'c10-end', type: 'call.ended', durationSec: 40, at: t0 + 43_000 },
      { ...call('c-11'), id: 'c11-ring', type: 'call.ringing', at: t0 + 50_000 },
      { ...call('c-11'), id: 'c11-ans', type: 'call.answered', agentId: 'cti-9', at: t0 + 52_000 },
      { ...call('c-11'), id: 'c11-end', type: 'call.ended', durationSec: 5, at: t0 + 57_000 },
    ] });
    const ASSIGNEES = `query { conversations(first: 50) { nodes { id status assignee { id } messages(first: 10) { nodes { payload } } } } }`;
    const calls = await until(async () => {
      const nodes = (await gqlOk(conv.url, ASSIGNEES, {}, admin)).conversations.nodes as Array<{ status: string; assignee: { id: string } | null; messages: { nodes: Array<{ payload: { externalMessageId?: string } }> } }>;
      const of = (ext: string) => nodes.find((c) => c.messages.nodes.some((m) => m.payload?.externalMessageId === ext));
      const [a, b] = [of('c10-end'), of('c11-end')];
      return a && b && a.status === 'RESOLVED' && b.status === 'RESOLVED' && { a, b };
    });
    expect(calls.a.assignee).toEqual({ id: mine });
    expect(calls.b.assignee).toBeNull();
  });

  test("a store's QR chat is bound to that store; a consultation logged on the tablet is a finished conversation of its own", async () => {
    const customer = { id: 'oShopper', idType: 'wechat_openid' };
    const at = Date.now() - 30_000;
    await post(store, { type: 'qr_scan', id: 's1-scan', storeId: 'sh-001', qrSig: storeQrSignature(SECRET, 'sh-001'), customer, at });
    await post(store, { type: 'message', id: 's1-msg', storeId: 'sh-001', qrSig: storeQrSignature(SECRET, 'sh-001'), customer, content: { kind: 'text', text: '有五常大米吗？' }, at: at + 1_000 });
    await post(store, { type: 'qr_scan', id: 's2-scan', storeId: 'bj-002', qrSig: storeQrSignature(SECRET, 'bj-002'), customer, at: at + 2_000 });
    await post(store, { type: 'message', id: 's2-msg', storeId: 'bj-002', qrSig: storeQrSignature(SECRET, 'bj-002'), customer, content: { kind: 'text', text: '北京店几点关门？' }, at: at + 3_000 });
    await post(store, { type: 'consultation', id: 'cons-1', storeId: 'sh-001', staffId: 'staff-9', customer, summary: '试吃后买了两袋', startedAt: at + 4_000, endedAt: at + 5_000 });
    const all = await until(async () => {
      const cs = await conversations('store');
      return ['s1-msg', 's2-msg', 'cons-1'].every((x) => holding(cs, x)) && cs;
    });
    const [shanghai, beijing, consultation] = ['s1-msg', 's2-msg', 'cons-1'].map((x) => holding(all, x)!);
    expect(holding(all, 's1-scan')!.id).toBe(shanghai.id);
    expect(holding(all, 's2-scan')!.id).toBe(beijing.id);
    expect(new Set([shanghai.id, beijing.id, consultation.id]).size).toBe(3);
    expect(shanghai.status).toBe('QUEUED'); // a customer waiting for the store's answer
    expect(consultation).toMatchObject({ status: 'RESOLVED', subject: 'In-store consultation' });
    expect(consultation.messages.nodes).toEqual([expect.objectContaining({ senderType: 'AGENT' })]);

    // Closed for good (an admin may close it unresolved): the customer's next message follows up in a new
    // conversation of the same store chat, and the one after joins that one.
    await gqlOk(conv.url, `mutation($i: CloseConversationInput!) { closeConversation(input: $i) { conversation { status } } }`, { i: { conversationId: shanghai.id } }, admin);
    await post(store, { type: 'message', id: 's1-again', storeId: 'sh-001', qrSig: storeQrSignature(SECRET, 'sh-001'), customer, content: { kind: 'text', text: '我又来了' }, at: at + 6_000 });
    await post(store, { type: 'message', id: 's1-more', storeId: 'sh-001', qrSig: storeQrSignature(SECRET, 'sh-001'), customer, content: { kind: 'text', text: '还有一个问题' }, at: at + 7_000 });
    const later = await until(async () => {
      const cs = await conversations('store');
      return holding(cs, 's1-again') && holding(cs, 's1-more') && cs;
    });
    const followUp = holding(later, 's1-again')!;
    expect(followUp.id).not.toBe(shanghai.id);
    expect(holding(later, 's1-more')!.id).toBe(followUp.id);
  });

  test("a store's chats go to the agent group its channel config names (SDK 1.3 route); a group that is not the tenant's is dropped", async () => {
    const group = (await gqlOk(conv.url, `mutation($i: CreateAgentGroupInput!) { createAgentGroup(input: $i) { group { id } } }`, { i: { name: '上海门店' } }, admin)).createAgentGroup.group.id;
    const stores = [{ id: 'sh-101', name: '上海店', groupId: group }, { id: 'gz-102', name: '广州店', groupId: '00000000-0000-4000-8000-000000000000' }, { id: 'cd-103', name: '成都店' }];
    const routed = (await gqlOk(conv.url, CREATE, { i: { type: 'store', name: 'Routed stores', config: { secret: SECRET, stores } } }, admin)).createChannel.channel.id;
    const at = Date.now() - 10_000;
    for (const [k, storeId] of ['sh-101', 'gz-102', 'cd-103'].entries()) {
      await post(routed, { type: 'message', id: `r-${storeId}`, storeId, qrSig: storeQrSignature(SECRET, storeId), customer: { id: `oRouted${k}`, idType: 'wechat_openid' }, content: { kind: 'text', text: `${storeId} 在吗？` }, at: at + k });
    }
    const GROUPS = `query { conversations(first: 50) { nodes { group { id } messages(first: 5) { nodes { payload } } } } }`;
    type G = { group: { id: string } | null; messages: { nodes: Array<{ payload: { externalMessageId?: string } }> } };
    const groupOf = await until(async () => {
      const cs = (await gqlOk(conv.url, GROUPS, {}, admin)).conversations.nodes as G[];
      const of = (x: string) => cs.find((c) => c.messages.nodes.some((m) => m.payload.externalMessageId === x));
      return ['r-sh-101', 'r-gz-102', 'r-cd-103'].every((x) => of(x)) && ((x: string) => of(x)!.group?.id ?? null);
    });
    expect(groupOf('r-sh-101')).toBe(group);
    expect(groupOf('r-gz-102')).toBeNull(); // no such group in this tenant: opened without one, not failed
    expect(groupOf('r-cd-103')).toBeNull();
  });
});

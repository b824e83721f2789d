import { randomUUID } from 'node:crypto';
import { HUILIU_SIGNATURE_HEADERS, signPayload } from '../../../plugins/sdk/index.js';
import { startFakeServer, type FakeServer } from '../../../plugins/sdk/testing/index.js';
import { gqlOk } from '../../../test/helpers/graphql-client.js';
import { newTenant, TEST_SECRET, tokenFor } from '../../../test/helpers/env.js';
import { startTestSubgraph, type TestSubgraph } from '../../../test/helpers/subgraph-harness.js';
import { until } from '../../../test/helpers/until.js';
import { customersSubgraph } from '../../customers/index.js';
import { ticketsSubgraph } from '../../tickets/index.js';
import { conversationsWithIngest } from '../ingest/ingest.module.js';

jest.setTimeout(60_000);

const REGISTER = `mutation($i: RegisterPartnerChannelInput!) { registerPartnerChannel(input: $i) { secret channel { id } } }`;
const CREATE_CHANNEL = `mutation($i: CreateChannelInput!) { createChannel(input: $i) { channel { id } } }`;
const CONVS = `query { conversations(first: 50) { nodes { id status customer { id } messages(first: 50) { nodes { text senderType } } events(first: 20) { nodes { type data } } } } }`;
const CREATE_TICKET = `mutation($input: CreateTicketInput!) { createTicket(input: $input) { ticket { id } } }`;
const COMMENT = `mutation($input: AddTicketCommentInput!) { addTicketComment(input: $input) { comment { id } } }`;
const RESOLVE = `mutation($i: ResolveConversationInput!) { resolveConversation(input: $i) { conversation { status } } }`;
const CLOSE = `mutation($i: CloseConversationInput!) { closeConversation(input: $i) { conversation { status } } }`;
/** What the gateway asks this subgraph for a ticket's comment (TicketComment is the tickets subgraph's entity). */
const REPLY = `query($r: [_Any!]!) { _entities(representations: $r) { ... on TicketComment { id reply { text senderType conversation { id status } delivery { status errorCode error } } } } }`;

type Conv = { id: string; status: string; customer: { id: string }; messages: { nodes: Array<{ text: string; senderType: string }> }; events: { nodes: Array<{ type: string; data: Record<string, unknown> | null }> } };
type Reply = { text: string; senderType: string; conversation: { id: string; status: string }; delivery: { status: string; errorCode: string | null; error: string | null } | null } | null;

// A ticket outlives its conversation: its public comments must still reach the customer, and whoever wrote one must
// see whether it did. The conversations, tickets and customers subgraphs on one event stream, a partner's channel
// whose callback is a local HTTP server, real MariaDB and Redis.
describe('ticket replies after the conversation: follow-ups, and what the customer got (real MariaDB + Redis)', () => {
  const stream = `ticket-follow-${randomUUID().slice(0, 8)}`;
  let fake: FakeServer;
  let customers: TestSubgraph;
  let conv: TestSubgraph;
  let tickets: TestSubgraph;

  beforeAll(async () => {
    fake = await startFakeServer({ 'POST /callback': (r) => ({ json: { id: `p-${(r.json as { id: string }).id}` } }) });
    customers = await startTestSubgraph(customersSubgraph, { db: 'follow_customers', stream: `${stream}-customers` });
    conv = await startTestSubgraph(conversationsWithIngest({ customersUrl: customers.url, jwtSecret: TEST_SECRET, sweepIntervalMs: 200, retryBaseMs: 50 }), { db: 'follow_conversations', stream });
    tickets = await startTestSubgraph(ticketsSubgraph, { db: 'follow_tickets', stream });
  });
  afterAll(async () => {
    await tickets?.close();
    await conv?.close();
    await customers?.close();
    await fake?.close();
  });

  const post = async (channelId: string, secret: string, body: unknown) => {
    const raw = JSON.stringify(body);
    const ts = Math.floor(Date.now() / 1000);
    const res = await fetch(`${conv.url.replace(/\/graphql$/, '')}/webhooks/${channelId}`, {
      method: 'POST', body: raw,
      headers: { 'content-type': 'application/json', [HUILIU_SIGNATURE_HEADERS.timestampHeader]: String(ts), [HUILIU_SIGNATURE_HEADERS.signatureHeader]: signPayload(secret, ts, raw) },
    });
    expect(res.status).toBe(200);
  };
  const conversations = async (token: string): Promise<Conv[]> => (await gqlOk(conv.url, CONVS, {}, token)).conversations.nodes;
  const replyOf = async (token: string, commentId: string): Promise<Reply> => (await gqlOk(conv.url, REPLY, { r: [{ __typename: 'TicketComment', id: commentId }] }, token))._entities[0].reply;
  const comment = async (token: string, ticketId: string, body: string, isPublic = true): Promise<string> =>
    (await gqlOk(tickets.url, COMMENT, { input: { ticketId, body, public: isPublic } }, token)).addTicketComment.comment.id;
  /** The partner's callback requests for one of our messages' texts. */
  const delivered = (text: string) => fake.calls('POST /callback').filter((c) => (c.json as { content?: { text?: string } }).content?.text === text);

  it('a public comment after the conversation closed reaches the customer in a follow-up, which the next comment joins and their answer reopens', async () => {
    const tenant = newTenant('follow');
    const admin = await tokenFor(tenant, ['admin']);
    const partner = await tokenFor(tenant, ['partner'], 'acme');
    const ch = (await gqlOk(conv.url, REGISTER, { i: { name: 'Acme', callbackUrl: `${fake.url}/callback` } }, partner)).registerPartnerChannel;
    await post(ch.channel.id, ch.secret, { messages: [{ id: 'm-1', contact: { identifier: 'user-42', name: 'Ana' }, text: '米袋破了', sentAt: Date.now() }] });
    const first = await until(async () => (await conversations(admin)).find((c) => c.messages.nodes.some((m) => m.text === '米袋破了')));
    const ticket = (await gqlOk(tickets.url, CREATE_TICKET, { input: { customerId: first.customer.id, conversationId: first.id, subject: '米袋破损', type: 'quality' } }, admin)).createTicket.ticket;
    await gqlOk(conv.url, RESOLVE, { i: { conversationId: first.id } }, admin);
    await gqlOk(conv.url, CLOSE, { i: { conversationId: first.id } }, admin);

    // Days later on the ticket: the reply opens a follow-up on the same channel, RESOLVED (in nobody's queue), and
    // goes to the customer's identity there, which the follow-up takes from their earlier conversation.
    const c1 = await comment(admin, ticket.id, '已为您补发一袋，顺丰 SF123');
    const r1 = await until(async () => { const r = await replyOf(admin, c1); return r?.delivery?.status === 'SENT' && r; });
    expect(r1).toMatchObject({ text: '已为您补发一袋，顺丰 SF123', senderType: 'AGENT', conversation: { status: 'RESOLVED' }, delivery: { errorCode: null } });
    expect(r1!.conversation.id).not.toBe(first.id);
    expect(delivered('已为您补发一袋，顺丰 SF123').map((c) => (c.json as { recipient: unknown }).recipient)).toEqual([{ identifier: 'user-42' }]);
    const followUp = (await conversations(admin)).find((c) => c.id === r1!.conversation.id)!;
    expect(followUp.events.nodes[0]).toMatchObject({ type: 'OPENED', data: { previousConversationId: first.id } });
    expect((await gqlOk(conv.url, `query { queue { waiting } }`, {}, admin)).queue.waiting).toBe(0);

    // The next comment joins the follow-up instead of opening another.
    const c2 = await comment(admin, ticket.id, '快递单号已更新');
    const r2 = await until(async () => { const r = await replyOf(admin, c2); return r?.delivery?.status === 'SENT' && r; });
    expect(r2!.conversation.id).toBe(followUp.id);
    expect(delivered('快递单号已更新')).toHaveLength(1);

    // The customer answers on the channel: the follow-up reopens with it, into the queue.
    await post(ch.channel.id, ch.secret, { messages: [{ id: 'm-2', contact: { identifier: 'user-42', name: 'Ana' }, text: '收到了，谢谢', sentAt: Date.now() }] });
    const reopened = await until(async () => (await conversations(admin)).find((c) => c.id === followUp.id && c.messages.nodes.some((m) => m.text === '收到了，谢谢')));
    expect(reopened.status).toBe('QUEUED');
    expect(reopened.messages.nodes.map((m) => [m.senderType, m.text])).toEqual([['AGENT', '已为您补发一袋，顺丰 SF123'], ['AGENT', '快递单号已更新'], ['CUSTOMER', '收到了，谢谢']]);
    expect((await conversations(admin)).filter((c) => c.customer.id === first.customer.id).map((c) => c.id).sort()).toEqual([first.id, followUp.id].sort());

    // An internal note never becomes a message; another tenant finds nothing behind the comment.
    const note = await comment(admin, ticket.id, '内部：仓库 B 包装问题', false);
    await new Promise((r) => setTimeout(r, 500));
    expect(await replyOf(admin, note)).toBeNull();
    expect(await replyOf(await tokenFor(newTenant('other'), ['admin']), c1)).toBeNull();
  });

  it('a public comment on a conversation whose channel sends nothing (a phone call) is kept there, marked as never sent', async () => {
    const tenant = newTenant('follow-phone');
    const admin = await tokenFor(tenant, ['admin']);
    const secret = 'follow-phone-secret-0123';
    const phone = (await gqlOk(conv.url, CREATE_CHANNEL, { i: { type: 'phone', name: 'Hotline', config: { secret } } }, admin)).createChannel.channel.id;
    const call = { callId: 'c-1', direction: 'inbound', caller: '+8613800138000', callee: '4008001234' };
    await post(phone, secret, { events: [
      { ...call, id: 'c1-ring', type: 'call.ringing', at: Date.now() - 60_000 },
      { ...call, id: 'c1-seg1', type: 'transcript.segment', at: Date.now() - 50_000, segment: { seq: 1, speaker: 'customer', text: '我买的大米还没到', final: true } },
    ] });
    const callConv = await until(async () => (await conversations(admin)).find((c) => c.messages.nodes.some((m) => m.text === '我买的大米还没到')));
    const ticket = (await gqlOk(tickets.url, CREATE_TICKET, { input: { customerId: callConv.customer.id, conversationId: callConv.id, subject: '物流查询', type: 'logistics' } }, admin)).createTicket.ticket;
    const c1 = await comment(admin, ticket.id, '已回电告知物流进度');
    const r1 = await until(() => replyOf(admin, c1));
    expect(r1).toEqual({
      text: '已回电告知物流进度', senderType: 'AGENT', conversation: { id: callConv.id, status: 'RESOLVED' },
      delivery: { status: 'FAILED', errorCode: 'CANNOT_SEND', error: 'the phone channel cannot send messages: the customer has not received this' },
    });
  });
});

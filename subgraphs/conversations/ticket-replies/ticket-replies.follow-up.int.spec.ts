import { randomUUID } from 'node:crypto';
import { HUILIU_SIGNATURE_HEADERS, signPayload } from '../../../plugins/sdk/index.js';
import { startFakeServer, type FakeServer } from '../../../plugins/sdk/testing/index.js';
import { gqlOk } from '../../../test/helpers/graphql-client.js';
import { newTenant, TEST_SECRET, tokenFor } from '../../../test/helpers/env.js';
import { startTestSubgraph, type TestSubgraph } from '../../../test/helpers/subgraph-harness.js';
import { until } from '../../../test/helpers/until.js';
import { customersSubgraph } from '../../customers/index.js';
import { ticketsSubgraph } from '../../tickets/index.js';
import { createLogger } from '../../_shared/logger.js';
import type { ConversationsServices } from '../conversations.services.js';
import { ActorType } from '../event/event.entity.js';
import { conversationsWithIngest } from '../ingest/ingest.module.js';
import { MessageSenderType } from '../message/message.entity.js';
import { appendTicketReply, ticketReplyId } from './ticket-replies.worker.js';

jest.setTimeout(90_000);

/** Webhooks are processed asynchronously; a full suite on two cores (and fresh databases) can take seconds. */
const wait = <T>(f: () => Promise<T | null | undefined | false>) => until(f, 30_000);

const REGISTER = `mutation($i: RegisterPartnerChannelInput!) { registerPartnerChannel(input: $i) { secret channel { id } } }`;
const CREATE_CHANNEL = `mutation($i: CreateChannelInput!) { createChannel(input: $i) { channel { id } } }`;
const CONVS = `query { conversations(first: 50) { nodes { id status firstResponseAt assignee { id } customer { id } messages(first: 50) { nodes { text senderType } } events(first: 20) { nodes { type data } } } } }`;
const CREATE_TICKET = `mutation($input: CreateTicketInput!) { createTicket(input: $input) { ticket { id } } }`;
const COMMENT = `mutation($input: AddTicketCommentInput!) { addTicketComment(input: $input) { comment { id } } }`;
const RESOLVE = `mutation($i: ResolveConversationInput!) { resolveConversation(input: $i) { conversation { status } } }`;
const CLOSE = `mutation($i: CloseConversationInput!) { closeConversation(input: $i) { conversation { status } } }`;
/** What the gateway asks this subgraph for a ticket's comment (TicketComment is the tickets subgraph's entity). */
const REPLY = `query($r: [_Any!]!) { _entities(representations: $r) { ... on TicketComment { id reply { text senderType conversation { id status } delivery { status errorCode error } } } } }`;

type Conv = { id: string; status: string; firstResponseAt: string | null; assignee: { id: string } | null; customer: { id: string }; messages: { nodes: Array<{ text: string; senderType: string }> }; events: { nodes: Array<{ type: string; data: Record<string, unknown> | null }> } };
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
  const failOnce = new Set<string>();

  beforeAll(async () => {
    fake = await startFakeServer({
      'POST /callback': (r) => {
        const j = r.json as { id: string; recipient: { identifier: string }; content: { kind: string } };
        // A part the test marks (recipient and kind) fails once with 503 (retryable), as a partner's server in a bad
        // second does.
        if (failOnce.delete(`${j.recipient.identifier}:${j.content.kind}`)) return { status: 503, json: { error: 'busy' } };
        return { json: { id: `p-${j.id}` } };
      },
    });
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
  /** A tenant with a partner's channel whose callback is the fake server: its admin token and the channel (id, secret). */
  const partnerTenant = async (name: string) => {
    const tenant = newTenant(name);
    const admin = await tokenFor(tenant, ['admin']);
    const partner = await tokenFor(tenant, ['partner'], 'acme');
    const ch = (await gqlOk(conv.url, REGISTER, { i: { name: 'Acme', callbackUrl: `${fake.url}/callback` } }, partner)).registerPartnerChannel as { secret: string; channel: { id: string } };
    return { tenant, admin, ch };
  };
  const conversations = async (token: string): Promise<Conv[]> => (await gqlOk(conv.url, CONVS, {}, token)).conversations.nodes;
  const replyOf = async (token: string, commentId: string): Promise<Reply> => (await gqlOk(conv.url, REPLY, { r: [{ __typename: 'TicketComment', id: commentId }] }, token))._entities[0].reply;
  const comment = async (token: string, ticketId: string, body: string, isPublic = true): Promise<string> =>
    (await gqlOk(tickets.url, COMMENT, { input: { ticketId, body, public: isPublic } }, token)).addTicketComment.comment.id;
  /** The partner's callback requests for one of our messages' texts. */
  const delivered = (text: string) => fake.calls('POST /callback').filter((c) => (c.json as { content?: { text?: string } }).content?.text === text);

  it('a public comment after the conversation closed reaches the customer in a follow-up, which the next comment joins and their answer reopens', async () => {
    const { tenant, admin, ch } = await partnerTenant('follow');
    const agentId = (await gqlOk(conv.url, `mutation { createAgent(input: { name: "李娜", email: "lina@example.com" }) { agent { id } } }`, {}, admin)).createAgent.agent.id;
    const agent = await tokenFor(tenant, ['agent'], agentId);
    await post(ch.channel.id, ch.secret, { messages: [{ id: 'm-1', contact: { identifier: 'user-42', name: 'Ana' }, text: '米袋破了', sentAt: Date.now() }] });
    const first = await wait(async () => (await conversations(admin)).find((c) => c.messages.nodes.some((m) => m.text === '米袋破了')));
    const ticket = (await gqlOk(tickets.url, CREATE_TICKET, { input: { customerId: first.customer.id, conversationId: first.id, subject: '米袋破损', type: 'quality' } }, admin)).createTicket.ticket;
    await gqlOk(conv.url, RESOLVE, { i: { conversationId: first.id } }, admin);
    await gqlOk(conv.url, CLOSE, { i: { conversationId: first.id } }, admin);

    // Days later, the agent on the ticket: the reply opens a follow-up on the same channel, RESOLVED (in nobody's
    // queue) and theirs, and goes to the customer's identity there, taken from their earlier conversation.
    const c1 = await comment(agent, ticket.id, '已为您补发一袋，顺丰 SF123');
    const r1 = await wait(async () => { const r = await replyOf(admin, c1); return r?.delivery?.status === 'SENT' && r; });
    expect(r1).toMatchObject({ text: '已为您补发一袋，顺丰 SF123', senderType: 'AGENT', conversation: { status: 'RESOLVED' }, delivery: { errorCode: null } });
    expect(r1!.conversation.id).not.toBe(first.id);
    expect(delivered('已为您补发一袋，顺丰 SF123').map((c) => (c.json as { recipient: unknown }).recipient)).toEqual([{ identifier: 'user-42' }]);
    const followUp = (await conversations(admin)).find((c) => c.id === r1!.conversation.id)!;
    expect(followUp.events.nodes[0]).toMatchObject({ type: 'OPENED', data: { previousConversationId: first.id } });
    expect(followUp.assignee).toEqual({ id: agentId });
    // Opened by our message, it has nothing of the customer's to answer: no first response to count later.
    expect(followUp.firstResponseAt).not.toBeNull();

    // The next comment joins the follow-up instead of opening another.
    const c2 = await comment(agent, ticket.id, '快递单号已更新');
    const r2 = await wait(async () => { const r = await replyOf(admin, c2); return r?.delivery?.status === 'SENT' && r; });
    expect(r2!.conversation.id).toBe(followUp.id);
    expect(delivered('快递单号已更新')).toHaveLength(1);

    // The event delivered again (a consumer that crashed after writing) finds the message: no second follow-up, and
    // nothing sent twice.
    const s = conv.services as ConversationsServices;
    const log = createLogger('test', 'silent');
    const event = (commentId: string, body: string) => ({ id: randomUUID(), type: 'ticket.commented', tenantId: tenant, occurredAt: new Date().toISOString(), data: { ticketId: ticket.id, commentId, conversationId: first.id, public: true, authorId: agentId, authorType: 'AGENT', body } });
    expect(await appendTicketReply(s, log, event(c1, '已为您补发一袋，顺丰 SF123'))).toBe('duplicate');
    expect(delivered('已为您补发一袋，顺丰 SF123')).toHaveLength(1);
    // A consumer that crashed after writing the message but before handing it to the channel: the redelivered
    // event hands it over.
    const c3 = randomUUID();
    await s.conversations.addStaffReply(tenant, first.id, { id: ticketReplyId(tenant, c3), senderType: MessageSenderType.AGENT, senderId: agentId, text: '补发的米已签收了吗？' }, { type: ActorType.AGENT, id: agentId });
    expect(await replyOf(admin, c3)).toMatchObject({ conversation: { id: followUp.id }, delivery: null });
    expect(await appendTicketReply(s, log, event(c3, '补发的米已签收了吗？'))).toBe('duplicate');
    expect(await wait(async () => (await replyOf(admin, c3))?.delivery)).toMatchObject({ status: 'SENT' });
    expect(delivered('补发的米已签收了吗？')).toHaveLength(1);

    // The customer answers on the channel: the follow-up reopens with it, to the agent who wrote.
    await post(ch.channel.id, ch.secret, { messages: [{ id: 'm-2', contact: { identifier: 'user-42', name: 'Ana' }, text: '收到了，谢谢', sentAt: Date.now() }] });
    const reopened = await wait(async () => (await conversations(admin)).find((c) => c.id === followUp.id && c.messages.nodes.some((m) => m.text === '收到了，谢谢')));
    expect(reopened).toMatchObject({ status: 'ASSIGNED', assignee: { id: agentId } });
    expect(reopened.messages.nodes.map((m) => [m.senderType, m.text])).toEqual([['AGENT', '已为您补发一袋，顺丰 SF123'], ['AGENT', '快递单号已更新'], ['AGENT', '补发的米已签收了吗？'], ['CUSTOMER', '收到了，谢谢']]);
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
    const callConv = await wait(async () => (await conversations(admin)).find((c) => c.messages.nodes.some((m) => m.text === '我买的大米还没到')));
    const ticket = (await gqlOk(tickets.url, CREATE_TICKET, { input: { customerId: callConv.customer.id, conversationId: callConv.id, subject: '物流查询', type: 'logistics' } }, admin)).createTicket.ticket;
    const c1 = await comment(admin, ticket.id, '已回电告知物流进度');
    const r1 = await wait(async () => { const r = await replyOf(admin, c1); return r?.delivery && r; });
    expect(r1).toEqual({
      text: '已回电告知物流进度', senderType: 'AGENT', conversation: { id: callConv.id, status: 'RESOLVED' },
      delivery: { status: 'FAILED', errorCode: 'CANNOT_SEND', error: 'the phone channel cannot send messages: the customer has not received this' },
    });
  });

  it("a reply that finds the customer's newer question open joins it without answering it; a follow-up's window runs from our latest reply", async () => {
    const { tenant, admin, ch } = await partnerTenant('follow-aside');
    const s = conv.services as ConversationsServices;
    const staff = { type: ActorType.AGENT, id: 'agent-x' };
    const FIRST_RESPONSE = `query($id: ID!) { conversation(id: $id) { status firstResponseAt } }`;

    // Closed; then the customer asks something new, which waits in the queue; then the old ticket's reply comes.
    await post(ch.channel.id, ch.secret, { messages: [{ id: 'a-1', contact: { identifier: 'user-7' }, text: '旧问题', sentAt: Date.now() }] });
    const old = await wait(async () => (await conversations(admin)).find((c) => c.messages.nodes.some((m) => m.text === '旧问题')));
    await gqlOk(conv.url, RESOLVE, { i: { conversationId: old.id } }, admin);
    await gqlOk(conv.url, CLOSE, { i: { conversationId: old.id } }, admin);
    await post(ch.channel.id, ch.secret, { messages: [{ id: 'a-2', contact: { identifier: 'user-7' }, text: '新问题：能开发票吗', sentAt: Date.now() }] });
    const newer = await wait(async () => (await conversations(admin)).find((c) => c.messages.nodes.some((m) => m.text === '新问题：能开发票吗')));
    const r = await s.conversations.addStaffReply(tenant, old.id, { senderType: MessageSenderType.AGENT, senderId: 'agent-x', text: '旧工单：已退款' }, staff);
    expect(r.conversation.id).toBe(newer.id);
    expect((await gqlOk(conv.url, FIRST_RESPONSE, { id: newer.id }, admin)).conversation).toEqual({ status: 'QUEUED', firstResponseAt: null });

    // A follow-up opened 100 hours ago (past the 72-hour window from then), and our reply in it an hour ago: the
    // customer's answer now reopens it.
    const { tenant: other, admin: otherAdmin, ch: ch2 } = await partnerTenant('follow-window');
    await post(ch2.channel.id, ch2.secret, { messages: [{ id: 'w-1', contact: { identifier: 'user-8' }, text: '米有虫', sentAt: Date.now() - 200 * 3600_000 }] });
    const closed = await wait(async () => (await conversations(otherAdmin)).find((c) => c.messages.nodes.some((m) => m.text === '米有虫')));
    await gqlOk(conv.url, RESOLVE, { i: { conversationId: closed.id } }, otherAdmin);
    await gqlOk(conv.url, CLOSE, { i: { conversationId: closed.id } }, otherAdmin);
    const opened = await s.conversations.addStaffReply(other, closed.id, { senderType: MessageSenderType.AGENT, senderId: 'agent-x', text: '已安排换货', at: new Date(Date.now() - 100 * 3600_000) }, staff);
    expect(opened.conversation.status).toBe('RESOLVED');
    await s.conversations.addStaffReply(other, closed.id, { senderType: MessageSenderType.AGENT, senderId: 'agent-x', text: '换货已发出', at: new Date(Date.now() - 3600_000) }, staff);
    await post(ch2.channel.id, ch2.secret, { messages: [{ id: 'w-2', contact: { identifier: 'user-8' }, text: '收到换货了', sentAt: Date.now() }] });
    const answered = await wait(async () => (await conversations(otherAdmin)).find((c) => c.messages.nodes.some((m) => m.text === '收到换货了')));
    expect(answered).toMatchObject({ id: opened.conversation.id, status: 'QUEUED' });
  });

  it('an agent reply with text and two attachments goes out as three messages in order; a part that fails is retried without resending the ones before it', async () => {
    const { tenant, admin, ch } = await partnerTenant('parts');
    await post(ch.channel.id, ch.secret, { messages: [{ id: 'p-1', contact: { identifier: 'user-9' }, text: '发票呢？', sentAt: Date.now() }] });
    const c = await wait(async () => (await conversations(admin)).find((x) => x.messages.nodes.some((m) => m.text === '发票呢？')));
    const SEND = `mutation($i: SendMessageInput!) { sendMessage(input: $i) { message { id } } }`;
    failOnce.add('user-9:image');
    const id = (await gqlOk(conv.url, SEND, { i: { conversationId: c.id, text: '发票和装箱单都在这里', attachments: [
      { kind: 'image', mediaRef: 'https://cdn.example.com/invoice.jpg', name: 'invoice.jpg' },
      { kind: 'file', mediaRef: 'https://cdn.example.com/packing.pdf', name: '装箱单.pdf', size: 4096 },
    ] } }, admin)).sendMessage.message.id;
    const DELIVERY = `query($id: ID!) { conversation(id: $id) { messages(first: 10) { nodes { id delivery { status attempts } } } } }`;
    const delivery = await wait(async () => {
      const m = (await gqlOk(conv.url, DELIVERY, { id: c.id }, admin)).conversation.messages.nodes.find((x: { id: string }) => x.id === id);
      return m?.delivery?.status === 'SENT' && m.delivery;
    });
    const calls = fake.calls('POST /callback').map((r) => r.json as { id: string; recipient: unknown; content: unknown }).filter((j) => j.id.startsWith(id));
    expect(calls.map((j) => j.id)).toEqual([id, `${id}:1`, `${id}:1`, `${id}:2`]);
    expect(calls.filter((_, i) => i !== 1).map((j) => j.content)).toEqual([
      { kind: 'text', text: '发票和装箱单都在这里' },
      { kind: 'image', url: 'https://cdn.example.com/invoice.jpg' },
      { kind: 'file', url: 'https://cdn.example.com/packing.pdf', name: '装箱单.pdf', size: 4096 },
    ]);
    expect(calls.every((j) => JSON.stringify(j.recipient) === JSON.stringify({ identifier: 'user-9' }))).toBe(true);
    expect(delivery.attempts).toBe(2);
  });

  it("a conversation an agent opens by API reaches the customer at their identity from an earlier conversation on the channel", async () => {
    const { tenant, admin, ch } = await partnerTenant('outreach');
    await post(ch.channel.id, ch.secret, { messages: [{ id: 'o-1', contact: { identifier: 'user-11' }, text: '上次的米很好吃', sentAt: Date.now() }] });
    const earlier = await wait(async () => (await conversations(admin)).find((x) => x.messages.nodes.some((m) => m.text === '上次的米很好吃')));
    // Opened by API with words the customer said on the phone: a customer message, but without their identity on the channel.
    const opened = (await gqlOk(conv.url, `mutation($i: CreateConversationInput!) { createConversation(input: $i) { conversation { id } } }`, { i: { customerId: earlier.customer.id, channelType: 'partner-api', channelId: ch.channel.id, subject: '回访', text: '（电话）想再买两袋' } }, admin)).createConversation.conversation;
    const SEND = `mutation($i: SendMessageInput!) { sendMessage(input: $i) { message { id delivery { status errorCode } } } }`;
    const sent = (await gqlOk(conv.url, SEND, { i: { conversationId: opened.id, text: '已为您下单两袋五常大米' } }, admin)).sendMessage.message;
    expect(sent.delivery).toEqual({ status: 'SENT', errorCode: null });
    expect(delivered('已为您下单两袋五常大米').map((c) => (c.json as { recipient: unknown }).recipient)).toEqual([{ identifier: 'user-11' }]);
  });
});

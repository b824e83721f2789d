import { randomUUID } from 'node:crypto';
import { gqlOk } from '../../../test/helpers/graphql-client.js';
import { newTenant, tokenFor } from '../../../test/helpers/env.js';
import { startTestSubgraph, type TestSubgraph } from '../../../test/helpers/subgraph-harness.js';
import { createLogger } from '../../_shared/logger.js';
import { ticketsSubgraph } from '../../tickets/index.js';
import { CUSTOMER_SAYS, eventually, openConversation } from '../conversations.testing.js';
import type { ConversationsServices } from '../conversations.services.js';
import { conversationsSubgraph } from '../index.js';
import { appendTicketReply } from './ticket-replies.worker.js';

const MESSAGES = `query($id: ID!) { conversation(id: $id) { messages(first: 50) { nodes { id senderType senderId text internal payload attachments { kind mediaRef name size mime } } } } }`;
const CREATE_TICKET = `mutation($input: CreateTicketInput!) { createTicket(input: $input) { ticket { id } } }`;
const COMMENT = `mutation($input: AddTicketCommentInput!) { addTicketComment(input: $input) { comment { id } } }`;
const TICKETS = `query($type: String) { tickets(type: $type) { nodes { id type source summary customer { id } conversation { id } } } }`;

/** The conversations and tickets subgraphs on one event stream, as deployed: each consumes the other's events. */
describe('tickets ↔ conversations through domain events', () => {
  const stream = `ticket-replies-${randomUUID().slice(0, 8)}`;
  let conversations: TestSubgraph;
  let tickets: TestSubgraph;
  beforeAll(async () => {
    conversations = await startTestSubgraph(conversationsSubgraph, { db: 'conversations_ticket_replies', stream });
    tickets = await startTestSubgraph(ticketsSubgraph, { db: 'tickets_ticket_replies', stream });
  });
  afterAll(async () => {
    await tickets?.close();
    await conversations?.close();
  });

  const messagesOf = async (token: string, id: string) => (await gqlOk(conversations.url, MESSAGES, { id }, token)).conversation.messages.nodes;

  it("sends a ticket's public comments to the customer in its conversation, as the agent, once; internal notes stay on the ticket", async () => {
    const tenant = newTenant();
    const agentId = randomUUID();
    const agent = await tokenFor(tenant, ['agent'], agentId);
    const conv = await openConversation(conversations.url, agent, { text: '米袋破了' });
    const ticket = (await gqlOk(tickets.url, CREATE_TICKET, { input: { customerId: conv.customer.id, conversationId: conv.id, subject: '米袋破损', type: 'quality' } }, agent)).createTicket.ticket;
    await gqlOk(tickets.url, COMMENT, { input: { ticketId: ticket.id, body: '内部：仓库 B 包装问题', public: false } }, agent);
    const attachment = { name: '补发单.jpg', size: 2048, mediaRef: 'media://oss/r1', contentType: 'image/jpeg' };
    const reply = (await gqlOk(tickets.url, COMMENT, { input: { ticketId: ticket.id, body: '已为您补发一袋，顺丰 SF123', public: true, attachments: [attachment] } }, agent)).addTicketComment.comment;
    const sent = await eventually(async () => (await messagesOf(agent, conv.id)).find((m: { text: string }) => m.text === '已为您补发一袋，顺丰 SF123'));
    expect(sent).toMatchObject({
      senderType: 'AGENT', senderId: agentId, internal: false, payload: { ticketId: ticket.id, commentId: reply.id },
      attachments: [{ kind: 'image', mediaRef: 'media://oss/r1', name: '补发单.jpg', size: 2048, mime: 'image/jpeg' }],
    });
    await new Promise((r) => setTimeout(r, 300));
    const texts = (await messagesOf(agent, conv.id)).map((m: { text: string }) => m.text);
    expect(texts).toEqual(['米袋破了', '已为您补发一袋，顺丰 SF123']);

    // A redelivered event finds the message it wrote; a foreign (or deleted) conversation is reported, not retried
    // forever. (A closed one gets a follow-up: ticket-replies.follow-up.int.spec.ts.)
    const s = conversations.services as ConversationsServices;
    const log = createLogger('test', 'silent');
    const event = { id: randomUUID(), type: 'ticket.commented', tenantId: tenant, occurredAt: new Date().toISOString(), data: { ticketId: ticket.id, commentId: reply.id, conversationId: conv.id, public: true, authorId: agentId, body: '已为您补发一袋，顺丰 SF123' } };
    expect(await appendTicketReply(s, log, event)).toBe('duplicate');
    expect(await appendTicketReply(s, log, { ...event, tenantId: newTenant(), data: { ...event.data, commentId: randomUUID() } })).toBe('undeliverable');
    expect(await appendTicketReply(s, log, { ...event, data: { ...event.data, public: false } })).toBe('ignored');
    expect((await messagesOf(agent, conv.id))).toHaveLength(2);
  });

  it("hands a public comment to the conversation's channel for delivery, like an agent reply; internal notes never", async () => {
    const tenant = newTenant();
    const admin = await tokenFor(tenant, ['admin']);
    const ch = (await gqlOk(conversations.url, `mutation($i: RegisterPartnerChannelInput!) { registerPartnerChannel(input: $i) { channel { id } } }`, { i: { name: 'Shop', callbackUrl: 'http://127.0.0.1:9/callback' } }, admin)).registerPartnerChannel.channel;
    const conv = await openConversation(conversations.url, admin, { channelType: 'partner-api', channelId: ch.id, text: '米袋破了' });
    const ticket = (await gqlOk(tickets.url, CREATE_TICKET, { input: { customerId: conv.customer.id, conversationId: conv.id, subject: '米袋破损', type: 'quality' } }, admin)).createTicket.ticket;
    await gqlOk(tickets.url, COMMENT, { input: { ticketId: ticket.id, body: '内部备注不外发', public: false } }, admin);
    await gqlOk(tickets.url, COMMENT, { input: { ticketId: ticket.id, body: '已为您补发，顺丰 SF456', public: true } }, admin);
    const Q = `query($id: ID!) { conversation(id: $id) { messages(first: 10) { nodes { text internal delivery { status errorCode } } } } }`;
    const nodes = await eventually(async () => {
      const n = (await gqlOk(conversations.url, Q, { id: conv.id }, admin)).conversation.messages.nodes;
      // Settled: the reply is stored with a PENDING delivery first, and the send attempt follows.
      return n.find((m: { text: string; delivery: { status: string } | null }) => m.text === '已为您补发，顺丰 SF456' && (m.delivery?.status === 'SENT' || m.delivery?.status === 'FAILED')) ? n : undefined;
    });
    // The conversation was opened by API, so the channel knows no recipient: the send is attempted and refused
    // with the channel's own typed error (an inbound-opened conversation is delivered; see ingest.int.spec.ts).
    expect(nodes.find((m: { text: string }) => m.text === '已为您补发，顺丰 SF456').delivery).toEqual({ status: 'FAILED', errorCode: 'INVALID_RECIPIENT' });
    expect(nodes.some((m: { text: string }) => m.text === '内部备注不外发')).toBe(false);
    expect(nodes.find((m: { text: string }) => m.text === '米袋破了').delivery).toBeNull();
  });

  it("keeps what the customer said in the conversation as the summary of a ticket opened from it", async () => {
    const tenant = newTenant();
    const agent = await tokenFor(tenant, ['agent']);
    const conv = await openConversation(conversations.url, agent, { text: '我买的五常大米' });
    await gqlOk(conversations.url, CUSTOMER_SAYS, { input: { conversationId: conv.id, text: '订单 3862410087654321 一直没发货' } }, agent);
    const SUMMARY = `mutation($input: CreateTicketInput!) { createTicket(input: $input) { ticket { summary } } }`;
    const summary = await eventually(async () => {
      const t = (await gqlOk(tickets.url, SUMMARY, { input: { customerId: conv.customer.id, conversationId: conv.id, subject: '催发货', type: 'logistics', idempotencyKey: randomUUID() } }, agent)).createTicket.ticket;
      return t.summary?.includes('一直没发货') ? t.summary : undefined;
    });
    expect(summary).toBe('我买的五常大米\n订单 3862410087654321 一直没发货');
    const given = (await gqlOk(tickets.url, SUMMARY, { input: { customerId: conv.customer.id, conversationId: conv.id, subject: 'x', type: 'other', summary: '坐席写的摘要' } }, agent)).createTicket.ticket;
    expect(given.summary).toBe('坐席写的摘要');
  });

  it('opens a complaint ticket from a customer message with a complaint word (message.received carries customer and text)', async () => {
    const tenant = newTenant();
    const agent = await tokenFor(tenant, ['agent']);
    const conv = await openConversation(conversations.url, agent, { text: '你好' });
    await gqlOk(conversations.url, CUSTOMER_SAYS, { input: { conversationId: conv.id, text: '收到的米发霉了，我要投诉！' } }, agent);
    const [t] = await eventually(async () => {
      const nodes = (await gqlOk(tickets.url, TICKETS, { type: 'complaint' }, agent)).tickets.nodes;
      return nodes.length > 0 && nodes;
    });
    expect(t).toMatchObject({ source: 'RULE', summary: '收到的米发霉了，我要投诉！', customer: { id: conv.customer.id }, conversation: { id: conv.id } });
  });
});

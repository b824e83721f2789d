import { randomUUID } from 'node:crypto';
import { gqlOk } from '../../../test/helpers/graphql-client.js';
import { newTenant, tokenFor } from '../../../test/helpers/env.js';
import { startTestSubgraph, type TestSubgraph } from '../../../test/helpers/subgraph-harness.js';
import type { DomainEvent } from '../../_shared/events.js';
import { ticketsSubgraph } from '../index.js';
import type { TicketsServices } from '../tickets.services.js';
import { CREATE_POLICY, eventually } from '../tickets.testing.js';

const LIST = `query($type: String) { tickets(type: $type, first: 50) { nodes { id type priority source subject summary customerLevel customer { id } conversation { id }
  orderIds tags customFields sla { policy { name } } history { actorId action field oldValue newValue } } } }`;

/** Rules consume the bus as the tickets subgraph's consumer group does in production (events published on Redis). */
describe('ticket rules: complaint words and refund events open tickets by themselves', () => {
  const stream = `tickets-rules-${randomUUID().slice(0, 8)}`;
  let sg: TestSubgraph;
  beforeAll(async () => {
    sg = await startTestSubgraph(ticketsSubgraph, { stream });
  });
  afterAll(() => sg.close());

  const publish = (tenantId: string, type: string, data: Record<string, unknown>) => sg.events.publish({ type, tenantId, data });
  const list = async (token: string, type?: string) => (await gqlOk(sg.url, LIST, { type }, token)).tickets.nodes;

  it('opens one HIGH complaint ticket per conversation for a complaint word, with the message as summary, under the complaint policy', async () => {
    const tenant = newTenant();
    const admin = await tokenFor(tenant, ['admin']);
    await gqlOk(sg.url, CREATE_POLICY, { input: { name: '投诉时效', ticketType: 'complaint', firstResponseMinutes: 30, resolutionMinutes: 240 } }, admin);
    const [conversationId, customerId, quiet] = [randomUUID(), randomUUID(), randomUUID()];
    const text = '三天了还不发货，再不处理我就打 12315 投诉你们！';
    const event = await publish(tenant, 'message.received', { conversationId, messageId: randomUUID(), customerId, text });
    await publish(tenant, 'message.received', { conversationId: quiet, messageId: randomUUID(), customerId, text: '请问五常大米有 10kg 装吗？' });
    const [t] = await eventually(async () => (await list(admin)).length && list(admin));
    expect(t).toMatchObject({
      type: 'complaint', priority: 'HIGH', source: 'RULE', summary: text, customer: { id: customerId }, conversation: { id: conversationId }, tags: ['投诉'],
      customFields: { matchedWord: '投诉', messageId: event.data.messageId }, sla: { policy: { name: '投诉时效' } },
    });
    expect(t.subject.startsWith('客户投诉：三天了还不发货')).toBe(true);
    expect(t.history[0]).toMatchObject({ actorId: 'rule:complaint', action: 'created' });

    // A redelivered event, and a second complaint in the same conversation, find the same ticket.
    await (sg.services as TicketsServices).rules.handle(event as DomainEvent);
    await publish(tenant, 'message.received', { conversationId, messageId: randomUUID(), customerId, text: '我要给差评！' });
    const marker = randomUUID();
    await publish(tenant, 'message.received', { conversationId: marker, messageId: randomUUID(), customerId, text: '曝光你们' });
    await eventually(async () => (await list(admin)).some((x: { conversation: { id: string } }) => x.conversation.id === marker));
    const all = await list(admin);
    expect(all.map((x: { conversation: { id: string } }) => x.conversation.id).sort()).toEqual([conversationId, marker].sort()); // nothing for the quiet conversation
    // an event from last week (a new consumer group reading an old stream) opens nothing
    const old = { ...event, occurredAt: new Date(Date.now() - 7 * 86_400_000).toISOString(), data: { ...event.data, conversationId: randomUUID() } } as DomainEvent;
    expect(await (sg.services as TicketsServices).rules.handle(old)).toBe('stale');
  });

  it('opens one refund ticket per Taobao order (tid kept as a string), updates it as the refund moves on, and skips malformed events', async () => {
    const tenant = newTenant();
    const token = await tokenFor(tenant, ['agent']);
    const tid = '3862410087654321987';
    const first = await publish(tenant, 'order.refund', { tid, buyerNick: 'tb_wang_rice', status: 'WAIT_SELLER_AGREE' });
    await publish(tenant, 'order.refund', { tid: 3862410087654322, buyerNick: 'x', status: 'WAIT_SELLER_AGREE' }); // a number: digits may be lost already
    await publish(tenant, 'order.refund', { tid, buyerNick: 'tb_wang_rice', status: 'WAIT_SELLER_AGREE' }); // the TMC message again
    await publish(tenant, 'order.refund', { tid, buyerNick: 'tb_wang_rice', status: 'SUCCESS' });
    const t = await eventually(async () => {
      const [x] = await list(token, 'refund');
      return x?.customFields.refundStatus === 'SUCCESS' && x;
    });
    expect(t).toMatchObject({ type: 'refund', source: 'RULE', customer: null, orderIds: [tid], tags: ['退款'], subject: `退款申请：订单 ${tid}`, customFields: { buyerNick: 'tb_wang_rice' } });
    const updates = t.history.filter((h: { action: string }) => h.action === 'updated');
    expect(updates).toHaveLength(1);
    expect(updates[0]).toMatchObject({ actorId: 'rule:refund', field: 'customFields' });
    expect([JSON.parse(updates[0].oldValue).refundStatus, JSON.parse(updates[0].newValue).refundStatus]).toEqual(['WAIT_SELLER_AGREE', 'SUCCESS']);
    expect(await list(token, 'refund')).toHaveLength(1);
    // the first message redelivered late changes nothing
    expect(await (sg.services as TicketsServices).rules.handle(first as DomainEvent)).toBe('exists');
    expect((await list(token, 'refund'))[0].customFields.refundStatus).toBe('SUCCESS');

    // the same order number in another tenant is another brand's order
    const other = newTenant();
    await publish(other, 'order.refund', { tid, buyerNick: 'someone', customerId: randomUUID(), status: 'WAIT_SELLER_AGREE' });
    const otherToken = await tokenFor(other, ['agent']);
    const [o] = await eventually(async () => (await list(otherToken, 'refund')).length && list(otherToken, 'refund'));
    expect(o.id).not.toBe(t.id);
    expect(o.customer).toEqual({ id: expect.any(String) });
  });
});

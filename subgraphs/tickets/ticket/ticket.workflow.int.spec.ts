import { randomUUID } from 'node:crypto';
import { gql, gqlOk } from '../../../test/helpers/graphql-client.js';
import { newTenant, tokenFor } from '../../../test/helpers/env.js';
import { startTestSubgraph, type TestSubgraph } from '../../../test/helpers/subgraph-harness.js';
import { ticketsSubgraph } from '../index.js';
import {
  ASSIGN, BY_ID, collectEvents, COMMENT, CREATE, CREATE_CALENDAR, CREATE_POLICY, DELETE_POLICY, eventually, LINK, MERGE, newTicket, OFFICE_HOURS, repeatUntil,
  STATUS, subscribe, UNLINK, UPDATE, UPDATE_CALENDAR, UPDATE_POLICY,
} from '../tickets.testing.js';

describe('ticket workflow: fields, history, assignment, comments, merge, links, live updates', () => {
  const stream = `tickets-workflow-${randomUUID().slice(0, 8)}`;
  let sg: TestSubgraph;
  beforeAll(async () => {
    sg = await startTestSubgraph(ticketsSubgraph, { stream });
  });
  afterAll(() => sg.close());

  const errorOf = async (query: string, input: unknown, token: string) => (await gql(sg.url, query, { input }, token)).errors?.[0]?.extensions?.code;

  it('opens tickets by an agent, from a conversation, through the API, idempotently, with order ids, tags and custom fields', async () => {
    const tenant = newTenant();
    const agentId = randomUUID();
    const agent = await tokenFor(tenant, ['agent'], agentId);
    const service = await tokenFor(tenant, ['service'], 'oms-bridge');
    const [assigneeId, groupId, conversationId] = [randomUUID(), randomUUID(), randomUUID()];
    const fromConversation = await newTicket(sg.url, agent, {
      conversationId, summary: '主题：五常大米破损\n客户：袋子破了，撒了一地', assigneeId, groupId, customerLevel: 'VIP', type: 'quality',
      orderIds: ['3862410087654321', '3862410087654322'], tags: ['破损', '加急'], customFields: { warehouse: 'B', weightKg: 5, photos: ['m1', 'm2'] },
    });
    expect(fromConversation).toMatchObject({
      source: 'CONVERSATION', summary: '主题：五常大米破损\n客户：袋子破了，撒了一地', customerLevel: 'VIP', conversation: { id: conversationId },
      assignee: { id: assigneeId }, group: { id: groupId }, orderIds: ['3862410087654321', '3862410087654322'], tags: ['破损', '加急'],
      customFields: { warehouse: 'B', weightKg: 5, photos: ['m1', 'm2'] }, sla: null, mergedInto: null, mergedFrom: [], links: [],
    });
    expect(fromConversation.history.map((h: { action: string; field: string }) => `${h.action}:${h.field ?? ''}`)).toEqual(['created:', 'updated:assignee', 'updated:group']);
    expect(fromConversation.history[0]).toMatchObject({ actorId: agentId, newValue: expect.stringContaining('"source":"CONVERSATION"') });
    expect((await newTicket(sg.url, agent)).source).toBe('AGENT');
    const api = await newTicket(sg.url, service, { idempotencyKey: 'oms-42' });
    expect(api).toMatchObject({ source: 'API', customFields: {}, tags: [], orderIds: [] });
    expect((await newTicket(sg.url, service, { idempotencyKey: 'oms-42', subject: '重试' })).id).toBe(api.id);
    // The same key in another tenant is another ticket.
    expect((await newTicket(sg.url, await tokenFor(newTenant(), ['service']), { idempotencyKey: 'oms-42' })).id).not.toBe(api.id);

    const bad = await gql(sg.url, CREATE, { input: { customerId: randomUUID(), subject: 'x', type: 'order', orderIds: ['38624 1008'], tags: [''], customerLevel: 'GOLD' } }, agent);
    expect(bad.errors?.[0].extensions?.fields.map((f: { field: string }) => f.field).sort()).toEqual(['customerLevel', 'orderIds', 'tags']);
    const huge = await gql(sg.url, CREATE, { input: { customerId: randomUUID(), subject: 'x', type: 'order', customFields: { blob: 'x'.repeat(9000) } } }, agent);
    expect(huge.errors?.[0].extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'customFields' });
  });

  it('records every change in the history (who, what, old, new) and filters lists by assignee, group, type, tag and order id', async () => {
    const tenant = newTenant();
    const agentId = randomUUID();
    const agent = await tokenFor(tenant, ['agent'], agentId);
    const t = await newTicket(sg.url, agent, { tags: ['物流'], orderIds: ['111'] });
    const u = (await gqlOk(sg.url, UPDATE, { input: { ticketId: t.id, priority: 'URGENT', description: '顺丰丢件', tags: ['物流', '丢件'], orderIds: ['111', '222'], customFields: { courier: 'SF' } } }, agent)).updateTicket.ticket;
    expect(u).toMatchObject({ priority: 'URGENT', description: '顺丰丢件', tags: ['物流', '丢件'], orderIds: ['111', '222'], customFields: { courier: 'SF' } });
    const assigneeId = randomUUID();
    const groupId = randomUUID();
    const a = (await gqlOk(sg.url, ASSIGN, { input: { ticketId: t.id, assigneeId, groupId } }, agent)).assignTicket.ticket;
    const cleared = (await gqlOk(sg.url, UPDATE, { input: { ticketId: t.id, description: null, subject: t.subject } }, agent)).updateTicket.ticket;
    expect(cleared.description).toBeNull();
    const changes = cleared.history.slice(1).map((h: any) => [h.actorId, h.action, h.field, h.oldValue, h.newValue]);
    expect(changes).toEqual([
      [agentId, 'updated', 'description', null, '顺丰丢件'],
      [agentId, 'updated', 'priority', 'NORMAL', 'URGENT'],
      [agentId, 'updated', 'customFields', null, '{"courier":"SF"}'],
      [agentId, 'updated', 'tags', '["物流"]', '["物流","丢件"]'],
      [agentId, 'updated', 'orderIds', '["111"]', '["111","222"]'],
      [agentId, 'updated', 'assignee', null, assigneeId],
      [agentId, 'updated', 'group', null, groupId],
      [agentId, 'updated', 'description', '顺丰丢件', null],
    ]);
    expect(a.assignee).toEqual({ id: assigneeId });
    const unassigned = (await gqlOk(sg.url, ASSIGN, { input: { ticketId: t.id, assigneeId: null } }, agent)).assignTicket.ticket;
    expect(unassigned).toMatchObject({ assignee: null, group: { id: groupId } });
    expect((await gql(sg.url, UPDATE, { input: { ticketId: t.id, subject: null } }, agent)).errors?.[0].extensions?.code).toBe('BAD_USER_INPUT');

    const other = await newTicket(sg.url, agent, { type: 'refund', tags: ['退款'], orderIds: ['222'], assigneeId });
    const ids = async (args: string) => (await gqlOk(sg.url, `{ tickets(${args}) { nodes { id } } }`, {}, agent)).tickets.nodes.map((n: { id: string }) => n.id);
    expect(await ids(`tag: "丢件"`)).toEqual([t.id]);
    expect(await ids(`orderId: "222"`)).toEqual([other.id, t.id]);
    expect(await ids(`assigneeId: "${assigneeId}"`)).toEqual([other.id]);
    expect(await ids(`groupId: "${groupId}"`)).toEqual([t.id]);
    expect(await ids(`type: "refund"`)).toEqual([other.id]);
    expect((await gql(sg.url, `{ tickets(type: "banana") { nodes { id } } }`, {}, agent)).errors?.[0].extensions?.code).toBe('BAD_USER_INPUT');

    await gqlOk(sg.url, STATUS, { input: { ticketId: other.id, status: 'CLOSED' } }, agent);
    expect(await errorOf(UPDATE, { ticketId: other.id, priority: 'LOW' }, agent)).toBe('CONFLICT');
    expect(await errorOf(ASSIGN, { ticketId: other.id, assigneeId: null }, agent)).toBe('CONFLICT');
  });

  it('keeps public replies and internal notes with attachment metadata, and announces ticket.commented', async () => {
    const tenant = newTenant();
    const agent = await tokenFor(tenant, ['agent'], randomUUID());
    const events = await collectEvents(sg.events, tenant);
    try {
      const conversationId = randomUUID();
      const t = await newTicket(sg.url, agent, { conversationId });
      const attachments = [{ name: '破损照片.jpg', size: 204800, mediaRef: 'media://wx/abc123', contentType: 'image/jpeg' }, { name: '快递单.pdf', size: 1024, mediaRef: 'media://oss/def' }];
      const pub = (await gqlOk(sg.url, COMMENT, { input: { ticketId: t.id, body: '已补发，单号 SF123', public: true, attachments } }, agent)).addTicketComment;
      expect(pub.comment).toMatchObject({ public: true, authorType: 'AGENT', attachments: [attachments[0], { ...attachments[1], contentType: null }] });
      await gqlOk(sg.url, COMMENT, { input: { ticketId: t.id, body: '内部：仓库 B 少发一袋' } }, agent);
      const bad = await gql(sg.url, COMMENT, { input: { ticketId: t.id, body: 'x', attachments: [{ name: '', size: -1, mediaRef: 'm' }] } }, agent);
      expect(bad.errors?.[0].extensions?.fields.map((f: { field: string }) => f.field).sort()).toEqual(['attachments.0.name', 'attachments.0.size']);
      await eventually(() => events.seen.filter((e) => e.type === 'ticket.commented').length === 2);
      const [publicEvent, internalEvent] = events.seen.filter((e) => e.type === 'ticket.commented');
      expect(publicEvent.data).toMatchObject({ ticketId: t.id, conversationId, public: true, body: '已补发，单号 SF123', attachments: [attachments[0], { ...attachments[1], contentType: null }] });
      expect(internalEvent.data).toMatchObject({ public: false });
      expect(internalEvent.data).not.toHaveProperty('body'); // internal notes never leave the subgraph
    } finally {
      await events.stop();
    }
  });

  it('merges a duplicate: closed with mergedInto, comments still readable, tags and orders carried over, both histories record it', async () => {
    const tenant = newTenant();
    const agent = await tokenFor(tenant, ['agent'], randomUUID());
    const events = await collectEvents(sg.events, tenant);
    try {
      const target = await newTicket(sg.url, agent, { tags: ['物流'], orderIds: ['111'] });
      const dup = await newTicket(sg.url, agent, { tags: ['物流', '重复'], orderIds: ['222'] });
      await gqlOk(sg.url, COMMENT, { input: { ticketId: dup.id, body: '客户又来问了', public: false } }, agent);
      const r = (await gqlOk(sg.url, MERGE, { input: { sourceTicketId: dup.id, targetTicketId: target.id } }, agent)).mergeTickets;
      expect(r.source).toMatchObject({ status: 'CLOSED', mergedInto: { id: target.id }, solvedAt: expect.any(String) });
      expect(r.source.comments.map((c: { body: string }) => c.body)).toEqual(['客户又来问了']);
      expect(r.target).toMatchObject({ status: 'NEW', tags: ['物流', '重复'], orderIds: ['111', '222'], mergedFrom: [{ id: dup.id }] });
      expect(r.source.history.slice(-2).map((h: any) => [h.action, h.field, h.newValue])).toEqual([['updated', 'status', 'CLOSED'], ['merged_into', null, target.id]]);
      expect(r.target.history.map((h: any) => h.action)).toEqual(expect.arrayContaining(['merged_from']));
      expect(await errorOf(MERGE, { sourceTicketId: dup.id, targetTicketId: target.id }, agent)).toBe('CONFLICT'); // merged already
      expect(await errorOf(MERGE, { sourceTicketId: target.id, targetTicketId: dup.id }, agent)).toBe('CONFLICT'); // into a closed ticket
      expect(await errorOf(MERGE, { sourceTicketId: target.id, targetTicketId: target.id }, agent)).toBe('BAD_USER_INPUT');
      expect(await errorOf(COMMENT, { ticketId: dup.id, body: '还能写吗' }, agent)).toBe('CONFLICT');
      await eventually(() => events.seen.some((e) => e.type === 'ticket.merged'));
      expect(events.seen.find((e) => e.type === 'ticket.merged')!.data).toEqual({ sourceTicketId: dup.id, targetTicketId: target.id });
      expect(events.seen.some((e) => e.type === 'ticket.resolved')).toBe(false); // a duplicate is not a resolution
    } finally {
      await events.stop();
    }
  });

  it('links tickets (duplicate and related both ways, caused_by one way), idempotently, and unlinks them', async () => {
    const tenant = newTenant();
    const agentId = randomUUID();
    const agent = await tokenFor(tenant, ['agent'], agentId);
    const [x, y, z] = [await newTicket(sg.url, agent), await newTicket(sg.url, agent), await newTicket(sg.url, agent)];
    const linked = (await gqlOk(sg.url, LINK, { input: { ticketId: x.id, linkedTicketId: y.id, relation: 'caused_by' } }, agent)).linkTickets;
    expect(linked.ticket.links).toEqual([{ relation: 'caused_by', direction: 'OUTGOING', ticket: { id: y.id }, createdBy: agentId }]);
    expect(linked.linkedTicket.links).toEqual([{ relation: 'caused_by', direction: 'INCOMING', ticket: { id: x.id }, createdBy: agentId }]);
    expect(await errorOf(LINK, { ticketId: y.id, linkedTicketId: x.id, relation: 'caused_by' }, agent)).toBe('CONFLICT');
    await gqlOk(sg.url, LINK, { input: { ticketId: x.id, linkedTicketId: z.id, relation: 'related' } }, agent);
    const again = (await gqlOk(sg.url, LINK, { input: { ticketId: z.id, linkedTicketId: x.id, relation: 'related' } }, agent)).linkTickets; // the same link
    expect(again.ticket.links).toEqual([{ relation: 'related', direction: 'INCOMING', ticket: { id: x.id }, createdBy: agentId }]);
    expect(await errorOf(LINK, { ticketId: x.id, linkedTicketId: x.id, relation: 'related' }, agent)).toBe('BAD_USER_INPUT');
    expect(await errorOf(LINK, { ticketId: x.id, linkedTicketId: z.id, relation: 'blocks' }, agent)).toBe('BAD_USER_INPUT');
    const un = (await gqlOk(sg.url, UNLINK, { input: { ticketId: z.id, linkedTicketId: x.id, relation: 'related' } }, agent)).unlinkTickets;
    expect(un.linkedTicket.links.map((l: { relation: string }) => l.relation)).toEqual(['caused_by']);
    expect(un.ticket.history.slice(-2).map((h: any) => [h.action, h.field])).toEqual([['linked', 'related'], ['unlinked', 'related']]);
    expect(await errorOf(UNLINK, { ticketId: z.id, linkedTicketId: x.id, relation: 'related' }, agent)).toBe('NOT_FOUND');
  });

  it('pushes ticketUpdated for one ticket and myTickets for what is assigned to the viewer, within the tenant only', async () => {
    const tenant = newTenant('a');
    const meId = randomUUID();
    const me = await tokenFor(tenant, ['agent'], meId);
    const colleague = await tokenFor(tenant, ['agent'], randomUUID());
    const outsider = await tokenFor(newTenant('b'), ['agent'], meId); // same sub, other tenant
    const t = await newTicket(sg.url, colleague);
    const mine = subscribe<{ myTickets: any }>(sg.url, me, `subscription { myTickets { id assignee { id } priority } }`);
    const one = subscribe<{ ticketUpdated: any }>(sg.url, me, `subscription($id: ID!) { ticketUpdated(id: $id) { id priority status } }`, { id: t.id });
    const spyMine = subscribe(sg.url, outsider, `subscription { myTickets { id } }`);
    const spyOne = subscribe(sg.url, outsider, `subscription($id: ID!) { ticketUpdated(id: $id) { id } }`, { id: t.id });
    try {
      let n = 0;
      await repeatUntil(() => gqlOk(sg.url, UPDATE, { input: { ticketId: t.id, priority: n++ % 2 ? 'NORMAL' : 'HIGH' } }, colleague), () => one.received.length > 0);
      expect(mine.received).toEqual([]); // not assigned to me yet
      await gqlOk(sg.url, ASSIGN, { input: { ticketId: t.id, assigneeId: meId } }, colleague);
      await eventually(() => mine.received.length > 0);
      expect(mine.received[0].myTickets).toMatchObject({ id: t.id, assignee: { id: meId } });
      await gqlOk(sg.url, ASSIGN, { input: { ticketId: t.id, assigneeId: randomUUID() } }, colleague); // taken away: heard once more
      await eventually(() => mine.received.length > 1);
      expect(mine.received[1].myTickets.assignee.id).not.toBe(meId);
      await gqlOk(sg.url, STATUS, { input: { ticketId: t.id, status: 'OPEN' } }, colleague);
      await eventually(() => one.received.some((r) => r.ticketUpdated.status === 'OPEN'));
      await new Promise((r) => setTimeout(r, 200));
      expect(mine.received).toHaveLength(2); // no longer mine
      expect(spyMine.received).toEqual([]);
      expect(spyOne.received).toEqual([]);
      expect(JSON.stringify(spyOne.errors)).toContain('NOT_FOUND');
    } finally {
      await Promise.all([mine, one, spyMine, spyOne].map((s) => s.dispose()));
    }
  });

  it("keeps tenants apart in every new operation: B cannot change, merge, link, read the history of, or reuse A's rows", async () => {
    const [ta, tb] = [newTenant('a'), newTenant('b')];
    const adminA = await tokenFor(ta, ['admin'], randomUUID());
    const adminB = await tokenFor(tb, ['admin'], randomUUID());
    const calA = (await gqlOk(sg.url, CREATE_CALENDAR, { input: { name: 'A 的日历', hours: OFFICE_HOURS, isDefault: true } }, adminA)).createBusinessCalendar.calendar;
    const policyA = (await gqlOk(sg.url, CREATE_POLICY, { input: { name: 'A 的策略', firstResponseMinutes: 60, resolutionMinutes: 600, calendarId: calA.id } }, adminA)).createSlaPolicy.policy;
    const a1 = await newTicket(sg.url, adminA, { tags: ['A'] });
    const a2 = await newTicket(sg.url, adminA);
    await gqlOk(sg.url, LINK, { input: { ticketId: a1.id, linkedTicketId: a2.id, relation: 'related' } }, adminA);
    const b1 = await newTicket(sg.url, adminB);

    for (const [query, input] of [
      [UPDATE, { ticketId: a1.id, subject: 'B 改的' }],
      [ASSIGN, { ticketId: a1.id, assigneeId: randomUUID() }],
      [COMMENT, { ticketId: a1.id, body: 'B', public: true, attachments: [{ name: 'x', size: 1, mediaRef: 'm' }] }],
      [MERGE, { sourceTicketId: a1.id, targetTicketId: b1.id }],
      [MERGE, { sourceTicketId: b1.id, targetTicketId: a1.id }],
      [LINK, { ticketId: b1.id, linkedTicketId: a1.id, relation: 'related' }],
      [UNLINK, { ticketId: a1.id, linkedTicketId: a2.id, relation: 'related' }],
      [UPDATE_POLICY, { policyId: policyA.id, firstResponseMinutes: 1 }],
      [DELETE_POLICY, { policyId: policyA.id }],
      [UPDATE_CALENDAR, { calendarId: calA.id, name: 'B 改的' }],
      [CREATE_POLICY, { name: 'B 用 A 的日历', firstResponseMinutes: 10, resolutionMinutes: 20, calendarId: calA.id }],
    ] as const) {
      expect([query.slice(9, 40), await errorOf(query, input, adminB)]).toEqual([query.slice(9, 40), 'NOT_FOUND']);
    }
    expect((await gqlOk(sg.url, `{ slaPolicies { id } businessCalendars { id } tickets(tag: "A") { nodes { id } } }`, {}, adminB))).toEqual({ slaPolicies: [], businessCalendars: [], tickets: { nodes: [] } });
    // B's idempotency key, tag and order filters reach only B's tickets
    expect((await gqlOk(sg.url, `query($id: ID!) { ticket(id: $id) { id history { action } } }`, { id: a1.id }, adminB)).ticket).toBeNull();
    const b1Read = (await gqlOk(sg.url, BY_ID, { id: b1.id }, adminB)).ticket;
    expect(b1Read.links).toEqual([]);
    expect(b1Read.mergedFrom).toEqual([]);
    expect(b1Read.sla).toBeNull(); // A's policies do not apply to B

    const a1Read = (await gqlOk(sg.url, BY_ID, { id: a1.id }, adminA)).ticket;
    expect(a1Read).toMatchObject({ subject: a1.subject, assignee: null, comments: [], mergedInto: null, status: 'NEW' });
    expect(a1Read.links.map((l: { ticket: { id: string } }) => l.ticket.id)).toEqual([a2.id]);
    expect(a1Read.sla.policy.id).toBe(policyA.id);
    const policies = (await gqlOk(sg.url, `{ slaPolicies { id firstResponseMinutes } businessCalendars { name } }`, {}, adminA));
    expect(policies).toEqual({ slaPolicies: [{ id: policyA.id, firstResponseMinutes: 60 }], businessCalendars: [{ name: 'A 的日历' }] });
  });
});

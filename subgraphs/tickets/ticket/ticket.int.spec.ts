import { randomUUID } from 'node:crypto';
import { DEMO_TENANT, DEMO_TICKET } from '../../_shared/demo-data.js';
import type { DomainEvent } from '../../_shared/events.js';
import { ticketsSubgraph } from '../index.js';
import type { TicketsServices } from '../tickets.services.js';
import { gql, gqlOk } from '../../../test/helpers/graphql-client.js';
import { newTenant, tokenFor } from '../../../test/helpers/env.js';
import { startTestSubgraph, type TestSubgraph } from '../../../test/helpers/subgraph-harness.js';

const TICKET_FIELDS = `id subject description type priority status createdAt updatedAt solvedAt customer { id } conversation { id } comments { id authorId body public createdAt }`;
const create = `mutation($input: CreateTicketInput!) { createTicket(input: $input) { ticket { ${TICKET_FIELDS} } } }`;
const setStatus = `mutation($input: UpdateTicketStatusInput!) { updateTicketStatus(input: $input) { ticket { id status solvedAt updatedAt } } }`;
const comment = `mutation($input: AddTicketCommentInput!) { addTicketComment(input: $input) { ticket { id updatedAt } comment { id authorId body public } } }`;
const byId = `query($id: ID!) { ticket(id: $id) { ${TICKET_FIELDS} } }`;
const entities = `query($r: [_Any!]!) { _entities(representations: $r) {
  ... on Ticket { id subject } ... on Customer { id tickets { id } } ... on Conversation { id tickets { id } } } }`;

describe('tickets subgraph on MariaDB', () => {
  let sg: TestSubgraph;
  const events: DomainEvent[] = [];
  beforeAll(async () => {
    sg = await startTestSubgraph(ticketsSubgraph, { stream: 'tickets-int' });
    await sg.events.consume('tickets-int-spec', async (e) => void events.push(e));
  });
  afterAll(() => sg.close());

  /** Waits for the events of one tenant that match, as the Redis stream delivers them asynchronously. */
  async function eventsOf(tenantId: string, type: string, count = 1): Promise<DomainEvent[]> {
    for (let i = 0; i < 100; i++) {
      const found = events.filter((e) => e.tenantId === tenantId && e.type === type);
      if (found.length >= count) return found;
      await new Promise((r) => setTimeout(r, 50));
    }
    return events.filter((e) => e.tenantId === tenantId && e.type === type);
  }

  async function newTicket(token: string, input: Record<string, unknown> = {}) {
    const d = await gqlOk(sg.url, create, { input: { customerId: randomUUID(), subject: '物流三天没更新', type: 'logistics', ...input } }, token);
    return d.createTicket.ticket;
  }

  it('creates a ticket with defaults, reads it back with its references, and publishes ticket.created', async () => {
    const tenant = newTenant();
    const token = await tokenFor(tenant, ['agent']);
    const customerId = randomUUID();
    const conversationId = randomUUID();
    const t = await newTicket(token, { customerId, conversationId, subject: '米袋破损', description: '外包装破了，撒了一半', type: 'quality' });
    expect(t).toMatchObject({
      subject: '米袋破损', description: '外包装破了，撒了一半', type: 'quality', priority: 'NORMAL', status: 'NEW', solvedAt: null,
      customer: { id: customerId }, conversation: { id: conversationId }, comments: [],
    });
    expect((await gqlOk(sg.url, byId, { id: t.id }, token)).ticket).toEqual(t);
    const noConversation = await newTicket(token, { priority: 'URGENT' });
    expect(noConversation).toMatchObject({ priority: 'URGENT', conversation: null, description: null });
    const [created] = await eventsOf(tenant, 'ticket.created', 2);
    expect(created.data).toMatchObject({ ticketId: t.id, customerId, conversationId, type: 'quality', priority: 'NORMAL' });
  });

  it('adds public replies and internal notes in order, written by the caller, and bumps updatedAt', async () => {
    const token = await tokenFor(newTenant(), ['agent'], 'agent-7');
    const t = await newTicket(token);
    const c1 = await gqlOk(sg.url, comment, { input: { ticketId: t.id, body: '已联系快递', public: true } }, token);
    const c2 = await gqlOk(sg.url, comment, { input: { ticketId: t.id, body: '内部：快递员电话未接' } }, token);
    expect(c1.addTicketComment.comment).toMatchObject({ authorId: 'agent-7', body: '已联系快递', public: true });
    expect(c2.addTicketComment.comment).toMatchObject({ body: '内部：快递员电话未接', public: false });
    expect(new Date(c2.addTicketComment.ticket.updatedAt).getTime()).toBeGreaterThan(new Date(t.updatedAt).getTime());
    const read = (await gqlOk(sg.url, byId, { id: t.id }, token)).ticket;
    expect(read.comments.map((c: { body: string }) => c.body)).toEqual(['已联系快递', '内部：快递员电话未接']);
    expect(read.updatedAt).toBe(c2.addTicketComment.ticket.updatedAt);
  });

  it('solves a ticket (solvedAt + ticket.resolved once), reopens it, and refuses changes after CLOSED', async () => {
    const tenant = newTenant();
    const token = await tokenFor(tenant, ['agent']);
    const t = await newTicket(token);
    const open = (await gqlOk(sg.url, setStatus, { input: { ticketId: t.id, status: 'OPEN' } }, token)).updateTicketStatus.ticket;
    expect(open).toMatchObject({ status: 'OPEN', solvedAt: null });
    const solved = (await gqlOk(sg.url, setStatus, { input: { ticketId: t.id, status: 'SOLVED' } }, token)).updateTicketStatus.ticket;
    expect(solved.status).toBe('SOLVED');
    expect(solved.solvedAt).toEqual(expect.any(String));
    const again = (await gqlOk(sg.url, setStatus, { input: { ticketId: t.id, status: 'SOLVED' } }, token)).updateTicketStatus.ticket;
    expect(again.solvedAt).toBe(solved.solvedAt);
    const [resolved] = await eventsOf(tenant, 'ticket.resolved');
    expect(resolved.data).toMatchObject({ ticketId: t.id, status: 'SOLVED', solvedAt: solved.solvedAt });

    const reopened = (await gqlOk(sg.url, setStatus, { input: { ticketId: t.id, status: 'PENDING' } }, token)).updateTicketStatus.ticket;
    expect(reopened).toMatchObject({ status: 'PENDING', solvedAt: null });
    const closed = (await gqlOk(sg.url, setStatus, { input: { ticketId: t.id, status: 'CLOSED' } }, token)).updateTicketStatus.ticket;
    expect(closed.solvedAt).toEqual(expect.any(String));
    expect((await eventsOf(tenant, 'ticket.resolved', 2)).map((e) => e.data.status)).toEqual(['SOLVED', 'CLOSED']);
    const r = await gql(sg.url, setStatus, { input: { ticketId: t.id, status: 'OPEN' } }, token);
    expect(r.errors?.[0].extensions?.code).toBe('CONFLICT');
    expect((await gqlOk(sg.url, byId, { id: t.id }, token)).ticket.status).toBe('CLOSED');
    await new Promise((r) => setTimeout(r, 300));
    expect(events.filter((e) => e.tenantId === tenant && e.type === 'ticket.resolved')).toHaveLength(2);
  });

  it('pages through tickets newest first and filters by status and customer', async () => {
    const token = await tokenFor(newTenant(), ['agent']);
    const customerId = randomUUID();
    const ids: string[] = [];
    for (const subject of ['一', '二', '三']) ids.push((await newTicket(token, { subject, customerId })).id);
    const other = await newTicket(token, { subject: '四' });
    await gqlOk(sg.url, setStatus, { input: { ticketId: ids[1], status: 'SOLVED' } }, token);

    const list = `query($first: Int, $after: String, $status: String, $customerId: ID) {
      tickets(first: $first, after: $after, status: $status, customerId: $customerId) { nodes { id } pageInfo { hasNextPage endCursor } } }`;
    const idsOf = (d: any) => d.tickets.nodes.map((n: { id: string }) => n.id);
    const page1 = await gqlOk(sg.url, list, { first: 2 }, token);
    expect(idsOf(page1)).toEqual([other.id, ids[2]]);
    expect(page1.tickets.pageInfo.hasNextPage).toBe(true);
    const page2 = await gqlOk(sg.url, list, { first: 2, after: page1.tickets.pageInfo.endCursor }, token);
    expect(idsOf(page2)).toEqual([ids[1], ids[0]]);
    expect(page2.tickets.pageInfo.hasNextPage).toBe(false);

    expect(idsOf(await gqlOk(sg.url, list, { customerId }, token))).toEqual([ids[2], ids[1], ids[0]]);
    expect(idsOf(await gqlOk(sg.url, list, { status: 'SOLVED' }, token))).toEqual([ids[1]]);
    expect(idsOf(await gqlOk(sg.url, list, { status: 'NEW', customerId }, token))).toEqual([ids[2], ids[0]]);
  });

  it('extends Customer and Conversation with their tickets, and resolves Ticket references, in one batch', async () => {
    const token = await tokenFor(newTenant(), ['agent']);
    const [c1, c2, conv] = [randomUUID(), randomUUID(), randomUUID()];
    const a = await newTicket(token, { customerId: c1, conversationId: conv });
    const b = await newTicket(token, { customerId: c1 });
    const c = await newTicket(token, { customerId: c2 });
    const reps = [
      { __typename: 'Customer', id: c1 }, { __typename: 'Customer', id: c2 }, { __typename: 'Customer', id: randomUUID() },
      { __typename: 'Conversation', id: conv }, { __typename: 'Ticket', id: a.id }, { __typename: 'Ticket', id: randomUUID() },
    ];
    const byCustomers = jest.spyOn((sg.services as TicketsServices).tickets, 'byCustomers');
    const d = await gqlOk(sg.url, entities, { r: reps }, token);
    expect(byCustomers).toHaveBeenCalledTimes(1); // one query for the three customers
    expect(byCustomers.mock.calls[0][1]).toEqual([c1, c2, reps[2].id]);
    byCustomers.mockRestore();
    expect(d._entities).toEqual([
      { id: c1, tickets: [{ id: b.id }, { id: a.id }] },
      { id: c2, tickets: [{ id: c.id }] },
      { id: reps[2].id, tickets: [] },
      { id: conv, tickets: [{ id: a.id }] },
      { id: a.id, subject: a.subject },
      null,
    ]);
  });

  it('names the invalid fields with BAD_USER_INPUT', async () => {
    const token = await tokenFor(newTenant(), ['agent']);
    const r = await gql(sg.url, create, { input: { customerId: 'nope', subject: '', type: 'banana', priority: 'ASAP' } }, token);
    expect(r.errors?.[0].extensions?.code).toBe('BAD_USER_INPUT');
    expect(r.errors?.[0].extensions?.fields.map((f: { field: string }) => f.field).sort()).toEqual(['customerId', 'priority', 'subject', 'type']);
    const t = await newTicket(token);
    const s = await gql(sg.url, setStatus, { input: { ticketId: t.id, status: 'DONE' } }, token);
    expect(s.errors?.[0].extensions?.fields).toEqual([expect.objectContaining({ field: 'status' })]);
    const c = await gql(sg.url, comment, { input: { ticketId: t.id, body: '' } }, token);
    expect(c.errors?.[0].extensions?.fields).toEqual([expect.objectContaining({ field: 'body' })]);
    for (const args of ['status: "DONE"', 'first: 0', 'first: 500', 'after: "garbage"']) {
      const l = await gql(sg.url, `{ tickets(${args}) { nodes { id } } }`, {}, token);
      expect(l.errors?.[0].extensions?.code).toBe('BAD_USER_INPUT');
    }
  });

  it('answers NOT_FOUND for a mutation on an unknown ticket, and null for an unknown id', async () => {
    const token = await tokenFor(newTenant(), ['agent']);
    const id = randomUUID();
    expect((await gql(sg.url, setStatus, { input: { ticketId: id, status: 'OPEN' } }, token)).errors?.[0].extensions?.code).toBe('NOT_FOUND');
    expect((await gql(sg.url, comment, { input: { ticketId: id, body: 'x' } }, token)).errors?.[0].extensions?.code).toBe('NOT_FOUND');
    expect((await gqlOk(sg.url, byId, { id }, token)).ticket).toBeNull();
  });

  it("keeps tenants apart: B cannot read, list, reference or change A's tickets", async () => {
    const tokenA = await tokenFor(newTenant('a'), ['admin']);
    const tokenB = await tokenFor(newTenant('b'), ['admin']);
    const customerId = randomUUID();
    const conversationId = randomUUID();
    const t = await newTicket(tokenA, { customerId, conversationId });
    await gqlOk(sg.url, comment, { input: { ticketId: t.id, body: 'A 的备注' } }, tokenA);

    expect((await gqlOk(sg.url, byId, { id: t.id }, tokenB)).ticket).toBeNull();
    expect((await gqlOk(sg.url, `{ tickets { nodes { id } } }`, {}, tokenB)).tickets.nodes).toEqual([]);
    expect((await gqlOk(sg.url, `query($c: ID) { tickets(customerId: $c) { nodes { id } } }`, { c: customerId }, tokenB)).tickets.nodes).toEqual([]);
    const reps = [{ __typename: 'Ticket', id: t.id }, { __typename: 'Customer', id: customerId }, { __typename: 'Conversation', id: conversationId }];
    expect((await gqlOk(sg.url, entities, { r: reps }, tokenB))._entities).toEqual([null, { id: customerId, tickets: [] }, { id: conversationId, tickets: [] }]);
    expect((await gql(sg.url, setStatus, { input: { ticketId: t.id, status: 'SOLVED' } }, tokenB)).errors?.[0].extensions?.code).toBe('NOT_FOUND');
    expect((await gql(sg.url, comment, { input: { ticketId: t.id, body: 'B 写入' } }, tokenB)).errors?.[0].extensions?.code).toBe('NOT_FOUND');

    const still = (await gqlOk(sg.url, byId, { id: t.id }, tokenA)).ticket;
    expect(still).toMatchObject({ status: 'NEW', solvedAt: null });
    expect(still.comments.map((c: { body: string }) => c.body)).toEqual(['A 的备注']);
  });

  it('requires a token, and a role that may read tickets', async () => {
    const tenant = newTenant();
    expect((await gql(sg.url, `{ tickets { nodes { id } } }`)).errors?.[0].extensions?.code).toBe('UNAUTHENTICATED');
    const partner = await tokenFor(tenant, ['partner']);
    expect((await gql(sg.url, `{ tickets { nodes { id } } }`, {}, partner)).errors?.[0].extensions?.code).toBe('FORBIDDEN');
    const r = await gql(sg.url, create, { input: { customerId: randomUUID(), subject: 'x', type: 'other' } }, partner);
    expect(r.errors?.[0].extensions?.code).toBe('FORBIDDEN');
    const c = await gql(sg.url, entities, { r: [{ __typename: 'Customer', id: randomUUID() }] }, partner);
    expect(c.errors?.[0].extensions?.code).toBe('FORBIDDEN');
  });

  it('seeds the demo ticket with its comments idempotently', async () => {
    const services = sg.services as TicketsServices;
    await ticketsSubgraph.seedDemo!(services);
    await ticketsSubgraph.seedDemo!(services);
    const token = await tokenFor(DEMO_TENANT.id, ['agent']);
    const t = (await gqlOk(sg.url, byId, { id: DEMO_TICKET.id }, token)).ticket;
    expect(t).toMatchObject({ subject: DEMO_TICKET.subject, type: 'quality', priority: 'HIGH', status: 'OPEN', customer: { id: DEMO_TICKET.customerId }, conversation: { id: DEMO_TICKET.conversationId } });
    expect(t.comments.map((c: { public: boolean }) => c.public)).toEqual([true, false]);
    expect((await services.tickets.byCustomers(DEMO_TENANT.id, [DEMO_TICKET.customerId])).map((x) => x.id)).toEqual([DEMO_TICKET.id]);
  });
});

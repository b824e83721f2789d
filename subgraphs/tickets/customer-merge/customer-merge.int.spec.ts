import { gqlOk } from '../../../test/helpers/graphql-client.js';
import { newTenant, tokenFor } from '../../../test/helpers/env.js';
import { startTestSubgraph, type TestSubgraph } from '../../../test/helpers/subgraph-harness.js';
import { newId } from '../../_shared/ids.js';
import { customersSubgraph } from '../../customers/index.js';
import { ticketsSubgraph } from '../index.js';

const TICKET = `mutation($i: CreateTicketInput!) { createTicket(input: $i) { ticket { id } } }`;
const OF = `query($c: ID) { tickets(customerId: $c, first: 50) { nodes { id } } }`;
const CREATE = `mutation($i: CreateCustomerInput!) { createCustomer(input: $i) { customer { id } } }`;

const sorted = (ids: string[]) => [...ids].sort();

async function eventually<T>(probe: () => Promise<T | undefined>, timeoutMs = 10_000): Promise<T> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const v = await probe();
    if (v !== undefined) return v;
    if (Date.now() > until) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe('tickets follow customer merges (customers → bus → tickets)', () => {
  let customers: TestSubgraph;
  let tickets: TestSubgraph;
  beforeAll(async () => {
    customers = await startTestSubgraph(customersSubgraph, { db: 'customers_follow_t', stream: 'merge_follow_tickets' });
    tickets = await startTestSubgraph(ticketsSubgraph, { db: 'tickets_follow', stream: 'merge_follow_tickets' });
  });
  afterAll(async () => {
    await tickets.close();
    await customers.close();
  });

  it("moves the merged customer's tickets to the survivor, and exactly those back on unmerge, in any event order", async () => {
    const tenant = newTenant();
    const admin = await tokenFor(tenant, ['admin']);
    const s = (await gqlOk(customers.url, CREATE, { i: { name: '孙总' } }, admin)).createCustomer.customer.id;
    const x = (await gqlOk(customers.url, CREATE, { i: { name: '孙总 (企业微信)' } }, admin)).createCustomer.customer.id;
    const open = async (customerId: string, subject: string) =>
      (await gqlOk(tickets.url, TICKET, { i: { customerId, subject, type: 'order' } }, admin)).createTicket.ticket.id as string;
    const ofS = [await open(s, '发票')];
    const ofX = [await open(x, '大宗采购报价'), await open(x, '合同')];
    const ids = async (customerId: string) => sorted((await gqlOk(tickets.url, OF, { c: customerId }, admin)).tickets.nodes.map((n: { id: string }) => n.id));

    const m = await gqlOk(customers.url, `mutation($i: MergeCustomersInput!) { mergeCustomers(input: $i) { merge { id } } }`, { i: { survivorId: s, mergedId: x, reason: 'same buyer' } }, admin);
    const mergeId = m.mergeCustomers.merge.id;
    await eventually(async () => ((await ids(x)).length === 0 ? true : undefined));
    expect(await ids(s)).toEqual(sorted([...ofS, ...ofX]));
    // a redelivery of the merge event moves nothing twice
    await tickets.events.publish({ type: 'customer.merged', tenantId: tenant, data: { mergeId, survivorId: s, mergedId: x } });

    const later = await open(s, '追加');
    await gqlOk(customers.url, `mutation($i: UnmergeCustomersInput!) { unmergeCustomers(input: $i) { merge { id } } }`, { i: { mergeId } }, admin);
    await eventually(async () => ((await ids(x)).length === 2 ? true : undefined));
    expect(await ids(x)).toEqual(sorted(ofX));
    expect(await ids(s)).toEqual(sorted([...ofS, later]));

    // an unmerge that arrives before its merge: the late merge is ignored
    const early = newId();
    await tickets.events.publish({ type: 'customer.unmerged', tenantId: tenant, data: { mergeId: early, survivorId: s, mergedId: x } });
    await tickets.events.publish({ type: 'customer.merged', tenantId: tenant, data: { mergeId: early, survivorId: s, mergedId: x } });
    await new Promise((r) => setTimeout(r, 800));
    expect(await ids(x)).toEqual(sorted(ofX));
  });
});

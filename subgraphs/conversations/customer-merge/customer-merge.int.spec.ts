import mysql from 'mysql2/promise';
import { gqlOk } from '../../../test/helpers/graphql-client.js';
import { mysqlUrl, newTenant, tokenFor } from '../../../test/helpers/env.js';
import { startTestSubgraph, type TestSubgraph } from '../../../test/helpers/subgraph-harness.js';
import { newId } from '../../_shared/ids.js';
import { customersSubgraph } from '../../customers/index.js';
import { eventually } from '../conversations.testing.js';
import { conversationsSubgraph } from '../index.js';

const OPEN = `mutation($i: CreateConversationInput!) { createConversation(input: $i) { conversation { id } } }`;
const OF = `query($c: ID) { conversations(customerId: $c, first: 50) { nodes { id } } }`;
const MERGE = `mutation($i: MergeCustomersInput!) { mergeCustomers(input: $i) { merge { id } } }`;
const UNMERGE = `mutation($i: UnmergeCustomersInput!) { unmergeCustomers(input: $i) { merge { id } } }`;
const CREATE = `mutation($i: CreateCustomerInput!) { createCustomer(input: $i) { customer { id } } }`;

const sorted = (ids: string[]) => [...ids].sort();

describe('conversations follow customer merges (customers → bus → conversations)', () => {
  let customers: TestSubgraph;
  let conversations: TestSubgraph;
  beforeAll(async () => {
    customers = await startTestSubgraph(customersSubgraph, { db: 'customers_follow', stream: 'merge_follow_conv' });
    conversations = await startTestSubgraph(conversationsSubgraph, { db: 'conversations_follow', stream: 'merge_follow_conv' });
  });
  afterAll(async () => {
    await conversations.close();
    await customers.close();
  });

  it("moves the merged customer's conversations to the survivor, and exactly those back on unmerge", async () => {
    const tenant = newTenant();
    const admin = await tokenFor(tenant, ['admin']);
    const s = (await gqlOk(customers.url, CREATE, { i: { name: '陈女士' } }, admin)).createCustomer.customer.id;
    const x = (await gqlOk(customers.url, CREATE, { i: { name: '陈女士 (淘宝)' } }, admin)).createCustomer.customer.id;
    const open = async (customerId: string, subject: string) =>
      (await gqlOk(conversations.url, OPEN, { i: { customerId, channelType: 'taobao', subject, text: subject } }, admin)).createConversation.conversation.id as string;
    const ofS = [await open(s, '发货')];
    const ofX = [await open(x, '物流'), await open(x, '退款')];
    const ids = async (customerId: string) => sorted((await gqlOk(conversations.url, OF, { c: customerId }, admin)).conversations.nodes.map((n: { id: string }) => n.id));

    // the copies of the customer id on messages (the customer timeline) follow their conversation
    const db = await mysql.createConnection({ uri: mysqlUrl('conversations_follow') });
    const messageOwners = async () => {
      const [r] = await db.query('SELECT DISTINCT customer_id AS c FROM messages WHERE conversation_id IN (?)', [ofX]);
      return (r as Array<{ c: string }>).map((m) => m.c);
    };
    expect(await messageOwners()).toEqual([x]);

    const mergeId = (await gqlOk(customers.url, MERGE, { i: { survivorId: s, mergedId: x, reason: 'same person' } }, admin)).mergeCustomers.merge.id;
    await eventually(async () => (await ids(x)).length === 0 || undefined, 10_000);
    expect(await ids(s)).toEqual(sorted([...ofS, ...ofX]));
    expect(await messageOwners()).toEqual([s]);

    const later = await open(s, '追加订单'); // created for the survivor while merged: stays with it
    await gqlOk(customers.url, UNMERGE, { i: { mergeId } }, admin);
    await eventually(async () => (await ids(x)).length === 2 || undefined, 10_000);
    expect(await ids(x)).toEqual(sorted(ofX));
    expect(await ids(s)).toEqual(sorted([...ofS, later]));
    expect(await messageOwners()).toEqual([x]);
    await db.end();
  });
});

describe.each([
  ['MariaDB', { db: 'conversations_follow_order' }],
  ['SQLite', { databaseUrl: 'sqlite::memory:' }],
])('conversations follow merge events in any order, once (%s)', (_db, where) => {
  let sg: TestSubgraph;
  beforeAll(async () => {
    sg = await startTestSubgraph(conversationsSubgraph, { ...where, stream: `merge_follow_order_${_db}` });
  });
  afterAll(() => sg.close());

  const setup = async () => {
    const tenant = newTenant();
    const admin = await tokenFor(tenant, ['admin']);
    const [survivorId, mergedId] = [newId(), newId()];
    const conv = (await gqlOk(sg.url, OPEN, { i: { customerId: mergedId, channelType: 'app', subject: 'x' } }, admin)).createConversation.conversation.id;
    const customerOf = async () => {
      const s = (await gqlOk(sg.url, OF, { c: survivorId }, admin)).conversations.nodes.length;
      const m = (await gqlOk(sg.url, OF, { c: mergedId }, admin)).conversations.nodes.length;
      return s === 1 && m === 0 ? 'survivor' : s === 0 && m === 1 ? 'merged' : `?${s}/${m}`;
    };
    const publish = (type: string, mergeId: string) => sg.events.publish({ type, tenantId: tenant, data: { mergeId, survivorId, mergedId } });
    return { conv, customerOf, publish };
  };

  it('applies a redelivered merge once and its unmerge once', async () => {
    const { customerOf, publish } = await setup();
    const mergeId = newId();
    await publish('customer.merged', mergeId);
    await publish('customer.merged', mergeId);
    await eventually(async () => (await customerOf()) === 'survivor' || undefined, 10_000);
    await publish('customer.unmerged', mergeId);
    await publish('customer.unmerged', mergeId);
    await eventually(async () => (await customerOf()) === 'merged' || undefined, 10_000);
    // a merge event delivered late again changes nothing
    await publish('customer.merged', mergeId);
    const marker = newId();
    await publish('customer.unmerged', marker); // processed after the one above (one consumer, in order)
    await new Promise((r) => setTimeout(r, 600));
    expect(await customerOf()).toBe('merged');
  });

  it('ignores a merge whose unmerge arrived first', async () => {
    const { customerOf, publish } = await setup();
    const mergeId = newId();
    await publish('customer.unmerged', mergeId);
    await publish('customer.merged', mergeId);
    await new Promise((r) => setTimeout(r, 800));
    expect(await customerOf()).toBe('merged');
  });
});

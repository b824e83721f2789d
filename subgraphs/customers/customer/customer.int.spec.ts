import { MysqlQueryRunner } from 'typeorm/driver/mysql/MysqlQueryRunner.js';
import { customersSubgraph } from '../index.js';
import { gql, gqlOk } from '../../../test/helpers/graphql-client.js';
import { newTenant, tokenFor } from '../../../test/helpers/env.js';
import { startTestSubgraph, type TestSubgraph } from '../../../test/helpers/subgraph-harness.js';

describe('customers subgraph on MariaDB', () => {
  let sg: TestSubgraph;
  beforeAll(async () => {
    sg = await startTestSubgraph(customersSubgraph);
  });
  afterAll(() => sg.close());

  const create = `mutation($input: CreateCustomerInput!) { createCustomer(input: $input) { customer { id name level tags identities { channelType externalId } } } }`;

  it('creates a customer with identities and tags, and pages through customers newest first', async () => {
    const tenant = newTenant();
    const token = await tokenFor(tenant, ['agent']);
    const ids: string[] = [];
    for (const name of ['甲', '乙', '丙']) {
      const d = await gqlOk(sg.url, create, { input: { name, tags: ['VIP'], identities: [{ channelType: 'wechat-oa', externalId: `o-${name}` }] } }, token);
      expect(d.createCustomer.customer).toMatchObject({ name, level: 'NORMAL', tags: ['VIP'], identities: [{ channelType: 'wechat-oa', externalId: `o-${name}` }] });
      ids.push(d.createCustomer.customer.id);
    }
    const page1 = await gqlOk(sg.url, `{ customers(first: 2) { nodes { id } pageInfo { hasNextPage endCursor } } }`, {}, token);
    expect(page1.customers.nodes.map((n: { id: string }) => n.id)).toEqual([ids[2], ids[1]]);
    expect(page1.customers.pageInfo.hasNextPage).toBe(true);
    const page2 = await gqlOk(sg.url, `query($a: String) { customers(first: 2, after: $a) { nodes { id } pageInfo { hasNextPage } } }`, { a: page1.customers.pageInfo.endCursor }, token);
    expect(page2.customers.nodes.map((n: { id: string }) => n.id)).toEqual([ids[0]]);
    expect(page2.customers.pageInfo.hasNextPage).toBe(false);
  });

  it('refuses an identity that belongs to another customer with CONFLICT', async () => {
    const token = await tokenFor(newTenant(), ['agent']);
    const a = await gqlOk(sg.url, create, { input: { name: 'A', identities: [{ channelType: 'douyin', externalId: 'dy1' }] } }, token);
    const b = await gqlOk(sg.url, create, { input: { name: 'B' } }, token);
    const r = await gql(sg.url, `mutation($i: LinkChannelIdentityInput!) { linkChannelIdentity(input: $i) { customer { id } } }`, { i: { customerId: b.createCustomer.customer.id, channelType: 'douyin', externalId: 'dy1' } }, token);
    expect(r.errors?.[0].extensions?.code).toBe('CONFLICT');
    expect(a.createCustomer.customer.identities).toHaveLength(1);
  });

  it('names the invalid fields with BAD_USER_INPUT and leaks no stack trace', async () => {
    const token = await tokenFor(newTenant(), ['agent']);
    const r = await gql(sg.url, create, { input: { name: '', level: 'PLATINUM' } }, token);
    expect(r.errors?.[0].extensions?.code).toBe('BAD_USER_INPUT');
    expect(r.errors?.[0].extensions?.fields.map((f: { field: string }) => f.field).sort()).toEqual(['level', 'name']);
    expect(JSON.stringify(r.errors)).not.toContain('stacktrace');
  });

  it('requires a token, and a role that may read customers', async () => {
    const tenant = newTenant();
    expect((await gql(sg.url, `{ customers { nodes { id } } }`)).errors?.[0].extensions?.code).toBe('UNAUTHENTICATED');
    const partner = await tokenFor(tenant, ['partner']);
    expect((await gql(sg.url, `{ customers { nodes { id } } }`, {}, partner)).errors?.[0].extensions?.code).toBe('FORBIDDEN');
    const bad = await gql(sg.url, `{ customers { nodes { id } } }`, {}, 'not-a-jwt');
    expect(bad.status).toBe(401);
    expect(bad.errors?.[0].extensions?.code).toBe('UNAUTHENTICATED');
  });
});

describe('customers: references from the gateway are batched', () => {
  let sg: TestSubgraph;
  beforeAll(async () => {
    sg = await startTestSubgraph(customersSubgraph, { db: 'customers_batch' });
  });
  afterAll(() => sg.close());

  it('resolves N Customer references with their tags and identities in a constant number of SQL queries', async () => {
    const token = await tokenFor(newTenant(), ['agent']);
    const ids: string[] = [];
    for (let i = 0; i < 12; i++) {
      const d = await gqlOk(sg.url, `mutation($i: CreateCustomerInput!) { createCustomer(input: $i) { customer { id } } }`, { i: { name: `客户${i}`, tags: ['t'], identities: [{ channelType: 'app', externalId: `u${i}` }] } }, token);
      ids.push(d.createCustomer.customer.id);
    }
    const REFS = `query($r: [_Any!]!) { _entities(representations: $r) { ... on Customer { id name tags identities { externalId } } } }`;
    const count = async (n: number) => {
      const spy = jest.spyOn(MysqlQueryRunner.prototype, 'query');
      try {
        const d = await gqlOk(sg.url, REFS, { r: ids.slice(0, n).map((id) => ({ __typename: 'Customer', id })) }, token);
        expect(d._entities.map((e: { id: string }) => e.id)).toEqual(ids.slice(0, n));
        expect(d._entities.every((e: { tags: string[]; identities: unknown[] }) => e.tags[0] === 't' && e.identities.length === 1)).toBe(true);
        return spy.mock.calls.length;
      } finally {
        spy.mockRestore();
      }
    };
    const two = await count(2);
    const twelve = await count(12);
    expect(twelve).toBe(two);
    expect(twelve).toBeLessThanOrEqual(3); // customers, tags, identities: one query each
  });
});

import { signPayload } from '../../../plugins/sdk/index.js';
import { gqlOk } from '../../../test/helpers/graphql-client.js';
import { newTenant, TEST_SECRET, tokenFor } from '../../../test/helpers/env.js';
import { startTestSubgraph, type TestSubgraph } from '../../../test/helpers/subgraph-harness.js';
import { customersSubgraph } from '../../customers/index.js';
import type { ConversationsServices } from '../conversations.services.js';
import { conversationsWithIngest } from './ingest.module.js';

jest.setTimeout(60_000);

const CONVS = `{ conversations(first: 50) { nodes { customer { id } messages { nodes { text } } } } }`;

/**
 * Two conversations replicas and the customers subgraph on one Redis stream: a customer merge (and unmerge)
 * reaches the identity cache of both replicas at once, though the bus hands the event to only one of them.
 */
describe('ingest identity cache follows customer merges on every replica (MariaDB + Redis)', () => {
  let customers: TestSubgraph;
  const replicas: TestSubgraph[] = [];
  const tenant = newTenant('idc');
  let admin: string;
  let channel: { id: string; secret: string };

  const deliver = async (sg: TestSubgraph, id: string, text: string) => {
    const body = JSON.stringify({ id, contact: { identifier: 'user-merged-away', name: '小李' }, text });
    const ts = Math.floor(Date.now() / 1000);
    const res = await fetch(`${sg.url.replace(/\/graphql$/, '')}/webhooks/${channel.id}`, {
      method: 'POST', headers: { 'content-type': 'application/json', 'x-huiliu-timestamp': String(ts), 'x-huiliu-signature': signPayload(channel.secret, ts, body) }, body,
    });
    expect(res.status).toBe(200);
  };
  /** The customer whose conversation holds the message with this text (once it is processed). */
  const customerOf = async (text: string, ms = 10_000): Promise<string> => {
    const end = Date.now() + ms;
    for (;;) {
      const nodes = (await gqlOk(replicas[0].url, CONVS, {}, admin)).conversations.nodes as Array<{ customer: { id: string }; messages: { nodes: Array<{ text: string }> } }>;
      const hit = nodes.find((c) => c.messages.nodes.some((m) => m.text === text));
      if (hit) return hit.customer.id;
      if (Date.now() > end) throw new Error(`message "${text}" not processed`);
      await new Promise((r) => setTimeout(r, 100));
    }
  };
  /** What this replica's ingest resolves the sender to right now (from its cache when it has the sender). */
  const resolvedBy = (sg: TestSubgraph) => (sg.services as ConversationsServices).identities.resolve(tenant, { channelType: 'partner-api', externalId: 'user-merged-away' }).then((r) => r.customerId);
  /** Milliseconds until every replica resolves the sender to `customerId`. */
  const everyReplicaResolvesTo = async (customerId: string): Promise<number> => {
    const t0 = Date.now();
    for (;;) {
      const seen = await Promise.all(replicas.map(resolvedBy));
      if (seen.every((c) => c === customerId)) return Date.now() - t0;
      if (Date.now() - t0 > 10_000) throw new Error(`replicas still resolve to ${JSON.stringify(seen)}`);
      await new Promise((r) => setTimeout(r, 20));
    }
  };

  beforeAll(async () => {
    customers = await startTestSubgraph(customersSubgraph, { db: 'idcache_customers', stream: 'idcache' });
    for (let i = 0; i < 2; i++) {
      replicas.push(await startTestSubgraph(conversationsWithIngest({ customersUrl: customers.url, jwtSecret: TEST_SECRET, sweepIntervalMs: 200 }), { db: 'idcache', stream: 'idcache' }));
    }
    admin = await tokenFor(tenant, ['admin']);
    const r = (await gqlOk(replicas[0].url, `mutation { registerPartnerChannel(input: { name: "CRM", callbackUrl: "http://127.0.0.1:9/cb" }) { secret channel { id } } }`, {}, admin)).registerPartnerChannel;
    channel = { id: r.channel.id, secret: r.secret };
  });

  afterAll(async () => {
    for (const r of replicas) await r.close();
    await customers?.close();
  });

  test("after a merge, the merged-away customer's sender resolves to the survivor on both replicas at once; after the unmerge, back", async () => {
    // both replicas see the sender (and cache it for 60 s)
    await deliver(replicas[0], 'm-1', 'before the merge (A)');
    const mergedAway = await customerOf('before the merge (A)');
    await deliver(replicas[1], 'm-2', 'before the merge (B)');
    expect(await customerOf('before the merge (B)')).toBe(mergedAway);
    expect(await Promise.all(replicas.map(resolvedBy))).toEqual([mergedAway, mergedAway]);

    const survivor = (await gqlOk(customers.url, `mutation { createCustomer(input: { name: "李女士" }) { customer { id } } }`, {}, admin)).createCustomer.customer.id;
    const merge = (await gqlOk(customers.url, `mutation($i: MergeCustomersInput!) { mergeCustomers(input: $i) { merge { id } } }`, { i: { survivorId: survivor, mergedId: mergedAway, reason: 'same person' } }, admin)).mergeCustomers.merge.id;
    const ms = await everyReplicaResolvesTo(survivor);
    expect(ms).toBeLessThan(5_000); // the cache would have kept the merged-away customer for 60 s

    await deliver(replicas[1], 'm-3', 'after the merge (B)');
    await deliver(replicas[0], 'm-4', 'after the merge (A)');
    expect(await customerOf('after the merge (B)')).toBe(survivor);
    expect(await customerOf('after the merge (A)')).toBe(survivor);

    await gqlOk(customers.url, `mutation($i: UnmergeCustomersInput!) { unmergeCustomers(input: $i) { merge { id } } }`, { i: { mergeId: merge } }, admin);
    expect(await everyReplicaResolvesTo(mergedAway)).toBeLessThan(5_000);
    await deliver(replicas[1], 'm-5', 'after the unmerge (B)');
    expect(await customerOf('after the unmerge (B)')).toBe(mergedAway);
  });
});

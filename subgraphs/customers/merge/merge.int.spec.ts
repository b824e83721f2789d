import { gql, gqlOk } from '../../../test/helpers/graphql-client.js';
import { newTenant, tokenFor } from '../../../test/helpers/env.js';
import { startTestSubgraph, type TestSubgraph } from '../../../test/helpers/subgraph-harness.js';
import type { DomainEvent } from '../../_shared/events.js';
import { newId } from '../../_shared/ids.js';
import { CREATE, MERGE, resolveIdentity, SUGGESTIONS, UNMERGE } from '../customers.testing.js';
import type { CustomersServices } from '../customers.services.js';
import { customersSubgraph } from '../index.js';

describe('merging and unmerging customers on MariaDB', () => {
  let sg: TestSubgraph;
  const seen: DomainEvent[] = [];
  let stopEvents: () => Promise<void>;
  beforeAll(async () => {
    sg = await startTestSubgraph(customersSubgraph, { db: 'customers_merge', stream: 'customers_merge' });
    const consumer = await sg.events.consume(`test-${newId()}`, async (e) => void seen.push(e));
    stopEvents = () => consumer.stop();
  });
  afterAll(async () => {
    await stopEvents();
    await sg.close();
  });

  const eventOf = async (type: string, tenant: string) => {
    for (let i = 0; i < 100; i++) {
      const e = seen.find((x) => x.type === type && x.tenantId === tenant);
      if (e) return e;
      await new Promise((r) => setTimeout(r, 50));
    }
    throw new Error(`no ${type} event`);
  };
  const setup = async () => {
    const tenant = newTenant();
    return {
      tenant,
      agent: await tokenFor(tenant, ['agent'], 'agent-li'),
      supervisor: await tokenFor(tenant, ['supervisor'], 'sup-wang'),
      service: await tokenFor(tenant, ['service'], 'ingest'),
    };
  };
  const create = async (token: string, i: Record<string, unknown>) => (await gqlOk(sg.url, CREATE, { i }, token)).createCustomer.customer;
  const customer = async (token: string, id: string) =>
    (await gqlOk(sg.url, `query($id: ID!) { customer(id: $id) { id name level tags phone address mergedInto { id } identities { id kind externalId } } }`, { id }, token)).customer;
  const listed = async (token: string) => (await gqlOk(sg.url, `{ customers(first: 50) { nodes { id } } }`, {}, token)).customers.nodes.map((n: { id: string }) => n.id);

  it('moves identities, tags and missing profile data to the survivor, hides the merged customer, and resolves its identities to the survivor', async () => {
    const { tenant, agent, supervisor, service } = await setup();
    const s = await create(agent, { name: '陈女士', level: 'NORMAL', tags: ['五常大米', 'VIP'], identities: [{ channelType: 'app', externalId: 'app-chen' }] });
    const x = await create(agent, {
      name: '陈女士 (抖音)', level: 'VIP', tags: ['VIP', '复购'], phone: '13800001234', address: '黑龙江省哈尔滨市五常市民乐乡 8 号',
      identities: [{ channelType: 'douyin', externalId: 'dy-chen' }, { channelType: 'phone', externalId: '13800001234' }],
    });
    const r = await gqlOk(sg.url, MERGE, { i: { survivorId: s.id, mergedId: x.id, reason: '同一手机号，客户确认' } }, agent);
    const { merge, survivor, merged } = r.mergeCustomers;
    expect(merge).toMatchObject({ status: 'MERGED', reason: '同一手机号，客户确认', mergedBy: 'agent-li', survivor: { id: s.id }, merged: { id: x.id } });
    expect(merge.movedIdentities.map((i: { kind: string }) => i.kind).sort()).toEqual(['douyin-openid', 'phone']);
    expect(merge.movedTags).toEqual(['VIP', '复购']);
    expect(merge.profileFields.sort()).toEqual(['address', 'level', 'phone']);
    expect(survivor).toMatchObject({ id: s.id, level: 'VIP', tags: ['VIP', '五常大米', '复购'], phone: '138****1234', address: '黑龙江省哈尔滨市五常市****', mergedInto: null });
    expect(survivor.identities.map((i: { kind: string }) => i.kind).sort()).toEqual(['app-user', 'douyin-openid', 'phone']);
    expect(merged).toEqual({ id: x.id, tags: [], identities: [], mergedInto: { id: s.id } });

    expect(await listed(agent)).toEqual([s.id]);
    expect((await customer(supervisor, x.id)).mergedInto).toEqual({ id: s.id });
    // the merged customer's identities now find the survivor
    expect(await resolveIdentity(sg.url, service, { channelType: 'douyin', externalId: 'dy-chen' })).toMatchObject({ linkedBy: 'EXACT', customer: { id: s.id } });
    expect(await resolveIdentity(sg.url, service, { channelType: 'phone', externalId: '+86 138 0000 1234' })).toMatchObject({ linkedBy: 'EXACT', customer: { id: s.id } });

    const audit = await gqlOk(sg.url, `query($c: ID) { customerMerges(customerId: $c) { nodes { id status mergedBy reason } } }`, { c: x.id }, agent);
    expect(audit.customerMerges.nodes).toEqual([{ id: merge.id, status: 'MERGED', mergedBy: 'agent-li', reason: '同一手机号，客户确认' }]);
    const event = await eventOf('customer.merged', tenant);
    expect(event.data).toEqual({ mergeId: merge.id, survivorId: s.id, mergedId: x.id });
  });

  it('unmerges exactly what the merge moved, leaving what arrived since with the survivor', async () => {
    const { tenant, agent, supervisor, service } = await setup();
    const s = await create(agent, { name: '王先生', tags: ['新客'], identities: [{ channelType: 'taobao', externalId: 'tb_wang' }] });
    const x = await create(agent, { name: '王先生', level: 'SVIP', tags: ['新客', '企业采购'], phone: '13900002222', identities: [{ channelType: 'weibo', externalId: 'wb_wang' }] });
    const before = { s: await customer(supervisor, s.id), x: await customer(supervisor, x.id) };
    const m = (await gqlOk(sg.url, MERGE, { i: { survivorId: s.id, mergedId: x.id, reason: 'duplicate' } }, agent)).mergeCustomers.merge;
    // after the merge: a new identity links to the survivor (through the merged customer's identity)
    const linked = await resolveIdentity(sg.url, service, { channelType: 'weibo', externalId: 'wb_wang', appUserId: 'app-wang' });
    expect(linked.customer.id).toBe(s.id);

    const u = await gqlOk(sg.url, UNMERGE, { i: { mergeId: m.id, reason: '不是同一人' } }, supervisor);
    expect(u.unmergeCustomers.merge).toMatchObject({ id: m.id, status: 'UNMERGED', unmergedBy: expect.any(String), unmergeReason: '不是同一人' });
    const after = { s: await customer(supervisor, s.id), x: await customer(supervisor, x.id) };
    expect(after.x).toEqual(before.x);
    // the survivor is as it was, plus the identity that arrived after the merge
    expect({ ...after.s, identities: after.s.identities.filter((i: { kind: string }) => i.kind !== 'app-user') }).toEqual(before.s);
    expect(after.s.identities.map((i: { kind: string }) => i.kind).sort()).toEqual(['app-user', 'taobao-buyer']);
    expect((await listed(agent)).sort()).toEqual([s.id, x.id].sort());
    expect(await resolveIdentity(sg.url, service, { channelType: 'weibo', externalId: 'wb_wang' })).toMatchObject({ customer: { id: x.id } });
    expect((await eventOf('customer.unmerged', tenant)).data).toEqual({ mergeId: m.id, survivorId: s.id, mergedId: x.id });

    const again = await gql(sg.url, UNMERGE, { i: { mergeId: m.id } }, agent);
    expect(again.errors?.[0].extensions?.code).toBe('CONFLICT');
  });

  it('undoes chains of merges in reverse order only', async () => {
    const { agent } = await setup();
    const [a, b, c] = [await create(agent, { name: 'A', tags: ['a'] }), await create(agent, { name: 'B' }), await create(agent, { name: 'C' })];
    const ab = (await gqlOk(sg.url, MERGE, { i: { survivorId: b.id, mergedId: a.id, reason: 'x' } }, agent)).mergeCustomers.merge;
    const bc = (await gqlOk(sg.url, MERGE, { i: { survivorId: c.id, mergedId: b.id, reason: 'y' } }, agent)).mergeCustomers;
    expect(bc.survivor.tags).toEqual(['a']);
    expect((await customer(agent, a.id)).mergedInto).toEqual({ id: b.id });
    const early = await gql(sg.url, UNMERGE, { i: { mergeId: ab.id } }, agent);
    expect(early.errors?.[0]).toMatchObject({ extensions: { code: 'CONFLICT' } });
    expect(early.errors?.[0].message).toMatch(/undo that merge first/);
    await gqlOk(sg.url, UNMERGE, { i: { mergeId: bc.merge.id } }, agent);
    const back = await gqlOk(sg.url, UNMERGE, { i: { mergeId: ab.id } }, agent);
    expect(back.unmergeCustomers.merged).toMatchObject({ id: a.id, tags: ['a'], mergedInto: null });
    expect((await customer(agent, c.id)).tags).toEqual([]);
  });

  it('refuses what cannot be merged: itself, an already merged customer, another tenant (NOT_FOUND), the service role', async () => {
    const one = await setup();
    const two = await setup();
    const [a, b, c] = [await create(one.agent, { name: 'A' }), await create(one.agent, { name: 'B' }), await create(one.agent, { name: 'C' })];
    const foreign = await create(two.agent, { name: 'D' });
    const code = async (token: string, i: Record<string, unknown>) => (await gql(sg.url, MERGE, { i: { reason: 'r', ...i } }, token)).errors?.[0].extensions?.code;
    expect(await code(one.agent, { survivorId: a.id, mergedId: a.id })).toBe('BAD_USER_INPUT');
    expect(await code(one.agent, { survivorId: a.id, mergedId: foreign.id })).toBe('NOT_FOUND');
    expect(await code(one.agent, { survivorId: foreign.id, mergedId: a.id })).toBe('NOT_FOUND');
    expect(await code(one.service, { survivorId: a.id, mergedId: b.id })).toBe('FORBIDDEN');
    await gqlOk(sg.url, MERGE, { i: { survivorId: a.id, mergedId: b.id, reason: 'r' } }, one.agent);
    expect(await code(one.agent, { survivorId: c.id, mergedId: b.id })).toBe('CONFLICT');
    expect(await code(one.agent, { survivorId: b.id, mergedId: c.id })).toBe('CONFLICT');
    // identities are never linked to a merged customer (the link is conditional on the customer row)
    const services = sg.services as CustomersServices;
    const key = { kind: 'weibo', appId: '', externalId: `late-${b.id}`, channelType: 'weibo', valueEnc: null };
    expect(await services.customers.attach(one.tenant, b.id, [key])).toBe(false);
    expect(await services.customers.attach(one.tenant, a.id, [key])).toBe(true);
    expect((await customer(one.agent, a.id)).identities.map((i: { externalId: string }) => i.externalId)).toEqual([`late-${b.id}`]);
    // a merged customer cannot be changed any more (its survivor is)
    const upd = await gql(sg.url, `mutation($i: UpdateCustomerInput!) { updateCustomer(input: $i) { customer { id } } }`, { i: { id: b.id, name: 'x' } }, one.agent);
    expect(upd.errors?.[0].extensions?.code).toBe('CONFLICT');
    // tenant two sees nothing of tenant one's merges
    const other = await gqlOk(sg.url, `{ customerMerges { nodes { id } } }`, {}, two.agent);
    expect(other.customerMerges.nodes).toEqual([]);
  });

  it('accepts a merge suggestion: the older customer survives and the suggestion records the merge', async () => {
    const { agent, service } = await setup();
    const older = await resolveIdentity(sg.url, service, { channelType: 'douyin', externalId: 'dy-liu', phone: '13700003333' });
    const newer = await resolveIdentity(sg.url, service, { channelType: 'wechat-oa', externalId: 'o-liu', phone: '13700003333' });
    const [suggestion] = newer.suggestions;
    const r = await gqlOk(sg.url, `mutation($i: AcceptMergeSuggestionInput!) { acceptMergeSuggestion(input: $i) { merge { id reason } survivor { id } merged { id mergedInto { id } } } }`, { i: { suggestionId: suggestion.id } }, agent);
    expect(r.acceptMergeSuggestion).toMatchObject({ survivor: { id: older.customer.id }, merged: { id: newer.customer.id, mergedInto: { id: older.customer.id } } });
    expect(r.acceptMergeSuggestion.merge.reason).toMatch(/SAME_UNVERIFIED_PHONE/);
    const accepted = await gqlOk(sg.url, SUGGESTIONS, { s: 'ACCEPTED' }, agent);
    expect(accepted.mergeSuggestions.nodes).toEqual([
      expect.objectContaining({ id: suggestion.id, status: 'ACCEPTED', decidedBy: expect.any(String), merge: { id: r.acceptMergeSuggestion.merge.id } }),
    ]);
    const twice = await gql(sg.url, `mutation($i: AcceptMergeSuggestionInput!) { acceptMergeSuggestion(input: $i) { merge { id } } }`, { i: { suggestionId: suggestion.id } }, agent);
    expect(twice.errors?.[0].extensions?.code).toBe('CONFLICT');
  });

  it('lets only one of two concurrent merges of the same customer win', async () => {
    const { agent } = await setup();
    const [a, b, x] = [await create(agent, { name: 'A' }), await create(agent, { name: 'B' }), await create(agent, { name: 'X', tags: ['t'] })];
    const results = await Promise.all([
      gql(sg.url, MERGE, { i: { survivorId: a.id, mergedId: x.id, reason: 'r' } }, agent),
      gql(sg.url, MERGE, { i: { survivorId: b.id, mergedId: x.id, reason: 'r' } }, agent),
      gql(sg.url, MERGE, { i: { survivorId: x.id, mergedId: a.id, reason: 'r' } }, agent),
    ]);
    expect(results.filter((r) => !r.errors).length).toBe(1);
    expect(results.filter((r) => r.errors).map((r) => r.errors?.[0].extensions?.code)).toEqual(['CONFLICT', 'CONFLICT']);
    const tags = await Promise.all([a, b, x].map(async (c) => (await customer(agent, c.id)).tags));
    expect(tags.flat()).toEqual(['t']);
  });
});

import type { Connection } from 'mysql2/promise';
import { gql, gqlOk } from '../../../test/helpers/graphql-client.js';
import { newTenant, tokenFor } from '../../../test/helpers/env.js';
import { startTestSubgraph, type TestSubgraph } from '../../../test/helpers/subgraph-harness.js';
import { CREATE, rawDb, resolveIdentity, RESOLVE, rows, SUGGESTIONS } from '../customers.testing.js';
import { customersSubgraph } from '../index.js';

const DB = 'customers_identity';

describe('identity resolution (resolveIdentity) on MariaDB', () => {
  let sg: TestSubgraph;
  let db: Connection;
  beforeAll(async () => {
    sg = await startTestSubgraph(customersSubgraph, { db: DB, stream: 'customers_identity' });
    db = await rawDb(DB);
  });
  afterAll(async () => {
    await db.end();
    await sg.close();
  });

  const setup = async () => {
    const tenant = newTenant();
    return { tenant, service: await tokenFor(tenant, ['service'], 'ingest'), agent: await tokenFor(tenant, ['agent']), supervisor: await tokenFor(tenant, ['supervisor']) };
  };

  it('is for the service role (and admins), not agents', async () => {
    const { agent } = await setup();
    const r = await gql(sg.url, RESOLVE, { i: { channelType: 'wechat-oa', externalId: 'o1' } }, agent);
    expect(r.errors?.[0].extensions?.code).toBe('FORBIDDEN');
  });

  it('creates a customer for an unknown identity, then finds it by exact match (OpenIDs per app id)', async () => {
    const { service } = await setup();
    const first = await resolveIdentity(sg.url, service, { channelType: 'wechat-oa', externalId: 'oA', appId: 'wxOA' });
    expect(first).toMatchObject({ created: true, linkedBy: 'NEW', suggestions: [] });
    expect(first.customer.name).toMatch(/^微信用户 /);
    expect(first.customer.identities).toEqual([{ kind: 'wechat-openid', channelType: 'wechat-oa', appId: 'wxOA', externalId: 'oA' }]);
    const again = await resolveIdentity(sg.url, service, { channelType: 'wechat-mini', externalId: 'oA', appId: 'wxOA' });
    expect(again).toMatchObject({ created: false, linkedBy: 'EXACT', customer: { id: first.customer.id } });
    // the same OpenID string under another app id is someone else
    const other = await resolveIdentity(sg.url, service, { channelType: 'wechat-oa', externalId: 'oA', appId: 'wxOther' });
    expect(other.linkedBy).toBe('NEW');
    expect(other.customer.id).not.toBe(first.customer.id);
  });

  it('links a new identity through a strong key: UnionID, logged-in app user, verified phone', async () => {
    const { service } = await setup();
    const oa = await resolveIdentity(sg.url, service, { channelType: 'wechat-oa', externalId: 'oOA1', appId: 'wxOA', unionId: 'u1', name: '陈女士' });
    const id = oa.customer.id;
    const mini = await resolveIdentity(sg.url, service, { channelType: 'wechat-mini', externalId: 'oMINI1', appId: 'wxMINI', unionId: 'u1' });
    expect(mini).toMatchObject({ created: false, linkedBy: 'STRONG_KEY', customer: { id, name: '陈女士' } });

    const app = await resolveIdentity(sg.url, service, { channelType: 'app', externalId: 'device-77', appUserId: 'user-10001' });
    expect(app.linkedBy).toBe('NEW');
    const web = await resolveIdentity(sg.url, service, { channelType: 'web', externalId: 'visitor-abc', appUserId: 'user-10001' });
    expect(web).toMatchObject({ linkedBy: 'STRONG_KEY', customer: { id: app.customer.id } });

    // a verified phone on WeChat, then the same number calling the hotline
    await resolveIdentity(sg.url, service, { channelType: 'wechat-oa', externalId: 'oOA1', appId: 'wxOA', phone: '138 0013 8000', phoneVerified: true });
    const call = await resolveIdentity(sg.url, service, { channelType: 'phone', externalId: '+86 138-0013-8000' });
    expect(call).toMatchObject({ created: false, linkedBy: 'EXACT', customer: { id } });
    const tb = await resolveIdentity(sg.url, service, { channelType: 'taobao', externalId: 'tb_chen', phone: '13800138000', phoneVerified: true });
    expect(tb).toMatchObject({ linkedBy: 'STRONG_KEY', customer: { id } });
    const kinds = tb.customer.identities.map((i: { kind: string }) => i.kind).sort();
    expect(kinds).toEqual(['phone', 'taobao-buyer', 'wechat-openid', 'wechat-openid', 'wechat-unionid']);
  });

  it('only suggests a merge on weak signals: the same unverified phone, the same name and address', async () => {
    const { service, agent } = await setup();
    const a = await resolveIdentity(sg.url, service, { channelType: 'douyin', externalId: 'dy1', phone: '13900001111' });
    const b = await resolveIdentity(sg.url, service, { channelType: 'taobao', externalId: 'tb1', phone: '139 0000 1111' });
    expect(b).toMatchObject({ created: true, linkedBy: 'NEW' });
    expect(b.suggestions).toEqual([
      { id: expect.any(String), reason: 'SAME_UNVERIFIED_PHONE', score: 0.6, status: 'PENDING', customer: { id: b.customer.id }, candidate: { id: a.customer.id } },
    ]);
    const c = await resolveIdentity(sg.url, service, { channelType: 'weibo', externalId: 'wb1', name: '王先生', address: '上海市浦东新区张江路 123 号' });
    const d = await resolveIdentity(sg.url, service, { channelType: 'app', externalId: 'app-9', name: '王 先生', address: '上海市浦东新区张江路123号' });
    expect(d.suggestions).toMatchObject([{ reason: 'SAME_NAME_AND_ADDRESS', score: 0.5, candidate: { id: c.customer.id } }]);

    const pending = await gqlOk(sg.url, SUGGESTIONS, {}, agent);
    expect(pending.mergeSuggestions.nodes.map((n: { reason: string }) => n.reason)).toEqual(['SAME_NAME_AND_ADDRESS', 'SAME_UNVERIFIED_PHONE']);

    // rejected: the pair is not suggested again when the signal recurs
    const rejected = await gqlOk(sg.url, `mutation($i: RejectMergeSuggestionInput!) { rejectMergeSuggestion(input: $i) { suggestion { id status decidedBy } } }`, { i: { suggestionId: b.suggestions[0].id } }, agent);
    expect(rejected.rejectMergeSuggestion.suggestion.status).toBe('REJECTED');
    const again = await resolveIdentity(sg.url, service, { channelType: 'taobao', externalId: 'tb1', phone: '13900001111' });
    expect(again).toMatchObject({ linkedBy: 'EXACT', suggestions: [] });
    const still = await gqlOk(sg.url, SUGGESTIONS, {}, agent);
    expect(still.mergeSuggestions.nodes.map((n: { reason: string }) => n.reason)).toEqual(['SAME_NAME_AND_ADDRESS']);
    const twice = await gql(sg.url, `mutation($i: RejectMergeSuggestionInput!) { rejectMergeSuggestion(input: $i) { suggestion { id } } }`, { i: { suggestionId: b.suggestions[0].id } }, agent);
    expect(twice.errors?.[0].extensions?.code).toBe('CONFLICT');
  });

  it('suggests, never merges, when a strong key of one customer arrives with an identity of another', async () => {
    const { service } = await setup();
    const a = await resolveIdentity(sg.url, service, { channelType: 'app', externalId: 'dev-1', appUserId: 'u-a' });
    const b = await resolveIdentity(sg.url, service, { channelType: 'web', externalId: 'vis-1' });
    const r = await resolveIdentity(sg.url, service, { channelType: 'web', externalId: 'vis-1', appUserId: 'u-a' });
    expect(r).toMatchObject({ linkedBy: 'EXACT', customer: { id: b.customer.id } });
    expect(r.suggestions).toMatchObject([{ reason: 'SHARED_STRONG_KEY', score: 0.95, candidate: { id: a.customer.id } }]);
  });

  it('keeps tenants apart: the same identity in another tenant is another customer', async () => {
    const one = await setup();
    const two = await setup();
    const a = await resolveIdentity(sg.url, one.service, { channelType: 'wechat-oa', externalId: 'shared-openid', unionId: 'shared-union', phone: '13700000000', phoneVerified: true });
    const b = await resolveIdentity(sg.url, two.service, { channelType: 'wechat-oa', externalId: 'shared-openid', unionId: 'shared-union', phone: '13700000000', phoneVerified: true });
    expect(b).toMatchObject({ created: true, linkedBy: 'NEW', suggestions: [] });
    expect(b.customer.id).not.toBe(a.customer.id);
  });

  it('takes a caller whose number the call center withheld (anonymous:<call id>) as one customer per call, never a phone identity', async () => {
    const { service } = await setup();
    const one = await resolveIdentity(sg.url, service, { channelType: 'phone', externalId: 'anonymous:call-1' });
    expect(one).toMatchObject({ created: true, linkedBy: 'NEW', customer: { name: expect.stringMatching(/^电话用户 /) } });
    expect(one.customer.identities.map((i: { kind: string }) => i.kind)).toEqual(['phone-withheld']);
    expect(await resolveIdentity(sg.url, service, { channelType: 'phone', externalId: 'anonymous:call-1' })).toMatchObject({ created: false, customer: { id: one.customer.id } });
    const two = await resolveIdentity(sg.url, service, { channelType: 'phone', externalId: 'anonymous:call-2' });
    expect(two.customer.id).not.toBe(one.customer.id);
  });

  it('names bad input', async () => {
    const { service } = await setup();
    const r = await gql(sg.url, RESOLVE, { i: { channelType: 'wechat-oa', externalId: 'o', phone: 'call me maybe' } }, service);
    expect(r.errors?.[0]).toMatchObject({ extensions: { code: 'BAD_USER_INPUT', field: 'phone' } });
    const p = await gql(sg.url, RESOLVE, { i: { channelType: 'phone', externalId: 'not-a-number' } }, service);
    expect(p.errors?.[0]).toMatchObject({ extensions: { code: 'BAD_USER_INPUT', field: 'externalId' } });
    const v = await gql(sg.url, RESOLVE, { i: { channelType: 'Bad Type', externalId: '' } }, service);
    expect(v.errors?.[0].extensions?.fields.map((f: { field: string }) => f.field).sort()).toEqual(['channelType', 'externalId']);
  });

  it('encrypts phone numbers and addresses at rest and shows them masked unless the role may see them', async () => {
    const { tenant, service, agent, supervisor } = await setup();
    const r = await resolveIdentity(sg.url, service, { channelType: 'phone', externalId: '13812345678', name: '刘阿姨', address: '上海市浦东新区张江路123号5栋', phone: '13812345678' });
    const id = r.customer.id;
    expect(r.customer.phone).toBe('138****5678'); // the service role sees masked values too
    const q = `query($id: ID!) { customer(id: $id) { phone address identities { kind externalId } } }`;
    expect((await gqlOk(sg.url, q, { id }, agent)).customer).toEqual({ phone: '138****5678', address: '上海市浦东新区****', identities: [{ kind: 'phone', externalId: '138****5678' }] });
    expect((await gqlOk(sg.url, q, { id }, supervisor)).customer).toEqual({
      phone: '13812345678',
      address: '上海市浦东新区张江路123号5栋',
      identities: [{ kind: 'phone', externalId: '13812345678' }],
    });
    const stored = JSON.stringify([
      ...(await rows(db, 'SELECT * FROM customers WHERE tenant_id = ?', [tenant])),
      ...(await rows(db, 'SELECT * FROM channel_identities WHERE tenant_id = ?', [tenant])),
    ]);
    expect(stored).not.toMatch(/12345678|张江路/);
    const [c] = await rows<{ phone_enc: string; address_enc: string; phone_hash: string }>(db, 'SELECT phone_enc, address_enc, phone_hash FROM customers WHERE id = ?', [id]);
    expect(c.phone_enc).toMatch(/^dev1:/);
    expect(c.address_enc).toMatch(/^dev1:/);
    expect(c.phone_hash).toMatch(/^[0-9a-f]{64}$/);
    // an agent creating a customer with a phone: found by the next message with the same (unverified) number
    const made = await gqlOk(sg.url, CREATE, { i: { name: '赵同学', phone: '+86 135 0000 2222', address: '北京市朝阳区建国路88号' } }, agent);
    expect(made.createCustomer.customer).toMatchObject({ phone: '135****2222', address: '北京市朝阳区****' });
    const next = await resolveIdentity(sg.url, service, { channelType: 'weibo', externalId: 'zhao', phone: '13500002222' });
    expect(next.suggestions).toMatchObject([{ reason: 'SAME_UNVERIFIED_PHONE', candidate: { id: made.createCustomer.customer.id } }]);
  });
});

describe('identity resolution under concurrency: two replicas, one database', () => {
  let a: TestSubgraph;
  let b: TestSubgraph;
  let db: Connection;
  beforeAll(async () => {
    a = await startTestSubgraph(customersSubgraph, { db: 'customers_race', stream: 'customers_race' });
    b = await startTestSubgraph(customersSubgraph, { db: 'customers_race', stream: 'customers_race' });
    db = await rawDb('customers_race');
  });
  afterAll(async () => {
    await db.end();
    await a.close();
    await b.close();
  });

  it('creates one customer when first messages of the same new identity arrive at once on both', async () => {
    const tenant = newTenant();
    const token = await tokenFor(tenant, ['service'], 'ingest');
    const N = 25;
    const results = await Promise.all(
      Array.from({ length: N }, (_, n) => [
        resolveIdentity(a.url, token, { channelType: 'wechat-oa', externalId: `race-${n}`, appId: 'wx1' }),
        resolveIdentity(b.url, token, { channelType: 'wechat-mini', externalId: `race-${n}`, appId: 'wx1' }),
      ]).flat(),
    );
    for (let n = 0; n < N; n++) {
      const [x, y] = [results[2 * n], results[2 * n + 1]];
      expect(x.customer.id).toBe(y.customer.id);
      expect([x.linkedBy, y.linkedBy].sort()).toEqual(['EXACT', 'NEW']);
    }
    const [count] = await rows<{ customers: number; identities: number }>(
      db,
      'SELECT (SELECT COUNT(*) FROM customers WHERE tenant_id = ?) AS customers, (SELECT COUNT(*) FROM channel_identities WHERE tenant_id = ?) AS identities',
      [tenant, tenant],
    );
    expect(Number(count.customers)).toBe(N);
    expect(Number(count.identities)).toBe(N);
  });

  it('creates one customer when two new identities with the same UnionID arrive at once', async () => {
    const tenant = newTenant();
    const token = await tokenFor(tenant, ['service'], 'ingest');
    const N = 15;
    const results = await Promise.all(
      Array.from({ length: N }, (_, n) => [
        resolveIdentity(a.url, token, { channelType: 'wechat-oa', externalId: `oa-${n}`, appId: 'wxOA', unionId: `union-${n}` }),
        resolveIdentity(b.url, token, { channelType: 'wechat-mini', externalId: `mini-${n}`, appId: 'wxMINI', unionId: `union-${n}` }),
      ]).flat(),
    );
    for (let n = 0; n < N; n++) {
      const [x, y] = [results[2 * n], results[2 * n + 1]];
      expect(x.customer.id).toBe(y.customer.id);
      expect([x.linkedBy, y.linkedBy].sort()).toEqual(['NEW', 'STRONG_KEY']);
    }
    const [count] = await rows<{ customers: number; identities: number }>(
      db,
      'SELECT (SELECT COUNT(*) FROM customers WHERE tenant_id = ?) AS customers, (SELECT COUNT(*) FROM channel_identities WHERE tenant_id = ?) AS identities',
      [tenant, tenant],
    );
    expect(Number(count.customers)).toBe(N);
    expect(Number(count.identities)).toBe(3 * N);
  });
});

describe('identity resolution on SQLite (embedded mode)', () => {
  let sg: TestSubgraph;
  beforeAll(async () => {
    sg = await startTestSubgraph(customersSubgraph, { databaseUrl: 'sqlite::memory:', stream: 'customers_identity_sqlite' });
  });
  afterAll(() => sg.close());

  it('creates, finds, links by strong key, follows merges, and stays one customer under concurrent first messages', async () => {
    const tenant = newTenant();
    const [service, agent] = [await tokenFor(tenant, ['service']), await tokenFor(tenant, ['agent'])];
    const a = await resolveIdentity(sg.url, service, { channelType: 'wechat-oa', externalId: 'o1', appId: 'wx', unionId: 'u1', phone: '13900009999', address: '北京市朝阳区建国路88号', name: '赵同学' });
    expect(a).toMatchObject({ created: true, linkedBy: 'NEW', customer: { phone: '139****9999', address: '北京市朝阳区****' } });
    expect(await resolveIdentity(sg.url, service, { channelType: 'wechat-oa', externalId: 'o1', appId: 'wx' })).toMatchObject({ linkedBy: 'EXACT', customer: { id: a.customer.id } });
    expect(await resolveIdentity(sg.url, service, { channelType: 'wechat-mini', externalId: 'm1', appId: 'wxm', unionId: 'u1' })).toMatchObject({ linkedBy: 'STRONG_KEY', customer: { id: a.customer.id } });
    const b = await resolveIdentity(sg.url, service, { channelType: 'weibo', externalId: 'w1', phone: '139 0000 9999' });
    expect(b.suggestions).toMatchObject([{ reason: 'SAME_UNVERIFIED_PHONE', candidate: { id: a.customer.id } }]);
    await gqlOk(sg.url, `mutation($i: MergeCustomersInput!) { mergeCustomers(input: $i) { merge { id } } }`, { i: { survivorId: a.customer.id, mergedId: b.customer.id, reason: 'r' } }, agent);
    // a new strong key arriving with the merged customer's identity links to the survivor
    expect(await resolveIdentity(sg.url, service, { channelType: 'weibo', externalId: 'w1', appUserId: 'app-1' })).toMatchObject({ linkedBy: 'EXACT', customer: { id: a.customer.id } });
    const race = await Promise.all(Array.from({ length: 6 }, () => resolveIdentity(sg.url, service, { channelType: 'douyin', externalId: 'dy-race' })));
    expect(new Set(race.map((r) => r.customer.id)).size).toBe(1);
  });
});

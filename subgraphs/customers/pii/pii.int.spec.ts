import 'reflect-metadata';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Connection } from 'mysql2/promise';
import { CustomersInitial1764100000000 } from '../../../migrations/customers/1764100000000-initial.js';
import { gqlOk } from '../../../test/helpers/graphql-client.js';
import { mysqlUrl, newTenant, tokenFor } from '../../../test/helpers/env.js';
import { startTestSubgraph, type TestSubgraph } from '../../../test/helpers/subgraph-harness.js';
import { buildDataSource, ensureDatabase } from '../../_shared/data-source.js';
import { newId } from '../../_shared/ids.js';
import { loadCustomersConfig } from '../config.js';
import { rawDb, resolveIdentity, rows } from '../customers.testing.js';
import { createCustomersSubgraph, customersSubgraph } from '../index.js';

// Fixed test keys (not random): rows of earlier runs stay decryptable by the boot sweep of the next run.
const K1 = `k1:${Buffer.from('huiliu-test-pii-key-number-one!!').toString('base64')}`;
const K2 = `k2:${Buffer.from('huiliu-test-pii-key-number-two!!').toString('base64')}`;
const HASH = Buffer.from('huiliu-test-pii-lookup-hash-key!').toString('base64');
const config = (keys: string, active: string) => loadCustomersConfig({ NODE_ENV: 'test', PII_KEYS: keys, PII_ACTIVE_KEY_ID: active, PII_HASH_KEY: HASH });

const CUSTOMER = `query($id: ID!) { customer(id: $id) { phone address identities { kind externalId } } }`;

describe('PII key rotation on MariaDB', () => {
  let db: Connection;
  const running: TestSubgraph[] = [];
  const start = async (keys: string, active: string) => {
    const sg = await startTestSubgraph(createCustomersSubgraph(config(keys, active)), { db: 'customers_pii', stream: 'customers_pii' });
    running.push(sg);
    return sg;
  };
  afterAll(async () => {
    await db?.end();
    for (const sg of running) await sg.close().catch(() => undefined);
  });

  it('re-encrypts everything under the new active key at boot; old values keep working until then, lookups throughout', async () => {
    const tenant = newTenant();
    const [service, supervisor, admin] = [await tokenFor(tenant, ['service']), await tokenFor(tenant, ['supervisor']), await tokenFor(tenant, ['admin'])];
    const a = await start(`${K1},${K2}`, 'k1');
    const r = await resolveIdentity(a.url, service, { channelType: 'phone', externalId: '13811112222', phone: '13811112222', name: '刘阿姨', address: '上海市黄浦区南京东路 1 号' });
    const id = r.customer.id;
    const shown = (await gqlOk(a.url, CUSTOMER, { id }, supervisor)).customer;
    expect(shown).toEqual({ phone: '13811112222', address: '上海市黄浦区南京东路 1 号', identities: [{ kind: 'phone', externalId: '13811112222' }] });
    db = await rawDb('customers_pii');
    const stored = async () => [
      ...(await rows<{ v: string }>(db, 'SELECT phone_enc AS v FROM customers WHERE tenant_id = ? UNION ALL SELECT address_enc FROM customers WHERE tenant_id = ?', [tenant, tenant])),
      ...(await rows<{ v: string }>(db, "SELECT value_enc AS v FROM channel_identities WHERE tenant_id = ? AND kind = 'phone'", [tenant])),
    ].map((x) => x.v.split(':')[0]);
    expect(await stored()).toEqual(['k1', 'k1', 'k1']);
    await a.close();

    // k2 becomes active: the boot sweep moves every value over, reads work before and after
    const b = await start(`${K1},${K2}`, 'k2');
    expect((await gqlOk(b.url, CUSTOMER, { id }, supervisor)).customer).toEqual(shown);
    for (let i = 0; i < 100 && (await stored()).some((k) => k !== 'k2'); i++) await new Promise((res) => setTimeout(res, 50));
    expect(await stored()).toEqual(['k2', 'k2', 'k2']);
    const done = await gqlOk(b.url, `mutation { reencryptCustomerPii(input: {}) { reencrypted upgraded failed remaining } }`, {}, admin);
    expect(done.reencryptCustomerPii).toEqual({ reencrypted: 0, upgraded: 0, failed: 0, remaining: 0 });
    await b.close();

    // k1 retired: everything still reads, and the phone still finds the customer (the lookup key never changed)
    const c = await start(K2, 'k2');
    expect((await gqlOk(c.url, CUSTOMER, { id }, supervisor)).customer).toEqual(shown);
    expect(await resolveIdentity(c.url, service, { channelType: 'phone', externalId: '+86 138 1111 2222' })).toMatchObject({ linkedBy: 'EXACT', customer: { id } });
  });
});

describe.each([
  ['MariaDB', () => mysqlUrl('customers_legacy')],
  ['SQLite', () => `sqlite:${join(mkdtempSync(join(tmpdir(), 'huiliu-legacy-')), 'customers.sqlite')}`],
])('identities from before the identity graph (%s)', (_db, url) => {
  let sg: TestSubgraph;
  const tenant = newTenant();
  const [c1, c2] = [newId(), newId()];

  beforeAll(async () => {
    const u = url();
    const flavor = await ensureDatabase(u);
    // Start from the first migration only, whatever an earlier run left.
    const full = buildDataSource({ url: u, flavor, subgraph: 'customers', entities: customersSubgraph.entities, migrations: customersSubgraph.migrations });
    await full.initialize();
    while ((await full.query('SELECT 1 FROM migrations_customers LIMIT 1').catch(() => [])).length) await full.undoLastMigration();
    await full.destroy();
    const initial = buildDataSource({ url: u, flavor, subgraph: 'customers', entities: [], migrations: [CustomersInitial1764100000000] });
    await initial.initialize();
    await initial.runMigrations();
    const now = new Date().toISOString().replace('T', ' ').replace('Z', ''); // binds on both drivers
    for (const [id, name] of [[c1, '陈女士'], [c2, '王先生']]) {
      await initial.query('INSERT INTO customers (id, tenant_id, name, level, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?)', [id, tenant, name, 'NORMAL', now, now]);
    }
    const later = new Date(Date.now() + 1000).toISOString().replace('T', ' ').replace('Z', '');
    const identities: Array<[string, string, string, string]> = [
      [c1, 'wechat-oa', 'o-legacy', now], [c1, 'phone', '+8613811113333', now], [c1, 'taobao', 'nick-1', now], [c2, 'tmall', 'nick-1', later], [c2, 'app', 'u-legacy', now],
    ];
    for (const [customerId, channelType, externalId, at] of identities) {
      await initial.query('INSERT INTO channel_identities (id, tenant_id, customer_id, channel_type, external_id, created_at) VALUES (?, ?, ?, ?, ?, ?)', [newId(), tenant, customerId, channelType, externalId, at]);
    }
    await initial.destroy();
    sg = await startTestSubgraph(customersSubgraph, { databaseUrl: u, stream: `customers_legacy_${_db}` }); // migrates and sweeps
  });
  afterAll(() => sg.close());

  it('backfills identity kinds, keeps ids that became duplicates apart, and protects plain phone identities', async () => {
    const [service, supervisor] = [await tokenFor(tenant, ['service']), await tokenFor(tenant, ['supervisor'])];
    const kinds = async (id: string) =>
      (await gqlOk(sg.url, CUSTOMER, { id }, supervisor)).customer.identities.map((i: { kind: string; externalId: string }) => `${i.kind}=${i.externalId}`).sort();
    expect(await kinds(c1)).toEqual(['phone=13811113333', 'taobao-buyer=nick-1', 'wechat-openid=o-legacy']);
    expect(await kinds(c2)).toEqual(['app-user=u-legacy', 'tmall=nick-1']);
    // the boot sweep hashed and encrypted the plain number, so the phone line finds the customer
    let r;
    for (let i = 0; i < 100; i++) {
      r = await resolveIdentity(sg.url, service, { channelType: 'phone', externalId: '138 1111 3333' });
      if (r.linkedBy === 'EXACT') break;
      await new Promise((res) => setTimeout(res, 50));
    }
    expect(r).toMatchObject({ linkedBy: 'EXACT', customer: { id: c1 } });
    expect(await resolveIdentity(sg.url, service, { channelType: 'wechat-oa', externalId: 'o-legacy' })).toMatchObject({ linkedBy: 'EXACT', customer: { id: c1 } });
  });
});

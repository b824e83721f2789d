import 'reflect-metadata';
import { mkdirSync, writeFileSync } from 'node:fs';
import type { DataSource } from 'typeorm';
import { openDataSource } from '../subgraphs/_shared/data-source.js';
import { createRedisEventBus } from '../subgraphs/_shared/events.js';
import { newId } from '../subgraphs/_shared/ids.js';
import { createLogger } from '../subgraphs/_shared/logger.js';
import { createMemoryPubSub } from '../subgraphs/_shared/pubsub.js';
import { developmentCustomersConfig } from '../subgraphs/customers/config.js';
import { createCustomersServices, type CustomersServices } from '../subgraphs/customers/customers.services.js';
import type { IdentityInput } from '../subgraphs/customers/identity/identity.service.js';
import { customersSubgraph } from '../subgraphs/customers/index.js';
import { PiiVault } from '../subgraphs/customers/pii/pii.vault.js';
import { gqlOk } from '../test/helpers/graphql-client.js';
import { TEST_MYSQL_URL, TEST_REDIS_URL, tokenFor } from '../test/helpers/env.js';
import { startSubgraphs, type Started } from '../test/helpers/topology.js';

/**
 * npm run bench:identity — identity resolutions per second on MariaDB with 100,000 seeded customers:
 *  (a) a primary-key read of one customer through the service (the baseline of the ratio),
 *  (b) resolveIdentity through the service, a mix of known and new identities, then each kind alone,
 *  (c) the same two through GraphQL (HTTP to a customers subgraph process), for context.
 * Everything (load generator, subgraph, MariaDB, Redis) shares this machine.
 */
const DB = process.env.BENCH_DB ?? 'huiliu_bench_identity';
const URL = `${TEST_MYSQL_URL}/${DB}`;
const TENANT = 'bench-identity';
const SEEDED = Number(process.env.BENCH_CUSTOMERS ?? 100_000);
const DURATION = Number(process.env.BENCH_DURATION ?? 10);
const CONCURRENCY = Number(process.env.BENCH_CONNECTIONS ?? 16);
const RUN = newId().slice(0, 8);

/** Of every 100 resolutions: 80 known identities, 10 new ones (half with an unverified phone), 10 new ones with a known UnionID. */
const MIX = { known: 80, fresh: 10, strong: 10 };

const rand = (n: number) => Math.floor(Math.random() * n);

/** Rows earlier runs added (seeded rows are dated 2025-01): removed so that every run starts from the same data. */
async function reset(ds: DataSource): Promise<void> {
  const since = new Date(Date.UTC(2025, 5, 1));
  for (const table of ['channel_identities', 'customers', 'merge_suggestions']) await ds.query(`DELETE FROM ${table} WHERE tenant_id = ? AND created_at > ?`, [TENANT, since]);
}

async function seed(ds: DataSource): Promise<void> {
  const [{ n }] = (await ds.query(`SELECT COUNT(*) AS n FROM channel_identities WHERE tenant_id = ? AND kind = 'wechat-openid' AND app_id = 'wxSEED'`, [TENANT])) as Array<{ n: string }>;
  if (Number(n) >= SEEDED) return console.log(`seed: ${n} customers already there`);
  console.log(`seed: inserting ${SEEDED} customers with their identities (bulk insert)...`);
  const vault = new PiiVault(developmentCustomersConfig().pii);
  await ds.query('DELETE FROM channel_identities WHERE tenant_id = ?', [TENANT]);
  await ds.query('DELETE FROM customer_tags WHERE tenant_id = ?', [TENANT]);
  await ds.query('DELETE FROM customers WHERE tenant_id = ?', [TENANT]);
  const started = Date.now();
  const BATCH = 1000;
  for (let from = 0; from < SEEDED; from += BATCH) {
    const customers: unknown[] = [];
    const identities: unknown[] = [];
    const now = new Date(Date.UTC(2025, 0, 1) + from * 1000);
    for (let i = from; i < Math.min(from + BATCH, SEEDED); i++) {
      const id = newId();
      const phone = i % 3 === 0 ? `+86139${String(i).padStart(8, '0')}` : null;
      customers.push(id, TENANT, `客户${i}`, i % 10 === 0 ? 'VIP' : 'NORMAL', phone ? vault.encrypt(phone, TENANT, 'phone') : null, phone ? vault.hash('phone', TENANT, phone) : null, null, now, now);
      identities.push(newId(), TENANT, id, 'wechat-oa', 'wechat-openid', 'wxSEED', `o-seed-${i}`, null, now);
      if (i % 2 === 0) identities.push(newId(), TENANT, id, 'wechat-oa', 'wechat-unionid', '', `u-seed-${i}`, null, now);
      if (i % 5 === 0) identities.push(newId(), TENANT, id, 'app', 'app-user', '', `app-seed-${i}`, null, now);
    }
    await ds.transaction(async (m) => {
      const rows = (values: unknown[], width: number) => Array.from({ length: values.length / width }, () => `(${Array(width).fill('?').join(',')})`).join(',');
      await m.query(`INSERT INTO customers (id, tenant_id, name, level, phone_enc, phone_hash, merged_into, created_at, updated_at) VALUES ${rows(customers, 9)}`, customers);
      await m.query(`INSERT INTO channel_identities (id, tenant_id, customer_id, channel_type, kind, app_id, external_id, value_enc, created_at) VALUES ${rows(identities, 9)}`, identities);
    });
  }
  console.log(`seed: done in ${((Date.now() - started) / 1000).toFixed(1)} s`);
}

let counter = 0;
const known = (): IdentityInput => ({ channelType: 'wechat-oa', appId: 'wxSEED', externalId: `o-seed-${rand(SEEDED)}` });
const fresh = (n = counter++): IdentityInput => ({ channelType: 'douyin', externalId: `dy-${RUN}-${n}`, ...(n % 2 ? { phone: `137${String(rand(1e8)).padStart(8, '0')}` } : {}) });
const strong = (n = counter++): IdentityInput => ({ channelType: 'wechat-mini', appId: 'wxMINI', externalId: `m-${RUN}-${n}`, unionId: `u-seed-${2 * rand(SEEDED / 2)}` });

/** The next input of the mix; `known` identities are spread over all seeded customers. */
function nextInput(): IdentityInput {
  const r = rand(100);
  return r < MIX.known ? known() : r < MIX.known + MIX.fresh ? fresh() : strong();
}

interface Run {
  label: string;
  ops: number;
  perSecond: number;
  p50: number;
  p99: number;
  errors: number;
}

interface Sample {
  latencies: number[];
  seconds: number;
  errors: number;
}

const summary = (label: string, x: Sample): Run => {
  const l = [...x.latencies].sort((a, b) => a - b);
  const pct = (p: number) => l[Math.min(l.length - 1, Math.floor((p / 100) * l.length))] ?? 0;
  const run = { label, ops: l.length, perSecond: l.length / x.seconds, p50: pct(50), p99: pct(99), errors: x.errors };
  console.log(`${label.padEnd(48)} ${run.perSecond.toFixed(0).padStart(6)} /s  p50 ${run.p50.toFixed(2)} ms  p99 ${run.p99.toFixed(2)} ms  errors ${run.errors}`);
  return run;
};

/** CONCURRENCY async loops calling `op` for `seconds`, adding each call's latency to `into`. */
async function closedLoop(seconds: number, op: () => Promise<unknown>, into: Sample = { latencies: [], seconds: 0, errors: 0 }): Promise<Sample> {
  const until = Date.now() + seconds * 1000;
  const started = process.hrtime.bigint();
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async () => {
      while (Date.now() < until) {
        const t = process.hrtime.bigint();
        try {
          await op();
        } catch (e) {
          if (into.errors++ === 0) console.error((e as Error).message);
        }
        into.latencies.push(Number(process.hrtime.bigint() - t) / 1e6);
      }
    }),
  );
  into.seconds += Number(process.hrtime.bigint() - started) / 1e9;
  return into;
}

/**
 * Two workloads measured in alternating one-second slices, so that whatever else the machine does weighs on
 * both alike and their ratio holds.
 */
async function interleaved(seconds: number, a: () => Promise<unknown>, b: () => Promise<unknown>): Promise<[Sample, Sample]> {
  const sa: Sample = { latencies: [], seconds: 0, errors: 0 };
  const sb: Sample = { latencies: [], seconds: 0, errors: 0 };
  for (let i = 0; i < seconds; i++) {
    await closedLoop(1, a, sa);
    await closedLoop(1, b, sb);
  }
  return [sa, sb];
}

/** One GraphQL POST; throws on a GraphQL or HTTP error so that it counts as one. */
async function post(url: string, token: string, query: string, variables: Record<string, unknown>): Promise<void> {
  const res = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` }, body: JSON.stringify({ query, variables }) });
  const body = (await res.json()) as { errors?: unknown[] };
  if (!res.ok || body.errors) throw new Error(`HTTP ${res.status} ${JSON.stringify(body.errors ?? '')}`);
}

async function main() {
  const log = createLogger('bench-identity', 'warn');
  const ds = await openDataSource({ url: URL, subgraph: 'customers', entities: customersSubgraph.entities, migrations: customersSubgraph.migrations, log }, true);
  const events = createRedisEventBus(TEST_REDIS_URL, log, { stream: `bench:identity:events`, maxLen: 50_000 });
  const pubsub = createMemoryPubSub();
  let proc: Started | undefined;
  try {
    await reset(ds);
    await seed(ds);
    const s: CustomersServices = createCustomersServices({ dataSource: ds, events, pubsub, log }, developmentCustomersConfig());
    const ids = ((await ds.query('SELECT id FROM customers WHERE tenant_id = ? ORDER BY RAND() LIMIT 20000', [TENANT])) as Array<{ id: string }>).map((r) => r.id);

    const linked: Record<string, number> = { EXACT: 0, STRONG_KEY: 0, NEW: 0 };
    const resolve = async () => void linked[(await s.identities.resolve(TENANT, nextInput())).linkedBy]++;
    const read = () => s.customers.get(TENANT, ids[rand(ids.length)]);
    await closedLoop(2, resolve);
    await closedLoop(1, read);
    for (const k of Object.keys(linked)) linked[k] = 0;
    const [pkSample, svcSample] = await interleaved(DURATION, read, resolve);
    const mix = { ...linked };
    const pk = summary('(a) primary-key read, service', pkSample);
    const svc = summary('(b) resolveIdentity (the mix), service', svcSample);
    const paths = [
      summary('(b1) known identities only, service', await closedLoop(DURATION / 2, () => s.identities.resolve(TENANT, known()))),
      summary('(b2) new identities only, service', await closedLoop(DURATION / 2, () => s.identities.resolve(TENANT, fresh()))),
      summary('(b3) new identities + known UnionID, service', await closedLoop(DURATION / 2, () => s.identities.resolve(TENANT, strong()))),
    ];

    const started = await startSubgraphs([{ name: 'customers' }], DB, { LOG_LEVEL: 'warn' });
    proc = started.customers;
    const url = proc.url;
    const service = await tokenFor(TENANT, ['service'], 'bench-ingest');
    const agent = await tokenFor(TENANT, ['agent'], 'bench-agent');
    const RESOLVE = 'mutation($i: ResolveIdentityInput!) { resolveIdentity(input: $i) { customer { id name level } linkedBy } }';
    const READ = 'query($id: ID!) { customer(id: $id) { id name level } }';
    await gqlOk(url, RESOLVE, { i: nextInput() }, service); // sanity: both really work before they are measured
    await gqlOk(url, READ, { id: ids[0] }, agent);
    const gread = () => post(url, agent, READ, { id: ids[rand(ids.length)] });
    const gresolve = () => post(url, service, RESOLVE, { i: nextInput() });
    await closedLoop(2, gresolve);
    await closedLoop(1, gread);
    const [gpkSample, gresSample] = await interleaved(DURATION, gread, gresolve);
    const gpk = summary('(c) customer(id), GraphQL', gpkSample);
    const gres = summary('(c) resolveIdentity (the mix), GraphQL', gresSample);

    const pct = (x: number, y: number) => `${((100 * x) / y).toFixed(0)} %`;
    const share = (k: string) => `${((100 * mix[k]) / Math.max(1, svc.ops)).toFixed(0)} %`;
    const lines = [
      `Measured ${new Date().toISOString().slice(0, 10)} with \`npm run bench:identity\`: MariaDB ${(await ds.query('SELECT VERSION() AS v'))[0].v}, ${SEEDED.toLocaleString('en')} seeded customers, ${CONCURRENCY} concurrent callers (closed loop), everything on one 2-core machine (load generator, subgraph, MariaDB, Redis). (a) and (b), and the two (c), ran in alternating 1 s slices for ${DURATION} s each, so that background load weighs on both sides of a ratio alike; (b1)–(b3) ${DURATION / 2} s each.`,
      `Mix of (b): ${MIX.known} % known identities, ${MIX.fresh} % new ones (half with an unverified phone, which looks for merge candidates), ${MIX.strong} % new ones carrying the UnionID of a known customer; observed EXACT ${share('EXACT')}, NEW ${share('NEW')}, STRONG_KEY ${share('STRONG_KEY')}.`,
      '',
      '| run | per second | p50 ms | p99 ms | errors |',
      '|---|---:|---:|---:|---:|',
      ...[pk, svc, ...paths, gpk, gres].map((r) => `| ${r.label} | ${r.perSecond.toFixed(0)} | ${r.p50.toFixed(2)} | ${r.p99.toFixed(2)} | ${r.errors} |`),
      '',
      '| ratio | service | GraphQL | goal |',
      '|---|---:|---:|---|',
      `| resolutions/s ÷ primary-key reads/s | ${pct(svc.perSecond, pk.perSecond)} | ${pct(gres.perSecond, gpk.perSecond)} | |`,
      `| resolutions/s | ${svc.perSecond.toFixed(0)} | ${gres.perSecond.toFixed(0)} | ≥ 2,000 |`,
    ];
    const md = lines.join('\n');
    console.log(`\n${md}`);
    mkdirSync('.bench', { recursive: true });
    writeFileSync('.bench/identity.md', `${md}\n`);
  } finally {
    await proc?.proc.stop();
    await events.close();
    await pubsub.close();
    await ds.destroy();
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});

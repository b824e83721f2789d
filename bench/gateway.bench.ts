import 'reflect-metadata';
import { writeFileSync, mkdirSync } from 'node:fs';
import autocannon from 'autocannon';
import { gqlOk } from '../test/helpers/graphql-client.js';
import { newTenant, tokenFor } from '../test/helpers/env.js';
import { startGatewayProcess, startSubgraphs, type Started } from '../test/helpers/topology.js';
import { peakRss } from './rss.probe.js';

/**
 * npm run bench:gateway — requests/s and latency of
 *  (a) a single-subgraph query sent straight to the conversations subgraph,
 *  (b) the same query through the gateway,
 *  (c) a query spanning conversations → customers → tickets through the gateway,
 * with the JS and the Rust query planner, upstream dedupe off so every request does real work.
 * Everything (load generator, gateway, subgraphs, MariaDB, Redis) shares this machine.
 */
const DURATION = Number(process.env.BENCH_DURATION ?? 10);
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 10);

const SINGLE = '{ conversations(first: 10) { nodes { id subject status lastMessageAt } } }';
const SPANNING = '{ conversations(first: 10) { nodes { id subject status customer { name level tags tickets { subject status } } } } }';

interface Run {
  label: string;
  rps: number;
  p50: number;
  p99: number;
  errors: number;
}

async function load(label: string, url: string, query: string, token: string): Promise<Run> {
  await gqlOk(url, query, {}, token); // sanity: the query really works before it is measured
  const body = JSON.stringify({ query });
  const headers = { 'content-type': 'application/json', authorization: `Bearer ${token}` };
  await autocannon({ url, method: 'POST', headers, body, connections: CONNECTIONS, duration: 2 }); // warm-up
  const r = await autocannon({ url, method: 'POST', headers, body, connections: CONNECTIONS, duration: DURATION });
  const run = { label, rps: r.requests.average, p50: r.latency.p50, p99: r.latency.p99, errors: r.errors + r.non2xx + r.timeouts };
  console.log(`${label.padEnd(44)} ${run.rps.toFixed(0).padStart(6)} req/s  p50 ${run.p50} ms  p99 ${run.p99} ms  errors ${run.errors}`);
  return run;
}

async function seed(gateway: string, token: string) {
  for (let i = 0; i < 20; i++) {
    const c = await gqlOk(gateway, 'mutation($i: CreateCustomerInput!) { createCustomer(input: $i) { customer { id } } }', { i: { name: `客户${i}`, tags: ['bench', i % 3 ? 'NORMAL' : 'VIP'] } }, token);
    const customerId = c.createCustomer.customer.id;
    await gqlOk(gateway, 'mutation($i: CreateConversationInput!) { createConversation(input: $i) { conversation { id } } }', { i: { customerId, channelType: 'app', subject: `问题 ${i}` } }, token);
    await gqlOk(gateway, 'mutation($i: CreateTicketInput!) { createTicket(input: $i) { ticket { id } } }', { i: { customerId, subject: `工单 ${i}`, type: 'order' } }, token);
  }
}

async function main() {
  const procs: Started[] = [];
  try {
    const subgraphs = await startSubgraphs([{ name: 'customers' }, { name: 'conversations' }, { name: 'tickets' }], 'huiliu_bench', { LOG_LEVEL: 'warn' });
    procs.push(...Object.values(subgraphs));
    const urls = Object.fromEntries(Object.values(subgraphs).map((s) => [s.name, s.url]));
    const js = await startGatewayProcess('gateway-js', urls, { GATEWAY_DEDUPE: 'false', QUERY_PLANNER: 'js' });
    const rust = await startGatewayProcess('gateway-rust', urls, { GATEWAY_DEDUPE: 'false', QUERY_PLANNER: 'rust' });
    procs.push(js, rust);
    const token = await tokenFor(newTenant('bench'), ['admin']);
    await seed(js.url, token);

    const pids = Object.fromEntries(procs.map((p) => [p.name, p.proc.proc.pid!]));
    const { result: runs, peak } = await peakRss(pids, async () => [
      await load('(a) direct to conversations subgraph', subgraphs.conversations.url, SINGLE, token),
      await load('(b) through gateway, JS planner', js.url, SINGLE, token),
      await load('(c) 3 subgraphs via gateway, JS planner', js.url, SPANNING, token),
      await load('(b) through gateway, Rust planner', rust.url, SINGLE, token),
      await load('(c) 3 subgraphs via gateway, Rust planner', rust.url, SPANNING, token),
    ]);
    const [a, bJs, cJs, bRust, cRust] = runs;
    const pct = (x: number, y: number) => `${((100 * x) / y).toFixed(0)} %`;
    const lines = [
      `Measured ${new Date().toISOString().slice(0, 10)} with \`npm run bench:gateway\`: autocannon, ${CONNECTIONS} connections, ${DURATION} s per run after a 2 s warm-up, gateway upstream dedupe off, MariaDB + Redis, everything on one 2-core machine.`,
      '',
      '| run | req/s | p50 ms | p99 ms | errors |',
      '|---|---:|---:|---:|---:|',
      ...runs.map((r) => `| ${r.label} | ${r.rps.toFixed(0)} | ${r.p50} | ${r.p99} | ${r.errors} |`),
      '',
      '| ratio | JS planner | Rust planner | goal |',
      '|---|---:|---:|---|',
      `| (b) / (a) throughput | ${pct(bJs.rps, a.rps)} | ${pct(bRust.rps, a.rps)} | ≥ 50 % |`,
      `| (c) / (a) throughput | ${pct(cJs.rps, a.rps)} | ${pct(cRust.rps, a.rps)} | |`,
      `| gateway-added p50 (b − a) | ${(bJs.p50 - a.p50).toFixed(1)} ms | ${(bRust.p50 - a.p50).toFixed(1)} ms | ≤ 5 ms |`,
      '',
      `Peak RSS under this load: ${Object.entries(peak).map(([k, v]) => `${k} ${v.toFixed(0)} MB`).join(', ')} (goal: gateway ≤ 512 MB, each subgraph ≤ 256 MB).`,
    ];
    const md = lines.join('\n');
    console.log(`\n${md}`);
    mkdirSync('.bench', { recursive: true });
    writeFileSync('.bench/gateway.md', `${md}\n`);
  } finally {
    await Promise.all(procs.map((p) => p.proc.stop()));
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});

import 'reflect-metadata';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { DataSource } from 'typeorm';
import { createTokenVerifier, signToken } from '../subgraphs/_shared/auth.js';
import { createRedisCache } from '../subgraphs/_shared/cache.js';
import { openDataSource } from '../subgraphs/_shared/data-source.js';
import { createRedisEventBus } from '../subgraphs/_shared/events.js';
import { stableId } from '../subgraphs/_shared/ids.js';
import { createLogger } from '../subgraphs/_shared/logger.js';
import { encodeCursor } from '../subgraphs/_shared/pagination.js';
import { createRedisPubSub } from '../subgraphs/_shared/pubsub.js';
import { runSubgraph } from '../subgraphs/_shared/run-subgraph.js';
import type { ConversationsServices } from '../subgraphs/conversations/conversations.services.js';
import { conversationsSubgraph } from '../subgraphs/conversations/index.js';
import { entryAt, type TimelineQuery } from '../subgraphs/conversations/timeline/timeline.service.js';
import { gqlOk } from '../test/helpers/graphql-client.js';
import { TEST_MYSQL_URL, TEST_REDIS_URL, TEST_SECRET } from '../test/helpers/env.js';
import { ROOT } from '../test/helpers/processes.js';

/**
 * Timeline figures (issue 5): on MariaDB with 100,000 customers and 1,000,000 messages, the p99 of
 * customer.timeline(first: 50) for a customer with 1,000 messages over five channels, through the service and
 * through the subgraph's GraphQL (HTTP, as the gateway calls it), against a primary-key read of one message
 * on the same layer. Build and run: `npx tsc -p tsconfig.json && node dist/bench/timeline.bench.js`.
 * The seeded database (huiliu_bench_timeline) is reused by later runs. Everything shares this machine.
 */
const DB = process.env.BENCH_DB ?? 'huiliu_bench_timeline';
const URL = `${TEST_MYSQL_URL}/${DB}`;
const TENANT = 'bench-timeline';
const CUSTOMERS = Number(process.env.BENCH_CUSTOMERS ?? 100_000);
const MESSAGES = Number(process.env.BENCH_MESSAGES ?? 1_000_000);
const SAMPLES = Number(process.env.BENCH_SAMPLES ?? 2000);
const TARGET_MESSAGES = 1000;
const CHANNELS = ['app', 'taobao', 'wechat-oa', 'douyin', 'phone'];
const DAY = 24 * 3600_000;
const START = Date.UTC(2025, 6, 1);

const customerId = (i: number) => stableId(`bench:timeline:customer:${i}`);
const TARGET = customerId(0);

/** Multi-row INSERTs of `columns`, `rowsPerStatement` rows at a time. */
async function insertRows(ds: DataSource, table: string, columns: string[], rows: unknown[][], rowsPerStatement = 2000): Promise<void> {
  for (let i = 0; i < rows.length; i += rowsPerStatement) {
    const chunk = rows.slice(i, i + rowsPerStatement);
    const sql = `INSERT INTO ${table} (${columns.join(', ')}) VALUES ${chunk.map(() => `(${columns.map(() => '?').join(', ')})`).join(', ')}`;
    await ds.query(sql, chunk.flat());
  }
}

const messageColumns = ['id', 'tenant_id', 'conversation_id', 'customer_id', 'channel_type', 'sender_type', 'sender_id', 'kind', 'text', 'payload', 'attachments', 'internal', 'created_at'];
const conversationColumns = ['id', 'tenant_id', 'customer_id', 'channel_id', 'channel_type', 'subject', 'status', 'assignee_id', 'group_id', 'first_response_at', 'resolved_at', 'closed_at', 'last_message_at', 'created_at', 'updated_at'];
const eventColumns = ['id', 'tenant_id', 'conversation_id', 'customer_id', 'channel_type', 'type', 'from_status', 'to_status', 'actor_type', 'actor_id', 'data', 'at'];
const TEXTS = ['你好，请问什么时候发货？', '订单 3862410087654321 的物流三天没有更新了', '您好，已经为您催促快递，明天会更新物流信息。', '好的，谢谢', '米里有小虫子，我要退款', '已为您登记退换，新米明天发出。'];

/** Seeds in a few minutes at most: ids derived from counters (no lookups), a few thousand rows per INSERT. */
async function seed(ds: DataSource): Promise<{ seconds: number } | null> {
  const [{ n }] = (await ds.query('SELECT COUNT(*) AS n FROM messages WHERE tenant_id = ?', [TENANT])) as Array<{ n: string }>;
  if (Number(n) === MESSAGES) return null;
  console.log(`seed: ${CUSTOMERS} customers, ${MESSAGES} messages (found ${n}; starting over)...`);
  for (const t of ['messages', 'conversation_events', 'conversations']) await ds.query(`DELETE FROM ${t} WHERE tenant_id = ?`, [TENANT]);
  const started = Date.now();
  // The target: 1,000 messages over five channels (one conversation each, 200 messages), interleaved in time.
  let messagesLeft = MESSAGES;
  const conversations: unknown[][] = [];
  const events: unknown[][] = [];
  let messages: unknown[][] = [];
  const flush = async (force = false) => {
    if (messages.length >= 20_000 || (force && messages.length)) {
      await insertRows(ds, 'messages', messageColumns, messages);
      messages = [];
    }
    if (conversations.length >= 5000 || (force && conversations.length)) {
      await insertRows(ds, 'conversations', conversationColumns, conversations.splice(0));
      await insertRows(ds, 'conversation_events', eventColumns, events.splice(0));
    }
  };
  const at = (ms: number) => new Date(ms);
  const addConversation = (id: string, customer: string, channel: string, n: number, firstAt: number, gapMs: number) => {
    const last = firstAt + (n - 1) * gapMs;
    conversations.push([id, TENANT, customer, null, channel, '咨询', 'RESOLVED', null, null, at(firstAt + gapMs), at(last + 1000), null, at(last), at(firstAt), at(last + 1000)]);
    events.push([stableId(`${id}:opened`), TENANT, id, customer, channel, 'OPENED', null, 'QUEUED', 'CUSTOMER', customer, null, at(firstAt - 1)]);
    events.push([stableId(`${id}:resolved`), TENANT, id, customer, channel, 'RESOLVED', 'QUEUED', 'RESOLVED', 'AGENT', 'bench-agent', null, at(last + 1000)]);
  };
  for (let c = 0; c < CHANNELS.length; c++) {
    const conversationId = stableId(`bench:timeline:target:${c}`);
    const per = TARGET_MESSAGES / CHANNELS.length;
    addConversation(conversationId, TARGET, CHANNELS[c], per, START + c * 1000, 5 * 60_000);
    for (let m = 0; m < per; m++) {
      messages.push([stableId(`${conversationId}:${m}`), TENANT, conversationId, TARGET, CHANNELS[c], m % 2 ? 'AGENT' : 'CUSTOMER', m % 2 ? 'bench-agent' : null, 'text', TEXTS[m % TEXTS.length], null, null, m % 50 === 49, at(START + c * 1000 + m * 5 * 60_000)]);
    }
  }
  messagesLeft -= TARGET_MESSAGES;
  // Everyone else: about ten messages each, one conversation on one of the channels.
  for (let i = 1; i < CUSTOMERS; i++) {
    const n = Math.min(messagesLeft, Math.round(messagesLeft / (CUSTOMERS - i)));
    if (n <= 0) continue;
    const customer = customerId(i);
    const conversationId = stableId(`bench:timeline:conversation:${i}`);
    const firstAt = START + (i % 60) * DAY + i * 10;
    addConversation(conversationId, customer, CHANNELS[i % CHANNELS.length], n, firstAt, 60_000);
    for (let m = 0; m < n; m++) {
      messages.push([stableId(`${conversationId}:${m}`), TENANT, conversationId, customer, CHANNELS[i % CHANNELS.length], m % 2 ? 'AGENT' : 'CUSTOMER', m % 2 ? 'bench-agent' : null, 'text', TEXTS[(i + m) % TEXTS.length], null, null, false, at(firstAt + m * 60_000)]);
    }
    messagesLeft -= n;
    await flush();
    if (i % 20_000 === 0) console.log(`  ${i} customers, ${MESSAGES - messagesLeft} messages (${((Date.now() - started) / 1000).toFixed(0)} s)`);
  }
  await flush(true);
  const seconds = (Date.now() - started) / 1000;
  console.log(`seed: done in ${seconds.toFixed(0)} s`);
  return { seconds };
}

interface Stats {
  n: number;
  mean: number;
  p50: number;
  p95: number;
  p99: number;
}

function stats(samples: number[]): Stats {
  const s = [...samples].sort((a, b) => a - b);
  const at = (q: number) => s[Math.min(s.length - 1, Math.ceil(q * s.length) - 1)];
  return { n: s.length, mean: s.reduce((x, y) => x + y, 0) / s.length, p50: at(0.5), p95: at(0.95), p99: at(0.99) };
}

/**
 * Runs every operation once per round, in a rotating order, so that whatever else loads the machine weighs on
 * all of them alike and their ratios hold within one run.
 */
async function measureAll(ops: Array<[string, (i: number) => Promise<unknown>]>, n = SAMPLES): Promise<Stats[]> {
  for (let i = 0; i < 200; i++) for (const [, run] of ops) await run(i); // warm-up
  const samples: number[][] = ops.map(() => []);
  for (let i = 0; i < n; i++) {
    for (let k = 0; k < ops.length; k++) {
      const j = (i + k) % ops.length;
      const t = process.hrtime.bigint();
      await ops[j][1](i);
      samples[j].push(Number(process.hrtime.bigint() - t) / 1e6);
    }
  }
  return ops.map(([label], j) => {
    const r = stats(samples[j]);
    console.log(`${label.padEnd(62)} p50 ${r.p50.toFixed(2).padStart(6)} ms  p95 ${r.p95.toFixed(2).padStart(6)} ms  p99 ${r.p99.toFixed(2).padStart(6)} ms`);
    return r;
  });
}

const TIMELINE_QUERY = `query($r: [_Any!]!, $after: String, $channels: [String!]) { _entities(representations: $r) { ... on Customer { timeline(first: 50, after: $after, channels: $channels) {
  nodes { __typename ... on Message { id text senderType channelType internal createdAt } ... on ConversationEvent { id type fromStatus toStatus at } }
  pageInfo { hasNextPage endCursor } } } } }`;
const MESSAGE_QUERY = `query($r: [_Any!]!) { _entities(representations: $r) { ... on Message { id text senderType channelType internal createdAt } } }`;

async function main() {
  const log = createLogger('bench-timeline', 'warn');
  const pubsub = createRedisPubSub(TEST_REDIS_URL, 'bench:timeline:');
  const events = createRedisEventBus(TEST_REDIS_URL, log, { stream: 'bench:timeline:events' });
  const cache = createRedisCache(TEST_REDIS_URL, 'bench:timeline:cache:');
  // A connection of its own for seeding and sampling; it also migrates the database.
  const ds = await openDataSource({ url: URL, subgraph: 'conversations', entities: conversationsSubgraph.entities, migrations: conversationsSubgraph.migrations, log }, true);
  const sg = await runSubgraph({
    module: conversationsSubgraph, databaseUrl: URL, migrate: false, pubsub, events, cache, verifier: createTokenVerifier({ secret: TEST_SECRET }), log, port: 0, host: '127.0.0.1',
  });
  try {
    const seeded = await seed(ds);
    await ds.query('ANALYZE TABLE messages, conversation_events');
    const s = sg.services as ConversationsServices;
    const token = await signToken({ tenant: TENANT, sub: 'bench-agent', roles: ['agent'] }, TEST_SECRET);
    const [{ total }] = (await ds.query('SELECT COUNT(*) AS total FROM messages WHERE tenant_id = ?', [TENANT])) as Array<{ total: string }>;
    const [{ customers }] = (await ds.query('SELECT COUNT(DISTINCT customer_id) AS customers FROM conversations WHERE tenant_id = ?', [TENANT])) as Array<{ customers: string }>;
    const [{ mine }] = (await ds.query('SELECT COUNT(*) AS mine FROM messages WHERE tenant_id = ? AND customer_id = ?', [TENANT, TARGET])) as Array<{ mine: string }>;
    console.log(`data: ${customers} customers, ${total} messages; the customer: ${mine} messages over ${CHANNELS.length} channels`);

    // Message ids to read by primary key: the target's and 200 random customers'.
    const sampleCustomers = [TARGET, ...Array.from({ length: 200 }, (_, k) => customerId(1 + Math.floor(((k + 1) * 7919 * 13) % (CUSTOMERS - 1))))];
    const ids = ((await ds.query(`SELECT id FROM messages WHERE tenant_id = ? AND customer_id IN (${sampleCustomers.map(() => '?').join(',')})`, [TENANT, ...sampleCustomers])) as Array<{ id: string }>).map((r) => r.id);
    const pick = (i: number) => ids[(i * 7919) % ids.length];

    // Cursors spread over the whole timeline, for pages deep inside it.
    const everything = [];
    let after: { at: Date; id: string } | undefined;
    for (;;) {
      const p = (await s.timeline.pages(TENANT, [TARGET], { first: 200, after, includeInternal: true })).get(TARGET)!;
      everything.push(...p.nodes);
      if (!p.pageInfo.hasNextPage) break;
      const last = p.nodes[p.nodes.length - 1];
      after = { at: entryAt(last), id: last.id };
    }
    const cursors = everything.filter((_, i) => i % 10 === 0).map((e) => ({ at: entryAt(e), id: e.id }));
    const q = (extra: Partial<TimelineQuery> = {}): TimelineQuery => ({ first: 50, includeInternal: true, ...extra });

    const explain = (await ds.query(
      `EXPLAIN SELECT id, customer_id, created_at AS at FROM messages WHERE tenant_id = ? AND customer_id = ? AND created_at >= ? AND (created_at > ? OR id > ?) ORDER BY created_at, id LIMIT 51`,
      [TENANT, TARGET, cursors[30].at, cursors[30].at, cursors[30].id],
    )) as Array<{ key: string; rows: number; Extra: string }>;
    console.log(`plan (messages scan): key ${explain[0].key}, rows ${explain[0].rows}, ${explain[0].Extra}`);

    const r = (id: string, typename = 'Customer') => [{ __typename: typename, id }];
    const [svcPk, svcFirst, svcDeep, svcChannels, gqlPk, gqlFirst, gqlDeep] = await measureAll([
      ['(a) service: one message by primary key', (i) => s.messages.byIds(TENANT, [pick(i)])],
      ['(b) service: timeline(first: 50), first page', () => s.timeline.pages(TENANT, [TARGET], q())],
      ['(c) service: timeline(first: 50, after: <anywhere>)', (i) => s.timeline.pages(TENANT, [TARGET], q({ after: cursors[i % cursors.length] }))],
      ['(d) service: timeline(first: 50, after, channels: 2 of 5)', (i) => s.timeline.pages(TENANT, [TARGET], q({ after: cursors[i % cursors.length], channels: ['taobao', 'phone'] }))],
      ['(e) GraphQL: one message by key (_entities)', (i) => gqlOk(sg.url, MESSAGE_QUERY, { r: r(pick(i), 'Message') }, token)],
      ['(f) GraphQL: Customer.timeline(first: 50), first page', () => gqlOk(sg.url, TIMELINE_QUERY, { r: r(TARGET) }, token)],
      ['(g) GraphQL: Customer.timeline(first: 50, after: <anywhere>)', (i) => {
        const c = cursors[i % cursors.length];
        return gqlOk(sg.url, TIMELINE_QUERY, { r: r(TARGET), after: encodeCursor(c.at, c.id) }, token);
      }],
    ]);
    const check = await gqlOk(sg.url, TIMELINE_QUERY, { r: r(TARGET) }, token);
    if (check._entities[0].timeline.nodes.length !== 50) throw new Error('timeline page is not full');

    const f = (x: number) => x.toFixed(2);
    const ratio = (x: Stats, y: Stats) => `${(x.p50 / y.p50).toFixed(1)}× | ${(x.p99 / y.p99).toFixed(1)}×`;
    const rows = [
      ['(a) service: one message by primary key', svcPk],
      ['(b) service: timeline(first: 50), first page', svcFirst],
      ['(c) service: timeline(first: 50, after: a cursor anywhere)', svcDeep],
      ['(d) service: (c) with channels: 2 of 5', svcChannels],
      ['(e) GraphQL: one message by key (`_entities`)', gqlPk],
      ['(f) GraphQL: `Customer.timeline(first: 50)`, first page', gqlFirst],
      ['(g) GraphQL: (f) after a cursor anywhere', gqlDeep],
    ] as const;
    const md = [
      `Measured ${new Date().toISOString().slice(0, 10)} with \`node dist/bench/timeline.bench.js\` on MariaDB ${(await ds.query('SELECT VERSION() AS v'))[0].v.split('-')[0]}: ` +
        `${Number(customers).toLocaleString('en')} customers, ${Number(total).toLocaleString('en')} messages (plus lifecycle events); the customer read has ${mine} messages over five channels ` +
        `(five conversations). ${SAMPLES} sequential requests per row after 200 warm-up ones, the rows interleaved round by round (so background load hits all alike); GraphQL is HTTP to the conversations subgraph in the same process, as the gateway calls it. ` +
        `Everything (client, subgraph, MariaDB, Redis) on one 2-core machine.${seeded ? ` Seeding took ${seeded.seconds.toFixed(0)} s.` : ''}`,
      '',
      '| read | p50 ms | p95 ms | p99 ms |',
      '|---|---:|---:|---:|',
      ...rows.map(([label, x]) => `| ${label} | ${f(x.p50)} | ${f(x.p95)} | ${f(x.p99)} |`),
      '',
      `| ratio | of p50 | of p99 | goal |`,
      '|---|---:|---:|---|',
      `| timeline first page / primary-key read, service (b / a) | ${ratio(svcFirst, svcPk)} | |`,
      `| timeline deep page / primary-key read, service (c / a) | ${ratio(svcDeep, svcPk)} | |`,
      `| timeline first page / key read, GraphQL (f / e) | ${ratio(gqlFirst, gqlPk)} | |`,
      `| timeline deep page / key read, GraphQL (g / e) | ${ratio(gqlDeep, gqlPk)} | |`,
      `| timeline p99 through GraphQL (f, g) | | ${f(gqlFirst.p99)} ms, ${f(gqlDeep.p99)} ms | < 50 ms |`,
      '',
      `Plan of the messages scan (MariaDB \`EXPLAIN\`, a page after a cursor): index \`${explain[0].key}\`, ${explain[0].Extra} — ${/filesort/i.test(explain[0].Extra) ? 'WITH a filesort' : 'no filesort'}; the optimizer estimates ${explain[0].rows} rows for the range, the LIMIT stops the scan at 51.`,
    ].join('\n');
    console.log(`\n${md}`);
    mkdirSync(join(ROOT, '.bench'), { recursive: true });
    writeFileSync(join(ROOT, '.bench', 'timeline.md'), `${md}\n`);
    const docs = join(ROOT, 'docs', 'conversations.md');
    if (existsSync(docs)) {
      const text = readFileSync(docs, 'utf8');
      const [open, close] = ['<!-- timeline-bench:start -->', '<!-- timeline-bench:end -->'];
      if (text.includes(open) && text.includes(close)) {
        writeFileSync(docs, `${text.slice(0, text.indexOf(open) + open.length)}\n${md}\n${text.slice(text.indexOf(close))}`);
        console.log('docs/conversations.md updated');
      }
    }
  } finally {
    await sg.stop();
    await ds.destroy();
    await pubsub.close();
    await events.close();
    await cache.close();
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});

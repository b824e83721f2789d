import 'reflect-metadata';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import autocannon from 'autocannon';
import type { DataSource } from 'typeorm';
import { createInProcessEventBus } from '../subgraphs/_shared/events.js';
import { openDataSource } from '../subgraphs/_shared/data-source.js';
import { stableId } from '../subgraphs/_shared/ids.js';
import { createLogger } from '../subgraphs/_shared/logger.js';
import { createMemoryPubSub } from '../subgraphs/_shared/pubsub.js';
import { ArticleEntity, ArticleVersionEntity } from '../subgraphs/knowledge/article/article.entity.js';
import { FaqEntity, FaqQuestionEntity } from '../subgraphs/knowledge/faq/faq.entity.js';
import { createKnowledgeSubgraph } from '../subgraphs/knowledge/index.js';
import { createKnowledgeServices } from '../subgraphs/knowledge/knowledge.services.js';
import { entryToDoc, evaluate, type LabelledEntry, type LabelledQuestion } from '../subgraphs/knowledge/search/quality.js';
import { DEFAULT_RANKING, SearchIndex, type RankingOptions } from '../subgraphs/knowledge/search/search.engine.js';
import { Segmenter } from '../subgraphs/knowledge/search/segmenter.js';
import { SynonymTable } from '../subgraphs/knowledge/search/synonyms.js';
import { gqlOk } from '../test/helpers/graphql-client.js';
import { TEST_MYSQL_URL, tokenFor } from '../test/helpers/env.js';
import { ROOT } from '../test/helpers/processes.js';
import { startSubgraphs, type Started } from '../test/helpers/topology.js';
import { rssMb } from './rss.probe.js';

/**
 * npm run bench:knowledge
 *  1. retrieval quality on the labelled questions (test/data) over the demo brand's knowledge base, with the
 *     full engine and with one part switched off at a time (domain dictionary, synonyms, bigrams);
 *  2. a tenant of 50,000 generated articles and FAQs (Chinese rice / delivery / returns / storage text) in
 *     MariaDB: index build time and memory, search latency and throughput in-process, the cost of applying a
 *     change, and searchKnowledge through the subgraph's GraphQL (a separate process, autocannon);
 *  3. the labelled questions again, with the 89 labelled entries hidden among the 50,000 generated ones.
 */
const DOCS = Number(process.env.BENCH_KNOWLEDGE_DOCS ?? 50_000);
const QUERIES = Number(process.env.BENCH_KNOWLEDGE_QUERIES ?? 4000);
const DURATION = Number(process.env.BENCH_DURATION ?? 10);
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 10);
const TENANT = `bench_kb_${DOCS}`;
const DB = 'huiliu_bench_knowledge';

setFlagsFromString('--expose_gc');
const gc = runInNewContext('gc') as () => void;

const kb = JSON.parse(readFileSync(join(ROOT, 'test', 'data', 'knowledge-base.json'), 'utf8')) as { entries: LabelledEntry[] };
const questions = (JSON.parse(readFileSync(join(ROOT, 'test', 'data', 'knowledge-questions.json'), 'utf8')) as { questions: LabelledQuestion[] }).questions;

const pct = (sorted: number[], p: number) => sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
const f1 = (n: number) => n.toFixed(1);
const f2 = (n: number) => n.toFixed(2);
const f3 = (n: number) => n.toFixed(3);

// ---------- 1. quality on the labelled set ----------

function quality(): { lines: string[]; full: ReturnType<typeof evaluate> } {
  const seg = new Segmenter();
  const plainSeg = new Segmenter({ domainDictionary: false });
  const run = (label: string, s: Segmenter, ranking: Partial<RankingOptions>) => {
    const index = new SearchIndex(s, SynonymTable.withDefaults(), { ...DEFAULT_RANKING, ...ranking });
    for (const e of kb.entries) index.upsert(entryToDoc(e));
    const all = evaluate(index, questions);
    const dev = evaluate(index, questions.filter((_, i) => i % 2 === 0));
    const held = evaluate(index, questions.filter((_, i) => i % 2 === 1));
    return { label, all, dev, held };
  };
  const runs = [
    run('full engine (default)', seg, {}),
    run('without the domain dictionary', plainSeg, {}),
    run('without synonyms', seg, { synonyms: false }),
    run('without character bigrams', seg, { bigrams: false }),
    run('words only (no dictionary, synonyms, bigrams)', plainSeg, { synonyms: false, bigrams: false }),
  ];
  const full = runs[0];
  const lines = [
    `Labelled set: ${questions.length} customer questions over ${kb.entries.length} entries (${kb.entries.filter((e) => e.kind === 'ARTICLE').length} articles, ${kb.entries.filter((e) => e.kind === 'FAQ').length} FAQs).`,
    '',
    '| engine | recall@5 | recall@1 | MRR@10 | recall@5 even half | recall@5 odd half | recall@5 vs full |',
    '|---|---:|---:|---:|---:|---:|---:|',
    ...runs.map((r) => `| ${r.label} | ${f3(r.all.recallAt5)} | ${f3(r.all.recallAt1)} | ${f3(r.all.mrr)} | ${f3(r.dev.recallAt5)} | ${f3(r.held.recallAt5)} | ${((100 * r.all.recallAt5) / full.all.recallAt5).toFixed(1)} % |`),
  ];
  return { lines, full: full.all };
}

// ---------- 2. a generated tenant of 50,000 documents ----------

/** mulberry32: the same corpus on every run. */
function rng(seed: number) {
  let a = seed;
  const next = () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  return { next, pick: <T>(xs: readonly T[]): T => xs[Math.floor(next() * xs.length)], int: (lo: number, hi: number) => lo + Math.floor(next() * (hi - lo + 1)) };
}

const V = {
  variety: ['五常稻花香', '东北长粒香', '东北圆粒香', '盘锦蟹田米', '响水石板米', '泰国茉莉香米', '秋田小町', '越光米', '富硒米', '丝苗米', '猫牙米', '胚芽米', '糙米', '黑米', '小米', '糯米', '红米', '珍珠米'],
  origin: ['黑龙江五常市', '黑龙江宁安市', '吉林舒兰', '辽宁盘锦', '泰国东北部', '江西万年', '湖北京山', '广东增城', '黑龙江响水镇', '吉林梅河口'],
  pack: ['真空包装', '真空砖', '编织袋', '礼盒装', '手提袋装', '牛皮纸袋'],
  weight: ['1kg', '2.5kg', '5kg', '10kg', '25kg', '1kg×4'],
  courier: ['顺丰', '京东物流', '中通', '圆通', '韵达', '邮政EMS', '德邦', '极兔'],
  region: ['江浙沪', '北京', '天津', '广东', '福建', '四川', '重庆', '新疆', '西藏', '东北三省', '河南', '湖北', '湖南', '云南', '海南', '内蒙古', '甘肃', '山东'],
  channel: ['天猫旗舰店', '京东自营店', '抖音直播间', '微信商城', '线下门店', '拼多多店', '小程序商城'],
  season: ['春季', '夏季', '梅雨季', '秋季', '冬季', '高温天气', '回南天'],
  festival: ['春节', '元宵节', '端午节', '中秋节', '国庆', '双十一', '双十二', '618', '年货节', '开学季'],
  issue: ['米虫', '霉变', '碎米', '米粒发黄', '真空漏气', '包装破损', '分量不足', '异味', '结块', '发错规格'],
  taste: ['口感软糯有嚼劲', '米香浓郁', '粒粒分明不粘连', '冷饭不回生', '适合煮粥', '回甘明显', '油润有光泽'],
  usage: ['日常家庭食用', '煮粥', '做寿司和饭团', '炒饭', '宝宝辅食', '老人养胃', '节日送礼', '企业福利'],
};

interface GenDoc {
  kind: 'ARTICLE' | 'FAQ';
  title: string;
  questions: string[];
  body: string;
  status: string;
  validFrom: Date | null;
  validTo: Date | null;
}

function generate(n: number): GenDoc[] {
  const r = rng(20250101);
  const out: GenDoc[] = [];
  const day = 86_400_000;
  for (let i = 0; i < n; i++) {
    const v = r.pick(V.variety);
    const w = r.pick(V.weight);
    const c = r.pick(V.courier);
    const reg = r.pick(V.region);
    const ch = r.pick(V.channel);
    const batch = `${2020 + (i % 6)}年第${(i % 97) + 1}批`;
    const topic = i % 8;
    let title: string;
    let body: string;
    let qs: string[] = [];
    if (topic === 0) {
      title = `${v}${w}${r.pick(V.pack)}产品说明（${batch}）`;
      body = `${v}产自${r.pick(V.origin)}，${w}${r.pick(V.pack)}，${r.pick(V.taste)}，${r.pick(V.taste)}。未开封保质期${r.pick(['6', '12', '18'])}个月，开袋后请密封放在阴凉干燥处，${r.int(1, 2)}个月内吃完。适合${r.pick(V.usage)}，也可以${r.pick(V.usage)}。${ch}价格以页面为准。`;
      qs = [`${v}${w}多少钱`, `${v}保质期多久`, `${v}是什么产地的`];
    } else if (topic === 1) {
      title = `${reg}地区${c}配送时效（${ch}）`;
      body = `${reg}的订单默认由${c}配送，每天${r.pick(['15:00', '16:00', '17:00'])}前付款当天发货，一般${r.int(1, 3)}-${r.int(3, 7)}天送达。大促期间发货可能延迟至48小时，物流超过${r.int(2, 4)}天不更新请联系客服催件。${reg}${r.pick(['满59元包邮', '加收运费10元', '加收运费20元', '包邮'])}。`;
      qs = [`发到${reg}要几天`, `${reg}用什么快递`, `${c}到${reg}多久`];
    } else if (topic === 2) {
      title = `${ch}${v}退换货与退款规则`;
      body = `在${ch}购买的${v}，签收后7天内未拆封可申请无理由退货，退货运费由买家承担。出现${r.pick(V.issue)}、${r.pick(V.issue)}等质量问题，签收后${r.int(7, 30)}天内凭照片申请退款或补发，运费由店铺承担。退款审核通过后${r.int(1, 3)}个工作日原路退回。`;
      qs = [`${ch}买的${v}能退吗`, `${v}退款多久到账`, `${ch}退货运费谁出`];
    } else if (topic === 3) {
      title = `${r.pick(V.season)}${v}储存建议`;
      body = `${r.pick(V.season)}温度高、湿度大，${v}容易生虫和受潮。建议一次少买，选${r.pick(['1kg', '2.5kg'])}小包装；开袋后分装进密封罐，放入冰箱冷藏室；米桶里可以放${r.pick(['大蒜', '花椒', '干辣椒', '海带'])}防虫。发现${r.pick(['米虫', '霉点', '结块'])}请停止食用并联系客服。`;
      qs = [`${v}怎么保存`, `${r.pick(V.season)}米怎么防虫`];
    } else if (topic === 4) {
      const f = r.pick(V.festival);
      title = `${f}${v}满减活动说明（${batch}）`;
      body = `${f}期间，${ch}${v}${w}满${r.pick(['99', '199', '299'])}减${r.pick(['10', '20', '30', '50'])}，可与店铺优惠券叠加使用，活动商品${r.pick(['不参与价保', '支持7天价保'])}。活动期间订单量大，发货时间延长至${r.int(2, 5)}天，默认发${c}。`;
      qs = [`${f}有什么优惠`, `${v}满减怎么用`];
    } else if (topic === 5) {
      const iss = r.pick(V.issue);
      title = `${v}出现${iss}怎么处理`;
      body = `收到的${v}如有${iss}，请在签收后${r.int(2, 15)}天内拍照联系客服，照片需包含外包装、生产日期和问题细节。客服核实后为您${r.pick(['补发', '退款', '换货', '按比例补偿'])}，大多数情况无需寄回。${iss === '米虫' ? '少量米虫可将大米摊开在阴凉处，米虫会自行爬走。' : ''}`;
      qs = [`${v}有${iss}怎么办`, `收到的米${iss}能退吗`];
    } else if (topic === 6) {
      title = `${ch}发票与对公付款说明`;
      body = `${ch}订单确认收货后可在订单页申请电子普通发票，${r.int(1, 3)}个工作日内开具；企业客户可申请增值税专用发票，提供公司名称、税号、地址电话和开户行，${r.int(5, 10)}个工作日内邮寄。${r.pick(['支持对公转账', '支持花呗分期', '支持京东白条'])}。`;
      qs = [`${ch}能开发票吗`, `专票怎么开`];
    } else {
      title = `${v}煮饭和煮粥方法`;
      body = `${v}建议淘洗${r.int(1, 2)}遍，浸泡${r.int(10, 40)}分钟，水米比例约1:${r.pick(['1.1', '1.2', '1.3', '1.5'])}。电饭煲跳闸后焖${r.int(5, 15)}分钟再开盖。煮粥时米和水1:${r.int(8, 12)}，小火熬${r.int(30, 60)}分钟，${r.pick(V.taste)}。`;
      qs = [`${v}放多少水`, `${v}怎么煮粥`];
    }
    const kind = i % 5 === 4 ? 'FAQ' : 'ARTICLE'; // 40,000 articles, 10,000 FAQs
    const roll = r.next();
    const status = roll < 0.05 ? 'DRAFT' : 'PUBLISHED';
    const validity = roll > 0.95 ? (roll > 0.975 ? { validFrom: null, validTo: new Date(Date.now() - r.int(1, 300) * day) } : { validFrom: new Date(Date.now() + r.int(1, 60) * day), validTo: null }) : { validFrom: null, validTo: null };
    out.push({ kind, title, questions: kind === 'FAQ' ? [title.replace(/说明|规则|建议|方法/, '').trim() + '？', ...qs] : [], body, status, ...validity });
  }
  return out;
}

async function insertChunks<T extends object>(ds: DataSource, entity: new () => T, rows: T[]): Promise<void> {
  for (let i = 0; i < rows.length; i += 500) await ds.getRepository(entity).insert(rows.slice(i, i + 500) as never);
}

/** Seeds the tenant once (re-runs reuse it): the generated documents plus the labelled knowledge base. */
async function seed(ds: DataSource): Promise<number> {
  const have = (await ds.getRepository(ArticleEntity).countBy({ tenantId: TENANT })) + (await ds.getRepository(FaqEntity).countBy({ tenantId: TENANT }));
  const want = DOCS + kb.entries.length;
  if (have === want) return 0;
  for (const e of [FaqQuestionEntity, FaqEntity, ArticleVersionEntity, ArticleEntity]) await ds.getRepository(e).delete({ tenantId: TENANT });
  const started = Date.now();
  const now = new Date();
  const articles: ArticleEntity[] = [];
  const versions: ArticleVersionEntity[] = [];
  const faqs: FaqEntity[] = [];
  const phrasings: FaqQuestionEntity[] = [];
  const add = (id: string, d: GenDoc, tags: string[]) => {
    if (d.kind === 'ARTICLE') {
      articles.push({ id, tenantId: TENANT, categoryId: null, title: d.title.slice(0, 200), status: d.status, currentVersion: 1, tags, validFrom: d.validFrom, validTo: d.validTo, stale: false, staleSince: null, sourceId: null, createdAt: now, updatedAt: now });
      versions.push({ id: stableId(`${id}:v1`), tenantId: TENANT, articleId: id, version: 1, title: d.title.slice(0, 200), body: d.body, authorId: 'bench', changeNote: null, tags, validFrom: d.validFrom, validTo: d.validTo, createdAt: now });
    } else {
      faqs.push({ id, tenantId: TENANT, categoryId: null, answer: d.body, status: d.status, tags, validFrom: d.validFrom, validTo: d.validTo, createdBy: 'bench', updatedBy: 'bench', createdAt: now, updatedAt: now });
      d.questions.forEach((question, position) => phrasings.push({ id: stableId(`${id}:q${position}`), tenantId: TENANT, faqId: id, position, question: question.slice(0, 200) }));
    }
  };
  generate(DOCS).forEach((d, i) => add(stableId(`bench:doc:${i}`), d, []));
  for (const e of kb.entries) {
    const d = entryToDoc(e);
    add(labelledId(e.key), { kind: e.kind, title: d.title, questions: d.questions, body: d.body, status: 'PUBLISHED', validFrom: null, validTo: null }, d.tags);
  }
  await insertChunks(ds, ArticleEntity, articles);
  await insertChunks(ds, ArticleVersionEntity, versions);
  await insertChunks(ds, FaqEntity, faqs);
  await insertChunks(ds, FaqQuestionEntity, phrasings);
  return Date.now() - started;
}

const labelledId = (key: string) => stableId(`bench:kb:${key}`);

async function main() {
  const lines: string[] = [];
  const log = createLogger('bench-knowledge', 'warn');

  console.log('1. quality on the labelled set…');
  const q = quality();
  console.log(q.lines.join('\n'));
  if (process.env.SHOW_MISSES) for (const m of q.full.misses) console.log(`  miss: ${m.q} → expected ${m.expected}, got ${m.got.join(', ')}`);

  console.log(`\n2. ${DOCS} generated documents in MariaDB…`);
  const url = `${TEST_MYSQL_URL}/${DB}`;
  const module = createKnowledgeSubgraph({ schedulerTickSeconds: false });
  const ds = await openDataSource({ url, subgraph: 'knowledge', entities: module.entities, migrations: module.migrations, log }, true);
  let child: Started | undefined;
  try {
    const seededMs = await seed(ds);
    console.log(seededMs ? `   seeded in ${(seededMs / 1000).toFixed(1)} s` : '   reusing the seeded tenant');

    // in-process: the same services the subgraph runs, on this process
    const services = createKnowledgeServices({ dataSource: ds, pubsub: createMemoryPubSub(), events: createInProcessEventBus(log), log });
    const memory = () => {
      gc();
      const m = process.memoryUsage();
      return m.heapUsed + m.arrayBuffers; // postings live in typed arrays, outside the JS heap
    };
    const heapBefore = memory();
    const t0 = performance.now();
    const size = await services.index.warm(TENANT);
    const buildMs = performance.now() - t0;
    const heapMb = (memory() - heapBefore) / 1024 / 1024;
    console.log(`   index of ${size} documents built in ${(buildMs / 1000).toFixed(1)} s, ${heapMb.toFixed(0)} MB (heap + typed arrays)`);

    for (let i = 0; i < 200; i++) await services.index.search(TENANT, questions[i % questions.length].q, { first: 10, audience: 'bot' }); // warm-up
    const lat: number[] = [];
    const s0 = performance.now();
    for (let i = 0; i < QUERIES; i++) {
      const a = performance.now();
      await services.index.search(TENANT, questions[i % questions.length].q, { first: 10, audience: 'bot' });
      lat.push(performance.now() - a);
    }
    const inQps = QUERIES / ((performance.now() - s0) / 1000);
    lat.sort((x, y) => x - y);
    console.log(`   in-process: ${inQps.toFixed(0)} queries/s, p50 ${f2(pct(lat, 50))} ms, p99 ${f2(pct(lat, 99))} ms`);

    // applying a change: reload from MariaDB and re-index one document (what every replica does per change)
    const ids = (await ds.getRepository(ArticleEntity).find({ where: { tenantId: TENANT }, select: { id: true }, take: 200 })).map((a) => a.id);
    const apply: number[] = [];
    for (const id of ids) {
      const a = performance.now();
      await services.index.changed(TENANT, 'ARTICLE', [id]);
      apply.push(performance.now() - a);
    }
    apply.sort((x, y) => x - y);
    console.log(`   applying a change: p50 ${f2(pct(apply, 50))} ms, p99 ${f2(pct(apply, 99))} ms`);

    // the labelled questions with their 89 entries hidden among the generated documents
    const idToKey = new Map(kb.entries.map((e) => [labelledId(e.key), e.key]));
    let at5 = 0;
    let at1 = 0;
    for (const { q: question, expected } of questions) {
      const hits = (await services.index.search(TENANT, question, { first: 5, audience: 'bot' })).map((h) => idToKey.get(h.id));
      if (hits.includes(expected)) at5++;
      if (hits[0] === expected) at1++;
    }
    const haystack5 = at5 / questions.length;
    console.log(`   labelled questions among ${size} documents: recall@5 ${f3(haystack5)}, recall@1 ${f3(at1 / questions.length)}`);

    // through GraphQL: the subgraph as its own process, searched by autocannon
    child = (await startSubgraphs([{ name: 'knowledge' }], DB, { LOG_LEVEL: 'warn', KNOWLEDGE_SCHEDULER: 'false', MIGRATE_ON_BOOT: 'false' })).knowledge;
    const idleRss = rssMb(child.proc.proc.pid!);
    const token = await tokenFor(TENANT, ['service'], 'bench-bot');
    const query = 'query($q: String!) { searchKnowledge(query: $q, first: 5) { kind id score title snippet } }';
    const c0 = performance.now();
    await gqlOk(child.url, query, { q: '大米' }, token);
    const coldMs = performance.now() - c0;
    const requests = questions.slice(0, 200).map((x) => ({ method: 'POST' as const, body: JSON.stringify({ query, variables: { q: x.q } }) }));
    const headers = { 'content-type': 'application/json', authorization: `Bearer ${token}` };
    await autocannon({ url: child.url, headers, requests, connections: CONNECTIONS, duration: 2 });
    const ac = await autocannon({ url: child.url, headers, requests, connections: CONNECTIONS, duration: DURATION });
    const childRss = rssMb(child.proc.proc.pid!);
    const errors = ac.errors + ac.non2xx + ac.timeouts;
    console.log(`   GraphQL (${CONNECTIONS} connections): ${ac.requests.average.toFixed(0)} req/s, p50 ${ac.latency.p50} ms, p99 ${ac.latency.p99} ms, errors ${errors}; first search (lazy build) ${(coldMs / 1000).toFixed(1)} s; RSS ${idleRss.toFixed(0)} → ${childRss.toFixed(0)} MB`);

    lines.push(
      `Measured ${new Date().toISOString().slice(0, 10)} with \`npm run bench:knowledge\` on the 2-core development machine (MariaDB, Redis, the benchmark and the subgraph on one box).`,
      '',
      '### Retrieval quality',
      '',
      ...q.lines,
      '',
      `The same questions with their ${kb.entries.length} entries hidden among ${DOCS.toLocaleString('en')} generated documents on the same topics: recall@5 **${f3(haystack5)}**, recall@1 ${f3(at1 / questions.length)}.`,
      '',
      `### Speed at ${DOCS.toLocaleString('en')} documents`,
      '',
      `${size.toLocaleString('en')} searchable documents (${(DOCS * 0.8).toLocaleString('en')} generated articles and ${(DOCS * 0.2).toLocaleString('en')} FAQs with 3-4 phrasings, about 5 % drafts and 5 % outside their validity, plus the labelled base); queries are the labelled questions in turn, as the bot (role service) asks them.`,
      '',
      '| measure | value |',
      '|---|---:|',
      `| index build from MariaDB (lazy, first search of the tenant) | ${(buildMs / 1000).toFixed(1)} s in-process, ${(coldMs / 1000).toFixed(1)} s as the first GraphQL search |`,
      `| index memory (JS heap + typed arrays) | ${heapMb.toFixed(0)} MB |`,
      `| in-process search, one thread | ${inQps.toFixed(0)} queries/s, p50 ${f2(pct(lat, 50))} ms, **p99 ${f2(pct(lat, 99))} ms** |`,
      `| searchKnowledge through GraphQL, ${CONNECTIONS} connections, ${DURATION} s | ${ac.requests.average.toFixed(0)} req/s, p50 ${ac.latency.p50} ms, **p99 ${ac.latency.p99} ms**, ${errors} errors |`,
      `| GraphQL throughput / in-process throughput | ${f1((100 * ac.requests.average) / inQps)} % |`,
      `| applying one change (reload from MariaDB + re-index) | p50 ${f2(pct(apply, 50))} ms, p99 ${f2(pct(apply, 99))} ms |`,
      `| subgraph process RSS: started, before any search / after the load | ${idleRss.toFixed(0)} MB / ${childRss.toFixed(0)} MB |`,
    );
  } finally {
    await child?.proc.stop();
    await ds.destroy();
  }
  const md = lines.join('\n');
  console.log(`\n${md}`);
  mkdirSync('.bench', { recursive: true });
  writeFileSync('.bench/knowledge.md', `${md}\n`);
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});

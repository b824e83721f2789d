import type { DomainEvent } from '../../_shared/events.js';
import { gql, gqlOk } from '../../../test/helpers/graphql-client.js';
import { newTenant, tokenFor } from '../../../test/helpers/env.js';
import { startTestSubgraph, type TestSubgraph } from '../../../test/helpers/subgraph-harness.js';
import { createKnowledgeSubgraph } from '../index.js';
import { FakeShop, type ShopProduct } from './source.testing.js';

const REPORT = 'status fetched notModified gone disallowed errors products created updated unchanged stale restored messages';
const createSource = `mutation($input: CreateKnowledgeSourceInput!) { createKnowledgeSource(input: $input) { source { id name kind urls schedule timezone enabled nextRunAt lastRunAt } } }`;
const updateSource = `mutation($input: UpdateKnowledgeSourceInput!) { updateKnowledgeSource(input: $input) { source { id enabled nextRunAt urls } } }`;
const run = `mutation($input: RunKnowledgeSourceInput!) { runKnowledgeSource(input: $input) { source { id lastStatus lastRunAt lastReport { ${REPORT} } } report { ${REPORT} } } }`;
const sourceArticles = `query($stale: Boolean) { articles(first: 50, stale: $stale) { nodes { id title status stale staleSince version body source { id name } versions { version authorId changeNote } } } }`;
const search = `query($q: String!) { searchKnowledge(query: $q) { id title } }`;

const WUCHANG: ShopProduct = { sku: 'WC-5KG', name: '五常稻花香大米 5kg', price: 128, spec: '5kg 真空包装', stock: 50, shelfLife: '12个月', description: '当季新米，五常核心产区' };
const CHANGLI: ShopProduct = { sku: 'DB-10KG', name: '东北长粒香大米 10kg', price: 129, spec: '10kg 编织袋', stock: 20, shelfLife: '6个月' };
const THAI: ShopProduct = { sku: 'TH-5KG', name: '泰国茉莉香米 5kg', price: 89, spec: '5kg', stock: 8, shelfLife: '18个月' };

/** Crawls a local shop (real HTTP: robots.txt, conditional requests, 304, 404) and keeps articles current. */
describe('knowledge sources crawled from a local shop', () => {
  let sg: TestSubgraph;
  let shop: FakeShop;
  const events: DomainEvent[] = [];
  const MIN_INTERVAL = 60;

  beforeAll(async () => {
    shop = await new FakeShop().start();
    sg = await startTestSubgraph(createKnowledgeSubgraph({ crawler: { minIntervalMs: MIN_INTERVAL }, schedulerTickSeconds: 1, index: { sweepMs: 3_600_000 } }), {
      db: 'knowledge_sources',
      stream: 'knowledge-source-int',
    });
    await sg.events.consume('knowledge-source-int-spec', async (e) => void events.push(e));
  });
  afterAll(async () => {
    await sg?.close();
    await shop?.stop();
  });
  beforeEach(() => {
    shop.products.clear();
    shop.requests.length = 0;
    shop.robots = 'User-agent: *\nDisallow: /private/\n';
    shop.robotsStatus = 200;
  });

  async function eventsOf(tenantId: string, type: string, count: number): Promise<DomainEvent[]> {
    for (let i = 0; i < 100 && events.filter((e) => e.tenantId === tenantId && e.type === type).length < count; i++) await new Promise((r) => setTimeout(r, 50));
    return events.filter((e) => e.tenantId === tenantId && e.type === type);
  }
  const crawl = async (sourceId: string, token: string) => (await gqlOk(sg.url, run, { input: { sourceId } }, token)).runKnowledgeSource;
  const articles = async (token: string, stale?: boolean) => (await gqlOk(sg.url, sourceArticles, { stale }, token)).articles.nodes;

  it('crawls product pages politely, versions changed facts with a change note, and flags vanished products stale', async () => {
    const tenant = newTenant();
    const token = await tokenFor(tenant, ['admin']);
    const bot = await tokenFor(tenant, ['service']);
    shop.set(WUCHANG);
    shop.set(CHANGLI);
    const urls = [`${shop.url}/p/WC-5KG`, `${shop.url}/m/DB-10KG`, `${shop.url}/private/WC-5KG`];
    const s = (await gqlOk(sg.url, createSource, { input: { name: '天猫旗舰店', kind: 'PRODUCT_PAGES', urls } }, token)).createKnowledgeSource.source;
    expect(s).toMatchObject({ kind: 'PRODUCT_PAGES', urls, schedule: '0 3 * * *', timezone: 'Asia/Shanghai', enabled: true, lastRunAt: null });
    expect(new Date(s.nextRunAt).getTime()).toBeGreaterThan(Date.now());

    // first crawl: two new products, the disallowed page never requested
    const first = await crawl(s.id, token);
    expect(first.report).toMatchObject({ status: 'PARTIAL', fetched: 2, disallowed: 1, errors: 0, products: 2, created: 2, updated: 0, stale: 0 });
    expect(first.source).toMatchObject({ lastStatus: 'PARTIAL', lastReport: { created: 2 } });
    expect(shop.hits('/robots.txt')).toHaveLength(1);
    expect(shop.hits().some((r) => r.path.startsWith('/private/'))).toBe(false);
    expect(shop.hits().every((r) => String(r.headers['user-agent']).startsWith('HuiliuBot'))).toBe(true);
    const times = shop.hits().map((r) => r.at);
    // One host: rate limited. The crawler spaces the starts of its requests; their arrival here jitters by a few
    // ms under load, so each gap is checked loosely and the whole span exactly.
    for (let i = 1; i < times.length; i++) expect(times[i] - times[i - 1]).toBeGreaterThanOrEqual(MIN_INTERVAL * 0.75);
    expect(times[times.length - 1] - times[0]).toBeGreaterThanOrEqual((times.length - 1) * MIN_INTERVAL - 10);

    const created = await articles(token);
    const wc = created.find((a: { title: string }) => a.title === WUCHANG.name);
    expect(wc).toMatchObject({ status: 'PUBLISHED', stale: false, version: 1, source: { id: s.id, name: '天猫旗舰店' } });
    expect(wc.body).toContain('价格：¥128.00');
    expect(wc.body).toContain('保质期：12个月');
    expect(wc.versions[0]).toMatchObject({ authorId: `source:${s.id}`, changeNote: '来自知识来源「天猫旗舰店」' });
    expect(created.find((a: { title: string }) => a.title === CHANGLI.name).body).toContain('规格：10kg 编织袋'); // read from microdata
    expect((await gqlOk(sg.url, search, { q: '五常稻花香多少钱' }, bot)).searchKnowledge[0]).toMatchObject({ id: wc.id });

    // nothing changed: conditional requests answered 304, no new versions
    shop.requests.length = 0;
    const second = await crawl(s.id, token);
    expect(second.report).toMatchObject({ fetched: 0, notModified: 2, created: 0, updated: 0, stale: 0 });
    expect(shop.hits('/p/WC-5KG')[0].headers['if-none-match']).toMatch(/^"/);

    // price and stock change: a new version that says what changed
    shop.set({ ...WUCHANG, price: 118, stock: 0 });
    const third = await crawl(s.id, token);
    expect(third.report).toMatchObject({ fetched: 1, notModified: 1, updated: 1, unchanged: 0 });
    const v2 = (await articles(token)).find((a: { id: string }) => a.id === wc.id);
    expect(v2).toMatchObject({ version: 2, status: 'PUBLISHED' });
    expect(v2.body).toContain('价格：¥118.00');
    expect(v2.versions[0]).toEqual({ version: 2, authorId: `source:${s.id}`, changeNote: '来源更新：价格：¥128.00 → ¥118.00；库存：有货 → 缺货' });

    // a product page that is gone: its article is flagged stale and the bot no longer sees it
    shop.remove(CHANGLI.sku);
    const fourth = await crawl(s.id, token);
    expect(fourth.report).toMatchObject({ gone: 1, stale: 1 });
    const [stale] = await articles(token, true);
    expect(stale).toMatchObject({ title: CHANGLI.name, stale: true });
    expect(new Date(stale.staleSince).getTime()).toBeGreaterThan(Date.now() - 60_000);
    expect((await gqlOk(sg.url, search, { q: '东北长粒香' }, bot)).searchKnowledge).toEqual([]);
    expect((await gqlOk(sg.url, search, { q: '东北长粒香' }, token)).searchKnowledge.map((h: { id: string }) => h.id)).toEqual([stale.id]);

    // back on sale: restored
    shop.set(CHANGLI);
    expect((await crawl(s.id, token)).report).toMatchObject({ restored: 1, stale: 0 });
    expect(await articles(token, true)).toEqual([]);
    expect((await gqlOk(sg.url, search, { q: '东北长粒香' }, bot)).searchKnowledge.map((h: { id: string }) => h.id)).toEqual([stale.id]);

    const changes = (await eventsOf(tenant, 'article.changed', 5)).map((e) => e.data.change);
    expect(changes).toEqual(['created', 'created', 'source_updated', 'stale', 'restored']);
    const crawled = await eventsOf(tenant, 'knowledge_source.crawled', 5);
    expect(crawled.map((e) => e.data.created)).toEqual([2, 0, 0, 0, 0]);
  });

  it('reads a JSON feed with Last-Modified and a CSV feed with an ETag; products missing from a feed go stale', async () => {
    const token = await tokenFor(newTenant(), ['admin']);
    [WUCHANG, CHANGLI, THAI].forEach((p) => shop.set(p));
    const json = (await gqlOk(sg.url, createSource, { input: { name: 'JSON 商品源', kind: 'JSON_FEED', urls: [`${shop.url}/feed.json`] } }, token)).createKnowledgeSource.source;
    expect((await crawl(json.id, token)).report).toMatchObject({ status: 'OK', fetched: 1, products: 3, created: 3 });
    expect((await crawl(json.id, token)).report).toMatchObject({ fetched: 0, notModified: 1, created: 0, updated: 0, stale: 0 });
    expect(shop.hits('/feed.json')[1].headers['if-modified-since']).toBeDefined();

    shop.remove(THAI.sku);
    shop.set({ ...CHANGLI, shelfLife: '9个月', stock: 3 }); // stock 20 → 3 is still 有货: only the shelf life counts
    expect((await crawl(json.id, token)).report).toMatchObject({ fetched: 1, products: 2, updated: 1, unchanged: 1, stale: 1 });
    const list = await articles(token);
    expect(list.find((a: { title: string }) => a.title === CHANGLI.name).versions[0].changeNote).toBe('来源更新：保质期：6个月 → 9个月');
    expect(list.find((a: { title: string }) => a.title === THAI.name).stale).toBe(true);

    const csvToken = await tokenFor(newTenant(), ['admin']);
    const csv = (await gqlOk(sg.url, createSource, { input: { name: 'CSV', kind: 'CSV_FEED', urls: [`${shop.url}/feed.csv`] } }, csvToken)).createKnowledgeSource.source;
    expect((await crawl(csv.id, csvToken)).report).toMatchObject({ fetched: 1, products: 2, created: 2 });
    expect((await crawl(csv.id, csvToken)).report).toMatchObject({ notModified: 1, created: 0 });
    expect((await articles(csvToken)).map((a: { title: string }) => a.title).sort()).toEqual([WUCHANG.name, CHANGLI.name].sort());
  });

  it('treats an unreachable robots.txt as "disallow everything", follows redirects and reports errors', async () => {
    const token = await tokenFor(newTenant(), ['admin']);
    shop.set(WUCHANG);
    shop.robotsStatus = 503;
    const s = (await gqlOk(sg.url, createSource, { input: { name: '跳转', kind: 'PRODUCT_PAGES', urls: [`${shop.url}/old-link`, `${shop.url}/p/NOPE`] } }, token)).createKnowledgeSource.source;
    expect((await crawl(s.id, token)).report).toMatchObject({ status: 'PARTIAL', disallowed: 2, fetched: 0, created: 0 });
    expect(shop.hits().map((r) => r.path)).toEqual(['/robots.txt']);

    shop.robotsStatus = 404; // no robots.txt: everything allowed
    const r = (await crawl(s.id, token)).report;
    expect(r).toMatchObject({ fetched: 1, gone: 1, created: 1 });
    expect((await articles(token))[0].title).toBe(WUCHANG.name);
    const broken = (await gqlOk(sg.url, createSource, { input: { name: '坏源', kind: 'JSON_FEED', urls: [`${shop.url}/p/WC-5KG`, 'http://127.0.0.1:9/feed.json'] } }, token)).createKnowledgeSource.source;
    const b = (await crawl(broken.id, token)).report;
    // the page is not a feed (an error); the dead host's robots.txt is unreachable, so nothing there is allowed
    expect(b).toMatchObject({ status: 'FAILED', errors: 1, disallowed: 1, created: 0 });
    expect(b.messages).toEqual([expect.stringContaining('/p/WC-5KG: ')]);
  });

  it('crawls on the schedule, and stops when disabled', async () => {
    const token = await tokenFor(newTenant(), ['admin']);
    shop.set(THAI);
    const s = (await gqlOk(sg.url, createSource, { input: { name: '每秒', kind: 'JSON_FEED', urls: [`${shop.url}/feed.json`], schedule: '* * * * * *' } }, token)).createKnowledgeSource.source;
    let source: { lastRunAt: string | null; lastStatus: string | null } = { lastRunAt: null, lastStatus: null };
    for (let i = 0; i < 80 && !source.lastRunAt; i++) {
      await new Promise((r) => setTimeout(r, 100));
      source = (await gqlOk(sg.url, `query($id: ID!) { knowledgeSource(id: $id) { lastRunAt lastStatus } }`, { id: s.id }, token)).knowledgeSource;
    }
    expect(source.lastStatus).toBe('OK');
    expect((await articles(token)).map((a: { title: string }) => a.title)).toEqual([THAI.name]);
    const off = (await gqlOk(sg.url, updateSource, { input: { sourceId: s.id, enabled: false } }, token)).updateKnowledgeSource.source;
    expect(off).toMatchObject({ enabled: false, nextRunAt: null });
  });

  it('refuses a second crawl of a source while one runs', async () => {
    const token = await tokenFor(newTenant(), ['admin']);
    shop.set(WUCHANG);
    const s = (await gqlOk(sg.url, createSource, { input: { name: '慢', kind: 'PRODUCT_PAGES', urls: [`${shop.url}/slow`] } }, token)).createKnowledgeSource.source;
    const [x, y] = await Promise.all([gql(sg.url, run, { input: { sourceId: s.id } }, token), new Promise((r) => setTimeout(r, 100)).then(() => gql(sg.url, run, { input: { sourceId: s.id } }, token))]);
    expect(x.errors).toBeUndefined();
    expect(y.errors?.[0].extensions?.code).toBe('CONFLICT');
    expect((await gql(sg.url, run, { input: { sourceId: s.id } }, token)).errors).toBeUndefined(); // the lease was released
  });

  it('validates sources, keeps them to managers and to their tenant', async () => {
    const token = await tokenFor(newTenant('a'), ['admin']);
    const input = { name: 'x', kind: 'PRODUCT_PAGES', urls: [`${shop.url}/p/1`] };
    const code = async (i: Record<string, unknown>, t = token) => (await gql(sg.url, createSource, { input: { ...input, ...i } }, t)).errors?.[0].extensions;
    expect(await code({ kind: 'RSS' })).toMatchObject({ code: 'BAD_USER_INPUT' });
    expect(await code({ urls: ['ftp://example.com/feed'] })).toMatchObject({ code: 'BAD_USER_INPUT', field: 'urls' });
    expect(await code({ urls: ['not a url'] })).toMatchObject({ code: 'BAD_USER_INPUT', field: 'urls' });
    expect(await code({ urls: [] })).toMatchObject({ code: 'BAD_USER_INPUT' });
    expect(await code({ schedule: 'every day' })).toMatchObject({ code: 'BAD_USER_INPUT', field: 'schedule' });
    expect(await code({ timezone: 'Mars/Olympus' })).toMatchObject({ code: 'BAD_USER_INPUT', field: 'schedule' });
    expect(await code({}, await tokenFor(newTenant(), ['agent']))).toMatchObject({ code: 'FORBIDDEN' });

    const s = (await gqlOk(sg.url, createSource, { input }, token)).createKnowledgeSource.source;
    const other = await tokenFor(newTenant('b'), ['admin']);
    expect((await gqlOk(sg.url, `{ knowledgeSources { id } }`, {}, other)).knowledgeSources).toEqual([]);
    expect((await gqlOk(sg.url, `query($id: ID!) { knowledgeSource(id: $id) { id } }`, { id: s.id }, other)).knowledgeSource).toBeNull();
    expect((await gql(sg.url, run, { input: { sourceId: s.id } }, other)).errors?.[0].extensions?.code).toBe('NOT_FOUND');
    expect((await gql(sg.url, updateSource, { input: { sourceId: s.id, enabled: false } }, other)).errors?.[0].extensions?.code).toBe('NOT_FOUND');
    expect((await gqlOk(sg.url, `{ knowledgeSources { id } }`, {}, token)).knowledgeSources).toEqual([{ id: s.id }]);
  });
});

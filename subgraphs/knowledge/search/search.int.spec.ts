import { buildDataSource } from '../../_shared/data-source.js';
import { gql, gqlOk } from '../../../test/helpers/graphql-client.js';
import { mysqlUrl, newTenant, tokenFor } from '../../../test/helpers/env.js';
import { startTestSubgraph, type TestSubgraph } from '../../../test/helpers/subgraph-harness.js';
import { FaqEntity } from '../faq/faq.entity.js';
import { createKnowledgeSubgraph } from '../index.js';
import type { KnowledgeServices } from '../knowledge.services.js';
import { Segmenter } from './segmenter.js';

const search = `query($q: String!, $first: Int, $kinds: [KnowledgeKind!]) {
  searchKnowledge(query: $q, first: $first, kinds: $kinds) { kind id score title highlightedTitle snippet article { id status } faq { id question } } }`;
const createFaq = `mutation($input: CreateFaqInput!) { createFaq(input: $input) { faq { id } } }`;
const updateFaq = `mutation($input: UpdateFaqInput!) { updateFaq(input: $input) { faq { id } } }`;
const publishFaq = `mutation($input: FaqIdInput!) { publishFaq(input: $input) { faq { id } } }`;
const archiveFaq = `mutation($input: FaqIdInput!) { archiveFaq(input: $input) { faq { id } } }`;
const createArticle = `mutation($input: CreateArticleInput!) { createArticle(input: $input) { article { id } } }`;
const updateArticle = `mutation($input: UpdateArticleInput!) { updateArticle(input: $input) { article { id } } }`;
const publishArticle = `mutation($input: PublishArticleInput!) { publishArticle(input: $input) { article { id } } }`;

/**
 * Two replicas of the knowledge subgraph on one database and one Redis: each holds its own in-memory index,
 * and a change made through either must reach both at once.
 */
describe('searchKnowledge across two replicas', () => {
  let a: TestSubgraph;
  let b: TestSubgraph;
  // a long sweep interval: what the tests see arrives by broadcast, not by the periodic repair
  const module = createKnowledgeSubgraph({ schedulerTickSeconds: false, segmenter: new Segmenter(), index: { sweepMs: 3_600_000 } });
  beforeAll(async () => {
    a = await startTestSubgraph(module, { stream: 'knowledge-search-int' });
    b = await startTestSubgraph(module, { stream: 'knowledge-search-int' });
  });
  afterAll(async () => {
    await a?.close();
    await b?.close();
  });

  const hits = async (url: string, q: string, token: string, vars: Record<string, unknown> = {}) =>
    (await gqlOk(url, search, { q, ...vars }, token)).searchKnowledge as Array<{ kind: string; id: string; score: number; title: string; highlightedTitle: string; snippet: string; article: { id: string } | null; faq: { id: string } | null }>;
  const ids = async (url: string, q: string, token: string) => (await hits(url, q, token)).map((h) => h.id);
  /** Polls until the condition holds (a broadcast crosses Redis asynchronously), at most 3 s. */
  async function soon<T>(read: () => Promise<T>, ok: (v: T) => boolean): Promise<T> {
    let v = await read();
    for (let i = 0; i < 60 && !ok(v); i++) {
      await new Promise((r) => setTimeout(r, 50));
      v = await read();
    }
    return v;
  }

  async function seed(token: string) {
    const faq = (await gqlOk(a.url, createFaq, { input: { questions: ['大米里有米虫怎么办？', '米生虫了还能吃吗'], answer: '把大米摊开放在阴凉通风处，米虫会自行爬走，淘洗干净即可食用。' } }, token)).createFaq.faq;
    await gqlOk(a.url, publishFaq, { input: { faqId: faq.id } }, token);
    const art = (await gqlOk(a.url, createArticle, { input: { title: '下单后多久发货？', body: '每日16:00前付款的订单当天发货，默认发顺丰或京东物流。', tags: ['发货'] } }, token)).createArticle.article;
    await gqlOk(a.url, publishArticle, { input: { articleId: art.id } }, token);
    return { faqId: faq.id, articleId: art.id };
  }

  it('ranks articles and FAQs with scores, highlights the matches and resolves the entities', async () => {
    const tenant = newTenant();
    const { faqId, articleId } = await seed(await tokenFor(tenant, ['admin']));
    const token = await tokenFor(tenant, ['agent']);
    const r = await hits(a.url, '米里面有虫子了', token);
    expect(r[0]).toMatchObject({ kind: 'FAQ', id: faqId, faq: { id: faqId, question: '大米里有米虫怎么办？' }, article: null });
    expect(r[0].title).toBe('大米里有米虫怎么办？');
    expect((await hits(a.url, '米生虫了能吃吗', token))[0]).toMatchObject({ id: faqId, title: '米生虫了还能吃吗' }); // the phrasing that matches best
    expect(r[0].highlightedTitle).toContain('<em>');
    expect(r[0].snippet).toContain('<em>米虫</em>');
    expect(r[0].score).toBeGreaterThan(0);
    const d = await hits(a.url, '顺丰几点前下单当天发', token);
    expect(d[0]).toMatchObject({ kind: 'ARTICLE', id: articleId, article: { id: articleId, status: 'PUBLISHED' }, faq: null });
    expect(d[0].highlightedTitle).toBe('<em>下单</em>后多久发货？'); // single characters are marked only when nothing longer matched
    for (let i = 1; i < d.length; i++) expect(d[i].score).toBeLessThanOrEqual(d[i - 1].score);
    expect((await hits(a.url, '顺丰', token, { kinds: ['FAQ'] })).every((h) => h.kind === 'FAQ')).toBe(true);
    expect(await ids(a.url, '顺丰', token)).toEqual([articleId]);
    expect(await hits(a.url, '<script>', token)).toEqual([]);
  });

  it('shows the bot only published, currently valid, fresh knowledge; agents see drafts', async () => {
    const tenant = newTenant();
    const admin = await tokenFor(tenant, ['admin']);
    const bot = await tokenFor(tenant, ['service'], 'bot');
    const make = async (answer: string, extra: Record<string, unknown> = {}, publish = true) => {
      const f = (await gqlOk(a.url, createFaq, { input: { questions: ['礼盒装有哪些规格？'], answer, ...extra } }, admin)).createFaq.faq;
      if (publish) await gqlOk(a.url, publishFaq, { input: { faqId: f.id } }, admin);
      return f.id as string;
    };
    const live = await make('礼盒内含四块真空砖。');
    const draft = await make('草稿答案', {}, false);
    const future = await make('明年的礼盒', { validFrom: new Date(Date.now() + 86_400_000).toISOString() });
    const expired = await make('去年的礼盒', { validTo: new Date(Date.now() - 1000).toISOString() });
    expect(await ids(b.url, '礼盒规格', bot)).toEqual([live]);
    expect((await ids(b.url, '礼盒规格', admin)).sort()).toEqual([live, draft, future, expired].sort());

    await gqlOk(a.url, updateFaq, { input: { faqId: expired, validTo: null } }, admin);
    expect((await soon(() => ids(b.url, '礼盒规格', bot), (x) => x.length === 2)).sort()).toEqual([live, expired].sort());
    await gqlOk(a.url, archiveFaq, { input: { faqId: live } }, admin);
    expect(await soon(() => ids(b.url, '礼盒规格', bot), (x) => x.length === 1)).toEqual([expired]);
    expect(await soon(() => ids(b.url, '礼盒规格', admin), (x) => x.length === 3)).not.toContain(live);
  });

  it('keeps tenants apart', async () => {
    const mine = await tokenFor(newTenant('a'), ['admin']);
    const other = await tokenFor(newTenant('b'), ['admin']);
    await seed(mine);
    expect((await hits(a.url, '米虫', mine)).length).toBeGreaterThan(0);
    expect(await hits(a.url, '米虫', other)).toEqual([]);
    expect(await hits(b.url, '米虫', other)).toEqual([]);
  });

  it('brings every change to the other replica at once: new, edited, published, archived, synonyms', async () => {
    const tenant = newTenant();
    const token = await tokenFor(tenant, ['admin']);
    const { articleId } = await seed(token);
    expect(await ids(b.url, '发货', token)).toEqual([articleId]); // B's index is built now

    const f = (await gqlOk(a.url, createFaq, { input: { questions: ['可以开增值税专用发票吗？'], answer: '可以，专票仅限企业。' } }, token)).createFaq.faq;
    expect(await soon(() => ids(b.url, '专票', token), (x) => x.length === 1)).toEqual([f.id]);
    await gqlOk(a.url, updateArticle, { input: { articleId, body: '节假日期间48小时内发出，偏远地区发邮政EMS。' } }, token);
    expect(await soon(() => ids(b.url, '邮政EMS', token), (x) => x.length === 1)).toEqual([articleId]);
    expect(await ids(b.url, '顺丰', token)).toEqual([]); // the old text is gone

    const bot = await tokenFor(tenant, ['service']);
    expect(await ids(b.url, '专票', bot)).toEqual([]);
    await gqlOk(a.url, publishFaq, { input: { faqId: f.id } }, token);
    expect(await soon(() => ids(b.url, '专票', bot), (x) => x.length === 1)).toEqual([f.id]);

    expect(await ids(b.url, '对公报销', token)).toEqual([]);
    await gqlOk(a.url, `mutation($input: CreateSynonymGroupInput!) { createSynonymGroup(input: $input) { group { id } } }`, { input: { terms: ['对公报销', '专票'] } }, token);
    expect(await soon(() => ids(b.url, '对公报销', token), (x) => x.length === 1)).toEqual([f.id]);
    const groups = (await gqlOk(b.url, `{ knowledgeSynonyms { id terms builtIn } }`, {}, token)).knowledgeSynonyms;
    expect(groups[0]).toMatchObject({ terms: ['对公报销', '专票'], builtIn: false });
    expect(groups.some((g: { terms: string[]; builtIn: boolean }) => g.builtIn && g.terms.includes('快递'))).toBe(true);
    await gqlOk(b.url, `mutation($input: DeleteSynonymGroupInput!) { deleteSynonymGroup(input: $input) { deletedId } }`, { input: { groupId: groups[0].id } }, token);
    expect(await soon(() => ids(a.url, '对公报销', token), (x) => x.length === 0)).toEqual([]);
  });

  it('repairs, in its periodic sweep, a change whose broadcast was lost', async () => {
    const token = await tokenFor(newTenant(), ['admin']);
    const { faqId } = await seed(token);
    expect(await ids(b.url, '米虫', token)).toEqual([faqId]);
    // a write that bypasses the services (another process, a lost message): no broadcast, only updated_at moves
    const ds = buildDataSource({ url: mysqlUrl('knowledge'), flavor: 'mariadb', subgraph: 'knowledge', entities: module.entities, migrations: [] });
    await ds.initialize();
    try {
      await ds.getRepository(FaqEntity).update({ id: faqId }, { answer: '请联系客服，拍照后补发新米。', updatedAt: new Date() });
    } finally {
      await ds.destroy();
    }
    expect(await ids(b.url, '补发新米', token)).toEqual([]);
    await (b.services as KnowledgeServices).index.sweep();
    expect(await ids(b.url, '补发新米', token)).toEqual([faqId]);
  });

  it('validates its arguments and needs a staff or service role', async () => {
    const tenant = newTenant();
    const token = await tokenFor(tenant, ['agent']);
    for (const vars of [{ q: '' }, { q: '   ' }, { q: 'x'.repeat(201) }, { q: '米', first: 0 }, { q: '米', first: 51 }]) {
      expect((await gql(a.url, search, vars, token)).errors?.[0].extensions?.code).toBe('BAD_USER_INPUT');
    }
    expect((await gql(a.url, search, { q: '米' }, await tokenFor(tenant, ['partner']))).errors?.[0].extensions?.code).toBe('FORBIDDEN');
    expect((await gql(a.url, search, { q: '米' })).errors?.[0].extensions?.code).toBe('UNAUTHENTICATED');
  });
});

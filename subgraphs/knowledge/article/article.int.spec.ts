import { randomUUID } from 'node:crypto';
import { DEMO_TENANT } from '../../_shared/demo-data.js';
import type { DomainEvent } from '../../_shared/events.js';
import { knowledgeSubgraph } from '../index.js';
import type { KnowledgeServices } from '../knowledge.services.js';
import { DEMO_ARTICLES } from '../knowledge.seed.js';
import { gql, gqlOk } from '../../../test/helpers/graphql-client.js';
import { newTenant, tokenFor } from '../../../test/helpers/env.js';
import { startTestSubgraph, type TestSubgraph } from '../../../test/helpers/subgraph-harness.js';

const ARTICLE_FIELDS = `id title status version body createdAt updatedAt category { id name } versions { version title body authorId }`;
const create = `mutation($input: CreateArticleInput!) { createArticle(input: $input) { article { ${ARTICLE_FIELDS} } } }`;
const update = `mutation($input: UpdateArticleInput!) { updateArticle(input: $input) { article { ${ARTICLE_FIELDS} } } }`;
const publish = `mutation($input: PublishArticleInput!) { publishArticle(input: $input) { article { id status version updatedAt } } }`;
const rollback = `mutation($input: RollbackArticleInput!) { rollbackArticle(input: $input) { article { ${ARTICLE_FIELDS} } } }`;
const createCategory = `mutation($input: CreateCategoryInput!) { createCategory(input: $input) { category { id name parent { id name } } } }`;
const byId = `query($id: ID!) { article(id: $id) { ${ARTICLE_FIELDS} } }`;
const search = `query($q: String!) { searchArticles(query: $q) { id title body } }`;
const list = `query($first: Int, $after: String, $status: String, $categoryId: ID) {
  articles(first: $first, after: $after, status: $status, categoryId: $categoryId) { nodes { id } pageInfo { hasNextPage endCursor } } }`;
const entities = `query($r: [_Any!]!) { _entities(representations: $r) { ... on Article { id title body } ... on Category { id name } } }`;
const idsOf = (d: any) => d.articles.nodes.map((n: { id: string }) => n.id);

describe('knowledge subgraph on MariaDB', () => {
  let sg: TestSubgraph;
  const events: DomainEvent[] = [];
  beforeAll(async () => {
    sg = await startTestSubgraph(knowledgeSubgraph, { stream: 'knowledge-int' });
    await sg.events.consume('knowledge-int-spec', async (e) => void events.push(e));
  });
  afterAll(() => sg.close());

  async function eventsOf(tenantId: string, type: string, count = 1): Promise<DomainEvent[]> {
    for (let i = 0; i < 100 && events.filter((e) => e.tenantId === tenantId && e.type === type).length < count; i++) await new Promise((r) => setTimeout(r, 50));
    return events.filter((e) => e.tenantId === tenantId && e.type === type);
  }

  async function newArticle(token: string, input: Record<string, unknown> = {}) {
    return (await gqlOk(sg.url, create, { input: { title: '大米保质期多久？', body: '真空包装 12 个月。', ...input } }, token)).createArticle.article;
  }

  it('creates a DRAFT at version 1 in a category, and reads it back', async () => {
    const tenant = newTenant();
    const token = await tokenFor(tenant, ['admin'], 'editor-1');
    const cat = (await gqlOk(sg.url, createCategory, { input: { name: '产品知识' } }, token)).createCategory.category;
    const a = await newArticle(token, { categoryId: cat.id });
    expect(a).toMatchObject({
      title: '大米保质期多久？', status: 'DRAFT', version: 1, body: '真空包装 12 个月。', category: { id: cat.id, name: '产品知识' },
      versions: [{ version: 1, title: '大米保质期多久？', body: '真空包装 12 个月。', authorId: 'editor-1' }],
    });
    expect((await gqlOk(sg.url, byId, { id: a.id }, token)).article).toEqual(a);
    const [changed] = await eventsOf(tenant, 'article.changed');
    expect(changed.data).toEqual({ articleId: a.id, version: 1, status: 'DRAFT', change: 'created' });
  });

  it('versions every edit and rolls back by appending a copy of an old version', async () => {
    const tenant = newTenant();
    const token = await tokenFor(tenant, ['supervisor'], 'editor-2');
    const a = await newArticle(token, { title: 'v1 标题', body: 'v1 正文' });
    const v2 = (await gqlOk(sg.url, update, { input: { articleId: a.id, body: 'v2 正文' } }, token)).updateArticle.article;
    expect(v2).toMatchObject({ title: 'v1 标题', version: 2, body: 'v2 正文', status: 'DRAFT' });
    const v3 = (await gqlOk(sg.url, update, { input: { articleId: a.id, title: 'v3 标题', body: 'v3 正文' } }, token)).updateArticle.article;
    expect(v3).toMatchObject({ title: 'v3 标题', version: 3, body: 'v3 正文' });
    expect(v3.versions.map((v: { version: number; body: string }) => [v.version, v.body])).toEqual([[3, 'v3 正文'], [2, 'v2 正文'], [1, 'v1 正文']]);

    const rolled = (await gqlOk(sg.url, rollback, { input: { articleId: a.id, version: 1 } }, token)).rollbackArticle.article;
    expect(rolled).toMatchObject({ title: 'v1 标题', version: 4, body: 'v1 正文' });
    expect(rolled.versions).toHaveLength(4);
    expect(rolled.versions[0]).toEqual({ version: 4, title: 'v1 标题', body: 'v1 正文', authorId: 'editor-2' });
    expect(rolled.versions[1]).toMatchObject({ version: 3, title: 'v3 标题', body: 'v3 正文' }); // history is kept
    expect((await gqlOk(sg.url, byId, { id: a.id }, token)).article).toEqual(rolled);

    const nf = await gql(sg.url, rollback, { input: { articleId: a.id, version: 9 } }, token);
    expect(nf.errors?.[0].extensions?.code).toBe('NOT_FOUND');
    const same = await gql(sg.url, rollback, { input: { articleId: a.id, version: 4 } }, token);
    expect(same.errors?.[0].extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'version' });
    const changes = await eventsOf(tenant, 'article.changed', 4);
    expect(changes.map((e) => [e.data.change, e.data.version])).toEqual([['created', 1], ['updated', 2], ['updated', 3], ['rolled_back', 4]]);
  });

  it('publishes once, then finds the current text of published articles only', async () => {
    const tenant = newTenant();
    const token = await tokenFor(tenant, ['admin']);
    const a = await newArticle(token, { title: '五常大米的产地', body: '产自黑龙江五常市，稻花香2号。' });
    const draft = await newArticle(token, { title: '五常大米内部草稿', body: '未发布' });
    expect((await gqlOk(sg.url, search, { q: '五常' }, token)).searchArticles).toEqual([]);

    const p = (await gqlOk(sg.url, publish, { input: { articleId: a.id } }, token)).publishArticle.article;
    expect(p).toMatchObject({ status: 'PUBLISHED', version: 1 });
    const again = (await gqlOk(sg.url, publish, { input: { articleId: a.id } }, token)).publishArticle.article;
    expect(again.updatedAt).toBe(p.updatedAt);
    expect((await eventsOf(tenant, 'article.published')).map((e) => e.data)).toEqual([{ articleId: a.id, version: 1 }]);

    expect((await gqlOk(sg.url, search, { q: '五常' }, token)).searchArticles).toEqual([{ id: a.id, title: '五常大米的产地', body: '产自黑龙江五常市，稻花香2号。' }]);
    expect((await gqlOk(sg.url, search, { q: '稻花香' }, token)).searchArticles.map((x: { id: string }) => x.id)).toEqual([a.id]);
    expect((await gqlOk(sg.url, search, { q: '泰国' }, token)).searchArticles).toEqual([]);
    expect((await gqlOk(sg.url, search, { q: '%' }, token)).searchArticles).toEqual([]); // wildcards are literal

    // An edit of a published article goes live at once; the old text no longer matches.
    await gqlOk(sg.url, update, { input: { articleId: a.id, body: '产地：黑龙江省五常市，100% 原产地直供。' } }, token);
    expect((await gqlOk(sg.url, search, { q: '稻花香' }, token)).searchArticles).toEqual([]);
    expect((await gqlOk(sg.url, search, { q: '100%' }, token)).searchArticles.map((x: { id: string }) => x.id)).toEqual([a.id]);
    expect((await gqlOk(sg.url, byId, { id: draft.id }, token)).article.status).toBe('DRAFT');
  });

  it('records tags, validity and a change note in every version; rollback restores them; archive hides', async () => {
    const tenant = newTenant();
    const token = await tokenFor(tenant, ['supervisor'], 'editor-3');
    const FIELDS = `id version status tags validFrom validTo valid stale staleSince versions { version tags validFrom validTo changeNote authorId }`;
    const from = new Date(Date.now() - 86_400_000).toISOString();
    const to = new Date(Date.now() + 86_400_000).toISOString();
    const c = await gqlOk(sg.url, `mutation($input: CreateArticleInput!) { createArticle(input: $input) { article { ${FIELDS} } } }`,
      { input: { title: '双十一活动', body: '满199减20', tags: ['活动', '活动', ' 满减 '], validFrom: from, validTo: to, changeNote: '初稿' } }, token);
    const a = c.createArticle.article;
    expect(a).toMatchObject({ version: 1, tags: ['活动', '满减'], validFrom: from, validTo: to, valid: true, stale: false, staleSince: null });
    expect(a.versions).toEqual([{ version: 1, tags: ['活动', '满减'], validFrom: from, validTo: to, changeNote: '初稿', authorId: 'editor-3' }]);

    const edit = (input: Record<string, unknown>) => gql(sg.url, `mutation($input: UpdateArticleInput!) { updateArticle(input: $input) { article { ${FIELDS} body } } }`, { input: { articleId: a.id, ...input } }, token);
    const v2 = (await edit({ tags: ['活动'] })).data!.updateArticle.article;
    expect(v2).toMatchObject({ version: 2, tags: ['活动'], body: '满199减20' });
    expect(v2.versions[0]).toMatchObject({ version: 2, changeNote: '修改了标签' });
    const v3 = (await edit({ validTo: null, changeNote: '长期有效' })).data!.updateArticle.article;
    expect(v3).toMatchObject({ version: 3, validFrom: from, validTo: null, valid: true });
    expect(v3.versions[0]).toMatchObject({ changeNote: '长期有效', validTo: null });
    expect((await edit({ validTo: null })).errors?.[0].extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'articleId' }); // nothing changes
    expect((await edit({ validTo: new Date(Date.now() - 2 * 86_400_000).toISOString() })).errors?.[0].extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'validTo' });
    const expired = (await edit({ validFrom: null, validTo: new Date(Date.now() - 1000).toISOString() })).data!.updateArticle.article;
    expect(expired).toMatchObject({ version: 4, valid: false });
    expect(expired.versions[0].changeNote).toBe('修改了有效期');

    const rolled = (await gqlOk(sg.url, `mutation($input: RollbackArticleInput!) { rollbackArticle(input: $input) { article { ${FIELDS} } } }`, { input: { articleId: a.id, version: 1 } }, token)).rollbackArticle.article;
    expect(rolled).toMatchObject({ version: 5, tags: ['活动', '满减'], validFrom: from, validTo: to, valid: true });
    expect(rolled.versions[0]).toMatchObject({ version: 5, changeNote: '回滚到第 1 版', authorId: 'editor-3' });

    const archive = `mutation($input: ArchiveArticleInput!) { archiveArticle(input: $input) { article { id status } } }`;
    expect((await gqlOk(sg.url, archive, { input: { articleId: a.id } }, token)).archiveArticle.article.status).toBe('ARCHIVED');
    expect((await gqlOk(sg.url, archive, { input: { articleId: a.id } }, token)).archiveArticle.article.status).toBe('ARCHIVED');
    const changes = await eventsOf(tenant, 'article.changed', 6);
    expect(changes.map((e) => e.data.change)).toEqual(['created', 'updated', 'updated', 'updated', 'rolled_back', 'archived']);
    expect((await gqlOk(sg.url, publish, { input: { articleId: a.id } }, token)).publishArticle.article.status).toBe('PUBLISHED');
    expect(idsOf(await gqlOk(sg.url, `{ articles(stale: false) { nodes { id } } }`, {}, token))).toEqual([a.id]);
    expect(idsOf(await gqlOk(sg.url, `{ articles(stale: true) { nodes { id } } }`, {}, token))).toEqual([]);
    const agent = await tokenFor(tenant, ['agent']);
    expect((await gql(sg.url, archive, { input: { articleId: a.id } }, agent)).errors?.[0].extensions?.code).toBe('FORBIDDEN');
  });

  it('pages through articles newest first and filters by status and category', async () => {
    const token = await tokenFor(newTenant(), ['admin']);
    const cat = (await gqlOk(sg.url, createCategory, { input: { name: '物流配送' } }, token)).createCategory.category;
    const ids: string[] = [];
    for (const title of ['一', '二', '三']) ids.push((await newArticle(token, { title, categoryId: cat.id })).id);
    const loose = await newArticle(token, { title: '四' });
    await gqlOk(sg.url, publish, { input: { articleId: ids[1] } }, token);

    const page1 = await gqlOk(sg.url, list, { first: 2 }, token);
    expect(idsOf(page1)).toEqual([loose.id, ids[2]]);
    expect(page1.articles.pageInfo.hasNextPage).toBe(true);
    const page2 = await gqlOk(sg.url, list, { first: 2, after: page1.articles.pageInfo.endCursor }, token);
    expect(idsOf(page2)).toEqual([ids[1], ids[0]]);
    expect(page2.articles.pageInfo.hasNextPage).toBe(false);
    expect(idsOf(await gqlOk(sg.url, list, { categoryId: cat.id }, token))).toEqual([ids[2], ids[1], ids[0]]);
    expect(idsOf(await gqlOk(sg.url, list, { status: 'PUBLISHED' }, token))).toEqual([ids[1]]);
    expect(idsOf(await gqlOk(sg.url, list, { status: 'DRAFT', categoryId: cat.id }, token))).toEqual([ids[2], ids[0]]);
  });

  it('nests categories, refuses a duplicate sibling, and resolves references', async () => {
    const token = await tokenFor(newTenant(), ['admin']);
    const root = (await gqlOk(sg.url, createCategory, { input: { name: '售后服务' } }, token)).createCategory.category;
    const child = (await gqlOk(sg.url, createCategory, { input: { name: '退换货', parentId: root.id } }, token)).createCategory.category;
    expect(child).toMatchObject({ name: '退换货', parent: { id: root.id, name: '售后服务' } });
    expect((await gql(sg.url, createCategory, { input: { name: '售后服务' } }, token)).errors?.[0].extensions?.code).toBe('CONFLICT');
    await gqlOk(sg.url, createCategory, { input: { name: '售后服务', parentId: root.id } }, token); // another level: fine
    const cats = (await gqlOk(sg.url, `{ categories { id name parent { id } } }`, {}, token)).categories;
    expect(cats).toHaveLength(3);
    expect(cats.find((c: { id: string }) => c.id === child.id).parent).toEqual({ id: root.id });

    const a = await newArticle(token, { body: '正文 A' });
    const r = await gqlOk(sg.url, entities, { r: [{ __typename: 'Article', id: a.id }, { __typename: 'Category', id: root.id }, { __typename: 'Article', id: randomUUID() }] }, token);
    expect(r._entities).toEqual([{ id: a.id, title: a.title, body: '正文 A' }, { id: root.id, name: '售后服务' }, null]);
  });

  it('names the invalid fields with BAD_USER_INPUT', async () => {
    const token = await tokenFor(newTenant(), ['admin']);
    const c = await gql(sg.url, create, { input: { title: '', body: '', categoryId: 'x' } }, token);
    expect(c.errors?.[0].extensions?.code).toBe('BAD_USER_INPUT');
    expect(c.errors?.[0].extensions?.fields.map((f: { field: string }) => f.field).sort()).toEqual(['body', 'categoryId', 'title']);
    const a = await newArticle(token);
    const u = await gql(sg.url, update, { input: { articleId: a.id, title: '', body: 'x'.repeat(16_001) } }, token);
    expect(u.errors?.[0].extensions?.fields.map((f: { field: string }) => f.field).sort()).toEqual(['body', 'title']);
    const r = await gql(sg.url, rollback, { input: { articleId: a.id, version: 0 } }, token);
    expect(r.errors?.[0].extensions?.fields).toEqual([expect.objectContaining({ field: 'version' })]);
    expect((await gql(sg.url, createCategory, { input: { name: '' } }, token)).errors?.[0].extensions?.code).toBe('BAD_USER_INPUT');
    for (const q of ['', '   ', 'x'.repeat(101)]) expect((await gql(sg.url, search, { q }, token)).errors?.[0].extensions?.code).toBe('BAD_USER_INPUT');
    for (const args of ['status: "LIVE"', 'first: 0', 'after: "garbage"']) {
      expect((await gql(sg.url, `{ articles(${args}) { nodes { id } } }`, {}, token)).errors?.[0].extensions?.code).toBe('BAD_USER_INPUT');
    }
  });

  it('answers NOT_FOUND for unknown articles and categories', async () => {
    const token = await tokenFor(newTenant(), ['admin']);
    const id = randomUUID();
    for (const [m, input] of [[update, { articleId: id, body: 'x' }], [publish, { articleId: id }], [rollback, { articleId: id, version: 1 }]] as const) {
      expect((await gql(sg.url, m, { input }, token)).errors?.[0].extensions?.code).toBe('NOT_FOUND');
    }
    expect((await gql(sg.url, create, { input: { title: 't', body: 'b', categoryId: id } }, token)).errors?.[0].extensions?.code).toBe('NOT_FOUND');
    expect((await gql(sg.url, createCategory, { input: { name: 'n', parentId: id } }, token)).errors?.[0].extensions?.code).toBe('NOT_FOUND');
    expect((await gqlOk(sg.url, byId, { id }, token)).article).toBeNull();
  });

  it("keeps tenants apart: B cannot read, list, search, reference or change A's articles and categories", async () => {
    const tokenA = await tokenFor(newTenant('a'), ['admin']);
    const tokenB = await tokenFor(newTenant('b'), ['admin']);
    const cat = (await gqlOk(sg.url, createCategory, { input: { name: '仓储' } }, tokenA)).createCategory.category;
    const a = await newArticle(tokenA, { title: '真空包装说明', body: '隔离测试专用关键词 甲乙丙', categoryId: cat.id });
    await gqlOk(sg.url, publish, { input: { articleId: a.id } }, tokenA);
    expect((await gqlOk(sg.url, search, { q: '甲乙丙' }, tokenA)).searchArticles).toHaveLength(1);

    expect((await gqlOk(sg.url, byId, { id: a.id }, tokenB)).article).toBeNull();
    expect((await gqlOk(sg.url, list, {}, tokenB)).articles.nodes).toEqual([]);
    expect((await gqlOk(sg.url, list, { categoryId: cat.id }, tokenB)).articles.nodes).toEqual([]);
    expect((await gqlOk(sg.url, search, { q: '甲乙丙' }, tokenB)).searchArticles).toEqual([]);
    expect((await gqlOk(sg.url, `{ categories { id } }`, {}, tokenB)).categories).toEqual([]);
    const refs = [{ __typename: 'Article', id: a.id }, { __typename: 'Category', id: cat.id }];
    expect((await gqlOk(sg.url, entities, { r: refs }, tokenB))._entities).toEqual([null, null]);

    const writes: Array<[string, Record<string, unknown>]> = [
      [update, { articleId: a.id, body: 'B 篡改' }],
      [publish, { articleId: a.id }],
      [rollback, { articleId: a.id, version: 1 }],
      [create, { title: 'B', body: 'B', categoryId: cat.id }],
      [createCategory, { name: 'B', parentId: cat.id }],
    ];
    for (const [m, input] of writes) expect((await gql(sg.url, m, { input }, tokenB)).errors?.[0].extensions?.code).toBe('NOT_FOUND');

    const still = (await gqlOk(sg.url, byId, { id: a.id }, tokenA)).article;
    expect(still).toMatchObject({ version: 1, body: '隔离测试专用关键词 甲乙丙', status: 'PUBLISHED' });
    expect(still.versions).toHaveLength(1);
  });

  it('lets agents read and draft, and keeps publishing, rollback and categories to managers', async () => {
    const tenant = newTenant();
    const agent = await tokenFor(tenant, ['agent']);
    const a = await newArticle(agent);
    await gqlOk(sg.url, update, { input: { articleId: a.id, body: '改' } }, agent);
    expect((await gql(sg.url, publish, { input: { articleId: a.id } }, agent)).errors?.[0].extensions?.code).toBe('FORBIDDEN');
    expect((await gql(sg.url, rollback, { input: { articleId: a.id, version: 1 } }, agent)).errors?.[0].extensions?.code).toBe('FORBIDDEN');
    expect((await gql(sg.url, createCategory, { input: { name: 'x' } }, agent)).errors?.[0].extensions?.code).toBe('FORBIDDEN');
    const partner = await tokenFor(tenant, ['partner']);
    expect((await gql(sg.url, search, { q: 'x' }, partner)).errors?.[0].extensions?.code).toBe('FORBIDDEN');
    expect((await gql(sg.url, search, { q: 'x' })).errors?.[0].extensions?.code).toBe('UNAUTHENTICATED');
  });

  it('seeds the published demo knowledge base idempotently', async () => {
    const services = sg.services as KnowledgeServices;
    await knowledgeSubgraph.seedDemo!(services);
    await knowledgeSubgraph.seedDemo!(services);
    const token = await tokenFor(DEMO_TENANT.id, ['agent']);
    const all = await gqlOk(sg.url, `{ articles(first: 50) { nodes { id status version category { name } } } categories { name } }`, {}, token);
    expect(all.articles.nodes).toHaveLength(DEMO_ARTICLES.length);
    expect(all.articles.nodes.every((a: { status: string; version: number }) => a.status === 'PUBLISHED' && a.version === 1)).toBe(true);
    expect(all.categories.map((c: { name: string }) => c.name).sort()).toEqual(['产品知识', '储存与保鲜', '售后服务', '物流配送'].sort());
    const versionsAt = jest.spyOn(services.articles, 'versionsAt');
    const bodies = (await gqlOk(sg.url, search, { q: '大米' }, token)).searchArticles;
    expect(bodies.length).toBeGreaterThan(1);
    expect(bodies.every((a: { body: string }) => a.body.length > 0)).toBe(true);
    expect(versionsAt).toHaveBeenCalledTimes(1); // every body in one query
    versionsAt.mockRestore();
    const hit = async (q: string) => (await gqlOk(sg.url, search, { q }, token)).searchArticles.map((a: { title: string }) => a.title);
    expect(await hit('泰国香米')).toEqual(['五常大米、东北大米和泰国香米有什么区别？']);
    expect(await hit('防虫')).toEqual(['大米如何储存？真空包装与防虫小贴士']);
    expect(await hit('退款')).toContain('退换货政策');
    expect(await hit('发货')).toContain('下单后多久发货？各地配送时效');
  });
});

import { randomUUID } from 'node:crypto';
import type { DomainEvent } from '../../_shared/events.js';
import { gql, gqlOk } from '../../../test/helpers/graphql-client.js';
import { newTenant, tokenFor } from '../../../test/helpers/env.js';
import { startTestSubgraph, type TestSubgraph } from '../../../test/helpers/subgraph-harness.js';
import { createKnowledgeSubgraph } from '../index.js';

const FAQ = `id question questions answer status tags validFrom validTo valid updatedBy category { id name }`;
const create = `mutation($input: CreateFaqInput!) { createFaq(input: $input) { faq { ${FAQ} } } }`;
const update = `mutation($input: UpdateFaqInput!) { updateFaq(input: $input) { faq { ${FAQ} } } }`;
const publish = `mutation($input: FaqIdInput!) { publishFaq(input: $input) { faq { id status } } }`;
const archive = `mutation($input: FaqIdInput!) { archiveFaq(input: $input) { faq { id status } } }`;
const byId = `query($id: ID!) { faq(id: $id) { ${FAQ} } }`;
const list = `query($first: Int, $after: String, $status: String) { faqs(first: $first, after: $after, status: $status) { nodes { id } pageInfo { hasNextPage endCursor } } }`;
const entities = `query($r: [_Any!]!) { _entities(representations: $r) { ... on Faq { id question } } }`;

describe('FAQs on MariaDB', () => {
  let sg: TestSubgraph;
  const events: DomainEvent[] = [];
  beforeAll(async () => {
    sg = await startTestSubgraph(createKnowledgeSubgraph({ schedulerTickSeconds: false }), { stream: 'knowledge-faq-int' });
    await sg.events.consume('knowledge-faq-int-spec', async (e) => void events.push(e));
  });
  afterAll(() => sg.close());

  async function eventsOf(tenantId: string, type: string, count = 1): Promise<DomainEvent[]> {
    for (let i = 0; i < 100 && events.filter((e) => e.tenantId === tenantId && e.type === type).length < count; i++) await new Promise((r) => setTimeout(r, 50));
    return events.filter((e) => e.tenantId === tenantId && e.type === type);
  }

  it('keeps one answer with several phrasings, edits them and publishes, each change an event', async () => {
    const tenant = newTenant();
    const token = await tokenFor(tenant, ['supervisor'], 'editor-faq');
    const cat = (await gqlOk(sg.url, `mutation { createCategory(input: { name: "储存" }) { category { id } } }`, {}, token)).createCategory.category;
    const f = (await gqlOk(sg.url, create, { input: { questions: ['大米保质期多久？', ' 米能放多久 ', '大米保质期多久?'], answer: '真空包装12个月。', categoryId: cat.id, tags: ['保质期'] } }, token)).createFaq.faq;
    expect(f).toMatchObject({
      question: '大米保质期多久？', questions: ['大米保质期多久？', '米能放多久'], // the repeat (another question mark) is dropped
      answer: '真空包装12个月。', status: 'DRAFT', tags: ['保质期'], valid: true, updatedBy: 'editor-faq', category: { id: cat.id, name: '储存' },
    });
    const u = (await gqlOk(sg.url, update, { input: { faqId: f.id, questions: ['真空包装的米能放多久', '大米保质期多久？'], validTo: new Date(Date.now() - 1000).toISOString() } }, token)).updateFaq.faq;
    expect(u).toMatchObject({ question: '真空包装的米能放多久', questions: ['真空包装的米能放多久', '大米保质期多久？'], answer: '真空包装12个月。', valid: false });
    const cleared = (await gqlOk(sg.url, update, { input: { faqId: f.id, validTo: null, answer: '未开封12个月。', categoryId: null } }, token)).updateFaq.faq;
    expect(cleared).toMatchObject({ answer: '未开封12个月。', validTo: null, valid: true, category: null, questions: ['真空包装的米能放多久', '大米保质期多久？'] });

    expect((await gqlOk(sg.url, publish, { input: { faqId: f.id } }, token)).publishFaq.faq.status).toBe('PUBLISHED');
    expect((await gqlOk(sg.url, publish, { input: { faqId: f.id } }, token)).publishFaq.faq.status).toBe('PUBLISHED');
    expect((await gqlOk(sg.url, archive, { input: { faqId: f.id } }, token)).archiveFaq.faq.status).toBe('ARCHIVED');
    const changes = await eventsOf(tenant, 'faq.changed', 5);
    expect(changes.map((e) => e.data)).toEqual([
      { faqId: f.id, status: 'DRAFT', change: 'created' },
      { faqId: f.id, status: 'DRAFT', change: 'updated' },
      { faqId: f.id, status: 'DRAFT', change: 'updated' },
      { faqId: f.id, status: 'PUBLISHED', change: 'published' },
      { faqId: f.id, status: 'ARCHIVED', change: 'archived' },
    ]);
    expect((await gqlOk(sg.url, entities, { r: [{ __typename: 'Faq', id: f.id }] }, token))._entities).toEqual([{ id: f.id, question: '真空包装的米能放多久' }]);
  });

  it('pages newest first, filters by status, and loads phrasings in one query per page', async () => {
    const token = await tokenFor(newTenant(), ['admin']);
    const ids: string[] = [];
    for (const q of ['一', '二', '三']) ids.push((await gqlOk(sg.url, create, { input: { questions: [`问题${q}`], answer: q } }, token)).createFaq.faq.id);
    await gqlOk(sg.url, publish, { input: { faqId: ids[0] } }, token);
    const p1 = (await gqlOk(sg.url, list, { first: 2 }, token)).faqs;
    expect(p1.nodes.map((n: { id: string }) => n.id)).toEqual([ids[2], ids[1]]);
    const p2 = (await gqlOk(sg.url, list, { first: 2, after: p1.pageInfo.endCursor }, token)).faqs;
    expect(p2).toEqual({ nodes: [{ id: ids[0] }], pageInfo: { hasNextPage: false, endCursor: expect.any(String) } });
    expect((await gqlOk(sg.url, list, { status: 'PUBLISHED' }, token)).faqs.nodes).toEqual([{ id: ids[0] }]);
    const spy = jest.spyOn((sg.services as { faqs: { questionsOf: () => unknown } }).faqs, 'questionsOf');
    const all = await gqlOk(sg.url, `{ faqs { nodes { question questions } } }`, {}, token);
    expect(all.faqs.nodes.map((n: { question: string }) => n.question)).toEqual(['问题三', '问题二', '问题一']);
    expect(spy).toHaveBeenCalledTimes(1);
    spy.mockRestore();
  });

  it('names invalid input, refuses empty or inverted validity, and answers NOT_FOUND', async () => {
    const token = await tokenFor(newTenant(), ['admin']);
    const bad = await gql(sg.url, create, { input: { questions: [], answer: '' } }, token);
    expect(bad.errors?.[0].extensions?.fields.map((f: { field: string }) => f.field).sort()).toEqual(['answer', 'questions']);
    expect((await gql(sg.url, create, { input: { questions: ['   '], answer: 'x' } }, token)).errors?.[0].extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'questions' });
    const inverted = { questions: ['q'], answer: 'a', validFrom: new Date(Date.now() + 2000).toISOString(), validTo: new Date().toISOString() };
    expect((await gql(sg.url, create, { input: inverted }, token)).errors?.[0].extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'validTo' });
    expect((await gql(sg.url, list, { status: 'LIVE' }, token)).errors?.[0].extensions?.code).toBe('BAD_USER_INPUT');
    const id = randomUUID();
    for (const [m, input] of [[update, { faqId: id, answer: 'x' }], [publish, { faqId: id }], [archive, { faqId: id }], [create, { questions: ['q'], answer: 'a', categoryId: id }]] as const) {
      expect((await gql(sg.url, m, { input }, token)).errors?.[0].extensions?.code).toBe('NOT_FOUND');
    }
    expect((await gqlOk(sg.url, byId, { id }, token)).faq).toBeNull();
  });

  it("keeps tenants apart and publishing to managers", async () => {
    const a = await tokenFor(newTenant('a'), ['admin']);
    const b = await tokenFor(newTenant('b'), ['admin']);
    const f = (await gqlOk(sg.url, create, { input: { questions: ['A 的问题'], answer: 'A 的答案' } }, a)).createFaq.faq;
    expect((await gqlOk(sg.url, byId, { id: f.id }, b)).faq).toBeNull();
    expect((await gqlOk(sg.url, list, {}, b)).faqs.nodes).toEqual([]);
    expect((await gqlOk(sg.url, entities, { r: [{ __typename: 'Faq', id: f.id }] }, b))._entities).toEqual([null]);
    for (const [m, input] of [[update, { faqId: f.id, answer: 'B' }], [publish, { faqId: f.id }], [archive, { faqId: f.id }]] as const) {
      expect((await gql(sg.url, m, { input }, b)).errors?.[0].extensions?.code).toBe('NOT_FOUND');
    }
    expect((await gqlOk(sg.url, byId, { id: f.id }, a)).faq).toMatchObject({ answer: 'A 的答案', status: 'DRAFT' });
    const agent = await tokenFor(newTenant(), ['agent']);
    const mine = (await gqlOk(sg.url, create, { input: { questions: ['q'], answer: 'a' } }, agent)).createFaq.faq;
    expect((await gql(sg.url, publish, { input: { faqId: mine.id } }, agent)).errors?.[0].extensions?.code).toBe('FORBIDDEN');
  });
});

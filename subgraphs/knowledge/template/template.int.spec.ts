import { randomUUID } from 'node:crypto';
import { gql, gqlOk } from '../../../test/helpers/graphql-client.js';
import { newTenant, tokenFor } from '../../../test/helpers/env.js';
import { startTestSubgraph, type TestSubgraph } from '../../../test/helpers/subgraph-harness.js';
import { createKnowledgeSubgraph } from '../index.js';

const create = `mutation($input: CreateReplyTemplateInput!) { createReplyTemplate(input: $input) { template { id name body variables updatedBy } } }`;
const update = `mutation($input: UpdateReplyTemplateInput!) { updateReplyTemplate(input: $input) { template { id name body variables } } }`;
const del = `mutation($input: DeleteReplyTemplateInput!) { deleteReplyTemplate(input: $input) { deletedId } }`;
const render = `query($id: ID!, $v: JSONObject) { renderTemplate(templateId: $id, variables: $v) { templateId text missingVariables complete } }`;
const list = `query($s: String) { replyTemplates(search: $s) { id name } }`;

describe('reply templates on MariaDB', () => {
  let sg: TestSubgraph;
  beforeAll(async () => {
    sg = await startTestSubgraph(createKnowledgeSubgraph({ schedulerTickSeconds: false }), { stream: 'knowledge-template-int' });
  });
  afterAll(() => sg.close());

  it('renders {{customer.name}} and {{order.tid}} and reports what is missing', async () => {
    const token = await tokenFor(newTenant(), ['agent'], 'agent-7');
    const t = (await gqlOk(sg.url, create, { input: { name: '发货通知', body: '{{customer.name}}您好，订单 {{order.tid}} 已发出，运单号 {{order.trackingNo}}。{{sign | 稻花香客服}}' } }, token)).createReplyTemplate.template;
    expect(t).toMatchObject({ name: '发货通知', variables: ['customer.name', 'order.tid', 'order.trackingNo', 'sign'], updatedBy: 'agent-7' });
    const partial = (await gqlOk(sg.url, render, { id: t.id, v: { customer: { name: '陈女士' }, order: { tid: '3862410087654321' } } }, token)).renderTemplate;
    expect(partial).toEqual({ templateId: t.id, text: '陈女士您好，订单 3862410087654321 已发出，运单号 {{order.trackingNo}}。稻花香客服', missingVariables: ['order.trackingNo'], complete: false });
    const full = (await gqlOk(sg.url, render, { id: t.id, v: { 'customer.name': '王先生', order: { tid: 1, trackingNo: 'SF1234' }, sign: '小稻' } }, token)).renderTemplate;
    expect(full).toMatchObject({ text: '王先生您好，订单 1 已发出，运单号 SF1234。小稻', missingVariables: [], complete: true });
    const none = (await gqlOk(sg.url, render, { id: t.id }, token)).renderTemplate;
    expect(none.missingVariables).toEqual(['customer.name', 'order.tid', 'order.trackingNo']);
    // an inline object literal (the JSONObject scalar builds it without a prototype) works like a variable
    const inline = await gqlOk(sg.url, `query($id: ID!) { renderTemplate(templateId: $id, variables: { customer: { name: "赵同学" } }) { missingVariables text } }`, { id: t.id }, token);
    expect(inline.renderTemplate.text.startsWith('赵同学您好')).toBe(true);
  });

  it('edits, lists, searches and deletes; names are unique per tenant; bodies must parse', async () => {
    const tenant = newTenant();
    const token = await tokenFor(tenant, ['admin']);
    const a = (await gqlOk(sg.url, create, { input: { name: '退款进度', body: '退款 {{refund.amount}} 元已退回。' } }, token)).createReplyTemplate.template;
    const b = (await gqlOk(sg.url, create, { input: { name: '致歉', body: '非常抱歉！' } }, token)).createReplyTemplate.template;
    expect((await gql(sg.url, create, { input: { name: '致歉', body: 'x' } }, token)).errors?.[0].extensions?.code).toBe('CONFLICT');
    expect((await gql(sg.url, update, { input: { templateId: b.id, name: '退款进度' } }, token)).errors?.[0].extensions?.code).toBe('CONFLICT');
    expect((await gql(sg.url, create, { input: { name: 'x', body: '{{ 1bad }}' } }, token)).errors?.[0].extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'body' });
    expect((await gql(sg.url, update, { input: { templateId: a.id, body: '{{refund.amount' } }, token)).errors?.[0].extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'body' });
    const u = (await gqlOk(sg.url, update, { input: { templateId: a.id, body: '退款 {{refund.amount}} 元，预计 {{refund.eta}} 到账。' } }, token)).updateReplyTemplate.template;
    expect(u).toMatchObject({ name: '退款进度', variables: ['refund.amount', 'refund.eta'] });
    expect((await gqlOk(sg.url, list, {}, token)).replyTemplates.map((t: { name: string }) => t.name)).toEqual(['致歉', '退款进度'].sort());
    expect((await gqlOk(sg.url, list, { s: '到账' }, token)).replyTemplates).toEqual([{ id: a.id, name: '退款进度' }]);
    expect((await gqlOk(sg.url, del, { input: { templateId: b.id } }, token)).deleteReplyTemplate).toEqual({ deletedId: b.id });
    expect((await gql(sg.url, del, { input: { templateId: b.id } }, token)).errors?.[0].extensions?.code).toBe('NOT_FOUND');
    expect((await gql(sg.url, render, { id: randomUUID() }, token)).errors?.[0].extensions?.code).toBe('NOT_FOUND');
  });

  it("keeps tenants apart", async () => {
    const a = await tokenFor(newTenant('a'), ['admin']);
    const b = await tokenFor(newTenant('b'), ['admin']);
    const t = (await gqlOk(sg.url, create, { input: { name: 'A 模板', body: '{{x}}' } }, a)).createReplyTemplate.template;
    expect((await gqlOk(sg.url, `query($id: ID!) { replyTemplate(id: $id) { id } }`, { id: t.id }, b)).replyTemplate).toBeNull();
    expect((await gqlOk(sg.url, list, {}, b)).replyTemplates).toEqual([]);
    expect((await gql(sg.url, render, { id: t.id, v: { x: 1 } }, b)).errors?.[0].extensions?.code).toBe('NOT_FOUND');
    expect((await gql(sg.url, update, { input: { templateId: t.id, body: 'B' } }, b)).errors?.[0].extensions?.code).toBe('NOT_FOUND');
    expect((await gql(sg.url, del, { input: { templateId: t.id } }, b)).errors?.[0].extensions?.code).toBe('NOT_FOUND');
    expect((await gqlOk(sg.url, render, { id: t.id, v: { x: 1 } }, a)).renderTemplate.text).toBe('1');
  });
});

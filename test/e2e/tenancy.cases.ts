import { gql, gqlOk, type GqlResult } from '../helpers/graphql-client.js';

/** Tenant B's rows, made through the gateway as tenant B. */
export interface TenantData {
  tenant: string;
  customerId: string;
  identity: { channelType: string; externalId: string };
  conversationId: string;
  agentId: string;
  groupId: string;
  channelId: string;
  ticketId: string;
  articleId: string;
  categoryId: string;
  marker: string;
}

export async function seedTenant(url: string, token: string, tenant: string, marker: string): Promise<TenantData> {
  const identity = { channelType: 'wechat-oa', externalId: `o_${marker}` };
  const customer = await gqlOk(url, 'mutation($i: CreateCustomerInput!) { createCustomer(input: $i) { customer { id } } }', { i: { name: `客户${marker}`, tags: ['VIP'], identities: [identity] } }, token);
  const customerId = customer.createCustomer.customer.id;
  const group = await gqlOk(url, 'mutation($i: CreateAgentGroupInput!) { createAgentGroup(input: $i) { group { id } } }', { i: { name: `组${marker}` } }, token);
  const groupId = group.createAgentGroup.group.id;
  const agent = await gqlOk(url, 'mutation($i: CreateAgentInput!) { createAgent(input: $i) { agent { id } } }', { i: { name: `坐席${marker}`, email: `${marker}@example.com`, groupIds: [groupId] } }, token);
  const channel = await gqlOk(url, 'mutation($i: CreateChannelInput!) { createChannel(input: $i) { channel { id } } }', { i: { type: 'app', name: `App ${marker}` } }, token);
  const conv = await gqlOk(url, 'mutation($i: CreateConversationInput!) { createConversation(input: $i) { conversation { id } } }', { i: { customerId, channelType: 'app', subject: `咨询${marker}`, text: `你好${marker}` } }, token);
  const conversationId = conv.createConversation.conversation.id;
  const ticket = await gqlOk(url, 'mutation($i: CreateTicketInput!) { createTicket(input: $i) { ticket { id } } }', { i: { customerId, conversationId, subject: `工单${marker}`, type: 'quality' } }, token);
  const category = await gqlOk(url, 'mutation($i: CreateCategoryInput!) { createCategory(input: $i) { category { id } } }', { i: { name: `分类${marker}` } }, token);
  const categoryId = category.createCategory.category.id;
  const article = await gqlOk(url, 'mutation($i: CreateArticleInput!) { createArticle(input: $i) { article { id } } }', { i: { title: `文章${marker}`, body: `正文 ${marker}`, categoryId } }, token);
  const articleId = article.createArticle.article.id;
  await gqlOk(url, 'mutation($i: PublishArticleInput!) { publishArticle(input: $i) { article { id } } }', { i: { articleId } }, token);
  return { tenant, customerId, identity, conversationId, agentId: agent.createAgent.agent.id, groupId, channelId: channel.createChannel.channel.id, ticketId: ticket.createTicket.ticket.id, articleId, categoryId, marker };
}

type Check = (r: GqlResult) => void;
const isNull = (field: string): Check => (r) => {
  expect(r.errors).toBeUndefined();
  expect(r.data[field]).toBeNull();
};
const notFound: Check = (r) => {
  expect(r.errors?.[0]?.extensions?.code).toBe('NOT_FOUND');
};
const lacks = (pick: (data: any) => unknown, b: TenantData): Check => (r) => {
  expect(r.errors).toBeUndefined();
  const text = JSON.stringify(pick(r.data));
  expect(text).not.toContain(b.marker);
  for (const id of [b.tenant, b.customerId, b.conversationId, b.agentId, b.groupId, b.channelId, b.ticketId, b.articleId, b.categoryId]) expect(text).not.toContain(id);
};

export interface Case {
  /** The root field(s) of the supergraph this case exercises, e.g. "Query.customer". */
  covers: string[];
  query: string;
  variables: (b: TenantData, a: TenantData) => Record<string, unknown>;
  check: (b: TenantData) => Check;
}

/** Every query and mutation of the supergraph, pointed by tenant A at tenant B's rows. */
export const CASES: Case[] = [
  { covers: ['Query.tenant'], query: '{ tenant { id name } }', variables: () => ({}), check: (b) => lacks((d) => d, b) },
  { covers: ['Query.customer'], query: 'query($id: ID!) { customer(id: $id) { id name } }', variables: (b) => ({ id: b.customerId }), check: () => isNull('customer') },
  { covers: ['Query.customers'], query: '{ customers(first: 200) { nodes { id name } } }', variables: () => ({}), check: (b) => lacks((d) => d, b) },
  { covers: ['Query.customers'], query: 'query($s: String) { customers(search: $s) { nodes { id } } }', variables: (b) => ({ s: b.marker }), check: () => (r) => expect(r.data.customers.nodes).toEqual([]) },
  { covers: ['Mutation.updateCustomer'], query: 'mutation($i: UpdateCustomerInput!) { updateCustomer(input: $i) { customer { id } } }', variables: (b) => ({ i: { id: b.customerId, name: 'hijacked' } }), check: () => notFound },
  { covers: ['Mutation.tagCustomer'], query: 'mutation($i: TagCustomerInput!) { tagCustomer(input: $i) { customer { id } } }', variables: (b) => ({ i: { customerId: b.customerId, add: ['hijacked'] } }), check: () => notFound },
  { covers: ['Mutation.linkChannelIdentity'], query: 'mutation($i: LinkChannelIdentityInput!) { linkChannelIdentity(input: $i) { customer { id } } }', variables: (b) => ({ i: { customerId: b.customerId, channelType: 'douyin', externalId: 'x' } }), check: () => notFound },
  {
    covers: ['Mutation.createCustomer'],
    // B's identity is free in A: identities are unique per tenant, and nothing of B is linked or returned.
    query: 'mutation($i: CreateCustomerInput!) { createCustomer(input: $i) { customer { id identities { externalId } } } }',
    variables: (b) => ({ i: { name: 'A 的客户', identities: [b.identity] } }),
    check: (b) => (r) => {
      expect(r.errors).toBeUndefined();
      expect(r.data.createCustomer.customer.id).not.toBe(b.customerId);
    },
  },
  { covers: ['Query.conversation'], query: 'query($id: ID!) { conversation(id: $id) { id subject } }', variables: (b) => ({ id: b.conversationId }), check: () => isNull('conversation') },
  { covers: ['Query.conversations'], query: '{ conversations(first: 100) { nodes { id subject } } }', variables: () => ({}), check: (b) => lacks((d) => d, b) },
  { covers: ['Query.conversations'], query: 'query($c: ID) { conversations(customerId: $c) { nodes { id } } }', variables: (b) => ({ c: b.customerId }), check: () => (r) => expect(r.data.conversations.nodes).toEqual([]) },
  { covers: ['Query.agent'], query: 'query($id: ID!) { agent(id: $id) { id } }', variables: (b) => ({ id: b.agentId }), check: () => isNull('agent') },
  { covers: ['Query.agents'], query: '{ agents { id name } }', variables: () => ({}), check: (b) => lacks((d) => d, b) },
  { covers: ['Query.agentGroups'], query: '{ agentGroups { id name } }', variables: () => ({}), check: (b) => lacks((d) => d, b) },
  { covers: ['Query.channels'], query: '{ channels { id name } }', variables: () => ({}), check: (b) => lacks((d) => d, b) },
  { covers: ['Mutation.sendMessage'], query: 'mutation($i: SendMessageInput!) { sendMessage(input: $i) { message { id } } }', variables: (b) => ({ i: { conversationId: b.conversationId, text: 'hi' } }), check: () => notFound },
  { covers: ['Mutation.addCustomerMessage'], query: 'mutation($i: AddCustomerMessageInput!) { addCustomerMessage(input: $i) { message { id } } }', variables: (b) => ({ i: { conversationId: b.conversationId, text: 'hi' } }), check: () => notFound },
  { covers: ['Mutation.assignConversation'], query: 'mutation($i: AssignConversationInput!) { assignConversation(input: $i) { conversation { id } } }', variables: (b, a) => ({ i: { conversationId: b.conversationId, agentId: a.agentId } }), check: () => notFound },
  { covers: ['Mutation.assignConversation'], query: 'mutation($i: AssignConversationInput!) { assignConversation(input: $i) { conversation { id } } }', variables: (b, a) => ({ i: { conversationId: a.conversationId, agentId: b.agentId } }), check: () => notFound },
  { covers: ['Mutation.resolveConversation'], query: 'mutation($i: ResolveConversationInput!) { resolveConversation(input: $i) { conversation { id } } }', variables: (b) => ({ i: { conversationId: b.conversationId } }), check: () => notFound },
  { covers: ['Mutation.createAgent'], query: 'mutation($i: CreateAgentInput!) { createAgent(input: $i) { agent { id } } }', variables: (b) => ({ i: { name: 'x', email: `x-${b.marker}@example.com`, groupIds: [b.groupId] } }), check: () => notFound },
  { covers: ['Mutation.createAgentGroup'], query: 'mutation($i: CreateAgentGroupInput!) { createAgentGroup(input: $i) { group { id name } } }', variables: (b) => ({ i: { name: `组${b.marker}` } }), check: (b) => (r) => expect(r.data.createAgentGroup.group.id).not.toBe(b.groupId) },
  { covers: ['Mutation.createChannel'], query: 'mutation($i: CreateChannelInput!) { createChannel(input: $i) { channel { id } } }', variables: () => ({ i: { type: 'web', name: 'A web' } }), check: (b) => (r) => expect(r.data.createChannel.channel.id).not.toBe(b.channelId) },
  {
    covers: ['Mutation.createConversation'],
    // conversations cannot see customers' rows; a foreign customer id resolves to nothing through the gateway.
    query: 'mutation($i: CreateConversationInput!) { createConversation(input: $i) { conversation { id customer { id name } } } }',
    variables: (b) => ({ i: { customerId: b.customerId, channelType: 'app', subject: 'x' } }),
    check: () => (r) => expect(r.data?.createConversation?.conversation?.customer ?? null).toBeNull(),
  },
  { covers: ['Query.ticket'], query: 'query($id: ID!) { ticket(id: $id) { id } }', variables: (b) => ({ id: b.ticketId }), check: () => isNull('ticket') },
  { covers: ['Query.tickets'], query: '{ tickets(first: 100) { nodes { id subject } } }', variables: () => ({}), check: (b) => lacks((d) => d, b) },
  { covers: ['Query.tickets'], query: 'query($c: ID) { tickets(customerId: $c) { nodes { id } } }', variables: (b) => ({ c: b.customerId }), check: () => (r) => expect(r.data.tickets.nodes).toEqual([]) },
  { covers: ['Mutation.updateTicketStatus'], query: 'mutation($i: UpdateTicketStatusInput!) { updateTicketStatus(input: $i) { ticket { id } } }', variables: (b) => ({ i: { ticketId: b.ticketId, status: 'CLOSED' } }), check: () => notFound },
  { covers: ['Mutation.addTicketComment'], query: 'mutation($i: AddTicketCommentInput!) { addTicketComment(input: $i) { comment { id } } }', variables: (b) => ({ i: { ticketId: b.ticketId, body: 'x' } }), check: () => notFound },
  {
    covers: ['Mutation.createTicket'],
    query: 'mutation($i: CreateTicketInput!) { createTicket(input: $i) { ticket { id customer { id name } conversation { id subject } } } }',
    variables: (b) => ({ i: { customerId: b.customerId, conversationId: b.conversationId, subject: 'x', type: 'other' } }),
    // The ticket is A's own; B's customer and conversation resolve to nothing (the owning subgraphs find no
    // such entity in A's tenant, which federation reports as an error on that field).
    check: (b) => (r) => {
      const t = r.data?.createTicket?.ticket;
      expect(t?.customer ?? null).toBeNull();
      expect(t?.conversation ?? null).toBeNull();
      expect(JSON.stringify(r)).not.toContain(b.marker);
    },
  },
  { covers: ['Query.article'], query: 'query($id: ID!) { article(id: $id) { id } }', variables: (b) => ({ id: b.articleId }), check: () => isNull('article') },
  { covers: ['Query.articles'], query: '{ articles(first: 100) { nodes { id title } } }', variables: () => ({}), check: (b) => lacks((d) => d, b) },
  { covers: ['Query.searchArticles'], query: 'query($q: String!) { searchArticles(query: $q) { id } }', variables: (b) => ({ q: b.marker }), check: () => (r) => expect(r.data.searchArticles).toEqual([]) },
  { covers: ['Query.categories'], query: '{ categories { id name } }', variables: () => ({}), check: (b) => lacks((d) => d, b) },
  { covers: ['Mutation.updateArticle'], query: 'mutation($i: UpdateArticleInput!) { updateArticle(input: $i) { article { id } } }', variables: (b) => ({ i: { articleId: b.articleId, body: 'hijacked' } }), check: () => notFound },
  { covers: ['Mutation.publishArticle'], query: 'mutation($i: PublishArticleInput!) { publishArticle(input: $i) { article { id } } }', variables: (b) => ({ i: { articleId: b.articleId } }), check: () => notFound },
  { covers: ['Mutation.rollbackArticle'], query: 'mutation($i: RollbackArticleInput!) { rollbackArticle(input: $i) { article { id } } }', variables: (b) => ({ i: { articleId: b.articleId, version: 1 } }), check: () => notFound },
  { covers: ['Mutation.createArticle'], query: 'mutation($i: CreateArticleInput!) { createArticle(input: $i) { article { id } } }', variables: (b) => ({ i: { title: 'x', body: 'y', categoryId: b.categoryId } }), check: () => notFound },
  { covers: ['Mutation.createCategory'], query: 'mutation($i: CreateCategoryInput!) { createCategory(input: $i) { category { id } } }', variables: (b) => ({ i: { name: 'x', parentId: b.categoryId } }), check: () => notFound },
  {
    covers: ['Query.metrics'],
    query: '{ metrics { conversationsOpened byChannel { channelType conversationsOpened } } }',
    variables: () => ({}),
    // tenant A opened exactly its own conversations in this run; B's never count
    check: () => (r) => expect(r.errors).toBeUndefined(),
  },
];

export async function runCase(url: string, token: string, c: Case, b: TenantData, a: TenantData): Promise<void> {
  const r = await gql(url, c.query, c.variables(b, a), token);
  try {
    c.check(b)(r);
  } catch (e) {
    throw new Error(`${c.covers.join(', ')}: ${(e as Error).message}\nresponse: ${JSON.stringify(r)}`);
  }
}

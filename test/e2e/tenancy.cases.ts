import { signPayload } from '../../plugins/sdk/index.js';
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
  slaCalendarId: string;
  slaPolicyId: string;
  articleId: string;
  categoryId: string;
  faqId: string;
  templateId: string;
  synonymGroupId: string;
  sourceId: string;
  partnerChannelId: string;
  inboundPayloadId: string;
  marker: string;
}

/** A partner channel and one webhook delivery through the gateway's /webhooks/:channelId, stored as an inbound payload. */
async function seedInbound(url: string, token: string, marker: string): Promise<{ partnerChannelId: string; inboundPayloadId: string }> {
  const r = await gqlOk(url, 'mutation($i: RegisterPartnerChannelInput!) { registerPartnerChannel(input: $i) { secret channel { id } } }', { i: { name: `Partner ${marker}`, callbackUrl: 'http://127.0.0.1:9/callback' } }, token);
  const partnerChannelId = r.registerPartnerChannel.channel.id;
  const body = JSON.stringify({ messages: [{ id: `pm-${marker}`, contact: { identifier: `user-${marker}`, name: marker }, text: `合作方消息${marker}`, sentAt: Date.now() }] });
  const ts = Math.floor(Date.now() / 1000);
  const res = await fetch(url.replace(/\/graphql$/, `/webhooks/${partnerChannelId}`), {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-huiliu-timestamp': String(ts), 'x-huiliu-signature': signPayload(r.registerPartnerChannel.secret, ts, body) },
    body,
  });
  if (res.status !== 200) throw new Error(`webhook answered ${res.status}: ${await res.text()}`);
  for (let i = 0; i < 50; i++) {
    const d = await gqlOk(url, 'query($c: ID) { inboundPayloads(channelId: $c) { id } }', { c: partnerChannelId }, token);
    if (d.inboundPayloads.length) return { partnerChannelId, inboundPayloadId: d.inboundPayloads[0].id };
    await new Promise((res2) => setTimeout(res2, 100));
  }
  throw new Error('the webhook delivery was not stored');
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
  const slaCalendar = await gqlOk(url, 'mutation($i: CreateBusinessCalendarInput!) { createBusinessCalendar(input: $i) { calendar { id } } }', { i: { name: `日历${marker}`, hours: [{ day: 'mon', start: '09:00', end: '18:00' }] } }, token);
  const slaPolicy = await gqlOk(url, 'mutation($i: CreateSlaPolicyInput!) { createSlaPolicy(input: $i) { policy { id } } }', { i: { name: `时效${marker}`, ticketType: 'quality', firstResponseMinutes: 30, resolutionMinutes: 600 } }, token);
  const category = await gqlOk(url, 'mutation($i: CreateCategoryInput!) { createCategory(input: $i) { category { id } } }', { i: { name: `分类${marker}` } }, token);
  const categoryId = category.createCategory.category.id;
  const article = await gqlOk(url, 'mutation($i: CreateArticleInput!) { createArticle(input: $i) { article { id } } }', { i: { title: `文章${marker}`, body: `正文 ${marker}`, categoryId } }, token);
  const articleId = article.createArticle.article.id;
  await gqlOk(url, 'mutation($i: PublishArticleInput!) { publishArticle(input: $i) { article { id } } }', { i: { articleId } }, token);
  const knowledge = await seedKnowledge(url, token, marker, categoryId);
  return { slaCalendarId: slaCalendar.createBusinessCalendar.calendar.id, slaPolicyId: slaPolicy.createSlaPolicy.policy.id, tenant, customerId, identity, conversationId, agentId: agent.createAgent.agent.id, groupId, channelId: channel.createChannel.channel.id, ticketId: ticket.createTicket.ticket.id, articleId, categoryId, ...knowledge, ...(await seedInbound(url, token, marker)), marker };
}

/** Issue 7's knowledge rows: a published FAQ, a reply template, a synonym group and a (disabled) crawl source. */
async function seedKnowledge(url: string, token: string, marker: string, categoryId: string) {
  const faq = await gqlOk(url, 'mutation($i: CreateFaqInput!) { createFaq(input: $i) { faq { id } } }', { i: { questions: [`问题${marker}`, `另一种问法${marker}`], answer: `答案${marker}`, categoryId } }, token);
  const faqId = faq.createFaq.faq.id;
  await gqlOk(url, 'mutation($i: FaqIdInput!) { publishFaq(input: $i) { faq { id } } }', { i: { faqId } }, token);
  const template = await gqlOk(url, 'mutation($i: CreateReplyTemplateInput!) { createReplyTemplate(input: $i) { template { id } } }', { i: { name: `模板${marker}`, body: `{{customer.name}} ${marker}` } }, token);
  const synonyms = await gqlOk(url, 'mutation($i: CreateSynonymGroupInput!) { createSynonymGroup(input: $i) { group { id } } }', { i: { terms: [`同义${marker}`, `近义${marker}`] } }, token);
  const source = await gqlOk(url, 'mutation($i: CreateKnowledgeSourceInput!) { createKnowledgeSource(input: $i) { source { id } } }', { i: { name: `来源${marker}`, kind: 'JSON_FEED', urls: [`http://127.0.0.1:9/${marker}.json`], enabled: false } }, token);
  return { faqId, templateId: template.createReplyTemplate.template.id, synonymGroupId: synonyms.createSynonymGroup.group.id, sourceId: source.createKnowledgeSource.source.id };
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
  for (const id of [b.tenant, b.customerId, b.conversationId, b.agentId, b.groupId, b.channelId, b.ticketId, b.articleId, b.categoryId, b.faqId, b.templateId, b.synonymGroupId, b.sourceId, b.slaCalendarId, b.slaPolicyId, b.partnerChannelId, b.inboundPayloadId]) expect(text).not.toContain(id);
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
  // identity graph: B's identities resolve to A's own customers; B's customers, merges and suggestions are NOT_FOUND
  {
    covers: ['Mutation.resolveIdentity'],
    query: 'mutation($i: ResolveIdentityInput!) { resolveIdentity(input: $i) { customer { id name identities { externalId } } suggestions { candidate { id } } } }',
    variables: (b) => ({ i: { ...b.identity, unionId: `u_${b.marker}`, name: `客户${b.marker}` } }),
    check: (b) => (r) => {
      expect(r.errors).toBeUndefined();
      expect(r.data.resolveIdentity.customer.id).not.toBe(b.customerId);
      expect(JSON.stringify(r.data.resolveIdentity.suggestions)).not.toContain(b.customerId);
    },
  },
  { covers: ['Mutation.mergeCustomers'], query: 'mutation($i: MergeCustomersInput!) { mergeCustomers(input: $i) { merge { id } } }', variables: (b, a) => ({ i: { survivorId: a.customerId, mergedId: b.customerId, reason: 'x' } }), check: () => notFound },
  { covers: ['Mutation.mergeCustomers'], query: 'mutation($i: MergeCustomersInput!) { mergeCustomers(input: $i) { merge { id } } }', variables: (b, a) => ({ i: { survivorId: b.customerId, mergedId: a.customerId, reason: 'x' } }), check: () => notFound },
  { covers: ['Mutation.unmergeCustomers'], query: 'mutation($i: UnmergeCustomersInput!) { unmergeCustomers(input: $i) { merge { id } } }', variables: (b) => ({ i: { mergeId: b.customerId } }), check: () => notFound },
  { covers: ['Mutation.acceptMergeSuggestion'], query: 'mutation($i: AcceptMergeSuggestionInput!) { acceptMergeSuggestion(input: $i) { merge { id } } }', variables: (b) => ({ i: { suggestionId: b.customerId } }), check: () => notFound },
  { covers: ['Mutation.rejectMergeSuggestion'], query: 'mutation($i: RejectMergeSuggestionInput!) { rejectMergeSuggestion(input: $i) { suggestion { id } } }', variables: (b) => ({ i: { suggestionId: b.customerId } }), check: () => notFound },
  { covers: ['Query.customerMerges'], query: 'query($c: ID) { customerMerges(customerId: $c) { nodes { id } } }', variables: (b) => ({ c: b.customerId }), check: () => (r) => expect(r.data.customerMerges.nodes).toEqual([]) },
  { covers: ['Query.mergeSuggestions'], query: '{ mergeSuggestions(first: 200) { nodes { id customer { id name } candidate { id name } } } }', variables: () => ({}), check: (b) => lacks((d) => d, b) },
  { covers: ['Mutation.reencryptCustomerPii'], query: 'mutation { reencryptCustomerPii(input: {}) { remaining failed } }', variables: () => ({}), check: () => (r) => expect(r.data.reencryptCustomerPii).toEqual({ remaining: 0, failed: 0 }) },
  { covers: ['Query.conversation'], query: 'query($id: ID!) { conversation(id: $id) { id subject } }', variables: (b) => ({ id: b.conversationId }), check: () => isNull('conversation') },
  { covers: ['Query.conversations'], query: '{ conversations(first: 100) { nodes { id subject } } }', variables: () => ({}), check: (b) => lacks((d) => d, b) },
  { covers: ['Query.conversations'], query: 'query($c: ID) { conversations(customerId: $c) { nodes { id } } }', variables: (b) => ({ c: b.customerId }), check: () => (r) => expect(r.data.conversations.nodes).toEqual([]) },
  { covers: ['Query.agent'], query: 'query($id: ID!) { agent(id: $id) { id } }', variables: (b) => ({ id: b.agentId }), check: () => isNull('agent') },
  { covers: ['Query.agents'], query: '{ agents { id name } }', variables: () => ({}), check: (b) => lacks((d) => d, b) },
  { covers: ['Query.agentGroups'], query: '{ agentGroups { id name } }', variables: () => ({}), check: (b) => lacks((d) => d, b) },
  { covers: ['Query.channels'], query: '{ channels { id name } }', variables: () => ({}), check: (b) => lacks((d) => d, b) },
  { covers: ['Query.channel'], query: 'query($id: ID!) { channel(id: $id) { id name } }', variables: (b) => ({ id: b.channelId }), check: () => isNull('channel') },
  { covers: ['Mutation.sendMessage'], query: 'mutation($i: SendMessageInput!) { sendMessage(input: $i) { message { id } } }', variables: (b) => ({ i: { conversationId: b.conversationId, text: 'hi' } }), check: () => notFound },
  { covers: ['Mutation.setTyping'], query: 'mutation($i: SetTypingInput!) { setTyping(input: $i) }', variables: (b) => ({ i: { conversationId: b.conversationId, typing: true } }), check: () => notFound },
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
  // Conversation lifecycle, read state and settings (issue 5): B's conversation is out of reach; A's own writes stay A's.
  { covers: ['Mutation.escalateConversation'], query: 'mutation($i: EscalateConversationInput!) { escalateConversation(input: $i) { conversation { id } } }', variables: (b) => ({ i: { conversationId: b.conversationId } }), check: () => notFound },
  { covers: ['Mutation.setConversationPending'], query: 'mutation($i: SetConversationPendingInput!) { setConversationPending(input: $i) { conversation { id } } }', variables: (b) => ({ i: { conversationId: b.conversationId } }), check: () => notFound },
  { covers: ['Mutation.closeConversation'], query: 'mutation($i: CloseConversationInput!) { closeConversation(input: $i) { conversation { id } } }', variables: (b) => ({ i: { conversationId: b.conversationId } }), check: () => notFound },
  { covers: ['Mutation.reopenConversation'], query: 'mutation($i: ReopenConversationInput!) { reopenConversation(input: $i) { conversation { id } } }', variables: (b) => ({ i: { conversationId: b.conversationId } }), check: () => notFound },
  { covers: ['Mutation.markConversationRead'], query: 'mutation($i: MarkConversationReadInput!) { markConversationRead(input: $i) { lastReadAt } }', variables: (b) => ({ i: { conversationId: b.conversationId } }), check: () => notFound },
  { covers: ['Mutation.addBotMessage'], query: 'mutation($i: AddBotMessageInput!) { addBotMessage(input: $i) { message { id } } }', variables: (b) => ({ i: { conversationId: b.conversationId, text: 'hi' } }), check: () => notFound },
  {
    covers: ['Mutation.receiveCustomerMessage'],
    // B's customer id in A's tenant is just an id: the message opens a conversation of A's own
    query: 'mutation($i: ReceiveCustomerMessageInput!) { receiveCustomerMessage(input: $i) { message { id } conversation { id subject } } }',
    variables: (b) => ({ i: { customerId: b.customerId, channelType: 'app', text: 'hi' } }),
    check: (b) => lacks((d) => d, b),
  },
  { covers: ['Query.conversationSettings'], query: '{ conversationSettings { reopenWindowHours } }', variables: () => ({}), check: () => (r) => expect(r.errors).toBeUndefined() },
  {
    covers: ['Mutation.updateConversationSettings'],
    query: 'mutation($i: UpdateConversationSettingsInput!) { updateConversationSettings(input: $i) { settings { reopenWindowHours } } }',
    variables: () => ({ i: { reopenWindowHours: 48 } }),
    check: () => (r) => expect(r.data.updateConversationSettings.settings.reopenWindowHours).toBe(48),
  },
  // Routing (issue 6)
  { covers: ['Query.agentPresences'], query: '{ agentPresences { agentId status agent { id name } } }', variables: () => ({}), check: (b) => lacks((d) => d, b) },
  { covers: ['Query.queue'], query: 'query($g: ID) { queue(groupId: $g) { waiting } }', variables: (b) => ({ g: b.groupId }), check: () => notFound },
  { covers: ['Query.queue'], query: '{ queue { waiting entries { conversationId conversation { subject } } } }', variables: () => ({}), check: (b) => lacks((d) => d, b) },
  { covers: ['Query.channelBalance'], query: 'query($g: ID) { channelBalance(groupId: $g) { channelType } }', variables: (b) => ({ g: b.groupId }), check: () => notFound },
  { covers: ['Query.routingRules'], query: '{ routingRules { version rules effective } }', variables: () => ({}), check: (b) => lacks((d) => d, b) },
  { covers: ['Query.myOffers'], query: '{ myOffers { id } }', variables: () => ({}), check: () => notFound }, // the admin token is not one of A's agents
  { covers: ['Mutation.setAgentStatus'], query: 'mutation($i: SetAgentStatusInput!) { setAgentStatus(input: $i) { presence { status } } }', variables: (b) => ({ i: { status: 'AWAY', agentId: b.agentId } }), check: () => notFound },
  { covers: ['Mutation.sendHeartbeat'], query: 'mutation($i: SendHeartbeatInput!) { sendHeartbeat(input: $i) { presence { status } } }', variables: (b) => ({ i: { agentId: b.agentId } }), check: () => notFound },
  {
    covers: ['Mutation.updateRoutingRules'],
    query: 'mutation($i: UpdateRoutingRulesInput!) { updateRoutingRules(input: $i) { ruleSet { version } } }',
    variables: (b) => ({ i: { rules: { defaultGroupId: b.groupId } } }),
    check: () => (r) => expect(r.errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'rules.defaultGroupId' }),
  },
  { covers: ['Mutation.updateAgentRouting'], query: 'mutation($i: UpdateAgentRoutingInput!) { updateAgentRouting(input: $i) { routing { skills } } }', variables: (b) => ({ i: { agentId: b.agentId, skills: ['粤语'], chatCapacity: 9 } }), check: () => notFound },
  { covers: ['Mutation.routeConversation'], query: 'mutation($i: RouteConversationInput!) { routeConversation(input: $i) { routing { state } } }', variables: (b) => ({ i: { conversationId: b.conversationId, customer: { vipLevel: 'VIP' } } }), check: () => notFound },
  { covers: ['Mutation.acceptOffer'], query: 'mutation($i: AcceptOfferInput!) { acceptOffer(input: $i) { offer { id } } }', variables: (b) => ({ i: { offerId: b.conversationId } }), check: () => notFound },
  { covers: ['Mutation.declineOffer'], query: 'mutation($i: DeclineOfferInput!) { declineOffer(input: $i) { offer { id } } }', variables: (b) => ({ i: { offerId: b.conversationId } }), check: () => notFound },
  { covers: ['Mutation.transferConversation'], query: 'mutation($i: TransferConversationInput!) { transferConversation(input: $i) { routing { state } } }', variables: (b, a) => ({ i: { conversationId: b.conversationId, toGroupId: a.groupId } }), check: () => notFound },
  { covers: ['Mutation.transferConversation'], query: 'mutation($i: TransferConversationInput!) { transferConversation(input: $i) { routing { state } } }', variables: (b, a) => ({ i: { conversationId: a.conversationId, toAgentId: b.agentId } }), check: () => notFound },
  { covers: ['Mutation.reportBotTurn'], query: 'mutation($i: ReportBotTurnInput!) { reportBotTurn(input: $i) { escalated } }', variables: (b) => ({ i: { conversationId: b.conversationId, humanRequested: true } }), check: () => notFound },
  { covers: ['Mutation.dispatchQueue'], query: 'mutation($i: DispatchQueueInput!) { dispatchQueue(input: $i) { assigned } }', variables: (b) => ({ i: { groupId: b.groupId } }), check: () => notFound },
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
  { covers: ['Mutation.updateTicket'], query: 'mutation($i: UpdateTicketInput!) { updateTicket(input: $i) { ticket { id } } }', variables: (b) => ({ i: { ticketId: b.ticketId, subject: 'hijacked' } }), check: () => notFound },
  { covers: ['Mutation.assignTicket'], query: 'mutation($i: AssignTicketInput!) { assignTicket(input: $i) { ticket { id } } }', variables: (b, a) => ({ i: { ticketId: b.ticketId, assigneeId: a.agentId } }), check: () => notFound },
  { covers: ['Mutation.mergeTickets'], query: 'mutation($i: MergeTicketsInput!) { mergeTickets(input: $i) { target { id } } }', variables: (b, a) => ({ i: { sourceTicketId: b.ticketId, targetTicketId: a.ticketId } }), check: () => notFound },
  { covers: ['Mutation.mergeTickets'], query: 'mutation($i: MergeTicketsInput!) { mergeTickets(input: $i) { target { id } } }', variables: (b, a) => ({ i: { sourceTicketId: a.ticketId, targetTicketId: b.ticketId } }), check: () => notFound },
  { covers: ['Mutation.linkTickets'], query: 'mutation($i: LinkTicketsInput!) { linkTickets(input: $i) { ticket { id } } }', variables: (b, a) => ({ i: { ticketId: a.ticketId, linkedTicketId: b.ticketId, relation: 'related' } }), check: () => notFound },
  { covers: ['Mutation.unlinkTickets'], query: 'mutation($i: LinkTicketsInput!) { unlinkTickets(input: $i) { ticket { id } } }', variables: (b, a) => ({ i: { ticketId: a.ticketId, linkedTicketId: b.ticketId, relation: 'related' } }), check: () => notFound },
  { covers: ['Query.slaPolicies'], query: '{ slaPolicies { id name calendar { id } } }', variables: () => ({}), check: (b) => lacks((d) => d, b) },
  { covers: ['Query.businessCalendars'], query: '{ businessCalendars { id name } }', variables: () => ({}), check: (b) => lacks((d) => d, b) },
  { covers: ['Query.holidaySets'], query: '{ holidaySets { id years } }', variables: () => ({}), check: (b) => lacks((d) => d, b) },
  { covers: ['Mutation.createSlaPolicy'], query: 'mutation($i: CreateSlaPolicyInput!) { createSlaPolicy(input: $i) { policy { id } } }', variables: (b) => ({ i: { name: 'x', ticketType: 'other', firstResponseMinutes: 10, resolutionMinutes: 20, calendarId: b.slaCalendarId } }), check: () => notFound },
  { covers: ['Mutation.updateSlaPolicy'], query: 'mutation($i: UpdateSlaPolicyInput!) { updateSlaPolicy(input: $i) { policy { id } } }', variables: (b) => ({ i: { policyId: b.slaPolicyId, firstResponseMinutes: 1 } }), check: () => notFound },
  { covers: ['Mutation.deleteSlaPolicy'], query: 'mutation($i: DeleteSlaPolicyInput!) { deleteSlaPolicy(input: $i) { deletedPolicyId } }', variables: (b) => ({ i: { policyId: b.slaPolicyId } }), check: () => notFound },
  { covers: ['Mutation.updateBusinessCalendar'], query: 'mutation($i: UpdateBusinessCalendarInput!) { updateBusinessCalendar(input: $i) { calendar { id } } }', variables: (b) => ({ i: { calendarId: b.slaCalendarId, name: 'hijacked' } }), check: () => notFound },
  {
    covers: ['Mutation.createBusinessCalendar'],
    query: 'mutation($i: CreateBusinessCalendarInput!) { createBusinessCalendar(input: $i) { calendar { id } } }',
    variables: () => ({ i: { name: 'A 的日历', hours: [{ day: 'tue', start: '09:00', end: '18:00' }], isDefault: true } }),
    check: (b) => (r) => expect(r.data.createBusinessCalendar.calendar.id).not.toBe(b.slaCalendarId),
  },
  { covers: ['Query.article'], query: 'query($id: ID!) { article(id: $id) { id } }', variables: (b) => ({ id: b.articleId }), check: () => isNull('article') },
  { covers: ['Query.articles'], query: '{ articles(first: 100) { nodes { id title } } }', variables: () => ({}), check: (b) => lacks((d) => d, b) },
  { covers: ['Query.searchArticles'], query: 'query($q: String!) { searchArticles(query: $q) { id } }', variables: (b) => ({ q: b.marker }), check: () => (r) => expect(r.data.searchArticles).toEqual([]) },
  { covers: ['Query.categories'], query: '{ categories { id name } }', variables: () => ({}), check: (b) => lacks((d) => d, b) },
  { covers: ['Mutation.updateArticle'], query: 'mutation($i: UpdateArticleInput!) { updateArticle(input: $i) { article { id } } }', variables: (b) => ({ i: { articleId: b.articleId, body: 'hijacked' } }), check: () => notFound },
  { covers: ['Mutation.publishArticle'], query: 'mutation($i: PublishArticleInput!) { publishArticle(input: $i) { article { id } } }', variables: (b) => ({ i: { articleId: b.articleId } }), check: () => notFound },
  { covers: ['Mutation.rollbackArticle'], query: 'mutation($i: RollbackArticleInput!) { rollbackArticle(input: $i) { article { id } } }', variables: (b) => ({ i: { articleId: b.articleId, version: 1 } }), check: () => notFound },
  { covers: ['Mutation.createArticle'], query: 'mutation($i: CreateArticleInput!) { createArticle(input: $i) { article { id } } }', variables: (b) => ({ i: { title: 'x', body: 'y', categoryId: b.categoryId } }), check: () => notFound },
  // Knowledge base (issue 7): B's FAQs, templates, synonyms and sources are out of reach; search never returns B's knowledge.
  { covers: ['Query.faq'], query: 'query($id: ID!) { faq(id: $id) { id } }', variables: (b) => ({ id: b.faqId }), check: () => isNull('faq') },
  { covers: ['Query.faqs'], query: '{ faqs(first: 100) { nodes { id question questions answer } } }', variables: () => ({}), check: (b) => lacks((d) => d, b) },
  { covers: ['Query.searchKnowledge'], query: 'query($q: String!) { searchKnowledge(query: $q, first: 50) { id title highlightedTitle snippet } }', variables: (b) => ({ q: `问题${b.marker} 文章${b.marker}` }), check: (b) => lacks((d) => d, b) },
  { covers: ['Query.replyTemplate'], query: 'query($id: ID!) { replyTemplate(id: $id) { id } }', variables: (b) => ({ id: b.templateId }), check: () => isNull('replyTemplate') },
  { covers: ['Query.replyTemplates'], query: '{ replyTemplates { id name body } }', variables: () => ({}), check: (b) => lacks((d) => d, b) },
  { covers: ['Query.renderTemplate'], query: 'query($id: ID!) { renderTemplate(templateId: $id, variables: {}) { text } }', variables: (b) => ({ id: b.templateId }), check: () => notFound },
  { covers: ['Query.knowledgeSynonyms'], query: '{ knowledgeSynonyms { id terms } }', variables: () => ({}), check: (b) => lacks((d) => d, b) },
  { covers: ['Query.knowledgeSource'], query: 'query($id: ID!) { knowledgeSource(id: $id) { id } }', variables: (b) => ({ id: b.sourceId }), check: () => isNull('knowledgeSource') },
  { covers: ['Query.knowledgeSources'], query: '{ knowledgeSources { id name urls } }', variables: () => ({}), check: (b) => lacks((d) => d, b) },
  { covers: ['Mutation.archiveArticle'], query: 'mutation($i: ArchiveArticleInput!) { archiveArticle(input: $i) { article { id } } }', variables: (b) => ({ i: { articleId: b.articleId } }), check: () => notFound },
  { covers: ['Mutation.createFaq'], query: 'mutation($i: CreateFaqInput!) { createFaq(input: $i) { faq { id } } }', variables: (b) => ({ i: { questions: ['x'], answer: 'y', categoryId: b.categoryId } }), check: () => notFound },
  { covers: ['Mutation.updateFaq'], query: 'mutation($i: UpdateFaqInput!) { updateFaq(input: $i) { faq { id } } }', variables: (b) => ({ i: { faqId: b.faqId, answer: 'hijacked' } }), check: () => notFound },
  { covers: ['Mutation.publishFaq'], query: 'mutation($i: FaqIdInput!) { publishFaq(input: $i) { faq { id } } }', variables: (b) => ({ i: { faqId: b.faqId } }), check: () => notFound },
  { covers: ['Mutation.archiveFaq'], query: 'mutation($i: FaqIdInput!) { archiveFaq(input: $i) { faq { id } } }', variables: (b) => ({ i: { faqId: b.faqId } }), check: () => notFound },
  {
    covers: ['Mutation.createReplyTemplate'],
    // template names are unique per tenant: B's name is free in A
    query: 'mutation($i: CreateReplyTemplateInput!) { createReplyTemplate(input: $i) { template { id } } }',
    variables: (b) => ({ i: { name: `模板${b.marker}`, body: 'A 的模板' } }),
    check: (b) => (r) => expect(r.data.createReplyTemplate.template.id).not.toBe(b.templateId),
  },
  { covers: ['Mutation.updateReplyTemplate'], query: 'mutation($i: UpdateReplyTemplateInput!) { updateReplyTemplate(input: $i) { template { id } } }', variables: (b) => ({ i: { templateId: b.templateId, body: 'hijacked' } }), check: () => notFound },
  { covers: ['Mutation.deleteReplyTemplate'], query: 'mutation($i: DeleteReplyTemplateInput!) { deleteReplyTemplate(input: $i) { deletedId } }', variables: (b) => ({ i: { templateId: b.templateId } }), check: () => notFound },
  {
    covers: ['Mutation.createSynonymGroup'],
    query: 'mutation($i: CreateSynonymGroupInput!) { createSynonymGroup(input: $i) { group { id } } }',
    variables: (_b, a) => ({ i: { terms: [`甲${a.marker}`, `乙${a.marker}`] } }),
    check: (b) => (r) => expect(r.data.createSynonymGroup.group.id).not.toBe(b.synonymGroupId),
  },
  { covers: ['Mutation.deleteSynonymGroup'], query: 'mutation($i: DeleteSynonymGroupInput!) { deleteSynonymGroup(input: $i) { deletedId } }', variables: (b) => ({ i: { groupId: b.synonymGroupId } }), check: () => notFound },
  { covers: ['Mutation.createKnowledgeSource'], query: 'mutation($i: CreateKnowledgeSourceInput!) { createKnowledgeSource(input: $i) { source { id } } }', variables: (b) => ({ i: { name: 'x', kind: 'CSV_FEED', urls: ['http://127.0.0.1:9/x.csv'], categoryId: b.categoryId, enabled: false } }), check: () => notFound },
  { covers: ['Mutation.updateKnowledgeSource'], query: 'mutation($i: UpdateKnowledgeSourceInput!) { updateKnowledgeSource(input: $i) { source { id } } }', variables: (b) => ({ i: { sourceId: b.sourceId, name: 'hijacked' } }), check: () => notFound },
  { covers: ['Mutation.runKnowledgeSource'], query: 'mutation($i: RunKnowledgeSourceInput!) { runKnowledgeSource(input: $i) { report { status } } }', variables: (b) => ({ i: { sourceId: b.sourceId } }), check: () => notFound },
  { covers: ['Mutation.createCategory'], query: 'mutation($i: CreateCategoryInput!) { createCategory(input: $i) { category { id } } }', variables: (b) => ({ i: { name: 'x', parentId: b.categoryId } }), check: () => notFound },
  { covers: ['Query.inboundPayloads'], query: '{ inboundPayloads(first: 100) { id } }', variables: () => ({}), check: (b) => lacks((d) => d, b) },
  { covers: ['Query.inboundPayloads'], query: 'query($c: ID) { inboundPayloads(channelId: $c) { id } }', variables: (b) => ({ c: b.partnerChannelId }), check: () => (r) => expect(r.data.inboundPayloads).toEqual([]) },
  { covers: ['Query.inboundBacklog'], query: 'query($c: ID) { inboundBacklog(channelId: $c) { pending failed } }', variables: (b) => ({ c: b.partnerChannelId }), check: () => (r) => expect(r.data.inboundBacklog).toEqual({ pending: 0, failed: 0 }) },
  { covers: ['Mutation.replayInboundPayloads'], query: 'mutation($i: ReplayInboundPayloadsInput!) { replayInboundPayloads(input: $i) { queued remaining } }', variables: (b) => ({ i: { channelId: b.partnerChannelId } }), check: () => (r) => expect(r.data.replayInboundPayloads).toEqual({ queued: 0, remaining: 0 }) },
  { covers: ['Query.inboundPayloads'], query: 'query($a: ID) { inboundPayloads(after: $a) { id } }', variables: (b) => ({ a: b.inboundPayloadId }), check: () => (r) => expect(r.errors?.[0].extensions?.code).toBe('BAD_USER_INPUT') },
  { covers: ['Mutation.replayInboundPayload'], query: 'mutation($i: ReplayInboundPayloadInput!) { replayInboundPayload(input: $i) { __typename } }', variables: (b) => ({ i: { id: b.inboundPayloadId } }), check: () => notFound },
  { covers: ['Mutation.updateChannel'], query: 'mutation($i: UpdateChannelInput!) { updateChannel(input: $i) { channel { id } } }', variables: (b) => ({ i: { id: b.channelId, name: 'hijacked' } }), check: () => notFound },
  { covers: ['Mutation.disableChannel'], query: 'mutation($i: DisableChannelInput!) { disableChannel(input: $i) { channel { id } } }', variables: (b) => ({ i: { id: b.partnerChannelId } }), check: () => notFound },
  { covers: ['Mutation.rotatePartnerChannelSecret'], query: 'mutation($i: RotatePartnerChannelSecretInput!) { rotatePartnerChannelSecret(input: $i) { secret } }', variables: (b) => ({ i: { id: b.partnerChannelId } }), check: () => notFound },
  {
    covers: ['Mutation.registerPartnerChannel'],
    query: 'mutation($i: RegisterPartnerChannelInput!) { registerPartnerChannel(input: $i) { channel { id } } }',
    variables: (b) => ({ i: { name: `Partner ${b.marker}`, callbackUrl: 'http://127.0.0.1:9/cb' } }),
    check: (b) => (r) => expect(r.data.registerPartnerChannel.channel.id).not.toBe(b.partnerChannelId),
  },
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

import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { buildSchema, isObjectType } from 'graphql';
import { gql, gqlOk } from '../helpers/graphql-client.js';
import { newTenant, tokenFor } from '../helpers/env.js';
import { eventually, freePort, ROOT, startNode } from '../helpers/processes.js';
import { startGatewayProcess, startSubgraphs, type Started } from '../helpers/topology.js';
import { subscribe, wsClient } from '../helpers/ws-client.js';
import { CASES, runCase, seedTenant, type TenantData } from './tenancy.cases.js';

/**
 * The distributed topology as real processes on MariaDB and Redis: five subgraphs (conversations twice,
 * replicas A and B) and two gateways (gateway A routes conversations to replica A, gateway B to replica B).
 */
describe('distributed topology', () => {
  const procs: Started[] = [];
  let sg: Record<string, Started>;
  let gwA: Started;
  let gwB: Started;

  beforeAll(async () => {
    const customers = await startSubgraphs([{ name: 'customers' }], 'huiliu_e2e');
    // conversations resolves webhook senders through the customers subgraph (identity graph)
    const rest = await startSubgraphs(
      [{ name: 'conversations', label: 'conversations-a' }, { name: 'conversations', label: 'conversations-b' }, { name: 'tickets' }, { name: 'knowledge' }, { name: 'analytics' }],
      'huiliu_e2e',
      { CUSTOMERS_URL: customers.customers.url },
    );
    sg = { ...customers, ...rest };
    procs.push(...Object.values(sg));
    const urls = { customers: sg.customers.url, tickets: sg.tickets.url, knowledge: sg.knowledge.url, analytics: sg.analytics.url };
    gwA = await startGatewayProcess('gateway-a', { ...urls, conversations: sg['conversations-a'].url });
    gwB = await startGatewayProcess('gateway-b', { ...urls, conversations: sg['conversations-b'].url });
    procs.push(gwA, gwB);
  }, 180_000);

  afterAll(async () => {
    await Promise.all(procs.map((p) => p.proc.stop()));
  });

  it('answers one query that spans customers, conversations and tickets', async () => {
    const token = await tokenFor(newTenant('span'), ['admin']);
    const c = await gqlOk(gwA.url, 'mutation { createCustomer(input: { name: "陈女士", level: "VIP", tags: ["五常大米"] }) { customer { id } } }', {}, token);
    const customerId = c.createCustomer.customer.id;
    const agent = await gqlOk(gwA.url, 'mutation { createAgent(input: { name: "李娜", email: "lina@example.com" }) { agent { id } } }', {}, token);
    const conv = await gqlOk(gwA.url, 'mutation($i: CreateConversationInput!) { createConversation(input: $i) { conversation { id } } }', { i: { customerId, channelType: 'app', subject: '什么时候发货', text: '请问什么时候发货？' } }, token);
    const conversationId = conv.createConversation.conversation.id;
    await gqlOk(gwA.url, 'mutation($i: AssignConversationInput!) { assignConversation(input: $i) { conversation { id } } }', { i: { conversationId, agentId: agent.createAgent.agent.id } }, token);
    const ticket = await gqlOk(gwA.url, 'mutation($i: CreateTicketInput!) { createTicket(input: $i) { ticket { id } } }', { i: { customerId, conversationId, subject: '加急发货', type: 'logistics' } }, token);

    const d = await gqlOk(
      gwB.url,
      `query($id: ID!) { customer(id: $id) { name level tags
          conversations { nodes { subject status assignee { name } customer { name } } }
          tickets { subject conversation { subject assignee { name } } } } }`,
      { id: customerId },
      token,
    );
    // A public comment on the ticket, read back through the gateway: tickets' comment, and the message it became in
    // the conversation (TicketComment.reply, from the conversations subgraph). The conversation was opened by API on
    // no channel, so nothing is sent and there is no delivery.
    const comment = await gqlOk(gwA.url, 'mutation($i: AddTicketCommentInput!) { addTicketComment(input: $i) { comment { id } } }', { i: { ticketId: ticket.createTicket.ticket.id, body: '已加急，明天发出', public: true } }, token);
    const comments = await eventually(async () => {
      const t = (await gqlOk(gwB.url, 'query($id: ID!) { ticket(id: $id) { comments { id body public reply { text senderType conversation { id } delivery { status } } } } }', { id: ticket.createTicket.ticket.id }, token)).ticket;
      return t.comments[0]?.reply ? t.comments : undefined;
    });
    expect(comments).toEqual([{ id: comment.addTicketComment.comment.id, body: '已加急，明天发出', public: true, reply: { text: '已加急，明天发出', senderType: 'AGENT', conversation: { id: conversationId }, delivery: null } }]);
    expect(d.customer).toEqual({
      name: '陈女士',
      level: 'VIP',
      tags: ['五常大米'],
      conversations: { nodes: [{ subject: '什么时候发货', status: 'ASSIGNED', assignee: { name: '李娜' }, customer: { name: '陈女士' } }] },
      tickets: [{ subject: '加急发货', conversation: { subject: '什么时候发货', assignee: { name: '李娜' } } }],
    });
  });

  it('delivers a message sent through replica A to a subscriber served by replica B', async () => {
    const tenant = newTenant('sub');
    const token = await tokenFor(tenant, ['admin']);
    const other = await tokenFor(newTenant('other'), ['admin']);
    const c = await gqlOk(gwA.url, 'mutation { createCustomer(input: { name: "王先生" }) { customer { id } } }', {}, token);
    const conv = await gqlOk(gwA.url, 'mutation($i: CreateConversationInput!) { createConversation(input: $i) { conversation { id } } }', { i: { customerId: c.createCustomer.customer.id, channelType: 'taobao', subject: '物流' } }, token);
    const conversationId = conv.createConversation.conversation.id;

    const client = wsClient(gwB.url, token);
    const spy = wsClient(gwB.url, other);
    const sub = subscribe(client, 'subscription($id: ID!) { messageAdded(conversationId: $id) { text senderType conversation { customer { name } } } }', { id: conversationId });
    const foreign = subscribe(spy, 'subscription { conversationUpdated { id } }');
    const send = setInterval(() => void gql(gwA.url, 'mutation($i: SendMessageInput!) { sendMessage(input: $i) { message { id } } }', { i: { conversationId, text: '已发货，顺丰' } }, token), 250);
    try {
      // the event crossed Redis (A → B) and the gateway joined customer { name } from the customers subgraph
      expect(await sub.first).toEqual({ messageAdded: { text: '已发货，顺丰', senderType: 'AGENT', conversation: { customer: { name: '王先生' } } } });
    } finally {
      clearInterval(send);
    }
    await new Promise((r) => setTimeout(r, 500));
    expect(foreign.events).toEqual([]); // another tenant's subscriber saw none of it
    sub.dispose();
    foreign.dispose();
    await Promise.all([client.dispose(), spy.dispose()]);
  });

  it('refuses a socket without a valid token', async () => {
    const client = wsClient(gwA.url, 'not-a-token');
    const sub = subscribe(client, 'subscription { conversationUpdated { id } }');
    await expect(sub.first).rejects.toBeDefined();
    await client.dispose();
  });

  it('counts opened conversations in analytics from domain events on Redis Streams', async () => {
    const token = await tokenFor(newTenant('metrics'), ['admin']);
    const c = await gqlOk(gwA.url, 'mutation { createCustomer(input: { name: "刘阿姨" }) { customer { id } } }', {}, token);
    for (const channelType of ['douyin', 'douyin', 'wechat-oa']) {
      await gqlOk(gwB.url, 'mutation($i: CreateConversationInput!) { createConversation(input: $i) { conversation { id } } }', { i: { customerId: c.createCustomer.customer.id, channelType, subject: '问价' } }, token);
    }
    const m = await eventually(async () => {
      const d = await gqlOk(gwA.url, '{ metrics { conversationsOpened byChannel { channelType conversationsOpened } } }', {}, token);
      return d.metrics.conversationsOpened === 3 ? d.metrics : undefined;
    }, 15_000);
    expect(m.byChannel).toEqual(expect.arrayContaining([{ channelType: 'douyin', conversationsOpened: 2 }, { channelType: 'wechat-oa', conversationsOpened: 1 }]));
  });

  describe('tenancy: tenant A reaches nothing of tenant B through any operation', () => {
    let a: TenantData;
    let b: TenantData;
    let tokenA: string;
    let tokenB: string;

    beforeAll(async () => {
      const [ta, tb] = [newTenant('a'), newTenant('b')];
      tokenA = await tokenFor(ta, ['admin']);
      tokenB = await tokenFor(tb, ['admin']);
      a = await seedTenant(gwA.url, tokenA, ta, `A${Date.now()}`);
      b = await seedTenant(gwA.url, tokenB, tb, `B${Date.now()}`);
    }, 60_000);

    it('has a case for every root field of the supergraph', () => {
      const schema = buildSchema(readFileSync(join(ROOT, 'schema', 'supergraph.graphql'), 'utf8').replace(/^schema @link[^{]*\{/m, 'schema {'), { assumeValidSDL: true });
      const roots = ['Query', 'Mutation'].flatMap((t) => {
        const type = schema.getType(t);
        return type && isObjectType(type) ? Object.keys(type.getFields()).map((f) => `${t}.${f}`) : [];
      });
      const covered = new Set(CASES.flatMap((c) => c.covers));
      expect(roots.filter((r) => !covered.has(r) && !r.startsWith('Query._'))).toEqual([]);
    });

    it.each(CASES.map((c, i) => [`${i + 1}. ${c.covers.join(', ')}`, c] as const))('%s', async (_label, c) => {
      await runCase(gwA.url, tokenA, c, b, a);
    });

    it("leaves tenant B's data exactly as it was", async () => {
      const d = await gqlOk(
        gwB.url,
        `query($c: ID!, $v: ID!, $t: ID!, $a: ID!) { customer(id: $c) { name tags identities { externalId } }
           conversation(id: $v) { status messages { nodes { text } } } ticket(id: $t) { status comments { id } } article(id: $a) { version body } }`,
        { c: b.customerId, v: b.conversationId, t: b.ticketId, a: b.articleId },
        tokenB,
      );
      expect(d.customer).toEqual({ name: `客户${b.marker}`, tags: ['VIP'], identities: [{ externalId: b.identity.externalId }] });
      expect(d.conversation.status).toBe('QUEUED');
      expect(d.conversation.messages.nodes.map((m: { text: string }) => m.text)).toEqual([`你好${b.marker}`]);
      expect(d.ticket).toEqual({ status: 'NEW', comments: [] });
      expect(d.article).toEqual({ version: 1, body: `正文 ${b.marker}` });
    });

    it("leaves tenant B's knowledge base exactly as it was", async () => {
      const d = await gqlOk(
        gwB.url,
        `query($f: ID!, $t: ID!, $s: ID!) { faq(id: $f) { status answer questions } replyTemplate(id: $t) { body } knowledgeSource(id: $s) { name }
           knowledgeSynonyms { id } article: articles(first: 5) { nodes { status } } }`,
        { f: b.faqId, t: b.templateId, s: b.sourceId },
        tokenB,
      );
      expect(d.faq).toEqual({ status: 'PUBLISHED', answer: `答案${b.marker}`, questions: [`问题${b.marker}`, `另一种问法${b.marker}`] });
      expect(d.replyTemplate).toEqual({ body: `{{customer.name}} ${b.marker}` });
      expect(d.knowledgeSource).toEqual({ name: `来源${b.marker}` });
      expect(d.knowledgeSynonyms.map((g: { id: string }) => g.id)).toContain(b.synonymGroupId);
      expect(d.article.nodes).toEqual([{ status: 'PUBLISHED' }]);
      const hits = (await gqlOk(gwB.url, 'query($q: String!) { searchKnowledge(query: $q) { id } }', { q: `问题${b.marker}` }, tokenB)).searchKnowledge;
      expect(hits.map((h: { id: string }) => h.id)).toContain(b.faqId);
    });

    it("resolves no entity reference of tenant B in any subgraph", async () => {
      const refs: Array<[Started, string, string]> = [
        [sg.customers, 'Customer', b.customerId],
        [sg['conversations-a'], 'Conversation', b.conversationId],
        [sg['conversations-a'], 'Agent', b.agentId],
        [sg.tickets, 'Ticket', b.ticketId],
        [sg.knowledge, 'Article', b.articleId],
      ];
      for (const [s, typename, id] of refs) {
        const r = await gqlOk(s.url, `query($r: [_Any!]!) { _entities(representations: $r) { ... on ${typename} { id } } }`, { r: [{ __typename: typename, id }] }, tokenA);
        expect(r._entities).toEqual([null]);
      }
      // A ticket comment of B's (on a conversation of its own, so B's seeded data stays as it was): tickets finds
      // no comment for A, and the message conversations adds to it is B's only.
      const conv = await gqlOk(gwA.url, 'mutation($i: CreateConversationInput!) { createConversation(input: $i) { conversation { id } } }', { i: { customerId: b.customerId, channelType: 'app', subject: '补发', text: '米袋破了' } }, tokenB);
      const ticket = await gqlOk(gwA.url, 'mutation($i: CreateTicketInput!) { createTicket(input: $i) { ticket { id } } }', { i: { customerId: b.customerId, conversationId: conv.createConversation.conversation.id, subject: '补发', type: 'quality' } }, tokenB);
      const comment = (await gqlOk(gwA.url, 'mutation($i: AddTicketCommentInput!) { addTicketComment(input: $i) { comment { id } } }', { i: { ticketId: ticket.createTicket.ticket.id, body: '已补发', public: true } }, tokenB)).addTicketComment.comment.id;
      const REPLY = 'query($r: [_Any!]!) { _entities(representations: $r) { ... on TicketComment { id reply { text } } } }';
      const r = [{ __typename: 'TicketComment', id: comment }];
      expect(await eventually(async () => (await gqlOk(sg['conversations-a'].url, REPLY, { r }, tokenB))._entities[0].reply ?? undefined)).toEqual({ text: '已补发' });
      expect((await gqlOk(sg['conversations-a'].url, REPLY, { r }, tokenA))._entities).toEqual([{ id: comment, reply: null }]);
      expect((await gqlOk(sg.tickets.url, 'query($r: [_Any!]!) { _entities(representations: $r) { ... on TicketComment { id body } } }', { r }, tokenA))._entities).toEqual([null]);
    });

    it("never delivers tenant B's events to tenant A's subscriptions", async () => {
      const client = wsClient(gwB.url, tokenA);
      const byId = subscribe(client, 'subscription($id: ID!) { messageAdded(conversationId: $id) { id } }', { id: b.conversationId });
      const all = subscribe(client, 'subscription { conversationUpdated { id } }');
      await new Promise((r) => setTimeout(r, 1000));
      for (let i = 0; i < 3; i++) await gqlOk(gwA.url, 'mutation($i: SendMessageInput!) { sendMessage(input: $i) { message { id } } }', { i: { conversationId: b.conversationId, text: `第${i}条` } }, tokenB);
      await new Promise((r) => setTimeout(r, 1500));
      expect(byId.events).toEqual([]);
      expect(all.events).toEqual([]);
      byId.dispose();
      all.dispose();
      await client.dispose();
    });
  });

  describe('operations', () => {
    it('keeps serving when a subgraph is down, and says so on /readyz', async () => {
      const dead = `http://127.0.0.1:${await freePort()}/graphql`;
      const gw = await startGatewayProcess('gateway-degraded', { customers: sg.customers.url, conversations: sg['conversations-a'].url, tickets: sg.tickets.url, knowledge: dead, analytics: sg.analytics.url });
      try {
        const token = await tokenFor(newTenant('down'), ['admin']);
        // article is nullable: the knowledge subgraph being down costs that field, not the whole answer
        const r = await gql(gw.url, '{ customers { nodes { id } } article(id: "00000000-0000-4000-8000-000000000000") { id } }', {}, token);
        expect(r.data).toEqual({ customers: { nodes: [] }, article: null });
        expect(r.errors?.[0].path).toEqual(['article']);
        const ready = await fetch(gw.url.replace('/graphql', '/readyz'));
        expect(ready.status).toBe(503);
        expect((await ready.json()).checks).toMatchObject({ customers: 'ok', knowledge: expect.stringMatching(/^down/) });
      } finally {
        expect(await gw.proc.stop('SIGTERM')).toBe(0);
      }
    });

    it('gives the same answers with the JS query planner as with the default Rust one', async () => {
      const gw = await startGatewayProcess('gateway-js', { customers: sg.customers.url, conversations: sg['conversations-a'].url, tickets: sg.tickets.url, knowledge: sg.knowledge.url, analytics: sg.analytics.url }, { QUERY_PLANNER: 'js' });
      try {
        const token = await tokenFor(newTenant('planner'), ['admin']);
        const c = await gqlOk(gwA.url, 'mutation { createCustomer(input: { name: "赵同学", tags: ["新客"] }) { customer { id } } }', {}, token);
        await gqlOk(gwA.url, 'mutation($i: CreateConversationInput!) { createConversation(input: $i) { conversation { id } } }', { i: { customerId: c.createCustomer.customer.id, channelType: 'weibo', subject: '退货' } }, token);
        await gqlOk(gwA.url, 'mutation($i: CreateTicketInput!) { createTicket(input: $i) { ticket { id } } }', { i: { customerId: c.createCustomer.customer.id, subject: '退货申请', type: 'refund' } }, token);
        const q = '{ conversations { nodes { subject customer { name tags tickets { subject } } } } }';
        const [rust, js] = await Promise.all([gqlOk(gwA.url, q, {}, token), gqlOk(gw.url, q, {}, token)]);
        expect(js).toEqual(rust);
        expect(js.conversations.nodes).toEqual([{ subject: '退货', customer: { name: '赵同学', tags: ['新客'], tickets: [{ subject: '退货申请' }] } }]);
      } finally {
        await gw.proc.stop();
      }
    });

    it('answers a bad token with 401 UNAUTHENTICATED and a malformed query with 400', async () => {
      const bad = await gql(gwA.url, '{ tenant { id } }', {}, 'eyJhbGciOiJIUzI1NiJ9.e30.x');
      expect(bad.status).toBe(401);
      expect(bad.errors?.[0].extensions?.code).toBe('UNAUTHENTICATED');
      const malformed = await gql(gwA.url, '{ tenant { id ', {});
      expect(malformed.status).toBe(400);
      const none = await gql(gwA.url, '{ customers { nodes { id } } }');
      expect(none.errors?.[0].extensions?.code).toBe('UNAUTHENTICATED');
      const agent = await tokenFor(newTenant('roles'), ['agent']);
      const forbidden = await gql(gwA.url, '{ metrics { conversationsOpened } }', {}, agent);
      expect(forbidden.errors?.[0].extensions?.code).toBe('FORBIDDEN');
    });

    it('stops a subgraph replica on SIGTERM with exit code 0, and the other replica keeps serving', async () => {
      const [extra] = Object.values(await startSubgraphs([{ name: 'conversations', label: 'conversations-c' }], 'huiliu_e2e'));
      expect(await extra.proc.stop('SIGTERM')).toBe(0);
      const token = await tokenFor(newTenant('sigterm'), ['admin']);
      expect((await gqlOk(gwA.url, '{ conversations { nodes { id } } }', {}, token)).conversations.nodes).toEqual([]);
    });

    it('refuses to start in production on the development secret, naming the variable', async () => {
      const gw = startNode('gateway-prod', 'gateway/main.js', { NODE_ENV: 'production', PORT: String(await freePort()) });
      expect(await gw.exited).toBe(1);
      expect(gw.output()).toContain('JWT_SECRET: the default development secret is refused in production');
      const sub = startNode('customers-bad', 'subgraphs/customers/main.js', { DATABASE_URL: 'postgres://nope', PORT: String(await freePort()) });
      expect(await sub.exited).toBe(1);
      expect(sub.output()).toContain('DATABASE_URL: must start with mysql://');
      expect(sub.output()).not.toMatch(/\n\s+at /); // a message, not a stack trace
    });
  });
});

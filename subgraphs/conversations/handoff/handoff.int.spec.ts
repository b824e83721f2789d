import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { gqlOk } from '../../../test/helpers/graphql-client.js';
import { newTenant, tokenFor } from '../../../test/helpers/env.js';
import { startTestSubgraph, type TestSubgraph } from '../../../test/helpers/subgraph-harness.js';
import { newId } from '../../_shared/ids.js';
import {
  ASSIGN, BOT_SAYS, collectEvents, createAgent, CUSTOMER_SAYS, ESCALATE, eventually, OPEN, openConversation, repeatUntil, SEND, subscribe,
} from '../conversations.testing.js';
import { createConversationsServices } from '../conversations.services.js';
import { conversationsSubgraph } from '../index.js';

const MINE = `subscription { myConversations { kind conversation { id status }
  event { type fromStatus toStatus data }
  handoffSummary { trigger provider channels since wanted orderIds promised open mood text agent { id } conversation { id } } } }`;
const SUMMARY = `query($id: ID!) { conversation(id: $id) { firstResponseAt handoffSummary { trigger provider channels wanted orderIds promised open mood agent { id } } } }`;

describe('handoff summaries, pushed to the receiving agent before the assignment (two replicas on one Redis)', () => {
  const stream = `conv-handoff-${newId().slice(0, 8)}`;
  let a: TestSubgraph;
  let b: TestSubgraph;
  beforeAll(async () => {
    a = await startTestSubgraph(conversationsSubgraph, { db: 'conversations_handoff', stream });
    b = await startTestSubgraph(conversationsSubgraph, { db: 'conversations_handoff', stream });
  });
  afterAll(async () => {
    await a?.close();
    await b?.close();
  });

  /** A myConversations subscription on replica b that is known to be live (a warm-up assignment reached it). */
  async function liveInbox(admin: string, agentId: string, agentToken: string) {
    const inbox = subscribe<{ myConversations: any }>(b.url, agentToken, MINE);
    await repeatUntil(async () => {
      const warm = await openConversation(a.url, admin, { text: '预热' });
      await gqlOk(a.url, ASSIGN, { input: { conversationId: warm.id, agentId } }, admin);
    }, () => inbox.received.length > 0);
    await new Promise((r) => setTimeout(r, 200));
    inbox.received.length = 0;
    return inbox;
  }

  it('channel switch (app → phone), then a transfer: each receiving agent gets the summary first', async () => {
    const tenant = newTenant();
    const admin = await tokenFor(tenant, ['admin']);
    const bus = await collectEvents(a.events, tenant);
    const [li, wang, zhang] = [await createAgent(a.url, admin, '李娜'), await createAgent(a.url, admin, '王芳'), await createAgent(a.url, admin, '张伟')];
    const [liT, wangT, zhangT] = await Promise.all([li, wang, zhang].map((x) => tokenFor(tenant, ['agent'], x.id)));
    const customerId = newId();

    // In the app: a late delivery, a promise, an invoice question nobody answered.
    const app = await openConversation(a.url, admin, { customerId, channelType: 'app', text: '订单 3862410087654321 的物流三天没有更新了，麻烦查一下。' });
    await gqlOk(a.url, ASSIGN, { input: { conversationId: app.id, agentId: li.id } }, admin);
    expect((await gqlOk(a.url, SUMMARY, { id: app.id }, admin)).conversation.handoffSummary).toBeNull(); // a first assignment needs none
    await gqlOk(a.url, SEND, { input: { conversationId: app.id, text: '您好，已经为您催促快递，明天会更新物流信息。' } }, liT);
    await gqlOk(a.url, SEND, { input: { conversationId: app.id, text: '客户很着急', internal: true } }, liT);
    await gqlOk(a.url, CUSTOMER_SAYS, { input: { conversationId: app.id, text: '另外能不能开一张发票？' } }, admin);

    // The next day on the hotline: a new conversation on another channel gets a summary at once, for nobody yet.
    const phone = await openConversation(a.url, admin, { customerId, channelType: 'phone', text: '怎么还没到！！都等了一周了，再不到我就投诉！' });
    const waiting = (await gqlOk(a.url, SUMMARY, { id: phone.id }, admin)).conversation.handoffSummary;
    expect(waiting).toMatchObject({ trigger: 'CHANNEL_SWITCH', provider: 'builtin', channels: ['app', 'phone'], orderIds: ['3862410087654321'], mood: 'ANGRY', agent: null });

    // Wang takes the call: the summary reaches Wang (on the other replica) before the assignment does.
    const wangInbox = await liveInbox(admin, wang.id, wangT);
    try {
      await gqlOk(a.url, ASSIGN, { input: { conversationId: phone.id, agentId: wang.id } }, admin);
      await eventually(() => wangInbox.received.some((r) => r.myConversations.kind === 'EVENT'));
      const kinds = wangInbox.received.map((r) => r.myConversations.kind);
      expect(kinds).toEqual(['HANDOFF', 'EVENT']);
      const h = wangInbox.received[0].myConversations.handoffSummary;
      expect(h).toMatchObject({
        trigger: 'CHANNEL_SWITCH',
        provider: 'builtin',
        channels: ['app', 'phone'],
        since: expect.any(String),
        orderIds: ['3862410087654321'],
        promised: ['您好，已经为您催促快递，明天会更新物流信息。'],
        open: ['另外能不能开一张发票？', '怎么还没到！！都等了一周了，再不到我就投诉！'],
        mood: 'ANGRY',
        agent: { id: wang.id },
        conversation: { id: phone.id },
      });
      expect(h.wanted).toEqual(['订单 3862410087654321 的物流三天没有更新了，麻烦查一下。', '另外能不能开一张发票？', '怎么还没到！！都等了一周了，再不到我就投诉！']);
      expect(h.text).toContain('情绪：生气');
      expect(JSON.stringify(h)).not.toContain('客户很着急'); // internal notes are not summarised
      expect(wangInbox.received[1].myConversations).toMatchObject({ conversation: { id: phone.id, status: 'ASSIGNED' }, event: { type: 'ASSIGNED', data: { agentId: wang.id } } });
      // Wang has not replied yet; now Wang replies, and the conversation's message reaches Wang's inbox too.
      expect((await gqlOk(a.url, SUMMARY, { id: phone.id }, admin)).conversation.firstResponseAt).toBeNull();
      await gqlOk(a.url, SEND, { input: { conversationId: phone.id, text: '您好，我是王芳，马上为您查询。' } }, wangT);

      // Transfer to Zhang: Zhang gets a TRANSFER summary first; Wang learns it left, without Zhang's summary.
      const zhangInbox = await liveInbox(admin, zhang.id, zhangT);
      try {
        await gqlOk(a.url, ASSIGN, { input: { conversationId: phone.id, agentId: zhang.id } }, admin);
        await eventually(() => zhangInbox.received.some((r) => r.myConversations.kind === 'EVENT'));
        expect(zhangInbox.received.map((r) => r.myConversations.kind)).toEqual(['HANDOFF', 'EVENT']);
        expect(zhangInbox.received[0].myConversations.handoffSummary).toMatchObject({ trigger: 'TRANSFER', agent: { id: zhang.id } });
        expect(zhangInbox.received[0].myConversations.handoffSummary.promised).toContain('您好，我是王芳，马上为您查询。');
        expect(zhangInbox.received[1].myConversations.event).toMatchObject({ type: 'TRANSFERRED', data: { agentId: zhang.id, previousAgentId: wang.id } });
        await eventually(() => wangInbox.received.some((r) => r.myConversations.event?.type === 'TRANSFERRED'));
        expect(wangInbox.received.filter((r) => r.myConversations.kind === 'HANDOFF')).toHaveLength(1);
      } finally {
        await zhangInbox.dispose();
      }
    } finally {
      await wangInbox.dispose();
    }
    expect((await gqlOk(b.url, SUMMARY, { id: phone.id }, admin)).conversation.handoffSummary).toMatchObject({ trigger: 'TRANSFER', agent: { id: zhang.id } });
    await eventually(() => bus.seen.filter((e) => e.type === 'conversation.handoff_summarized').length === 3);
    await bus.stop();
    expect(bus.seen.filter((e) => e.type === 'conversation.handoff_summarized').map((e) => e.data.trigger)).toEqual(['CHANNEL_SWITCH', 'CHANNEL_SWITCH', 'TRANSFER']);
  });

  it('writes an ESCALATION summary when a customer comes from the bot', async () => {
    const tenant = newTenant();
    const admin = await tokenFor(tenant, ['admin']);
    const bot = await tokenFor(tenant, ['service'], 'bot');
    const agent = await createAgent(a.url, admin);
    const c = (await gqlOk(a.url, OPEN, { input: { customerId: newId(), channelType: 'wechat-oa', subject: '退款', text: '刚拆开的大米里有小虫子，我要退款', startWithBot: true } }, bot)).createConversation.conversation;
    await gqlOk(a.url, BOT_SAYS, { input: { conversationId: c.id, text: '非常抱歉！已为您登记，稍后会有专人联系您。' } }, bot);
    await gqlOk(a.url, ESCALATE, { input: { conversationId: c.id, reason: '退款需人工' } }, bot);
    await gqlOk(a.url, ASSIGN, { input: { conversationId: c.id, agentId: agent.id } }, admin);
    const h = (await gqlOk(a.url, `query($id: ID!) { conversation(id: $id) { handoffSummary { id trigger channels wanted promised agent { id } } } }`, { id: c.id }, admin)).conversation.handoffSummary;
    // by reference too, but for staff only: a summary quotes the customer
    const REF = `query($r: [_Any!]!) { _entities(representations: $r) { ... on HandoffSummary { id trigger } } }`;
    expect((await gqlOk(a.url, REF, { r: [{ __typename: 'HandoffSummary', id: h.id }] }, admin))._entities).toEqual([{ id: h.id, trigger: 'ESCALATION' }]);
    expect((await gqlOk(a.url, REF, { r: [{ __typename: 'HandoffSummary', id: h.id }] }, await tokenFor(tenant, ['partner'])))._entities).toEqual([null]);
    expect(h).toMatchObject({ trigger: 'ESCALATION', channels: ['wechat-oa'], wanted: ['刚拆开的大米里有小虫子，我要退款'], promised: ['非常抱歉！已为您登记，稍后会有专人联系您。'], agent: { id: agent.id } });
  });
});

describe('handoff summaries from an LLM provider chosen by config', () => {
  let llm: Server;
  let answer: () => { status: number; body: unknown };
  let sg: TestSubgraph;
  beforeAll(async () => {
    llm = createServer((req, res) => {
      req.resume();
      req.on('end', () => {
        const a = answer();
        res.writeHead(a.status, { 'content-type': 'application/json' }).end(JSON.stringify(a.body));
      });
    });
    await new Promise<void>((r) => llm.listen(0, '127.0.0.1', r));
    const baseUrl = `http://127.0.0.1:${(llm.address() as AddressInfo).port}/v1`;
    const summarizer = { provider: 'openai' as const, baseUrl, model: 'qwen-plus', apiKey: 'sk-test', timeoutMs: 2000 };
    sg = await startTestSubgraph(
      { ...conversationsSubgraph, createServices: (deps) => createConversationsServices(deps, { reopenWindowHours: 72, summarizer }) },
      { db: 'conversations_handoff', stream: 'conv-handoff-llm' },
    );
  });
  afterAll(async () => {
    await sg?.close();
    llm.closeAllConnections();
    llm.close();
  });

  it('uses the provider, and falls back to the built-in one when it fails', async () => {
    const admin = await tokenFor(newTenant(), ['admin']);
    const content = JSON.stringify({ wanted: ['尽快收到大米'], orderIds: [], promised: ['明天更新物流'], open: ['发票'], mood: 'anxious' });
    answer = () => ({ status: 200, body: { choices: [{ index: 0, message: { role: 'assistant', content } }] } });
    const customerId = newId();
    await openConversation(sg.url, admin, { customerId, channelType: 'app', text: '订单 3862410087654321 没到' });
    const phone = await openConversation(sg.url, admin, { customerId, channelType: 'phone', text: '还没到' });
    expect((await gqlOk(sg.url, SUMMARY, { id: phone.id }, admin)).conversation.handoffSummary).toMatchObject({
      provider: 'openai:qwen-plus', wanted: ['尽快收到大米'], orderIds: ['3862410087654321'], promised: ['明天更新物流'], open: ['发票'], mood: 'ANXIOUS', channels: ['app', 'phone'],
    });
    answer = () => ({ status: 500, body: { error: 'down' } });
    const web = await openConversation(sg.url, admin, { customerId, channelType: 'web', text: '网页上也问一下' });
    expect((await gqlOk(sg.url, SUMMARY, { id: web.id }, admin)).conversation.handoffSummary).toMatchObject({ provider: 'builtin', channels: ['app', 'phone', 'web'] });
  });
});

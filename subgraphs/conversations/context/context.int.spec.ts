import { gqlOk } from '../../../test/helpers/graphql-client.js';
import { newTenant, tokenFor } from '../../../test/helpers/env.js';
import { startTestSubgraph, type TestSubgraph } from '../../../test/helpers/subgraph-harness.js';
import { newId } from '../../_shared/ids.js';
import { CUSTOMER_SAYS, eventually, openConversation, SEND } from '../conversations.testing.js';
import type { ConversationsServices } from '../conversations.services.js';
import { conversationsSubgraph } from '../index.js';
import { CONTEXT_TTL_SECONDS, ConversationContextService } from './context.service.js';

const CONTEXT = `query($r: [_Any!]!) { _entities(representations: $r) { ... on Customer { context {
  recentMessages { text channelType senderType } intent slots orderIds summary channels lastActivityAt cached } } } }`;

describe('30-day conversation context, cached in Redis', () => {
  let sg: TestSubgraph;
  let s: ConversationsServices;
  beforeAll(async () => {
    sg = await startTestSubgraph(conversationsSubgraph, { db: 'conversations_context', stream: 'conv-context' });
    s = sg.services as ConversationsServices;
  });
  afterAll(() => sg.close());

  const contextOf = async (token: string, customerId: string) => (await gqlOk(sg.url, CONTEXT, { r: [{ __typename: 'Customer', id: customerId }] }, token))._entities[0].context;

  it('rebuilds on a miss, caches for 30 days, serves hits, and is invalidated by a new message', async () => {
    const tenant = newTenant();
    const admin = await tokenFor(tenant, ['admin']);
    const customerId = newId();
    // older than 30 days: not part of the context
    await s.conversations.open(tenant, { customerId, channelType: 'weibo', subject: '旧', text: '很久以前的问题', at: new Date(Date.now() - 31 * 24 * 3600_000) });
    const app = await openConversation(sg.url, admin, { customerId, channelType: 'app', text: '订单 3862410087654321 什么时候发货？' });
    await gqlOk(sg.url, SEND, { input: { conversationId: app.id, text: '已为您加急，快递单号 SF1234567890123' } }, admin);
    await gqlOk(sg.url, SEND, { input: { conversationId: app.id, text: '内部：仓库缺货', internal: true } }, admin);
    const taobao = await openConversation(sg.url, admin, { customerId, channelType: 'taobao', text: '淘宝这边补了运费 8 元吗？物流还没到' });

    const key = ConversationContextService.key(tenant, customerId);
    expect(await sg.cache.get(key)).toBeNull();
    const miss = await contextOf(admin, customerId);
    expect(miss).toMatchObject({
      cached: false,
      channels: ['app', 'taobao'],
      orderIds: ['3862410087654321'],
      intent: 'logistics',
      slots: { orderId: '3862410087654321', trackingNo: 'SF1234567890123', amount: '8' },
      lastActivityAt: expect.any(String),
    });
    expect(miss.recentMessages).toEqual([
      { text: '订单 3862410087654321 什么时候发货？', channelType: 'app', senderType: 'CUSTOMER' },
      { text: '已为您加急，快递单号 SF1234567890123', channelType: 'app', senderType: 'AGENT' },
      { text: '淘宝这边补了运费 8 元吗？物流还没到', channelType: 'taobao', senderType: 'CUSTOMER' },
    ]);
    expect(miss.summary).toContain('订单：3862410087654321');
    expect(JSON.stringify(miss)).not.toContain('仓库缺货'); // notes never reach bots' context

    // In Redis with a 30-day TTL
    const ttl = await sg.cache.ttl(key);
    expect(ttl).toBeGreaterThan(CONTEXT_TTL_SECONDS - 10);
    expect(ttl).toBeLessThanOrEqual(30 * 24 * 3600);
    const hit = await contextOf(admin, customerId);
    expect(hit).toEqual({ ...miss, cached: true });

    // A new message invalidates; the next read has it.
    await gqlOk(sg.url, CUSTOMER_SAYS, { input: { conversationId: taobao.id, text: '我要退款' } }, admin);
    expect(await sg.cache.get(key)).toBeNull();
    const rebuilt = await contextOf(admin, customerId);
    expect(rebuilt).toMatchObject({ cached: false, intent: 'refund' });
    expect(rebuilt.recentMessages.at(-1)).toEqual({ text: '我要退款', channelType: 'taobao', senderType: 'CUSTOMER' });

    // Evicted from Redis: the database is the source of truth.
    await sg.cache.del(key);
    expect(await contextOf(admin, customerId)).toEqual({ ...rebuilt, cached: false });
    expect((await contextOf(admin, customerId)).cached).toBe(true);

    // Another tenant with the same customer id sees nothing of it.
    const other = await contextOf(await tokenFor(newTenant(), ['agent']), customerId);
    expect(other).toMatchObject({ cached: false, recentMessages: [], orderIds: [], channels: [], summary: null, intent: null, lastActivityAt: null });
  });

  it("takes an order message's order id, which its text need not carry (a Taobao buyer's question)", async () => {
    const tenant = newTenant();
    const admin = await tokenFor(tenant, ['admin']);
    const customerId = newId();
    await s.conversations.receive(tenant, {
      customerId, channelType: 'taobao', subject: null,
      message: { kind: 'order', text: '我的大米什么时候发货？', payload: { action: 'query', orderId: '3901237651234567890', text: '我的大米什么时候发货？' } },
    });
    expect(await contextOf(admin, customerId)).toMatchObject({ orderIds: ['3901237651234567890'], slots: { orderId: '3901237651234567890' } });
  });

  it('does not cache a rebuild that raced a write', async () => {
    const tenant = newTenant();
    const admin = await tokenFor(tenant, ['admin']);
    const customerId = newId();
    await openConversation(sg.url, admin, { customerId, channelType: 'app', text: '你好' });
    const key = ConversationContextService.key(tenant, customerId);
    const build = s.context.build.bind(s.context);
    const spy = jest.spyOn(s.context, 'build').mockImplementation(async (t, c) => {
      const read = await build(t, c);
      await s.context.invalidate(t, c); // a message lands after the read
      return read;
    });
    try {
      await s.context.rebuild(tenant, customerId);
    } finally {
      spy.mockRestore();
    }
    expect(await sg.cache.get(key)).toBeNull();
    await s.context.rebuild(tenant, customerId);
    expect(await sg.cache.get(key)).not.toBeNull();
  });

  it('follows customer merges: both customers\' contexts are rebuilt once the conversations moved', async () => {
    const tenant = newTenant();
    const admin = await tokenFor(tenant, ['admin']);
    const [survivor, merged] = [newId(), newId()];
    await openConversation(sg.url, admin, { customerId: survivor, channelType: 'app', text: '我是老客户' });
    await openConversation(sg.url, admin, { customerId: merged, channelType: 'taobao', text: '订单 3862410087654321 没到' });
    expect((await contextOf(admin, survivor)).channels).toEqual(['app']);
    expect((await contextOf(admin, survivor)).cached).toBe(true);
    await sg.events.publish({ type: 'customer.merged', tenantId: tenant, data: { mergeId: newId(), survivorId: survivor, mergedId: merged } });
    const after = await eventually(async () => {
      const c = await contextOf(admin, survivor);
      return c.channels.length === 2 ? c : undefined;
    }, 10_000);
    expect(after).toMatchObject({ channels: ['app', 'taobao'], orderIds: ['3862410087654321'] });
    expect((await contextOf(admin, merged)).recentMessages).toEqual([]);
  });
});

import { ExtractiveSummarizer } from './extractive.js';
import type { TranscriptLine } from './summarizer.js';

const t0 = Date.parse('2025-11-20T02:00:00Z');
const at = (minutes: number) => new Date(t0 + minutes * 60_000);
const C = (m: number, channelType: string, text: string, conversationId = 'c1'): TranscriptLine => ({ at: at(m), channelType, speaker: 'CUSTOMER', text, conversationId });
const A = (m: number, channelType: string, text: string, conversationId = 'c1'): TranscriptLine => ({ at: at(m), channelType, speaker: 'AGENT', text, conversationId });

describe('built-in extractive summarizer (Chinese fixtures)', () => {
  const summarizer = new ExtractiveSummarizer();

  it('app → phone: late delivery, invoice, promise, open ask, angry customer', async () => {
    const s = await summarizer.summarize({
      tenantId: 't',
      lines: [
        // given out of order on purpose: the summarizer orders by time
        C(60 * 24 + 1, 'phone', '我是会员，你们这服务太差了，再不到我就投诉！！', 'c2'),
        C(0, 'app', '你好，订单 3862410087654321 的物流三天没有更新了，麻烦查一下。'),
        A(2, 'app', '您好，已经为您催促快递，明天会更新物流信息。'),
        C(3, 'app', '另外能不能开一张发票？抬头是上海稻香贸易有限公司'),
        C(60 * 24, 'phone', '怎么还没到！！都等了一周了，到底什么时候能到？', 'c2'),
      ],
    });
    expect(s.channels).toEqual(['app', 'phone']);
    expect(s.since).toBe(at(0).toISOString());
    expect(s.orderIds).toEqual(['3862410087654321']);
    expect(s.promised).toEqual(['您好，已经为您催促快递，明天会更新物流信息。']);
    expect(s.wanted).toEqual([
      '你好，订单 3862410087654321 的物流三天没有更新了，麻烦查一下。',
      '另外能不能开一张发票？抬头是上海稻香贸易有限公司',
      '怎么还没到！！都等了一周了，到底什么时候能到？',
    ]);
    // the logistics ask was answered (same intent), the invoice and the phone follow-up were not
    expect(s.open).toEqual(['另外能不能开一张发票？抬头是上海稻香贸易有限公司', '怎么还没到！！都等了一周了，到底什么时候能到？']);
    expect(s.mood).toBe('angry');
    expect(s.provider).toBe('builtin');
    expect(s.text).toContain('渠道：app → phone（自 2025-11-20 起）');
    expect(s.text).toContain('订单：3862410087654321');
    expect(s.text).toContain('情绪：生气');
  });

  it('finds Taobao tids and named order ids, but not phone or tracking numbers', async () => {
    const s = await summarizer.summarize({
      tenantId: 't',
      lines: [
        C(0, 'taobao', '订单号：20251119123456789012 和 2025111912345678 都没发货，我电话 13812345678'),
        C(1, 'taobao', '京东那边订单号 JD-88812345 也查一下，快递单号 SF1234567890123'),
        A(2, 'taobao', '好的，马上为您核实这两个订单。'),
      ],
    });
    // a number named 订单号 is an order id whatever its length; a bare one must look like a tid (16–19 digits)
    expect(s.orderIds).toEqual(['20251119123456789012', '2025111912345678', 'JD-88812345']);
    expect(s.orderIds).not.toContain('13812345678');
    expect(s.orderIds).not.toContain('SF1234567890123');
    expect(s.promised).toEqual(['好的，马上为您核实这两个订单。']);
  });

  it('tells promises (会, 将, 已为您, 退款, 补发) from questions and from 会员', async () => {
    const s = await summarizer.summarize({
      tenantId: 't',
      lines: [
        C(0, 'wechat-oa', '刚拆开的大米里有小虫子，我要退款'),
        A(1, 'wechat-oa', '需要为您办理退款吗？'),
        A(2, 'wechat-oa', '您是我们的老会员了，会员价是 39.9 元。'),
        A(2.5, 'wechat-oa', '包裹后天会到。'),
        A(3, 'wechat-oa', '我们将为您补发一袋新米，明天顺丰发出。'),
        A(4, 'wechat-oa', '退款 39.9 元已经原路退回，1-3 个工作日到账。'),
        A(5, 'wechat-oa', '稍后专员会给您回电。'),
        C(6, 'wechat-oa', '好的，谢谢！'),
      ],
    });
    expect(s.promised).toEqual([
      '包裹后天会到。', // 会 as a word, while 会员 is not a promise
      '我们将为您补发一袋新米，明天顺丰发出。',
      '退款 39.9 元已经原路退回，1-3 个工作日到账。',
      '稍后专员会给您回电。',
    ]);
    expect(s.wanted).toEqual(['刚拆开的大米里有小虫子，我要退款']);
    expect(s.open).toEqual([]);
    expect(s.mood).toBe('calm');
  });

  it('reads mood from words and punctuation: calm, anxious, angry', async () => {
    const mood = async (...texts: string[]) => (await summarizer.summarize({ tenantId: 't', lines: texts.map((t, i) => C(i, 'app', t)) })).mood;
    expect(await mood('请问五常大米有 10 斤装的吗？', '好的谢谢')).toBe('calm');
    expect(await mood('在吗？', '怎么还没发货？？', '我着急用，麻烦快点')).toBe('anxious');
    expect(await mood('什么破服务！！！', '我要投诉你们，给差评')).toBe('angry');
  });

  it('closes the asks of a conversation that was resolved, and ignores greetings', async () => {
    const s = await summarizer.summarize({
      tenantId: 't',
      lines: [
        C(0, 'web', '你好'),
        C(1, 'web', '请问可以修改收货地址吗？'),
        { at: at(5), channelType: 'web', speaker: 'SYSTEM', text: '', conversationId: 'c1', event: 'RESOLVED' },
        C(10, 'douyin', '直播间买的米什么时候发货？', 'c2'),
      ],
    });
    expect(s.wanted).toEqual(['请问可以修改收货地址吗？', '直播间买的米什么时候发货？']);
    expect(s.open).toEqual(['直播间买的米什么时候发货？']);
    expect(s.channels).toEqual(['web', 'douyin']);
  });

  it('is deterministic and handles an empty history', async () => {
    const lines = [C(0, 'app', '订单 3862410087654321 什么时候发货？'), A(1, 'app', '今天会发出。')];
    expect(await summarizer.summarize({ tenantId: 't', lines })).toEqual(await summarizer.summarize({ tenantId: 't', lines: [...lines].reverse() }));
    const empty = await summarizer.summarize({ tenantId: 't', lines: [] });
    expect(empty).toEqual({ channels: [], since: null, wanted: [], orderIds: [], promised: [], open: [], mood: 'calm', text: '情绪：平静', provider: 'builtin' });
  });
});

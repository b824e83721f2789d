import { detectIntent, extractAmounts, extractOrderIds, extractTrackingNumbers, isTrivial, sentences } from './text.js';

describe('text analysis', () => {
  it('splits sentences on Chinese and Latin punctuation, keeping it', () => {
    expect(sentences('你好。订单没到！！怎么回事？\n谢谢;ok')).toEqual(['你好。', '订单没到！！', '怎么回事？', '谢谢;', 'ok']);
    expect(sentences('。。。')).toEqual([]);
  });

  it('extracts order ids in writing order, tracking numbers and amounts apart', () => {
    expect(extractOrderIds('tid 1234567890123456789 和 订单号:A2025-1119-001，运单号 YT1234567890123')).toEqual(['1234567890123456789', 'A2025-1119-001']);
    expect(extractOrderIds('我的手机 13912345678，订单是 13912345678')).toEqual([]);
    expect(extractOrderIds('12345678901234567890123 太长了，不是 tid')).toEqual([]);
    expect(extractTrackingNumbers('运单号 YT1234567890123，另一个 SF123456789012')).toEqual(['YT1234567890123', 'SF123456789012']);
    expect(extractAmounts('退 ¥39.9，运费 8 元，差价 5块')).toEqual(['39.9', '8', '5']);
  });

  it('recognises the intent, the latest message weighing most', () => {
    expect(detectIntent(['发票怎么开？']).intent).toBe('invoice');
    expect(detectIntent(['什么时候发货？', '我想开发票']).intent).toBe('invoice');
    expect(detectIntent(['我想开发票', '什么时候发货？']).intent).toBe('logistics');
    expect(detectIntent(['你好']).intent).toBeNull();
  });

  it('knows a greeting from a request', () => {
    expect(isTrivial('在吗？')).toBe(true);
    expect(isTrivial('好的，谢谢！')).toBe(false); // two acknowledgements: harmless, scored 0 as an ask anyway
    expect(isTrivial('在吗，什么时候发货')).toBe(false);
  });
});

import { highlight } from './highlight.js';
import { SearchIndex, type SearchDoc } from './search.engine.js';
import { Segmenter } from './segmenter.js';
import { SynonymTable } from './synonyms.js';

const segmenter = new Segmenter();

const doc = (over: Partial<SearchDoc> & Pick<SearchDoc, 'id'>): SearchDoc => ({
  kind: 'ARTICLE',
  title: '',
  questions: [],
  body: '',
  tags: [],
  status: 'PUBLISHED',
  validFrom: null,
  validTo: null,
  stale: false,
  updatedAt: new Date(0),
  ...over,
});

const ids = (index: SearchIndex, q: string, audience: 'bot' | 'staff' = 'bot', first = 10) => index.search(q, { first, audience }).map((h) => h.doc.id);

describe('Chinese segmentation with the domain dictionary', () => {
  it('keeps domain words whole and drops particles and punctuation', () => {
    const t = segmenter.tokens('亲，东北大米顺丰发货吗？支持7天无理由退货吗');
    expect(t).toEqual(expect.arrayContaining(['东北大米', '顺丰', '发货', '7天无理由', '退货']));
    expect(t).not.toContain('吗');
    expect(t).not.toContain('，');
    // without the domain dictionary jieba does not know the phrase
    expect(new Segmenter({ domainDictionary: false }).tokens('支持7天无理由退货吗')).not.toContain('7天无理由');
  });

  it('treats full-width and upper-case like their plain forms', () => {
    expect(segmenter.tokens('５ＫＧ装')).toEqual(segmenter.tokens('5kg装'));
  });
});

describe('BM25 index', () => {
  function kb(): SearchIndex {
    const index = new SearchIndex(segmenter);
    index.upsert(doc({ id: 'delivery', title: '下单后多久发货？', body: '每日16:00前付款当天发货，默认顺丰或京东物流。' }));
    index.upsert(doc({ id: 'storage', title: '大米如何储存', body: '真空包装未开封可保存12个月，开袋后放在阴凉干燥处，米桶放大蒜防虫。' }));
    index.upsert(doc({ id: 'bugs', kind: 'FAQ', title: '大米里有米虫怎么办？', questions: ['大米里有米虫怎么办？', '米生虫了还能吃吗'], body: '摊开放在阴凉通风处，米虫会自行爬走。' }));
    index.upsert(doc({ id: 'returns', title: '退换货政策', body: '签收后7天内未拆封支持无理由退货。', tags: ['售后'] }));
    return index;
  }

  it('ranks by relevance and scores hits', () => {
    const index = kb();
    const hits = index.search('米里有虫子', { first: 3, audience: 'bot' });
    expect(hits[0].doc.id).toBe('bugs'); // 虫子 → 米虫 through the built-in synonyms
    expect(hits[0].score).toBeGreaterThan(hits[1]?.score ?? 0);
    expect(ids(index, '快递几点前下单当天发')[0]).toBe('delivery'); // 快递 = 物流 = 发货
    expect(ids(index, '退款')[0]).toBe('returns'); // 退款 = 退货
    expect(ids(index, '售后')).toEqual(['returns']); // tags count
    expect(ids(index, 'zzz 不存在的词')).toEqual([]);
  });

  it('expands queries with a tenant’s own synonyms, swapped without re-indexing', () => {
    const index = kb();
    expect(ids(index, '囤粮')).toEqual([]);
    index.setSynonyms(SynonymTable.withDefaults([['囤粮', '储存']]));
    expect(ids(index, '囤粮')).toEqual(['storage']);
  });

  it('shows the bot only published, currently valid and fresh documents; staff see drafts too', () => {
    const index = new SearchIndex(segmenter);
    const now = Date.now();
    index.upsert(doc({ id: 'live', title: '五常大米礼盒' }));
    index.upsert(doc({ id: 'draft', title: '五常大米礼盒草稿', status: 'DRAFT' }));
    index.upsert(doc({ id: 'future', title: '五常大米礼盒预告', validFrom: new Date(now + 86_400_000) }));
    index.upsert(doc({ id: 'expired', title: '五常大米礼盒旧活动', validTo: new Date(now - 1000) }));
    index.upsert(doc({ id: 'stale', title: '五常大米礼盒已下架', stale: true }));
    index.upsert(doc({ id: 'archived', title: '五常大米礼盒归档', status: 'ARCHIVED' }));
    expect(ids(index, '五常大米礼盒')).toEqual(['live']);
    expect(ids(index, '五常大米礼盒', 'staff').sort()).toEqual(['draft', 'expired', 'future', 'live', 'stale']);
    expect(index.search('五常大米礼盒', { first: 10, audience: 'bot', now: new Date(now + 2 * 86_400_000) }).map((h) => h.doc.id).sort()).toEqual(['future', 'live']);
    expect(index.search('五常大米礼盒', { first: 10, audience: 'staff', kinds: ['FAQ'] })).toEqual([]);
  });

  it('replaces and removes documents, and keeps answering right after compacting tombstones', () => {
    const index = new SearchIndex(segmenter);
    for (let i = 0; i < 1500; i++) index.upsert(doc({ id: `a${i}`, title: `第${i}号商品 稻花香`, body: '五常大米' }));
    index.upsert(doc({ id: 'a7', title: '泰国香米' }));
    expect(ids(index, '泰国香米')).toEqual(['a7']);
    for (let i = 0; i < 1400; i++) index.remove('ARTICLE', `a${i}`); // triggers compaction on the way
    expect(index.size).toBe(100);
    expect(ids(index, '泰国香米')).toEqual([]);
    expect(ids(index, '稻花香', 'bot', 200)).toHaveLength(100);
    index.upsert(doc({ id: 'a1450', title: '泰国香米', status: 'ARCHIVED' })); // archived means removed
    expect(index.get('ARTICLE', 'a1450')).toBeUndefined();
    expect(index.size).toBe(99);
  });

  it('limits the hits and breaks ties by the most recent update', () => {
    const index = new SearchIndex(segmenter);
    index.upsert(doc({ id: 'old', title: '顺丰', updatedAt: new Date(1000) }));
    index.upsert(doc({ id: 'new', title: '顺丰', updatedAt: new Date(2000) }));
    expect(ids(index, '顺丰')).toEqual(['new', 'old']);
    expect(ids(index, '顺丰', 'bot', 1)).toEqual(['new']);
  });

  it('reports the matched words (and synonyms) for highlighting', () => {
    const index = kb();
    const [hit] = index.search('米里有虫子', { first: 1, audience: 'bot' });
    expect(hit.matched).toEqual(expect.arrayContaining(['米虫']));
  });
});

describe('highlight', () => {
  it('wraps matches in <em> and escapes everything else', () => {
    expect(highlight('<b>顺丰</b> & 京东物流', ['顺丰', '物流'])).toBe('&lt;b&gt;<em>顺丰</em>&lt;/b&gt; &amp; 京东<em>物流</em>');
  });

  it('matches regardless of width and case, in the original characters', () => {
    expect(highlight('规格：５ＫＧ真空包装', ['5kg'])).toBe('规格：<em>５ＫＧ</em>真空包装');
  });

  it('cuts a window around the densest matches with ellipses', () => {
    const text = `${'前言'.repeat(60)}真空包装的大米保质期十二个月${'后记'.repeat(60)}`;
    const s = highlight(text, ['真空包装', '保质期'], 40);
    expect(s.startsWith('…')).toBe(true);
    expect(s.endsWith('…')).toBe(true);
    expect(s).toContain('<em>真空包装</em>的大米<em>保质期</em>');
    expect(s.replace(/<\/?em>|…/g, '').length).toBeLessThanOrEqual(40);
  });
});

import { isPrivateAddress } from './crawler.http.js';
import { describeFactChanges, parseCsvFeed, parseJsonFeed, parseProductPage, productArticle } from './crawler.parse.js';

describe('product pages', () => {
  it('reads a JSON-LD Product (offers, additionalProperty, availability)', () => {
    const html = `<html><head><script type="application/ld+json">{"@context":"https://schema.org","@graph":[{"@type":"BreadcrumbList"},
      {"@type":"Product","name":"五常稻花香大米 5kg","sku":"WC-5KG","description":"当季新米，真空包装",
       "offers":{"@type":"Offer","price":"128","priceCurrency":"CNY","availability":"https://schema.org/InStock"},
       "additionalProperty":[{"@type":"PropertyValue","name":"规格","value":"5kg 真空包装"},{"@type":"PropertyValue","name":"保质期","value":"12个月"}]}]}
      </script><script type="application/ld+json">{ broken json</script></head><body>…</body></html>`;
    expect(parseProductPage(html, 'https://shop.example/p/wc5')).toEqual([
      { key: 'WC-5KG', name: '五常稻花香大米 5kg', price: '128.00', currency: 'CNY', specification: '5kg 真空包装', stock: '有货', shelfLife: '12个月', description: '当季新米，真空包装', url: 'https://shop.example/p/wc5' },
    ]);
  });

  it('falls back to itemprop markup, decoding entities and stripping tags', () => {
    const html = `<div itemscope itemtype="https://schema.org/Product">
      <h1 itemprop="name">东北长粒香 &amp; 新米 <small>10kg</small></h1>
      <meta itemprop="sku" content="DB-10KG">
      <span itemprop="price" content="¥129.00">¥129</span>
      <td itemprop="specification">10kg 编织袋</td><td itemprop="shelfLife">6个月</td>
      <link itemprop="availability" href="https://schema.org/OutOfStock"><span itemprop="stock">0</span>
    </div>`;
    expect(parseProductPage(html, 'https://shop.example/p/db10')).toEqual([
      { key: 'DB-10KG', name: '东北长粒香 & 新米 10kg', price: '129.00', currency: null, specification: '10kg 编织袋', stock: '缺货', shelfLife: '6个月', description: null, url: 'https://shop.example/p/db10' },
    ]);
  });

  it('refuses a page without a product', () => {
    expect(() => parseProductPage('<html><body>首页</body></html>', 'https://shop.example/')).toThrow(/no product/);
  });
});

describe('feeds', () => {
  it('reads a JSON feed with English or Chinese keys, stock counts as states', () => {
    const body = JSON.stringify({ products: [
      { sku: 'A1', name: '泰国茉莉香米', price: 89, spec: '5kg', stock: 12, shelf_life: '18个月', url: 'https://shop.example/a1' },
      { 商品编码: 'B2', 商品名称: '黑米', 价格: '¥29.9', 规格: '1kg', 库存: '售罄' },
      { note: 'no name: skipped' },
    ] });
    expect(parseJsonFeed(body, 'https://shop.example/feed.json')).toEqual([
      { key: 'A1', name: '泰国茉莉香米', price: '89.00', currency: null, specification: '5kg', stock: '有货', shelfLife: '18个月', description: null, url: 'https://shop.example/a1' },
      { key: 'B2', name: '黑米', price: '29.90', currency: null, specification: '1kg', stock: '缺货', shelfLife: null, description: null, url: null },
    ]);
    expect(() => parseJsonFeed('{"hello":1}', 'x')).toThrow(/array/);
  });

  it('reads a CSV feed with a BOM and a header row', () => {
    const csv = '\ufeffsku,name,price,specification,stock,shelf_life\nC3,"胚芽米, 1kg",35,1kg,预售,12个月\n';
    expect(parseCsvFeed(csv, 'https://shop.example/feed.csv')).toEqual([
      { key: 'C3', name: '胚芽米, 1kg', price: '35.00', currency: null, specification: '1kg', stock: '预售', shelfLife: '12个月', description: null, url: null },
    ]);
  });
});

describe('change notes and articles', () => {
  const before = { key: 'A1', name: '泰国茉莉香米', price: '89.00', currency: null, specification: '5kg', stock: '有货', shelfLife: '18个月', description: '原装进口', url: null };

  it('names each changed fact with its old and new value', () => {
    expect(describeFactChanges(before, { ...before, price: '79.00', stock: '缺货' })).toEqual(['价格：¥89.00 → ¥79.00', '库存：有货 → 缺货']);
    expect(describeFactChanges(before, { ...before, description: '新描述', shelfLife: null })).toEqual(['保质期：18个月 → 无', '描述已更新']);
    expect(describeFactChanges(before, { ...before })).toEqual([]);
  });

  it('writes the facts first in the article body', () => {
    expect(productArticle(before)).toEqual({ title: '泰国茉莉香米', body: '【泰国茉莉香米】\n价格：¥89.00\n规格：5kg\n库存：有货\n保质期：18个月\n原装进口' });
  });
});

describe('private address guard', () => {
  it.each(['127.0.0.1', '10.1.2.3', '172.16.0.1', '192.168.1.1', '169.254.169.254', '::1', 'fd00::1', 'fe80::1', '::ffff:127.0.0.1', '0.0.0.0'])('%s is private', (a) => {
    expect(isPrivateAddress(a)).toBe(true);
  });
  it.each(['8.8.8.8', '203.0.113.5', '2001:db8::1', '172.32.0.1'])('%s is public', (a) => {
    expect(isPrivateAddress(a)).toBe(false);
  });
});

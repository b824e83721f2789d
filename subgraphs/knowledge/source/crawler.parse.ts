import { parse as parseCsv } from 'csv-parse/sync';

/** The facts of one product as a source states them, normalised so that two crawls compare equal. */
export interface ProductFacts {
  /** The SKU when the source gives one, else the product page URL (or the name, for a feed row without either). */
  key: string;
  name: string;
  price: string | null;
  currency: string | null;
  specification: string | null;
  /** 有货 | 缺货 | 预售 | 库存紧张 | 已下架, or the source's own words. */
  stock: string | null;
  shelfLife: string | null;
  description: string | null;
  url: string | null;
}

/** The facts whose change makes a new article version, with the words the change note uses. */
export const TRACKED_FACTS: ReadonlyArray<[keyof ProductFacts, string]> = [
  ['name', '名称'],
  ['price', '价格'],
  ['specification', '规格'],
  ['stock', '库存'],
  ['shelfLife', '保质期'],
  ['description', '描述'],
];

export type SourceKind = 'PRODUCT_PAGES' | 'JSON_FEED' | 'CSV_FEED';

/** The products in a fetched document. Throws when the document cannot be read as its kind. */
export function parseProducts(kind: SourceKind, body: string, url: string): ProductFacts[] {
  if (kind === 'JSON_FEED') return parseJsonFeed(body, url);
  if (kind === 'CSV_FEED') return parseCsvFeed(body, url);
  return parseProductPage(body, url);
}

// ---- product pages: JSON-LD Product first, microdata (itemprop) otherwise ----

const LD_JSON = /<script\b[^>]*\btype\s*=\s*["']application\/ld\+json["'][^>]*>([\s\S]*?)<\/script>/gi;

export function parseProductPage(html: string, url: string): ProductFacts[] {
  const products: ProductFacts[] = [];
  for (const m of html.matchAll(LD_JSON)) {
    let data: unknown;
    try {
      data = JSON.parse(m[1].trim());
    } catch {
      continue; // a broken block elsewhere on the page must not hide the product
    }
    for (const node of flattenLd(data)) if (isType(node, 'Product')) products.push(fromJsonLd(node, url));
  }
  if (products.length) return products;
  const micro = fromMicrodata(html, url);
  if (micro) return [micro];
  throw new Error('no product found (neither JSON-LD Product nor itemprop markup)');
}

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);

function flattenLd(data: unknown): Obj[] {
  if (Array.isArray(data)) return data.flatMap(flattenLd);
  if (!isObj(data)) return [];
  return [data, ...(Array.isArray(data['@graph']) ? flattenLd(data['@graph']) : [])];
}

function isType(node: Obj, type: string): boolean {
  const t = node['@type'];
  return t === type || (Array.isArray(t) && t.includes(type)) || (typeof t === 'string' && t.endsWith(`/${type}`));
}

const text = (v: unknown): string | null => {
  if (typeof v === 'string') return v.trim() || null;
  if (typeof v === 'number') return String(v);
  if (isObj(v) && 'value' in v) return [text(v.value), text(v.unitText) ?? text(v.unitCode)].filter(Boolean).join(' ') || null;
  return null;
};

function fromJsonLd(p: Obj, pageUrl: string): ProductFacts {
  const offers = Array.isArray(p.offers) ? p.offers.filter(isObj) : isObj(p.offers) ? [p.offers] : [];
  const offer = offers[0] ?? {};
  const props = new Map<string, string>();
  for (const ap of Array.isArray(p.additionalProperty) ? p.additionalProperty.filter(isObj) : []) {
    const name = text(ap.name);
    const value = text(ap.value);
    if (name && value) props.set(factName(name) ?? name, value);
  }
  const inventory = isObj(offer.inventoryLevel) ? text(offer.inventoryLevel.value) : text(offer.inventoryLevel);
  return normalizeFacts({
    key: text(p.sku) ?? text(p.productID) ?? text(p.gtin13) ?? null,
    name: text(p.name),
    price: text(offer.price) ?? text(offer.lowPrice),
    currency: text(offer.priceCurrency),
    specification: props.get('specification') ?? text(p.size) ?? text(p.weight),
    stock: props.get('stock') ?? inventory ?? text(offer.availability),
    shelfLife: props.get('shelfLife') ?? null,
    description: text(p.description),
    url: text(p.url) ?? pageUrl,
  }, pageUrl);
}

const ITEMPROP = /<([a-zA-Z][a-zA-Z0-9]*)\b([^>]*?)\bitemprop\s*=\s*["']([^"']+)["']([^>]*)>/g;

function fromMicrodata(html: string, pageUrl: string): ProductFacts | null {
  const found = new Map<string, string>();
  for (const m of html.matchAll(ITEMPROP)) {
    const [tag, attrs] = [m[1].toLowerCase(), `${m[2]} ${m[4]}`];
    const content = /\bcontent\s*=\s*["']([^"']*)["']/i.exec(attrs)?.[1];
    let value: string;
    if (content !== undefined) value = decodeEntities(content);
    else {
      const start = (m.index ?? 0) + m[0].length;
      const end = html.toLowerCase().indexOf(`</${tag}`, start);
      value = end === -1 ? '' : stripTags(html.slice(start, end));
    }
    const name = factName(m[3]) ?? m[3];
    if (value && !found.has(name)) found.set(name, value);
  }
  if (!found.get('name')) return null;
  return normalizeFacts({
    key: found.get('key') ?? null,
    name: found.get('name') ?? null,
    price: found.get('price') ?? null,
    currency: found.get('currency') ?? null,
    specification: found.get('specification') ?? null,
    stock: found.get('stock') ?? null,
    shelfLife: found.get('shelfLife') ?? null,
    description: found.get('description') ?? null,
    url: found.get('url') ?? pageUrl,
  }, pageUrl);
}

// ---- feeds: a JSON array (or { products | items | data: [...] }) or a CSV with a header row ----

export function parseJsonFeed(body: string, feedUrl: string): ProductFacts[] {
  const data = JSON.parse(body) as unknown;
  const rows = Array.isArray(data) ? data : isObj(data) ? (data.products ?? data.items ?? data.data) : undefined;
  if (!Array.isArray(rows)) throw new Error('a JSON feed must be an array of products or { "products": [...] }');
  return rows.filter(isObj).map((r) => fromRow(r, feedUrl)).filter((p): p is ProductFacts => p !== null);
}

export function parseCsvFeed(body: string, feedUrl: string): ProductFacts[] {
  const rows = parseCsv(body, { columns: true, bom: true, skip_empty_lines: true, trim: true, relax_column_count: true }) as Array<Record<string, string>>;
  return rows.map((r) => fromRow(r, feedUrl)).filter((p): p is ProductFacts => p !== null);
}

function fromRow(row: Obj, feedUrl: string): ProductFacts | null {
  const found: Partial<Record<string, string>> = {};
  for (const [k, v] of Object.entries(row)) {
    const name = factName(k);
    const value = text(v);
    if (name && value && found[name] === undefined) found[name] = value;
  }
  if (!found.name) return null;
  return normalizeFacts({
    key: found.key ?? null,
    name: found.name,
    price: found.price ?? null,
    currency: found.currency ?? null,
    specification: found.specification ?? null,
    stock: found.stock ?? null,
    shelfLife: found.shelfLife ?? null,
    description: found.description ?? null,
    url: found.url ?? null,
  }, feedUrl);
}

/** Column, property and itemprop names (English or Chinese) → fact names. */
const ALIASES: Record<string, string> = {
  sku: 'key', id: 'key', code: 'key', productid: 'key', itemid: 'key', 商品编码: 'key', 货号: 'key', 编码: 'key', 商品id: 'key',
  name: 'name', title: 'name', productname: 'name', 商品名称: 'name', 名称: 'name', 品名: 'name', 商品名: 'name',
  price: 'price', saleprice: 'price', 价格: 'price', 售价: 'price', 单价: 'price',
  currency: 'currency', pricecurrency: 'currency', 币种: 'currency',
  specification: 'specification', spec: 'specification', specs: 'specification', size: 'specification', netcontent: 'specification', netweight: 'specification', 规格: 'specification', 净含量: 'specification',
  stock: 'stock', inventory: 'stock', inventorylevel: 'stock', availability: 'stock', qty: 'stock', quantity: 'stock', 库存: 'stock', 库存状态: 'stock',
  shelflife: 'shelfLife', 保质期: 'shelfLife',
  description: 'description', desc: 'description', 描述: 'description', 商品描述: 'description', 简介: 'description',
  url: 'url', link: 'url', 链接: 'url', 商品链接: 'url',
};

function factName(raw: string): string | null {
  return ALIASES[raw.toLowerCase().replace(/[\s_-]/g, '')] ?? null;
}

const STOCK_WORDS: Array<[RegExp, string]> = [
  [/^(https?:\/\/schema\.org\/)?(instock|onlineonly|instoreonly)$|^(有货|现货|in ?stock|available)$/i, '有货'],
  [/^(https?:\/\/schema\.org\/)?(outofstock|soldout)$|^(缺货|无货|售罄|已售罄|out of stock|sold out)$/i, '缺货'],
  [/^(https?:\/\/schema\.org\/)?(preorder|presale|backorder)$|^(预售|pre-?order)$/i, '预售'],
  [/^(https?:\/\/schema\.org\/)?limitedavailability$|^(库存紧张|少量)$/i, '库存紧张'],
  [/^(https?:\/\/schema\.org\/)?discontinued$|^(已下架|下架|停售)$/i, '已下架'],
];

/** Stock as a state, not a count: a count that changes every crawl would make a new version every crawl. */
export function normalizeStock(raw: string | null): string | null {
  if (raw == null) return null;
  const s = raw.trim();
  if (/^\d+(\.\d+)?$/.test(s)) return Number(s) > 0 ? '有货' : '缺货';
  for (const [re, word] of STOCK_WORDS) if (re.test(s)) return word;
  return s || null;
}

export function normalizePrice(raw: string | null): string | null {
  if (raw == null) return null;
  const s = raw.replace(/[¥￥,，\s]|RMB|CNY|元/gi, '');
  const n = Number(s);
  return s && Number.isFinite(n) ? n.toFixed(2) : raw.trim() || null;
}

function normalizeFacts(f: { [K in keyof ProductFacts]: string | null }, fallbackUrl: string): ProductFacts {
  const clean = (v: string | null) => (v == null ? null : v.replace(/\s+/g, ' ').trim() || null);
  const url = clean(f.url);
  const name = clean(f.name) ?? '';
  return {
    key: (clean(f.key) ?? url ?? (name || fallbackUrl)).slice(0, 191),
    name: name.slice(0, 200),
    price: normalizePrice(f.price),
    currency: clean(f.currency)?.toUpperCase() ?? null,
    specification: clean(f.specification),
    stock: normalizeStock(f.stock),
    shelfLife: clean(f.shelfLife),
    description: clean(f.description),
    url,
  };
}

export function stripTags(html: string): string {
  return decodeEntities(html.replace(/<script[\s\S]*?<\/script>|<style[\s\S]*?<\/style>/gi, ' ').replace(/<[^>]+>/g, ' ')).replace(/\s+/g, ' ').trim();
}

const NAMED: Record<string, string> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'", nbsp: ' ', yen: '¥' };

export function decodeEntities(s: string): string {
  return s.replace(/&(#x[0-9a-f]+|#\d+|[a-z]+);/gi, (m, e: string) => {
    if (e[0] === '#') {
      const code = e[1] === 'x' || e[1] === 'X' ? parseInt(e.slice(2), 16) : parseInt(e.slice(1), 10);
      return Number.isFinite(code) && code > 0 && code <= 0x10ffff ? String.fromCodePoint(code) : m;
    }
    return NAMED[e.toLowerCase()] ?? m;
  });
}

/** What changed between two crawls of a product, for the change note ("价格：¥128.00 → ¥118.00"). */
export function describeFactChanges(before: Partial<ProductFacts>, after: ProductFacts): string[] {
  const show = (k: keyof ProductFacts, v: string | null | undefined) => (v == null ? '无' : k === 'price' ? formatPrice(v, after.currency) : k === 'description' ? '（已更新）' : v);
  const out: string[] = [];
  for (const [k, label] of TRACKED_FACTS) {
    const a = before[k] ?? null;
    const b = after[k] ?? null;
    if (a !== b) out.push(k === 'description' ? `${label}已更新` : `${label}：${show(k, a)} → ${show(k, b)}`);
  }
  return out;
}

export function formatPrice(price: string, currency: string | null): string {
  return !currency || currency === 'CNY' || currency === 'RMB' ? `¥${price}` : `${price} ${currency}`;
}

/** The article that presents a product: the facts first (what customers ask about), then the description. */
export function productArticle(p: ProductFacts): { title: string; body: string } {
  const lines = [
    `【${p.name}】`,
    p.price ? `价格：${formatPrice(p.price, p.currency)}` : null,
    p.specification ? `规格：${p.specification}` : null,
    p.stock ? `库存：${p.stock}` : null,
    p.shelfLife ? `保质期：${p.shelfLife}` : null,
    p.description,
    p.url ? `商品链接：${p.url}` : null,
  ].filter((l): l is string => !!l);
  return { title: p.name.slice(0, 200), body: lines.join('\n').slice(0, 16_000) };
}

import { createHash } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface ShopProduct {
  sku: string;
  name: string;
  price: number;
  spec: string;
  stock: number;
  shelfLife: string;
  description?: string;
}

export interface ShopRequest {
  path: string;
  at: number;
  headers: IncomingMessage['headers'];
  status: number;
}

/**
 * A local stand-in for a brand's shop, speaking plain HTTP like the real thing: product pages with JSON-LD
 * (/p/<sku>) or microdata (/m/<sku>), a JSON feed with Last-Modified, a CSV feed with an ETag, robots.txt,
 * 304 answers to conditional requests, 404 for products that are gone, a redirect and a slow page.
 */
export class FakeShop {
  readonly products = new Map<string, ShopProduct>();
  readonly requests: ShopRequest[] = [];
  robots = 'User-agent: *\nDisallow: /private/\n';
  robotsStatus = 200;
  /** Changes whenever the feed content changes (Last-Modified of the JSON feed). */
  private feedModified = new Date('2025-01-01T00:00:00Z');
  private server?: Server;
  url = '';

  async start(): Promise<this> {
    this.server = createServer((req, res) => this.handle(req, res));
    await new Promise<void>((r) => this.server!.listen(0, '127.0.0.1', r));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
    return this;
  }

  async stop(): Promise<void> {
    this.server?.closeAllConnections();
    await new Promise<void>((r) => (this.server ? this.server.close(() => r()) : r()));
  }

  set(p: ShopProduct): void {
    this.products.set(p.sku, p);
    this.touch();
  }

  remove(sku: string): void {
    this.products.delete(sku);
    this.touch();
  }

  /** Requests for a path (or all of them), in order. */
  hits(path?: string): ShopRequest[] {
    return path ? this.requests.filter((r) => r.path === path) : this.requests;
  }

  private touch(): void {
    // HTTP dates have whole seconds: move on by at least one so If-Modified-Since sees the change
    this.feedModified = new Date(Math.max(Date.now(), this.feedModified.getTime() + 1000));
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const path = new URL(req.url ?? '/', 'http://x').pathname;
    const send = (status: number, body = '', headers: Record<string, string> = {}) => {
      this.requests.push({ path, at: Date.now(), headers: req.headers, status });
      res.writeHead(status, headers).end(body);
    };
    const withEtag = (body: string, type: string) => {
      const etag = `"${createHash('sha1').update(body).digest('hex').slice(0, 16)}"`;
      if (req.headers['if-none-match'] === etag) return send(304, '', { etag });
      return send(200, body, { 'content-type': type, etag });
    };
    if (path === '/robots.txt') return send(this.robotsStatus, this.robots, { 'content-type': 'text/plain' });
    if (path === '/slow') {
      await new Promise((r) => setTimeout(r, 400));
      return send(200, page(this.products.values().next().value!), { 'content-type': 'text/html; charset=utf-8' });
    }
    if (path === '/old-link') return send(301, '', { location: '/p/WC-5KG' });
    const m = /^\/(p|m|private)\/([^/]+)$/.exec(path);
    if (m) {
      const p = this.products.get(decodeURIComponent(m[2]));
      if (!p) return send(404, 'not found');
      return withEtag(m[1] === 'm' ? microdataPage(p) : page(p), 'text/html; charset=utf-8');
    }
    if (path === '/feed.json') {
      const lm = this.feedModified.toUTCString();
      const since = req.headers['if-modified-since'];
      if (since && new Date(since).getTime() >= Math.floor(this.feedModified.getTime() / 1000) * 1000) return send(304, '', { 'last-modified': lm });
      const body = JSON.stringify({ products: [...this.products.values()].map((p) => ({ sku: p.sku, name: p.name, price: p.price, spec: p.spec, stock: p.stock, shelf_life: p.shelfLife, description: p.description })) });
      return send(200, body, { 'content-type': 'application/json', 'last-modified': lm });
    }
    if (path === '/feed.csv') {
      const rows = [...this.products.values()].map((p) => [p.sku, p.name, p.price, p.spec, p.stock, p.shelfLife].map((v) => `"${String(v).replace(/"/g, '""')}"`).join(','));
      return withEtag(`商品编码,商品名称,价格,规格,库存,保质期\n${rows.join('\n')}\n`, 'text/csv; charset=utf-8');
    }
    return send(404, 'not found');
  }
}

function page(p: ShopProduct): string {
  const ld = {
    '@context': 'https://schema.org',
    '@type': 'Product',
    name: p.name,
    sku: p.sku,
    description: p.description,
    offers: { '@type': 'Offer', price: String(p.price), priceCurrency: 'CNY', availability: p.stock > 0 ? 'https://schema.org/InStock' : 'https://schema.org/OutOfStock' },
    additionalProperty: [
      { '@type': 'PropertyValue', name: '规格', value: p.spec },
      { '@type': 'PropertyValue', name: '保质期', value: p.shelfLife },
    ],
  };
  return `<!doctype html><html><head><meta charset="utf-8"><title>${p.name}</title>
<script type="application/ld+json">${JSON.stringify(ld)}</script></head>
<body><h1>${p.name}</h1><p class="price">¥${p.price}</p></body></html>`;
}

function microdataPage(p: ShopProduct): string {
  return `<!doctype html><html><body><div itemscope itemtype="https://schema.org/Product">
<h1 itemprop="name">${p.name}</h1><meta itemprop="sku" content="${p.sku}">
<span itemprop="price" content="${p.price}">¥${p.price}</span>
<table><tr><th>规格</th><td itemprop="specification">${p.spec}</td></tr><tr><th>保质期</th><td itemprop="shelfLife">${p.shelfLife}</td></tr>
<tr><th>库存</th><td itemprop="stock">${p.stock}</td></tr></table>
<p itemprop="description">${p.description ?? ''}</p></div></body></html>`;
}

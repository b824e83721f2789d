import robotsParser from 'robots-parser';
import { addressesOf, isPrivateAddress } from '../../_shared/private-address.js';

export { isPrivateAddress };

export interface CrawlerOptions {
  /** Sent as User-Agent and matched against robots.txt groups. */
  userAgent: string;
  /** At least this long between two requests to the same host (robots.txt Crawl-delay can ask for more). */
  minIntervalMs: number;
  timeoutMs: number;
  maxBytes: number;
  /** Refuse hosts that resolve to loopback, private or link-local addresses (SSRF guard for production). */
  blockPrivateAddresses: boolean;
}

export const DEFAULT_CRAWLER: CrawlerOptions = {
  userAgent: 'HuiliuBot/1.0 (+https://github.com/huiliu; knowledge base crawler)',
  minIntervalMs: 1000,
  timeoutMs: 15_000,
  maxBytes: 5 * 1024 * 1024,
  blockPrivateAddresses: false,
};

/** What the source remembers of a URL for the next conditional request. */
export interface Validators {
  etag?: string | null;
  lastModified?: string | null;
}

export type FetchOutcome =
  | { kind: 'ok'; body: string; contentType: string; validators: Validators; finalUrl: string }
  | { kind: 'not_modified' }
  | { kind: 'gone'; status: number }
  | { kind: 'disallowed' }
  | { kind: 'error'; message: string };

type Robot = ReturnType<typeof robotsParser>;
const MAX_CRAWL_DELAY_MS = 60_000;
const MAX_REDIRECTS = 3;

/**
 * Polite HTTP for crawling: robots.txt respected (fetched once per host per crawl run), at most one request per
 * host per interval, conditional requests (If-None-Match / If-Modified-Since), a size cap and a timeout, and
 * redirects followed by hand so that every hop passes the same checks.
 */
export class Crawler {
  /** host → when the next request may start; shared by every run on this replica. */
  private readonly nextSlot = new Map<string, Promise<number>>();

  constructor(readonly options: CrawlerOptions = DEFAULT_CRAWLER) {}

  /** One crawl run's robots.txt cache: a run sees one consistent set of rules per host. */
  session(): CrawlSession {
    return new CrawlSession(this);
  }

  /** Waits for the host's turn, then reserves the next one. */
  async turn(host: string, delayMs: number): Promise<void> {
    const interval = Math.max(this.options.minIntervalMs, Math.min(delayMs, MAX_CRAWL_DELAY_MS));
    const prev = this.nextSlot.get(host) ?? Promise.resolve(0);
    const mine = prev.then(async (at) => {
      const wait = at - Date.now();
      if (wait > 0) await new Promise((r) => setTimeout(r, wait));
      return Date.now() + interval;
    });
    this.nextSlot.set(host, mine);
    await mine;
  }

  async guard(url: URL): Promise<string | null> {
    if (url.protocol !== 'http:' && url.protocol !== 'https:') return `unsupported protocol ${url.protocol}`;
    if (!this.options.blockPrivateAddresses) return null;
    return (await addressesOf(url)).some(isPrivateAddress) ? `${url.hostname} resolves to a private address` : null;
  }

  /** A GET with a timeout and a size cap; the body decoded with the charset the server names (UTF-8 otherwise). */
  async get(url: string, headers: Record<string, string>): Promise<{ status: number; headers: Headers; body: string }> {
    const res = await fetch(url, {
      headers: { 'user-agent': this.options.userAgent, ...headers },
      redirect: 'manual',
      signal: AbortSignal.timeout(this.options.timeoutMs),
    });
    if (!res.body || res.status === 304 || (res.status >= 300 && res.status < 400)) {
      await res.body?.cancel();
      return { status: res.status, headers: res.headers, body: '' };
    }
    const chunks: Uint8Array[] = [];
    let size = 0;
    const reader = res.body.getReader();
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      size += value.byteLength;
      if (size > this.options.maxBytes) {
        await reader.cancel();
        throw new Error(`response larger than ${this.options.maxBytes} bytes`);
      }
      chunks.push(value);
    }
    const charset = /charset=([\w-]+)/i.exec(res.headers.get('content-type') ?? '')?.[1] ?? 'utf-8';
    let decoder: TextDecoder;
    try {
      decoder = new TextDecoder(charset);
    } catch {
      decoder = new TextDecoder('utf-8');
    }
    return { status: res.status, headers: res.headers, body: decoder.decode(Buffer.concat(chunks)) };
  }
}

export class CrawlSession {
  private readonly robots = new Map<string, Promise<Robot>>();

  constructor(private readonly crawler: Crawler) {}

  /** A conditional GET that honours robots.txt and the host's rate limit; redirects re-checked hop by hop. */
  async fetch(url: string, validators: Validators = {}): Promise<FetchOutcome> {
    let current = url;
    try {
      for (let hop = 0; hop <= MAX_REDIRECTS; hop++) {
        const u = new URL(current);
        const refused = await this.crawler.guard(u);
        if (refused) return { kind: 'error', message: refused };
        const robot = await this.robotsFor(u);
        if (robot.isAllowed(u.href, this.crawler.options.userAgent) === false) return { kind: 'disallowed' };
        await this.crawler.turn(u.host, (robot.getCrawlDelay(this.crawler.options.userAgent) ?? 0) * 1000);
        const headers: Record<string, string> = { accept: 'text/html,application/json,text/csv,*/*;q=0.5' };
        if (validators.etag) headers['if-none-match'] = validators.etag;
        if (validators.lastModified) headers['if-modified-since'] = validators.lastModified;
        const res = await this.crawler.get(u.href, headers);
        if (res.status === 304) return { kind: 'not_modified' };
        if (res.status >= 300 && res.status < 400 && res.headers.get('location')) {
          current = new URL(res.headers.get('location')!, u).href;
          continue;
        }
        if (res.status === 404 || res.status === 410) return { kind: 'gone', status: res.status };
        if (res.status !== 200) return { kind: 'error', message: `HTTP ${res.status}` };
        return {
          kind: 'ok',
          body: res.body,
          contentType: res.headers.get('content-type') ?? '',
          validators: { etag: res.headers.get('etag'), lastModified: res.headers.get('last-modified') },
          finalUrl: u.href,
        };
      }
      return { kind: 'error', message: `more than ${MAX_REDIRECTS} redirects` };
    } catch (e) {
      return { kind: 'error', message: (e as Error).message };
    }
  }

  /**
   * robots.txt of the URL's origin (RFC 9309): a 4xx means no rules; an unreachable file or a 5xx means
   * "disallow everything" until the next run.
   */
  private robotsFor(u: URL): Promise<Robot> {
    const robotsUrl = `${u.origin}/robots.txt`;
    let r = this.robots.get(u.origin);
    if (!r) {
      r = (async () => {
        const refused = await this.crawler.guard(u);
        if (refused) return robotsParser(robotsUrl, 'User-agent: *\nDisallow: /');
        try {
          let at = robotsUrl;
          for (let hop = 0; hop <= MAX_REDIRECTS; hop++) {
            await this.crawler.turn(new URL(at).host, 0);
            const res = await this.crawler.get(at, { accept: 'text/plain' });
            const location = res.headers.get('location');
            if (res.status >= 300 && res.status < 400 && location) {
              at = new URL(location, at).href;
              continue;
            }
            if (res.status >= 200 && res.status < 300) return robotsParser(robotsUrl, res.body);
            if (res.status >= 400 && res.status < 500) return robotsParser(robotsUrl, '');
            break;
          }
        } catch {
          // unreachable: treated like a server error
        }
        return robotsParser(robotsUrl, 'User-agent: *\nDisallow: /');
      })();
      this.robots.set(u.origin, r);
    }
    return r;
  }
}

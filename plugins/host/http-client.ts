import { lookup as dnsLookup, type LookupAddress } from 'node:dns';
import { request as httpRequest, type IncomingMessage } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { isIP, type LookupFunction } from 'node:net';
import { isPrivateAddress } from '../../subgraphs/_shared/private-address.js';
import type { HttpClient, HttpRequest, HttpResponse } from '../sdk/context.js';
import { ChannelError } from '../sdk/errors.js';
import { parseJsonLossless } from '../sdk/json.js';

export interface HttpClientOptions {
  /** Relative request URLs resolve against it (keeps a path prefix: `http://127.0.0.1:9/wx` + `/cgi-bin/token`). */
  baseUrl?: string;
  timeoutMs?: number;
  userAgent?: string;
  maxResponseBytes?: number;
  /**
   * Refuse loopback, private and link-local addresses, checked on the address connected to (after DNS, so a name
   * that resolves to one is refused too). For URLs an outside party chooses: a partner's callback URL must not
   * make our servers POST to an internal service.
   */
  blockPrivateAddresses?: boolean;
}

const PRIVATE = 'EPRIVATEADDRESS';

/** dns.lookup that fails for private addresses: the socket connects to what this returned, so nothing can rebind. */
const publicOnlyLookup: LookupFunction = (hostname, options, callback) => {
  dnsLookup(hostname, options, (err: NodeJS.ErrnoException | null, address: string | LookupAddress[], family?: number) => {
    if (err) return callback(err, address as string, family);
    const all = Array.isArray(address) ? address.map((a) => a.address) : [address];
    if (all.some(isPrivateAddress)) return callback(Object.assign(new Error(`${hostname} resolves to a private address`), { code: PRIVATE }), address as string, family);
    callback(null, address as string, family);
  });
};

export function resolveUrl(baseUrl: string | undefined, url: string, query?: HttpRequest['query']): URL {
  let u: URL;
  if (/^https?:\/\//i.test(url)) u = new URL(url);
  else {
    if (!baseUrl) throw new ChannelError('BAD_REQUEST', `relative URL ${url} without a base URL`);
    u = new URL(baseUrl.replace(/\/+$/, '') + (url.startsWith('/') ? url : `/${url}`));
  }
  for (const [k, v] of Object.entries(query ?? {})) if (v !== undefined) u.searchParams.set(k, String(v));
  return u;
}

/** The plugins' HTTP client. Errors never carry the query string (access tokens travel there). */
export function createHttpClient(options: HttpClientOptions = {}): HttpClient {
  const timeoutDefault = options.timeoutMs ?? 10_000;
  const maxBytes = options.maxResponseBytes ?? 10 * 1024 * 1024;
  return {
    baseUrl: options.baseUrl,
    request(req: HttpRequest): Promise<HttpResponse> {
      const url = resolveUrl(options.baseUrl, req.url, req.query);
      const where = `${req.method ?? 'GET'} ${url.host}${url.pathname}`;
      const headers: Record<string, string> = { 'user-agent': options.userAgent ?? 'huiliu-plugins/1', ...lower(req.headers ?? {}) };
      let body: Buffer | undefined;
      if (req.json !== undefined) {
        body = Buffer.from(JSON.stringify(req.json));
        headers['content-type'] ??= 'application/json; charset=utf-8';
      } else if (req.body !== undefined) body = typeof req.body === 'string' ? Buffer.from(req.body) : req.body;
      if (body) headers['content-length'] = String(body.length);
      const timeoutMs = req.timeoutMs ?? timeoutDefault;
      const send = url.protocol === 'https:' ? httpsRequest : httpRequest;
      const host = url.hostname.replace(/^\[|\]$/g, '');
      if (options.blockPrivateAddresses && isIP(host) && isPrivateAddress(host)) {
        return Promise.reject(new ChannelError('BAD_REQUEST', `${where}: ${host} is a private address`));
      }
      return new Promise<HttpResponse>((resolve, reject) => {
        let settled = false;
        const fail = (message: string, cause?: unknown) => {
          if (settled) return;
          settled = true;
          reject(new ChannelError('UNAVAILABLE', `${where}: ${message}`, { retryable: true, cause }));
        };
        const r = send(url, { method: req.method ?? 'GET', headers, ...(options.blockPrivateAddresses ? { lookup: publicOnlyLookup } : {}) }, (res: IncomingMessage) => {
          const chunks: Buffer[] = [];
          let size = 0;
          res.on('data', (c: Buffer) => {
            size += c.length;
            if (size > maxBytes) { r.destroy(); fail(`response larger than ${maxBytes} bytes`); return; }
            chunks.push(c);
          });
          res.on('end', () => {
            if (settled) return;
            settled = true;
            clearTimeout(timer);
            const buf = Buffer.concat(chunks);
            const h: Record<string, string> = {};
            for (const [k, v] of Object.entries(res.headers)) if (v !== undefined) h[k] = Array.isArray(v) ? v.join(', ') : v;
            resolve({ status: res.statusCode ?? 0, headers: h, body: buf, text: () => buf.toString('utf8'), json: () => parseJsonLossless(buf.toString('utf8')) });
          });
          res.on('error', (e) => fail(`response error: ${e.message}`, e));
        });
        const timer = setTimeout(() => { fail(`timed out after ${timeoutMs} ms`); r.destroy(); }, timeoutMs);
        r.on('error', (e: NodeJS.ErrnoException) => {
          clearTimeout(timer);
          if (e.code === PRIVATE && !settled) { settled = true; return reject(new ChannelError('BAD_REQUEST', `${where}: ${e.message}`)); } // not retryable
          fail(e.code ?? e.message, e);
        });
        if (body) r.write(body);
        r.end();
      });
    },
  };
}

function lower(h: Record<string, string>) {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(h)) out[k.toLowerCase()] = v;
  return out;
}

import type { ChannelContext, HttpResponse } from '../sdk/context.js';
import { ChannelError } from '../sdk/errors.js';
import type { MessageContent } from '../sdk/messages.js';
import { contentToText } from '../sdk/messages.js';
import { cachedToken, invalidateToken } from '../sdk/token-cache.js';

/** errcodes meaning "this access token is no longer valid": drop it, fetch another, try once more. */
export const TOKEN_ERRCODES = new Set([40001, 40014, 41001, 42001]);

/** WeChat/WeCom errcode → typed error (the errmsg carries no secret; the access token is never included). */
export function wechatError(errcode: number, errmsg: string, api: string): ChannelError {
  const message = `${api}: WeChat errcode ${errcode}: ${String(errmsg ?? '').slice(0, 200)}`;
  const o = { platformCode: errcode };
  if (errcode === -1) return new ChannelError('UNAVAILABLE', message, { ...o, retryAfterMs: 2000 });
  if (TOKEN_ERRCODES.has(errcode) || [40013, 40125, 40164, 40243, 41002, 41004, 60020, 40056].includes(errcode)) return new ChannelError('AUTH', message, o);
  if ([45015, 45047].includes(errcode)) return new ChannelError('WINDOW_CLOSED', message, o);
  if ([40003, 43004, 43019, 40096, 95014].includes(errcode)) return new ChannelError('INVALID_RECIPIENT', message, o);
  if (errcode === 45011 || errcode === 45033) return new ChannelError('RATE_LIMITED', message, { ...o, retryAfterMs: 60_000 });
  if (errcode === 45009) return new ChannelError('RATE_LIMITED', message, { ...o, retryAfterMs: 3_600_000 });
  return new ChannelError('BAD_REQUEST', message, o);
}

export function httpStatusError(res: HttpResponse, api: string): ChannelError | null {
  if (res.status === 429) return new ChannelError('RATE_LIMITED', `${api}: HTTP 429`, { platformCode: 429, retryAfterMs: retryAfter(res) });
  if (res.status >= 500) return new ChannelError('UNAVAILABLE', `${api}: HTTP ${res.status}`, { platformCode: res.status });
  if (res.status !== 200) return new ChannelError('BAD_REQUEST', `${api}: HTTP ${res.status}`, { platformCode: res.status });
  return null;
}

export function retryAfter(res: HttpResponse): number | undefined {
  const v = res.headers['retry-after'];
  if (!v) return undefined;
  const s = Number(v);
  if (Number.isFinite(s)) return s * 1000;
  const d = Date.parse(v);
  return Number.isFinite(d) ? Math.max(0, d - Date.now()) : undefined;
}

interface WechatReply { errcode?: number; errmsg?: string; [k: string]: unknown }

export function readReply(res: HttpResponse, api: string): WechatReply {
  const bad = httpStatusError(res, api);
  if (bad) throw bad;
  let body: WechatReply;
  try { body = res.json<WechatReply>(); } catch { throw new ChannelError('UNAVAILABLE', `${api}: answer is not JSON`); }
  if (!body || typeof body !== 'object') throw new ChannelError('UNAVAILABLE', `${api}: answer is not a JSON object`);
  return body;
}

export interface TokenSource {
  /** KV key of the cached token (the context's kv is already per channel). */
  key: string;
  /** Fetches a fresh token from the platform. */
  fetch(ctx: ChannelContext): Promise<{ token: string; expiresInSeconds: number }>;
}

/** OA / mini program: GET /cgi-bin/token?grant_type=client_credential&appid&secret. */
export const officialAccountToken = (appId: string, appSecret: string): TokenSource => ({
  key: 'access_token',
  async fetch(ctx) {
    const res = await ctx.http.request({ method: 'GET', url: '/cgi-bin/token', query: { grant_type: 'client_credential', appid: appId, secret: appSecret } });
    const r = readReply(res, 'cgi-bin/token');
    if (r.errcode) throw wechatError(r.errcode, r.errmsg ?? '', 'cgi-bin/token');
    if (typeof r.access_token !== 'string') throw new ChannelError('UNAVAILABLE', 'cgi-bin/token: no access_token in the answer');
    return { token: r.access_token, expiresInSeconds: Number(r.expires_in) || 7200 };
  },
});

/** WeCom: GET /cgi-bin/gettoken?corpid&corpsecret. */
export const wecomToken = (corpId: string, secret: string): TokenSource => ({
  key: 'access_token',
  async fetch(ctx) {
    const res = await ctx.http.request({ method: 'GET', url: '/cgi-bin/gettoken', query: { corpid: corpId, corpsecret: secret } });
    const r = readReply(res, 'cgi-bin/gettoken');
    if (r.errcode) throw wechatError(r.errcode, r.errmsg ?? '', 'cgi-bin/gettoken');
    if (typeof r.access_token !== 'string') throw new ChannelError('UNAVAILABLE', 'cgi-bin/gettoken: no access_token in the answer');
    return { token: r.access_token, expiresInSeconds: Number(r.expires_in) || 7200 };
  },
});

/**
 * POSTs `json` to a WeChat API with the cached access token; when WeChat says the token is invalid or
 * expired (40001, 42001...) the token is dropped, fetched again and the call repeated once.
 */
export async function callWithToken(ctx: ChannelContext, source: TokenSource, path: string, json: unknown): Promise<WechatReply> {
  const api = path.replace(/^\//, '');
  for (let attempt = 0; ; attempt++) {
    const token = await cachedToken(ctx.kv, ctx.clock, source.key, () => source.fetch(ctx));
    const res = await ctx.http.request({ method: 'POST', url: path, query: { access_token: token }, json });
    const r = readReply(res, api);
    if (r.errcode && TOKEN_ERRCODES.has(r.errcode) && attempt === 0) {
      ctx.logger.info({ errcode: r.errcode, api }, 'access token refused; fetching a new one');
      await invalidateToken(ctx.kv, source.key, token);
      continue;
    }
    if (r.errcode) throw wechatError(r.errcode, r.errmsg ?? '', api);
    return r;
  }
}

/** The 客服消息 body for `message/custom/send` (OA and mini program). */
export function customMessageBody(touser: string, c: MessageContent, channelType: string): Record<string, unknown> {
  const need = (v: string | undefined, what: string) => {
    if (!v) throw new ChannelError('BAD_REQUEST', `${channelType}: ${what} is required (upload the media to WeChat first)`);
    return v;
  };
  switch (c.kind) {
    case 'text': return { touser, msgtype: 'text', text: { content: c.text } };
    case 'image': return { touser, msgtype: 'image', image: { media_id: need(c.mediaId, 'image.mediaId') } };
    case 'voice': return { touser, msgtype: 'voice', voice: { media_id: need(c.mediaId, 'voice.mediaId') } };
    case 'video': return { touser, msgtype: 'video', video: { media_id: need(c.mediaId, 'video.mediaId'), thumb_media_id: c.thumbMediaId, title: c.title } };
    case 'link': return channelType === 'wechat-mini'
      ? { touser, msgtype: 'link', link: { title: c.title ?? c.url, description: c.description ?? '', url: c.url, thumb_url: c.thumbUrl ?? '' } }
      : { touser, msgtype: 'news', news: { articles: [{ title: c.title ?? c.url, description: c.description ?? '', url: c.url, picurl: c.thumbUrl ?? '' }] } };
    case 'card': return { touser, msgtype: 'miniprogrampage', miniprogrampage: { title: c.title, appid: c.appId, pagepath: c.pagePath, thumb_media_id: need(c.thumbMediaId, 'card.thumbMediaId') } };
    default: return { touser, msgtype: 'text', text: { content: contentToText(c) } };
  }
}

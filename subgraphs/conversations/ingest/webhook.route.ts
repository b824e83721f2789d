import type { IncomingMessage, ServerResponse } from 'node:http';
import { ChannelConfigError, ChannelDisabledError, PluginCrashError, type BoundChannel } from '../../../plugins/host/index.js';
import { httpStatusFor, isChannelError, type ChannelCapabilities, type HistoryMessage, type ImmediateResponse, type InboundEvent, type InboundRequest } from '../../../plugins/sdk/index.js';
import { isUuid } from '../../_shared/ids.js';
import type { Logger } from '../../_shared/logger.js';
import type { RawRoute } from '../../_shared/subgraph-module.js';
import { DRAIN_OVERSIZED_BYTES } from '../../_shared/webhook-limits.js';
import type { ChannelEntity } from '../channel/channel.entity.js';
import type { ChannelService } from '../channel/channel.service.js';
import type { ChannelTraffic } from '../channel/channel.traffic.js';
import type { ChannelBindings } from './channel-bindings.js';
import type { ChannelMetrics } from './channel.metrics.js';
import type { IngestService } from './ingest.service.js';


export class WebhookRefusal extends Error {
  constructor(readonly status: number, message: string, readonly code: string) { super(message); }
}

/** The exact bytes of the body, or a 413 refusal past `max` (checked on content-length first, then while reading). */
function readBody(req: IncomingMessage, max: number): Promise<Buffer> {
  const declared = Number(req.headers['content-length']);
  if (Number.isFinite(declared) && declared > max) {
    const refusal = new WebhookRefusal(413, `body of ${declared} bytes exceeds ${max}`, 'TOO_LARGE');
    if (declared > DRAIN_OVERSIZED_BYTES) return Promise.reject(refusal);
    return new Promise((_resolve, reject) => {
      req.on('error', () => reject(refusal));
      req.on('end', () => reject(Object.assign(refusal, { drained: true })));
      req.resume();
    });
  }
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let done = false;
    req.on('data', (c: Buffer) => {
      if (done) return;
      size += c.length;
      if (size > max) {
        done = true;
        req.pause();
        reject(new WebhookRefusal(413, `body exceeds ${max} bytes`, 'TOO_LARGE'));
        return;
      }
      chunks.push(c);
    });
    req.on('end', () => { if (!done) { done = true; resolve(Buffer.concat(chunks)); } });
    req.on('error', (e) => { if (!done) { done = true; reject(e); } });
  });
}

export function queryOf(search: string): Record<string, string> {
  const q: Record<string, string> = {};
  if (search) for (const [k, v] of new URLSearchParams(search)) q[k] = v; // last value wins
  return q;
}

export function headersOf(req: IncomingMessage): Record<string, string> {
  const h: Record<string, string> = {};
  for (const [k, v] of Object.entries(req.headers)) if (v !== undefined) h[k.toLowerCase()] = Array.isArray(v) ? v.join(', ') : v;
  return h;
}

function withDeadline<T>(p: Promise<T>, ms: number): Promise<T> {
  let t: NodeJS.Timeout;
  const late = new Promise<never>((_, rej) => (t = setTimeout(() => rej(new WebhookRefusal(503, `not stored within the ${ms} ms deadline`, 'DEADLINE')), ms)));
  return Promise.race([p, late]).finally(() => clearTimeout(t));
}

const PREFIX = '/webhooks/';

const TEXT = 'text/plain; charset=utf-8';

/** One write: status, headers (a plugin's names in any case; text/plain unless it says otherwise) and body. */
function answer(res: ServerResponse, status: number, body: string, headers?: Record<string, string>): void {
  const h: Record<string, string> = { 'content-type': TEXT };
  if (headers) for (const k in headers) h[k.toLowerCase()] = headers[k];
  h['content-length'] = String(Buffer.byteLength(body)); // writeHead fixes the framing: without it, chunked
  res.writeHead(status, h).end(body);
}

export interface WebhookDeps {
  channels: ChannelService; bindings: ChannelBindings; ingest: IngestService; metrics: ChannelMetrics; traffic: ChannelTraffic; log: Logger;
  /** Our messages sent to a client of the channel after `after` (DeliveryService.sentTo): the answer to a `sync`. */
  history?(tenantId: string, channel: { id: string; type: string; capabilities: ChannelCapabilities }, clientId: string, after: string | undefined): Promise<{ messages: HistoryMessage[]; more: boolean }>;
  /** A client's typing and a thread's partial words, to its conversation's watchers (TypingRelay). */
  typing?: { relay(channel: ChannelEntity, events: InboundEvent[]): Promise<void> };
}

/** What a refused request or frame is answered with: status, stable code, and a message fit for the caller. */
export interface Refusal { status: number; code: string; message: string }

/**
 * The channel of a webhook path's id, enabled and bound to its plugin, or a WebhookRefusal (404 unknown, 403
 * disabled, 503 misconfigured). `found` sees the channel as soon as it is known, for the refusal's bookkeeping.
 */
export async function webhookChannel(d: WebhookDeps, channelId: string, found?: (c: ChannelEntity) => void): Promise<{ channel: ChannelEntity; bound: BoundChannel }> {
  if (!isUuid(channelId)) throw new WebhookRefusal(404, 'unknown channel', 'UNKNOWN_CHANNEL');
  const channel = d.bindings.cached(channelId) ?? (await d.channels.forWebhook(channelId));
  if (!channel) throw new WebhookRefusal(404, 'unknown channel', 'UNKNOWN_CHANNEL');
  found?.(channel);
  if (!channel.enabled) throw new WebhookRefusal(403, 'channel disabled', 'CHANNEL_DISABLED');
  let bound;
  try {
    bound = d.bindings.bind(channel);
  } catch (e) {
    if (e instanceof ChannelConfigError) throw new WebhookRefusal(503, 'channel config invalid', e.code);
    throw e;
  }
  if (!bound) throw new WebhookRefusal(503, 'channel not configured for webhooks', 'NOT_CONFIGURED');
  return { channel, bound };
}

/**
 * verify → parse → store (dedupe, within the channel's deadline) → the plugin's immediate answer; then the
 * acknowledgement's bookkeeping and the hand-off to processing. Shared by the HTTP webhook and the widget's
 * WebSocket frames. Throws what `refusalOf` maps.
 */
export async function acceptInbound(d: WebhookDeps, channel: ChannelEntity, bound: BoundChannel, request: InboundRequest, started: number, reply: (r: ImmediateResponse) => void): Promise<InboundEvent[]> {
  bound.verify(request);
  await bound.guardReplay(request); // SDK 1.5: only channels whose signature leaves the body out
  let events: InboundEvent[] = [];
  let failure: unknown;
  try {
    events = bound.parse(request);
  } catch (e) {
    if (isChannelError(e) || e instanceof ChannelDisabledError) throw e;
    failure = e; // verified but the plugin crashed: keep it raw for a replay
  }
  let response: ImmediateResponse = { status: 200, body: '' };
  if (!failure) {
    try {
      response = bound.respond(request, events);
    } catch (e) {
      // A verified, parsed delivery whose answer the plugin failed to build: stored all the same and answered with
      // a plain 200 (what every platform takes as received), so the platform does not retry it into a disabled
      // plugin's 503s and give up; it is processed once the plugin is enabled again (or replayed).
      if (!(e instanceof PluginCrashError)) throw e;
    }
  }
  // A client back online asks what it missed (SDK 1.2): the plugin answers with what was sent to it meanwhile.
  const sync = !failure && d.history && bound.answersHistory ? events.find((e) => e.ephemeral && e.content.kind === 'event' && e.content.name === 'sync') : undefined;
  const deadline = Math.max(100, bound.capabilities.ackDeadlineMs - 500);
  const [ids, missed] = await Promise.all([
    withDeadline(d.ingest.store(channel, request, events, failure), deadline),
    sync ? withDeadline(d.history!(channel.tenantId, { id: channel.id, type: channel.type, capabilities: bound.capabilities }, sync.context?.clientId ?? sync.sender.externalId, (sync.content as { key?: string }).key), deadline) : null,
  ]);
  if (missed) response = bound.history(missed.messages, missed.more, request);
  reply(response);
  const ms = performance.now() - started;
  d.ingest.noteAck(ms);
  d.metrics.webhook(channel.type, response.status, ms / 1000);
  d.traffic.accepted(channel.id);
  d.ingest.handOff(channel.tenantId, ids);
  if (d.typing && events.some((e) => e.ephemeral && ((e.content.kind === 'event' && e.content.name === 'typing') || (e.content.kind === 'text' && e.thread)))) {
    d.typing.relay(channel, events).catch((err) => d.log.warn({ err, channelId: channel.id }, 'live event (typing, partial words) not relayed'));
  }
  return events;
}

/** An error of the acceptance as status, stable code and message; logged, counted, and recorded on the channel. */
export function refusalOf(d: WebhookDeps, log: Logger, e: unknown, channelId: string, channel: ChannelEntity | null, detail: { method?: string; bytes?: number }): Refusal {
  let status = 500;
  let code = 'INTERNAL';
  let message = 'internal error';
  if (e instanceof WebhookRefusal) ({ status, code, message } = e);
  else if (isChannelError(e)) { status = httpStatusFor(e.code); code = e.code; message = e.message; }
  else if (e instanceof ChannelDisabledError) { status = 503; code = e.code; message = 'channel temporarily disabled'; }
  else if (e instanceof PluginCrashError) { status = 500; code = e.code; message = 'channel plugin failed'; }
  const line = { channelId: channelId.slice(0, 64), status, code, method: detail.method, bytes: detail.bytes, reason: message.slice(0, 200) };
  if (status >= 500 && status !== 503) log.error({ ...line, err: e }, 'webhook failed');
  else log.warn(line, 'webhook refused');
  d.metrics.webhook(channel?.type ?? 'unknown', status, null);
  if (channel) d.traffic.refused(channelId, { status, code, reason: message });
  return { status, code, message: status >= 500 ? 'unavailable' : message.slice(0, 200) };
}

/**
 * The web widget and the app's web views POST the HTTP fallback from the brand's own pages, another origin:
 * their channels answer CORS (preflight and the answer itself, errors included, so the page can read them).
 * Frames authenticate by their token, never by cookies, so the origin is echoed; which origins may use a
 * channel is the plugin's check (the web channel's `allowedOrigins`, verified on every request).
 */
function corsFor(req: IncomingMessage, bound: BoundChannel): Record<string, string> | undefined {
  const origin = req.headers.origin;
  return origin && bound.liveConnections ? { 'access-control-allow-origin': origin, vary: 'origin' } : undefined;
}

/** `/webhooks/:channelId` of a request URL (a trailing slash allowed, as express matched it), or null. */
export function webhookPath(url: string): { path: string; channelId: string; search: string } | null {
  if (!url.startsWith(PREFIX)) return null;
  const q = url.indexOf('?');
  let path = q < 0 ? url : url.slice(0, q);
  if (path.endsWith('/') && path.length > PREFIX.length) path = path.slice(0, -1);
  if (path.indexOf('/', PREFIX.length) >= 0 || path.length === PREFIX.length) return null;
  return { path, channelId: path.slice(PREFIX.length), search: q < 0 ? '' : url.slice(q + 1) }; // a UUID or unknown: nothing to decode (a bad %-escape must not throw)
}

/**
 * GET/POST /webhooks/:channelId: channel → body (size limit) → plugin verify → parse → store (dedupe) →
 * the plugin's immediate answer, then asynchronous processing. Refusals answer a status and log a line;
 * nothing refused is stored. Plain node:http: this is the acknowledgement path, measured by bench:ingest.
 */
export function webhookRoute(d: WebhookDeps): RawRoute {
  const log = d.log.child({ component: 'webhooks' });
  const handler = async (req: IncomingMessage, res: ServerResponse, path: string, channelId: string, search: string) => {
    const receivedAt = new Date();
    const started = performance.now();
    let channel: ChannelEntity | null = null; // once found, its type labels the metrics and its refusals are recorded on it
    let cors: Record<string, string> | undefined;
    try {
      const found = await webhookChannel(d, channelId, (c) => (channel = c));
      cors = corsFor(req, found.bound);
      if (req.method === 'OPTIONS') {
        if (!cors) throw new WebhookRefusal(405, 'method not allowed', 'METHOD_NOT_ALLOWED');
        return answer(res, 204, '', { ...cors, 'access-control-allow-methods': 'GET, POST', 'access-control-allow-headers': 'content-type', 'access-control-max-age': '600' });
      }
      const rawBody = await readBody(req, found.bound.capabilities.maxBodyBytes);
      const request: InboundRequest = { method: req.method ?? 'GET', path, query: queryOf(search), headers: headersOf(req), rawBody, receivedAt };
      await acceptInbound(d, found.channel, found.bound, request, started, (r) => answer(res, r.status, r.body, cors ? { ...r.headers, ...cors } : r.headers));
    } catch (e) {
      const r = refusalOf(d, log, e, channelId, channel, { method: req.method, bytes: Number(req.headers['content-length']) || undefined });
      // a body left unread closes the connection (its rest would be read as the next request)
      const unread = r.status === 413 && !(e as { drained?: boolean }).drained;
      if (!res.headersSent) answer(res, r.status, r.message, { ...cors, ...(unread ? { connection: 'close' } : {}), ...(r.status === 405 ? { allow: 'GET, POST' } : {}) });
    }
  };
  return (req, res) => {
    const at = webhookPath(req.url ?? '/');
    if (!at) return false;
    if (req.method !== 'GET' && req.method !== 'POST' && req.method !== 'OPTIONS') {
      answer(res, 405, 'method not allowed', { allow: 'GET, POST' });
      return true;
    }
    handler(req, res, at.path, at.channelId, at.search).catch((err) => { // never leave a rejection to crash the process
      log.error({ err }, 'webhook handler failed');
      if (!res.headersSent) answer(res, 500, 'unavailable');
    });
    return true;
  };
}

import type { IncomingMessage, ServerResponse } from 'node:http';
import { ChannelConfigError, ChannelDisabledError, PluginCrashError } from '../../../plugins/host/index.js';
import { httpStatusFor, isChannelError, type InboundEvent, type InboundRequest } from '../../../plugins/sdk/index.js';
import type { Logger } from '../../_shared/logger.js';
import type { RawRoute } from '../../_shared/subgraph-module.js';
import type { ChannelEntity } from '../channel/channel.entity.js';
import type { ChannelService } from '../channel/channel.service.js';
import type { ChannelTraffic } from '../channel/channel.traffic.js';
import type { ChannelBindings } from './channel-bindings.js';
import type { ChannelMetrics } from './channel.metrics.js';
import type { IngestService } from './ingest.service.js';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

class WebhookRefusal extends Error {
  constructor(readonly status: number, message: string, readonly code: string) { super(message); }
}

/** The exact bytes of the body, or a 413 refusal past `max` (checked on content-length first, then while reading). */
function readBody(req: IncomingMessage, max: number): Promise<Buffer> {
  const declared = Number(req.headers['content-length']);
  if (Number.isFinite(declared) && declared > max) return Promise.reject(new WebhookRefusal(413, `body of ${declared} bytes exceeds ${max}`, 'TOO_LARGE'));
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

function queryOf(search: string): Record<string, string> {
  const q: Record<string, string> = {};
  if (search) for (const [k, v] of new URLSearchParams(search)) q[k] = v; // last value wins
  return q;
}

function headersOf(req: IncomingMessage): Record<string, string> {
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

/**
 * GET/POST /webhooks/:channelId: channel → body (size limit) → plugin verify → parse → store (dedupe) →
 * the plugin's immediate answer, then asynchronous processing. Refusals answer a status and log a line;
 * nothing refused is stored. Plain node:http: this is the acknowledgement path, measured by bench:ingest.
 */
export function webhookRoute(d: { channels: ChannelService; bindings: ChannelBindings; ingest: IngestService; metrics: ChannelMetrics; traffic: ChannelTraffic; log: Logger }): RawRoute {
  const log = d.log.child({ component: 'webhooks' });
  const handler = async (req: IncomingMessage, res: ServerResponse, path: string, search: string) => {
    const receivedAt = new Date();
    const started = performance.now();
    const channelId = path.slice(PREFIX.length); // a UUID or unknown: nothing to decode (a bad %-escape must not throw)
    let channel: ChannelEntity | null = null; // once found, its type labels the metrics and its refusals are recorded on it
    try {
      if (!UUID.test(channelId)) throw new WebhookRefusal(404, 'unknown channel', 'UNKNOWN_CHANNEL');
      channel = d.bindings.cached(channelId) ?? (await d.channels.forWebhook(channelId));
      if (!channel) throw new WebhookRefusal(404, 'unknown channel', 'UNKNOWN_CHANNEL');
      if (!channel.enabled) throw new WebhookRefusal(403, 'channel disabled', 'CHANNEL_DISABLED');
      let bound;
      try {
        bound = d.bindings.bind(channel);
      } catch (e) {
        if (e instanceof ChannelConfigError) throw new WebhookRefusal(503, 'channel config invalid', e.code);
        throw e;
      }
      if (!bound) throw new WebhookRefusal(503, 'channel not configured for webhooks', 'NOT_CONFIGURED');
      const caps = bound.capabilities;
      const rawBody = await readBody(req, caps.maxBodyBytes);
      const request: InboundRequest = { method: req.method ?? 'GET', path, query: queryOf(search), headers: headersOf(req), rawBody, receivedAt };
      bound.verify(request);
      let events: InboundEvent[] = [];
      let failure: unknown;
      try {
        events = bound.parse(request);
      } catch (e) {
        if (isChannelError(e) || e instanceof ChannelDisabledError) throw e;
        failure = e; // verified but the plugin crashed: keep it raw for a replay
      }
      const response = failure ? { status: 200, body: '' } : bound.respond(request, events);
      const ids = await withDeadline(d.ingest.store(channel, request, events, failure), Math.max(100, caps.ackDeadlineMs - 500));
      answer(res, response.status, response.body, response.headers);
      const ms = performance.now() - started;
      d.ingest.noteAck(ms);
      d.metrics.webhook(channel.type, response.status, ms / 1000);
      d.traffic.accepted(channelId);
      d.ingest.handOff(channel.tenantId, ids);
    } catch (e) {
      let status = 500;
      let code = 'INTERNAL';
      let message = 'internal error';
      if (e instanceof WebhookRefusal) ({ status, code, message } = e);
      else if (isChannelError(e)) { status = httpStatusFor(e.code); code = e.code; message = e.message; }
      else if (e instanceof ChannelDisabledError) { status = 503; code = e.code; message = 'channel temporarily disabled'; }
      else if (e instanceof PluginCrashError) { status = 500; code = e.code; message = 'channel plugin failed'; }
      const line = { channelId: channelId.slice(0, 64), status, code, method: req.method, bytes: Number(req.headers['content-length']) || undefined, reason: message.slice(0, 200) };
      if (status >= 500 && status !== 503) log.error({ ...line, err: e }, 'webhook failed');
      else log.warn(line, 'webhook refused');
      if (!res.headersSent) answer(res, status, status >= 500 ? 'unavailable' : message.slice(0, 200), status === 413 ? { connection: 'close' } : undefined);
      d.metrics.webhook(channel?.type ?? 'unknown', status, null);
      if (channel) d.traffic.refused(channelId, { status, code, reason: message });
    }
  };
  return (req, res) => {
    const url = req.url ?? '/';
    if (!url.startsWith(PREFIX)) return false;
    const q = url.indexOf('?');
    let path = q < 0 ? url : url.slice(0, q);
    if (path.endsWith('/') && path.length > PREFIX.length) path = path.slice(0, -1); // as express matched it
    if (path.indexOf('/', PREFIX.length) >= 0 || path.length === PREFIX.length) return false; // not /webhooks/:channelId
    if (req.method !== 'GET' && req.method !== 'POST') {
      answer(res, 405, 'method not allowed', { allow: 'GET, POST' });
      return true;
    }
    handler(req, res, path, q < 0 ? '' : url.slice(q + 1)).catch((err) => { // never leave a rejection to crash the process
      log.error({ err }, 'webhook handler failed');
      if (!res.headersSent) answer(res, 500, 'unavailable');
    });
    return true;
  };
}

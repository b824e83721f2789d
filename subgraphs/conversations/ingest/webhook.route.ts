import type { Express, Request, Response } from 'express';
import { ChannelConfigError, ChannelDisabledError, PluginCrashError } from '../../../plugins/host/index.js';
import { httpStatusFor, isChannelError, type InboundEvent, type InboundRequest } from '../../../plugins/sdk/index.js';
import type { Logger } from '../../_shared/logger.js';
import type { ChannelService } from '../channel/channel.service.js';
import type { ChannelBindings } from './channel-bindings.js';
import type { IngestService } from './ingest.service.js';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

class WebhookRefusal extends Error {
  constructor(readonly status: number, message: string, readonly code: string) { super(message); }
}

/** The exact bytes of the body, or a 413 refusal past `max` (checked on content-length first, then while reading). */
function readBody(req: Request, max: number): Promise<Buffer> {
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

function queryOf(req: Request): Record<string, string> {
  const q: Record<string, string> = {};
  const i = req.originalUrl.indexOf('?');
  if (i >= 0) for (const [k, v] of new URLSearchParams(req.originalUrl.slice(i + 1))) q[k] = v; // last value wins
  return q;
}

function headersOf(req: Request): Record<string, string> {
  const h: Record<string, string> = {};
  for (const [k, v] of Object.entries(req.headers)) if (v !== undefined) h[k.toLowerCase()] = Array.isArray(v) ? v.join(', ') : v;
  return h;
}

function withDeadline<T>(p: Promise<T>, ms: number): Promise<T> {
  let t: NodeJS.Timeout;
  const late = new Promise<never>((_, rej) => (t = setTimeout(() => rej(new WebhookRefusal(503, `not stored within the ${ms} ms deadline`, 'DEADLINE')), ms)));
  return Promise.race([p, late]).finally(() => clearTimeout(t));
}

/**
 * GET/POST /webhooks/:channelId: channel → body (size limit) → plugin verify → parse → store (dedupe) →
 * the plugin's immediate answer, then asynchronous processing. Refusals answer a status and log a line;
 * nothing refused is stored.
 */
export function mountWebhooks(app: Express, d: { channels: ChannelService; bindings: ChannelBindings; ingest: IngestService; log: Logger }): void {
  const log = d.log.child({ component: 'webhooks' });
  const handler = async (req: Request, res: Response) => {
    const receivedAt = new Date();
    const channelId = String(req.params.channelId ?? '');
    try {
      if (!UUID.test(channelId)) throw new WebhookRefusal(404, 'unknown channel', 'UNKNOWN_CHANNEL');
      const channel = d.bindings.cached(channelId) ?? (await d.channels.forWebhook(channelId));
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
      const request: InboundRequest = { method: req.method, path: req.path, query: queryOf(req), headers: headersOf(req), rawBody, receivedAt };
      bound.verify(request);
      let events: InboundEvent[] = [];
      let failure: unknown;
      try {
        events = bound.parse(request);
      } catch (e) {
        if (isChannelError(e) || e instanceof ChannelDisabledError) throw e;
        failure = e; // verified but the plugin crashed: keep it raw for a replay
      }
      const response = failure ? { status: 200, headers: { 'content-type': 'text/plain; charset=utf-8' }, body: '' } : bound.respond(request, events);
      const ids = await withDeadline(d.ingest.store(channel, request, events, failure), Math.max(100, caps.ackDeadlineMs - 500));
      res.status(response.status).set(response.headers ?? {}).send(response.body);
      d.ingest.handOff(channel.tenantId, ids);
    } catch (e) {
      let status = 500;
      let code = 'INTERNAL';
      let message = 'internal error';
      if (e instanceof WebhookRefusal) ({ status, code, message } = e);
      else if (isChannelError(e)) { status = httpStatusFor(e.code); code = e.code; message = e.message; }
      else if (e instanceof ChannelDisabledError) { status = 503; code = e.code; message = 'channel temporarily disabled'; }
      else if (e instanceof PluginCrashError) { status = 500; code = e.code; message = 'channel plugin failed'; }
      const line = { channelId, status, code, method: req.method, bytes: Number(req.headers['content-length']) || undefined, reason: message.slice(0, 200) };
      if (status >= 500 && status !== 503) log.error({ ...line, err: e }, 'webhook failed');
      else log.warn(line, 'webhook refused');
      if (!res.headersSent) res.status(status).set(status === 413 ? { connection: 'close' } : {}).type('text/plain').send(status >= 500 ? 'unavailable' : message.slice(0, 200));
    }
  };
  app.get('/webhooks/:channelId', (req, res) => void handler(req, res));
  app.post('/webhooks/:channelId', (req, res) => void handler(req, res));
}

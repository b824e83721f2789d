import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { WebSocketServer, type RawData, type WebSocket } from 'ws';
import type { InboundEvent, InboundRequest } from '../../../plugins/sdk/index.js';
import type { UpgradeRoute } from '../../_shared/subgraph-module.js';
import { refuseUpgrade } from '../../_shared/upgrade-refusal.js';
import type { ChannelEntity } from '../channel/channel.entity.js';
import type { LiveConnections } from './live-connections.js';
import { acceptInbound, headersOf, queryOf, refusalOf, webhookChannel, webhookPath, WebhookRefusal, type WebhookDeps } from './webhook.route.js';

/** A socket that answers no ping within this long is gone (a phone that lost its network sends no close). */
const HEARTBEAT_MS = 30_000;
/** The largest frame any widget channel accepts is checked per channel; this only bounds what ws buffers. */
const MAX_FRAME_BYTES = 1024 * 1024;

/** The client a frame spoke for: the events carry it, and a welcome names a visitor Huiliu has just minted. */
function clientOf(events: InboundEvent[], body: string): string | null {
  for (const e of events) if (e.context?.clientId) return e.context.clientId;
  try {
    const v = JSON.parse(body) as { clientId?: unknown };
    return typeof v.clientId === 'string' ? v.clientId : null;
  } catch {
    return null;
  }
}

/**
 * The widget's and the app's WebSocket: `GET /webhooks/:channelId` with `Upgrade: websocket`, for channels whose
 * plugin asked for live connections (web, app, store). Each text frame is one request of the widget protocol and
 * goes through exactly what a POSTed one does (verify → parse → store → the plugin's answer, sent back as a
 * frame); frames of a socket are taken in order. The socket is bound to the client its frames speak for, so
 * agents' replies reach it live (LiveConnections). A refused frame gets
 * `{"v":1,"type":"error","status","code","message"}` and the socket stays; a channel disabled or deleted
 * meanwhile closes it (1008).
 */
export function widgetSocketRoute(d: WebhookDeps & { connections: LiveConnections }): UpgradeRoute & { close(): void } {
  const log = d.log.child({ component: 'widget-socket' });
  const wss = new WebSocketServer({ noServer: true, maxPayload: MAX_FRAME_BYTES });
  const alive = new WeakSet<WebSocket>();
  const heartbeat = setInterval(() => {
    for (const ws of wss.clients) {
      if (!alive.has(ws)) { ws.terminate(); continue; }
      alive.delete(ws);
      ws.ping();
    }
  }, HEARTBEAT_MS);
  heartbeat.unref();

  const serve = (ws: WebSocket, req: IncomingMessage, at: { path: string; channelId: string; search: string }) => {
    const clients = new Set<string>();
    const headers = headersOf(req);
    const query = queryOf(at.search);
    alive.add(ws);
    ws.on('pong', () => alive.add(ws));
    let chain = Promise.resolve();
    const frame = async (data: RawData, isBinary: boolean) => {
      const receivedAt = new Date();
      const started = performance.now();
      let channel: ChannelEntity | null = null;
      try {
        const found = await webhookChannel(d, at.channelId, (c) => (channel = c));
        const rawBody = Buffer.isBuffer(data) ? data : Array.isArray(data) ? Buffer.concat(data) : Buffer.from(data);
        if (isBinary) throw new WebhookRefusal(400, 'frames are JSON text', 'BAD_REQUEST');
        if (rawBody.length > found.bound.capabilities.maxBodyBytes) throw new WebhookRefusal(413, `frame exceeds ${found.bound.capabilities.maxBodyBytes} bytes`, 'TOO_LARGE');
        const request: InboundRequest = { method: 'POST', path: at.path, query, headers, rawBody, receivedAt };
        let body = '';
        const events = await acceptInbound(d, found.channel, found.bound, request, started, (r) => {
          body = r.body;
          if (ws.readyState === ws.OPEN) ws.send(r.body);
        });
        const client = clientOf(events, body);
        if (client && !clients.has(client) && ws.readyState === ws.OPEN) {
          clients.add(client);
          d.connections.add(at.channelId, client, ws);
        }
      } catch (e) {
        const r = refusalOf(d, log, e, at.channelId, channel, { method: 'WS', bytes: Buffer.isBuffer(data) ? data.length : undefined });
        if (ws.readyState !== ws.OPEN) return;
        ws.send(JSON.stringify({ v: 1, type: 'error', status: r.status, code: r.code, message: r.message }));
        if (r.status === 403 || r.status === 404) ws.close(1008, r.code);
      }
    };
    ws.on('message', (data, isBinary) => {
      chain = chain.then(() => frame(data, isBinary)).catch((err) => log.error({ err }, 'widget frame failed'));
    });
    ws.on('close', () => {
      for (const c of clients) d.connections.remove(at.channelId, c, ws);
    });
    ws.on('error', () => undefined); // a reset is a close; nothing to report
  };

  const route = (req: IncomingMessage, socket: Duplex, head: Buffer): boolean => {
    const at = webhookPath(req.url ?? '/');
    if (!at) return false;
    socket.on('error', () => undefined);
    let channel: ChannelEntity | null = null;
    webhookChannel(d, at.channelId, (c) => (channel = c))
      .then(({ bound }) => {
        if (!bound.liveConnections) throw new WebhookRefusal(400, `${bound.type} channels take no WebSocket`, 'BAD_REQUEST');
        wss.handleUpgrade(req, socket, head, (ws) => serve(ws, req, at));
      })
      .catch((e) => {
        const r = refusalOf(d, log, e, at.channelId, channel, { method: 'UPGRADE' });
        refuseUpgrade(socket, r.status, r.message);
      });
    return true;
  };
  return Object.assign(route, {
    close() {
      clearInterval(heartbeat);
      for (const ws of wss.clients) ws.terminate();
      wss.close();
    },
  });
}

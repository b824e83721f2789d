import { createHmac, randomUUID } from 'node:crypto';
import {
  authError, badRequest, configIssues, contentToText, messageContentSchema, parseJsonLossless, safeEqual, z,
  type ChannelContext, type HistoryMessage, type InboundEvent, type InboundRequest, type MessageContent, type OutboundMessage,
} from '../sdk/index.js';

/**
 * The chat widget protocol shared by the web widget and the brand app: JSON frames over a WebSocket, or
 * POSTed to the channel's webhook as the HTTP fallback (one frame, or a `batch`). The host wraps each
 * WebSocket frame as an InboundRequest (headers of the upgrade request, the frame as rawBody).
 *
 * Client → Huiliu:
 *   {"v":1,"type":"hello","token"?,"page"?:{url,title,referrer},"locale"?,"pushToken"?,"platform"?}
 *   {"v":1,"type":"message","token","id":"<client uuid>","sentAt"?:<ms>,"content":{"kind":"text","text":"…"}}
 *   {"v":1,"type":"typing","token","state":"start"|"stop"}
 *   {"v":1,"type":"read","token","upTo":"<our message id>"}  (ids of a message's later parts are "<id>:<n>"; either form)
 *   {"v":1,"type":"sync","token","after"?:"<our message id>"}  what was sent to this client since (coming back online)
 *   {"v":1,"type":"batch","token"?,"frames":[…]}
 * Huiliu → client:
 *   {"v":1,"type":"welcome","clientId","token"?}        answer to hello (a new visitor gets its token)
 *   {"v":1,"type":"ack","ids":["<client ids>"]}          answer to messages
 *   {"v":1,"type":"message","id","sentAt","content","sender":{"type":"agent"|"bot"|"system","name"?}}
 *   {"v":1,"type":"messages","messages":[<message frames>],"more"}  answer to sync: oldest first, at most 50
 *   {"v":1,"type":"typing","state":"start"|"stop","sender":{"type":"agent"}}  an agent is typing
 */
export const PROTOCOL_VERSION = 1;

/** What a client token asserts. `visitor`: an anonymous web visitor (minted by Huiliu); `user`: a logged-in app user (minted by the brand's backend). */
export interface ClientClaims {
  sub: string;
  kind: 'visitor' | 'user';
  /** Issued at / expires, unix seconds. */
  iat: number;
  exp?: number;
  name?: string;
  phone?: string;
  unionId?: string;
}

const b64u = (b: Buffer | string) => Buffer.from(b).toString('base64url');
const mac = (secret: string, payload: string) => b64u(createHmac('sha256', secret).update(`v1.${payload}`).digest());

/** `v1.<base64url(claims JSON)>.<base64url(HMAC-SHA256(secret, "v1." + payload))>`: what a brand backend mints for its app users. */
export function mintClientToken(secret: string, claims: ClientClaims): string {
  const payload = b64u(JSON.stringify(claims));
  return `v1.${payload}.${mac(secret, payload)}`;
}

const claimsSchema = z.object({
  sub: z.string().min(1).max(128), kind: z.enum(['visitor', 'user']), iat: z.number().int(), exp: z.number().int().optional(),
  name: z.string().max(100).optional(), phone: z.string().max(32).optional(), unionId: z.string().max(64).optional(),
});

/** Checks a token's signature, kind and expiry (against the request's receipt time). Throws ChannelError AUTH. */
export function readClientToken(token: string | undefined, secret: string, kind: ClientClaims['kind'], at: Date): ClientClaims {
  if (!token) throw authError('missing client token');
  const parts = token.split('.');
  if (parts.length !== 3 || parts[0] !== 'v1') throw authError('malformed client token');
  if (!safeEqual(parts[2], mac(secret, parts[1]))) throw authError('client token signature mismatch');
  let claims: ClientClaims;
  try {
    const r = claimsSchema.safeParse(JSON.parse(Buffer.from(parts[1], 'base64url').toString('utf8')));
    if (!r.success) throw new Error('claims');
    claims = r.data;
  } catch {
    throw authError('malformed client token claims');
  }
  if (claims.kind !== kind) throw authError(`a ${claims.kind} token cannot be used on this channel`);
  if (claims.exp !== undefined && claims.exp * 1000 < at.getTime()) throw authError('client token expired');
  return claims;
}

const token = z.string().max(4096).optional();
const customerContent = messageContentSchema.refine((c) => c.kind !== 'event' && c.kind !== 'order', 'customers send text, media, location, link or card content');
const helloFrame = z.object({
  v: z.literal(1), type: z.literal('hello'), token,
  page: z.object({ url: z.string().max(2048).optional(), title: z.string().max(512).optional(), referrer: z.string().max(2048).optional() }).optional(),
  locale: z.string().max(16).optional(), pushToken: z.string().min(8).max(512).optional(), platform: z.enum(['ios', 'android', 'harmony', 'web']).optional(),
});
const messageFrame = z.object({ v: z.literal(1), type: z.literal('message'), token, id: z.string().min(1).max(64), sentAt: z.number().int().positive().optional(), content: customerContent });
const typingFrame = z.object({ v: z.literal(1), type: z.literal('typing'), token, state: z.enum(['start', 'stop']) });
const readFrame = z.object({ v: z.literal(1), type: z.literal('read'), token, upTo: z.string().min(1).max(64) });
const syncFrame = z.object({ v: z.literal(1), type: z.literal('sync'), token, after: z.string().min(1).max(64).optional() });
export const clientFrameSchema = z.discriminatedUnion('type', [helloFrame, messageFrame, typingFrame, readFrame, syncFrame]);
export type ClientFrame = z.output<typeof clientFrameSchema>;
const batchSchema = z.object({ v: z.literal(1), type: z.literal('batch'), token, frames: z.array(z.unknown()).min(1).max(50) });

/** The frames of a request (a batch inherits its token). Throws ChannelError BAD_REQUEST naming the problem. */
export function readFrames(req: InboundRequest): ClientFrame[] {
  if (req.method.toUpperCase() !== 'POST') throw badRequest(`method ${req.method} not supported`);
  const v = parseJsonLossless(req.rawBody.toString('utf8'));
  if (!v || typeof v !== 'object' || Array.isArray(v)) throw badRequest('a widget frame must be a JSON object');
  const list: unknown[] = v.type === 'batch' ? (() => {
    const b = batchSchema.safeParse(v);
    if (!b.success) throw badRequest(`invalid batch: ${configIssues(b.error).map((i) => `${i.path} ${i.message}`).join('; ')}`);
    return b.data.frames.map((f) => (f && typeof f === 'object' && !Array.isArray(f) && b.data.token && !(f as { token?: string }).token ? { ...f, token: b.data.token } : f));
  })() : [v];
  return list.map((f, i) => {
    const r = clientFrameSchema.safeParse(f);
    if (!r.success) throw badRequest(`invalid frame${list.length > 1 ? ` #${i}` : ''}: ${configIssues(r.error).map((x) => `${x.path} ${x.message}`).join('; ')}`);
    return r.data;
  });
}

export interface WidgetOptions {
  channelType: string;
  kind: ClientClaims['kind'];
  /** Web visitors may say hello without a token to get one. */
  anonymousHello: boolean;
  allowedOrigins?: string[];
}

/** Authenticates every frame's token (and the Origin header when origins are configured). */
export function verifyFrames(req: InboundRequest, secret: string, o: WidgetOptions): void {
  const origin = req.headers.origin;
  if (o.allowedOrigins?.length && origin && !o.allowedOrigins.includes(origin)) throw authError(`origin ${origin} is not allowed`);
  for (const f of readFrames(req)) {
    if (f.type === 'hello' && !f.token && o.anonymousHello) continue;
    readClientToken(f.token, secret, o.kind, req.receivedAt);
  }
}

/** Frames as events (pure: tokens are read again, not trusted from verify). Typing and hello are ephemeral. */
export function frameEvents(req: InboundRequest, secret: string, o: WidgetOptions): InboundEvent[] {
  const out: InboundEvent[] = [];
  for (const f of readFrames(req)) {
    if (f.type === 'hello' && !f.token) continue; // answered with a new token by respond
    const c = readClientToken(f.token, secret, o.kind, req.receivedAt);
    const sender = { channelType: o.channelType, externalId: c.sub, displayName: c.name, phone: c.phone, unionId: c.unionId };
    for (const k of ['displayName', 'phone', 'unionId'] as const) if (sender[k] === undefined) delete sender[k];
    // The frame for audit, without its token (a credential: the raw request keeps it, for a replay, until retention).
    const { token: _token, ...raw } = f as ClientFrame & { token?: string };
    const base = { channelType: o.channelType, sender, origin: 'customer' as const, receivedAt: req.receivedAt, context: { clientId: c.sub } as Record<string, string>, raw: raw as Record<string, unknown> };
    const at = req.receivedAt.getTime();
    switch (f.type) {
      case 'hello': {
        const data: Record<string, unknown> = {};
        if (f.page) data.page = f.page;
        if (f.locale) data.locale = f.locale;
        if (f.platform) data.platform = f.platform;
        if (f.pushToken) data.pushToken = f.pushToken;
        if (f.page?.url) base.context.pageUrl = f.page.url;
        out.push({ ...base, dedupeKey: `hello:${c.sub}:${at}`, content: { kind: 'event', name: f.pushToken ? 'push_token' : 'session_start', data }, sentAt: req.receivedAt, ...(f.pushToken ? { signal: true } : { ephemeral: true }) });
        break;
      }
      case 'message': {
        // a client clock can be wrong: keep its time only when within a day of receipt
        const sentAt = f.sentAt && Math.abs(f.sentAt - at) < 86_400_000 ? new Date(f.sentAt) : req.receivedAt;
        out.push({ ...base, externalMessageId: f.id, dedupeKey: `msg:${c.sub}:${f.id}`, content: f.content as MessageContent, sentAt });
        break;
      }
      case 'typing':
        out.push({ ...base, dedupeKey: `typing:${c.sub}:${at}`, content: { kind: 'event', name: 'typing', key: f.state }, sentAt: req.receivedAt, ephemeral: true });
        break;
      case 'read':
        out.push({ ...base, dedupeKey: `read:${c.sub}:${f.upTo}`, content: { kind: 'event', name: 'read', key: f.upTo }, sentAt: req.receivedAt, signal: true });
        break;
      case 'sync': // answered by the host through `history` (SDK 1.2); never stored
        out.push({ ...base, dedupeKey: `sync:${c.sub}:${at}`, content: { kind: 'event', name: 'sync', ...(f.after ? { key: f.after } : {}) }, sentAt: req.receivedAt, ephemeral: true });
        break;
    }
  }
  return out;
}

/** welcome (minting a visitor token for a tokenless hello) or ack. */
export function frameResponse(req: InboundRequest, secret: string, o: WidgetOptions, tokenTtlSeconds: number): Record<string, unknown> {
  const frames = readFrames(req);
  const hello = frames.find((f) => f.type === 'hello');
  const ids = frames.flatMap((f) => (f.type === 'message' ? [f.id] : []));
  if (hello && !hello.token && o.anonymousHello) {
    const iat = Math.floor(req.receivedAt.getTime() / 1000);
    const clientId = `v_${randomUUID()}`;
    return { v: PROTOCOL_VERSION, type: 'welcome', clientId, token: mintClientToken(secret, { sub: clientId, kind: o.kind, iat, exp: iat + tokenTtlSeconds }), ...(ids.length ? { ids } : {}) };
  }
  if (hello) return { v: PROTOCOL_VERSION, type: 'welcome', clientId: readClientToken(hello.token, secret, o.kind, req.receivedAt).sub, ...(ids.length ? { ids } : {}) };
  return { v: PROTOCOL_VERSION, type: 'ack', ids };
}

/** The answer to a `sync`: our messages to the client since the id it gave, as the frames a push sends. */
export function historyFrame(messages: HistoryMessage[], more: boolean): Record<string, unknown> {
  return { v: PROTOCOL_VERSION, type: 'messages', messages: messages.map((m) => serverMessageFrame(m.message, m.sentAt.getTime())), more };
}

/** Our message as the frame the widget renders. */
export function serverMessageFrame(message: OutboundMessage, now: number): Record<string, unknown> {
  return { v: PROTOCOL_VERSION, type: 'message', id: message.id, sentAt: now, content: message.content, sender: { type: message.sender?.type ?? 'agent', ...(message.sender?.name ? { name: message.sender.name } : {}) } };
}

/** An agent typing, to the client's live connection (nothing when it is offline: typing is live only). */
export async function pushTyping(to: Pick<OutboundMessage, 'recipient' | 'context'>, state: 'start' | 'stop', ctx: ChannelContext): Promise<void> {
  await ctx.connections.send(ctx.channel.id, to.context?.clientId ?? to.recipient.externalId, { v: PROTOCOL_VERSION, type: 'typing', state, sender: { type: 'agent' } });
}

/** Delivers through the host's live connection; false when the client is offline. */
export async function pushLive(message: OutboundMessage, ctx: ChannelContext): Promise<boolean> {
  const clientId = message.context?.clientId ?? message.recipient.externalId;
  return ctx.connections.send(ctx.channel.id, clientId, serverMessageFrame(message, ctx.clock.now()));
}

export const preview = (c: MessageContent, max = 80) => { const t = contentToText(c); return t.length > max ? `${t.slice(0, max - 1)}…` : t; };

import type { ChannelContext } from './context.js';
import type { InboundEvent, MessageKind, OutboundMessage, SendResult } from './messages.js';

/** One webhook delivery (or one WebSocket frame) as the host received it. */
export interface InboundRequest {
  method: string;
  /** The path after the host's mount point, e.g. `/webhooks/<channelId>`. */
  path: string;
  /** Decoded query parameters (last value wins). */
  query: Record<string, string>;
  /** Lower-case header names. */
  headers: Record<string, string>;
  /** The exact bytes received: signatures cover them. */
  rawBody: Buffer;
  receivedAt: Date;
}

/** What the webhook answers at once (WeChat `success`, an echoed challenge, a URL-verification echostr). */
export interface ImmediateResponse {
  status: number;
  headers?: Record<string, string>;
  body: string;
}

export interface ChannelCapabilities {
  inbound: boolean;
  outbound: boolean;
  /** Can send and receive images/voice/video/files. */
  media: boolean;
  /** Can send platform message templates (subscription/template messages). */
  templates: boolean;
  /** Longest text `send` accepts (characters); the host splits or refuses longer ones. */
  maxTextLength: number;
  /** The platform's reply window: at most `maxMessages` within `hours` of the customer's last message. */
  sendWindow: { hours: number; maxMessages: number } | null;
  /** Content kinds `send` accepts. */
  outboundKinds: MessageKind[];
  /** The platform's acknowledgement deadline; the host must answer within it. */
  ackDeadlineMs: number;
  /** Larger bodies are refused before verify. */
  maxBodyBytes: number;
  /**
   * SDK 1.1: the adapter implements `pull` (the host polls the platform for messages instead of, or besides,
   * receiving webhooks). Absent means false.
   */
  pull?: boolean;
}

/** The result of `receive`: the events to ingest, and what to do once the host has stored them. */
export interface ReceiveResult {
  events: InboundEvent[];
  /** Called after the host stored `events` (e.g. persist a pull cursor): a crash before it replays the pull, never loses messages. */
  commit?: () => Promise<void>;
  /**
   * SDK 1.6: items `receive` fetched but could not read (one message of a pulled page). The host keeps each as a
   * FAILED payload an operator sees and replays, before `commit`, so a cursor can move past it and nothing is
   * dropped. A replay hands `raw` to `parse` as a request on `/receive/<channelId>` (see `isStoredItem`).
   */
  failed?: FailedItem[];
}

/** SDK 1.6: one platform item `receive` could not read: its bytes and why. */
export interface FailedItem {
  /** The platform's bytes for this item (e.g. one sync_msg entry as JSON). */
  raw: string | Buffer;
  /** Why (a ChannelError, usually BAD_REQUEST): its code and message are shown to operators. */
  error: unknown;
}

/**
 * SDK 1.6: whether `parse` is given an item the host stored itself (a pulled item, or one `receive` could not
 * read), not a platform's request: its body is the item's `raw`. The host sets these paths; a webhook's is
 * always `/webhooks/<channelId>`.
 */
export function isStoredItem(req: Pick<InboundRequest, 'path'>): boolean {
  return req.path.startsWith('/pull/') || req.path.startsWith('/receive/');
}

/** The host's side of `isStoredItem`: an item's bytes as the request a replay hands to `parse`. */
export function storedItemRequest(source: 'pull' | 'receive', channelId: string, raw: string | Buffer, receivedAt: Date, headers: Record<string, string>): InboundRequest {
  return { method: 'POST', path: `/${source}/${channelId}`, query: {}, headers: { 'x-huiliu-source': source, ...headers }, receivedAt, rawBody: Buffer.isBuffer(raw) ? raw : Buffer.from(raw, 'utf8') };
}

/** One thing a `pull` brought back: usually one platform message and the event(s) it becomes. */
export interface PulledItem {
  /**
   * The platform's bytes for this item (e.g. one TMC message as JSON). The host stores it as the body of a
   * synthetic request beside the events, for audit and for a replay through `parse`, like a webhook body.
   */
  raw: string | Buffer;
  /** Its events; the same item must always yield the same dedupe keys (a redelivered item collapses). */
  events: InboundEvent[];
  /**
   * The plugin could not read this item (a ChannelError, usually BAD_REQUEST). The host keeps it as a failed
   * payload an operator can see and replay, and still acknowledges it, so one bad item does not block the rest.
   */
  error?: unknown;
}

/** The result of `pull` (SDK 1.1). */
export interface PullResult {
  items: PulledItem[];
  /**
   * Tells the platform the items are safely stored (TMC confirm, a cursor saved...). The host calls it only
   * after storing every item, so a crash before it makes the platform redeliver: at-least-once delivery plus
   * the host's dedupe on `channelId + dedupeKey` gives exactly-once messages. Must be safe to call for an empty batch.
   */
  ack(): Promise<void>;
  /** More items are waiting (a full batch): the host pulls again without waiting for its interval. */
  more?: boolean;
  /** Non-secret facts about the pull kept with each stored item (API name, the platform's request id...). */
  meta?: Record<string, string>;
}

/**
 * A channel type. One adapter serves every configured channel of its type; the channel's config arrives
 * with each call (`config`, or `ctx.channel.config`).
 *
 * Inbound, per request: `verify` (authenticity; throws ChannelError AUTH/BAD_REQUEST) → `parse` (pure) →
 * `respond` (the immediate answer) → the host stores the events and acknowledges → later, asynchronously,
 * `receive` (I/O allowed) → the host ingests the events.
 *
 * Pulled, per batch (SDK 1.1): `pull` → the host stores the items → `ack` → the same asynchronous processing.
 */
export interface ChannelAdapter<ChannelConfig = any, PluginConfig = any> { // eslint-disable-line @typescript-eslint/no-explicit-any
  /** Unique across the host: `wechat-oa`, `line`... (lower case, digits, dashes). */
  readonly type: string;
  readonly displayName?: string;
  readonly capabilities: ChannelCapabilities;
  /** The per-channel config an admin pastes from the platform's console; mark secrets with `secret()`. */
  readonly configSchema: { safeParse(input: unknown): { success: boolean; data?: unknown; error?: unknown } };

  /** Checks signatures and timestamps (against `request.receivedAt`, never the wall clock). Throws ChannelError. */
  verify(request: InboundRequest, config: ChannelConfig): void;
  /**
   * SDK 1.5, optional, pure: for a platform whose signature does not cover the body (Weibo signs only its
   * timestamp and nonce), what the signature does cover and how long it is accepted. The host binds that key to
   * the first body it came with and refuses another body under it (AUTH): a signed URL seen once, in a log or a
   * proxy, cannot carry a forged body, while the platform's retries of the same body pass. Undefined: no guard.
   */
  replayKey?(request: InboundRequest, config: ChannelConfig): { key: string; ttlSeconds: number } | undefined;
  /**
   * Pure: same request and config, same events; no I/O, no clock, no randomness. Throws ChannelError
   * BAD_REQUEST for malformed payloads. A handshake (URL verification, challenge) yields no events.
   */
  parse(request: InboundRequest, config: ChannelConfig): InboundEvent[];
  /** The immediate HTTP answer; default 200 with an empty body. */
  respond?(request: InboundRequest, events: InboundEvent[], config: ChannelConfig): ImmediateResponse;
  /** Asynchronous follow-up after acknowledgement: pull announced messages, record reply windows, enrich orders. */
  receive?(events: InboundEvent[], ctx: ChannelContext<PluginConfig, ChannelConfig>): Promise<ReceiveResult>;
  /**
   * SDK 1.1, optional (declare `capabilities.pull`): fetches one batch of waiting messages from the platform.
   * I/O allowed. The host calls it on an interval for channels where `pullEnabled(config)` is true, from one
   * replica at a time, stores the items, then calls `ack`. Throw ChannelError for platform failures
   * (UNAVAILABLE/RATE_LIMITED are retried with backoff; every failure shows in the channel's health).
   */
  pull?(ctx: ChannelContext<PluginConfig, ChannelConfig>): Promise<PullResult>;
  /** SDK 1.1: whether this channel's config turns pulling on (default: true when the adapter can pull). Pure. */
  pullEnabled?(config: ChannelConfig): boolean;
  /** Delivers one message. Throws ChannelError (with `retryable`) on failure. */
  send(message: OutboundMessage, ctx: ChannelContext<PluginConfig, ChannelConfig>): Promise<SendResult>;
  /**
   * SDK 1.2, optional: the answer to a client that asks for what it missed (a widget coming back online). A
   * request whose events include an ephemeral `event` named `sync` (its `key`: the last of our message ids the
   * client has, if any; its `context.clientId` or sender: the client) gets, instead of `respond`'s answer, this
   * one: the host passes our messages sent to that client on this channel after `key` (without a key: the latest),
   * oldest first, at most 50, and `more` when there are more. Pure.
   */
  history?(messages: HistoryMessage[], more: boolean, request: InboundRequest, config: ChannelConfig): ImmediateResponse;
  /**
   * SDK 1.2, optional: shows the customer that an agent is typing (`start`) or stopped (`stop`). Best effort: a
   * failure is logged, never retried. `to` is whom `send` would address (recipient and reply context).
   */
  typing?(to: Pick<OutboundMessage, 'recipient' | 'context'>, state: 'start' | 'stop', ctx: ChannelContext<PluginConfig, ChannelConfig>): Promise<void>;
}

/** One of our messages as `history` gets it: what `send` got, and when it was sent. */
export interface HistoryMessage {
  message: OutboundMessage;
  sentAt: Date;
}

export const DEFAULT_CAPABILITIES: ChannelCapabilities = {
  inbound: true,
  outbound: true,
  media: false,
  templates: false,
  maxTextLength: 2000,
  sendWindow: null,
  outboundKinds: ['text'],
  ackDeadlineMs: 5000,
  maxBodyBytes: 1024 * 1024,
};

export const OK_EMPTY: ImmediateResponse = { status: 200, headers: { 'content-type': 'text/plain; charset=utf-8' }, body: '' };

export function textResponse(body: string, status = 200): ImmediateResponse {
  return { status, headers: { 'content-type': 'text/plain; charset=utf-8' }, body };
}

export function jsonResponse(value: unknown, status = 200): ImmediateResponse {
  return { status, headers: { 'content-type': 'application/json; charset=utf-8' }, body: JSON.stringify(value) };
}

import { z } from 'zod';
import { isChannelError, type ChannelError } from './errors.js';

/** The unified message model: what every channel's payloads become, and what every channel's send accepts. */
export const MESSAGE_KINDS = ['text', 'image', 'voice', 'video', 'file', 'location', 'link', 'card', 'event', 'order'] as const;
export type MessageKind = (typeof MESSAGE_KINDS)[number];

export interface TextContent { kind: 'text'; text: string }
export interface ImageContent { kind: 'image'; url?: string; mediaId?: string; caption?: string }
export interface VoiceContent { kind: 'voice'; url?: string; mediaId?: string; format?: string; durationMs?: number; /** Speech-to-text by the platform (WeChat Recognition). */ recognition?: string }
export interface VideoContent { kind: 'video'; url?: string; mediaId?: string; thumbUrl?: string; thumbMediaId?: string; title?: string }
export interface FileContent { kind: 'file'; url?: string; mediaId?: string; name?: string; size?: number; mimeType?: string }
export interface LocationContent { kind: 'location'; latitude: number; longitude: number; label?: string; scale?: number; precision?: number }
export interface LinkContent { kind: 'link'; url: string; title?: string; description?: string; thumbUrl?: string }
/** A rich card: mini-program page, product card, consultation form... */
export interface CardContent { kind: 'card'; title: string; url?: string; description?: string; thumbUrl?: string; thumbMediaId?: string; appId?: string; pagePath?: string; data?: Record<string, unknown> }
/**
 * Something that happened rather than something said: follow, QR scan, menu click, session entered, typing,
 * read receipt, call state... `name` is normalised lower_snake_case; `key` carries menu keys, scene values, URLs.
 */
export interface EventContent { kind: 'event'; name: string; key?: string; text?: string; data?: Record<string, unknown> }
/**
 * Order context. `action`: `query` is a buyer's question about an order (text in `text`); `trade` and `refund`
 * are status changes pushed by the platform. Order ids (Taobao `tid`) are strings.
 */
export interface OrderContent {
  kind: 'order';
  action: 'query' | 'trade' | 'refund';
  orderId: string;
  status?: string;
  /** The platform's own name for the change (taobao_trade_TradeBuyerPay...). */
  topic?: string;
  subOrderIds?: string[];
  refundId?: string;
  amount?: string;
  text?: string;
  /** Looked up from the platform during processing (items, totals, logistics). */
  details?: Record<string, unknown>;
}

export type MessageContent = TextContent | ImageContent | VoiceContent | VideoContent | FileContent | LocationContent | LinkContent | CardContent | EventContent | OrderContent;

/** Who someone is on a channel. 64-bit platform ids are always strings. */
export interface ExternalIdentity {
  channelType: string;
  /** OpenID, external_userid, open_id, buyer_nick, visitor id, phone number... */
  externalId: string;
  /** WeChat UnionID: the same person across the brand's WeChat apps. */
  unionId?: string;
  phone?: string;
  displayName?: string;
  avatarUrl?: string;
}

export type MessageOrigin = 'customer' | 'agent' | 'system';

export interface InboundEvent {
  channelType: string;
  /** The platform's message id, when it has one (MsgId, msgid, server_message_id...). */
  externalMessageId?: string;
  /** Unique per channel for one logical message: the host stores `channelId + dedupeKey` once, so redeliveries collapse. */
  dedupeKey: string;
  /** The customer this event is about (the sender of customer messages, the recipient of agent ones). */
  sender: ExternalIdentity;
  /** `agent` for messages staff sent from another tool (WeCom client, phone agent speech); default `customer`. */
  origin: MessageOrigin;
  content: MessageContent;
  /** When the platform says it happened. */
  sentAt: Date;
  /** When our webhook received it (the request's receivedAt). */
  receivedAt: Date;
  /**
   * Groups events into one conversation when the channel has its own notion (a phone call, a store visit).
   * `ended`: the thread is over (its conversation is resolved). `record` (SDK 1.3): the platform handles the thread
   * itself (a call, on the phone): its conversation is kept as a record, opened resolved, and no event of it, the
   * customer's included, puts it in an agent's queue. `agentId` (SDK 1.4, records only): the Huiliu agent who handled
   * it on the platform (the one who answered a call), recorded as the conversation's assignee; ignored unless it is
   * an agent of the channel's tenant.
   */
  thread?: { id: string; ended?: boolean; subject?: string; record?: boolean; agentId?: string };
  /**
   * SDK 1.3: where a conversation this event opens should be routed, from the channel's own config (a store's
   * agent group). The host uses a group id only if it is an agent group of the channel's tenant.
   */
  route?: { groupId?: string };
  /**
   * Routing and reply context (storeId, scene, open_kfid, Douyin conversation id...). The host keeps the latest
   * one on the conversation and hands it back in OutboundMessage.context.
   */
  context?: Record<string, string>;
  /**
   * A notice that only announces data (WeCom kf `kf_msg_or_event`): the host stores it, then the adapter's
   * `receive` replaces it with the real messages.
   */
  notice?: boolean;
  /** Live-only (typing indicators, presence): forwarded to agents but not stored as a message. */
  ephemeral?: boolean;
  /**
   * SDK 1.4: something the platform tells about the customer that is not them reaching out: a read receipt, a push
   * token registered at app launch, an unfollow, an automatic location report, a menu link opened. Stored, and
   * kept in the customer's open conversation on the channel as a system line that changes no status; it never
   * opens or reopens a conversation (with none open, the stored payload is its only trace).
   */
  signal?: boolean;
  /** The decoded platform payload of this event (after decryption), for audit. */
  raw?: Record<string, unknown>;
}

export interface OutboundMessage {
  /** Our message id: the idempotency key where the platform supports one. */
  id: string;
  recipient: ExternalIdentity;
  content: MessageContent;
  context?: Record<string, string>;
  sender?: { type: 'agent' | 'bot' | 'system'; id?: string; name?: string };
  /**
   * SDK 1.7: which part of a stored message this is. The host sends a message as its text, then each attachment,
   * one `send` each; part `index` > 0 has the id `<message id>:<index>`. (A plugin that notifies, like the app's
   * push, can do so once per message.)
   */
  part?: { index: number; count: number };
}

export type DeliveryStatus = 'sent' | 'delivered' | 'queued';

export interface SendResult {
  /** The platform's id for the sent message (or ours when the platform returns none). */
  externalMessageId: string;
  /** `sent`: accepted by the platform; `delivered`: on the customer's device; `queued`: held for later delivery. */
  status: DeliveryStatus;
  /**
   * SDK 1.8: the message went (or waits for the client), but a side step failed and an operator should know: the
   * app's push gateway refusing our credentials. The delivery keeps `status`; the channel's health records the
   * problem as it records a failed send (`AUTH` and retryable errors degrade it).
   */
  problem?: ChannelError;
}

const str = z.string();
const opt = <T extends z.ZodType>(t: T) => t.optional();
const finite = z.number().finite();

export const messageContentSchema = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('text'), text: str }),
  z.object({ kind: z.literal('image'), url: opt(str), mediaId: opt(str), caption: opt(str) }),
  z.object({ kind: z.literal('voice'), url: opt(str), mediaId: opt(str), format: opt(str), durationMs: opt(finite), recognition: opt(str) }),
  z.object({ kind: z.literal('video'), url: opt(str), mediaId: opt(str), thumbUrl: opt(str), thumbMediaId: opt(str), title: opt(str) }),
  z.object({ kind: z.literal('file'), url: opt(str), mediaId: opt(str), name: opt(str), size: opt(finite), mimeType: opt(str) }),
  z.object({ kind: z.literal('location'), latitude: finite.min(-90).max(90), longitude: finite.min(-180).max(180), label: opt(str), scale: opt(finite), precision: opt(finite) }),
  z.object({ kind: z.literal('link'), url: str, title: opt(str), description: opt(str), thumbUrl: opt(str) }),
  z.object({ kind: z.literal('card'), title: str, url: opt(str), description: opt(str), thumbUrl: opt(str), thumbMediaId: opt(str), appId: opt(str), pagePath: opt(str), data: opt(z.record(str, z.unknown())) }),
  z.object({ kind: z.literal('event'), name: str.min(1), key: opt(str), text: opt(str), data: opt(z.record(str, z.unknown())) }),
  z.object({
    kind: z.literal('order'), action: z.enum(['query', 'trade', 'refund']), orderId: str.min(1), status: opt(str), topic: opt(str),
    subOrderIds: opt(z.array(str)), refundId: opt(str), amount: opt(str), text: opt(str), details: opt(z.record(str, z.unknown())),
  }),
]);

export const externalIdentitySchema = z.object({
  channelType: str.min(1), externalId: str.min(1), unionId: opt(str), phone: opt(str), displayName: opt(str), avatarUrl: opt(str),
});

const validDate = z.date().refine((d) => !Number.isNaN(d.getTime()), 'invalid date');

/** What the host accepts from a plugin's parse/receive; a plugin returning anything else is failing. */
export const inboundEventSchema = z.object({
  channelType: str.min(1),
  externalMessageId: opt(str.min(1)),
  dedupeKey: str.min(1).max(191),
  sender: externalIdentitySchema,
  origin: z.enum(['customer', 'agent', 'system']),
  content: messageContentSchema,
  sentAt: validDate,
  receivedAt: validDate,
  thread: opt(z.object({ id: str.min(1), ended: opt(z.boolean()), subject: opt(str), record: opt(z.boolean()), agentId: opt(str.min(1).max(36)) })),
  route: opt(z.object({ groupId: opt(str.min(1).max(36)) })),
  context: opt(z.record(str, str)),
  notice: opt(z.boolean()),
  ephemeral: opt(z.boolean()),
  signal: opt(z.boolean()),
  raw: opt(z.record(str, z.unknown())),
});

export const sendResultSchema = z.object({ externalMessageId: str.min(1), status: z.enum(['sent', 'delivered', 'queued']), problem: z.custom<ChannelError>(isChannelError).optional() });

/** A plain-text rendering of any content, for channels that can only send text and for previews. */
export function contentToText(c: MessageContent): string {
  switch (c.kind) {
    case 'text': return c.text;
    case 'image': return c.caption ?? '[image]';
    case 'voice': return c.recognition ?? '[voice]';
    case 'video': return c.title ?? '[video]';
    case 'file': return c.name ?? '[file]';
    case 'location': return c.label ?? `[location ${c.latitude},${c.longitude}]`;
    case 'link': return [c.title, c.url].filter(Boolean).join(' ');
    case 'card': return [c.title, c.url].filter(Boolean).join(' ');
    case 'event': return c.text ?? `[${c.name}]`;
    case 'order': return c.text ?? `[order ${c.orderId}${c.status ? ` ${c.status}` : ''}]`;
  }
}

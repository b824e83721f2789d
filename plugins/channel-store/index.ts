import {
  DEFAULT_CAPABILITIES, SDK_API_VERSION, authError, badRequest, configIssues, defineChannel, definePlugin, hmacHex, jsonResponse, messageContentSchema,
  parseJsonLossless, safeEqual, secret, verifySignedPayload, wireTime, z, type InboundEvent, type InboundRequest, type MessageContent,
} from '../sdk/index.js';
import { historyFrame, pushLive } from '../channel-web/widget.protocol.js';

export const storePluginConfig = z.object({ maxClockSkewSeconds: z.number().int().min(0).default(300) });
export type StorePluginConfig = z.output<typeof storePluginConfig>;

/**
 * Offline stores. The brand's store backend (the H5 page a store QR code opens, and the store tablets)
 * signs each POST with the channel secret (x-huiliu-signature over `timestamp.body`).
 */
export const storeChannelConfig = z.object({
  secret: secret(z.string().min(16, 'must be at least 16 characters')),
  /**
   * Signs the store QR codes (default: `secret`). Printed codes outlive a webhook secret's rotation: with a key of
   * their own, rotating `secret` does not void every code on every store's counter.
   */
  qrSecret: secret(z.string().min(16, 'must be at least 16 characters')).optional(),
  /** The page a store QR code opens; storeQrUrl() appends the store and its signature. */
  landingUrl: z.string().url().optional(),
  /** Known stores; when listed, events for other store ids are refused. */
  stores: z.array(z.object({
    id: z.string().min(1).max(64), name: z.string().min(1).max(100),
    /** The agent group (its id in Huiliu) that answers this store's QR chats: its staff, say. */
    groupId: z.string().min(1).max(36).optional(),
  })).default([]),
});
export type StoreChannelConfig = z.output<typeof storeChannelConfig>;

/** The signature a store QR code carries, so a customer cannot bind a chat to another store by editing the URL. */
export const storeQrSignature = (secretValue: string, storeId: string) => hmacHex('sha256', secretValue, `store-qr:${storeId}`).slice(0, 32);

const qrKey = (c: Pick<StoreChannelConfig, 'secret' | 'qrSecret'>) => c.qrSecret ?? c.secret;

/** The URL to print as a store's QR code. */
export function storeQrUrl(config: Pick<StoreChannelConfig, 'landingUrl' | 'secret' | 'qrSecret'>, storeId: string): string {
  if (!config.landingUrl) throw new Error('the store channel has no landingUrl');
  const u = new URL(config.landingUrl);
  u.searchParams.set('store', storeId);
  u.searchParams.set('sig', storeQrSignature(qrKey(config), storeId));
  return u.toString();
}

const customer = z.object({
  id: z.string().min(1).max(128),
  idType: z.enum(['wechat_openid', 'phone', 'member', 'anonymous']).default('anonymous'),
  phone: z.string().max(32).optional(),
  unionId: z.string().max(64).optional(),
  name: z.string().max(100).optional(),
});
/** Unix seconds, Unix milliseconds or ISO 8601. */
const time = wireTime;
export const storeFrameSchema = z.discriminatedUnion('type', [
  z.object({ type: z.literal('qr_scan'), id: z.string().min(1).max(128), storeId: z.string().min(1).max(64), qrSig: z.string().min(1).max(64), customer, at: time }),
  // A chat message carries its page's QR signature too: the store it is bound to comes from the page's URL.
  z.object({ type: z.literal('message'), id: z.string().min(1).max(128), storeId: z.string().min(1).max(64), qrSig: z.string().min(1).max(64), customer, content: messageContentSchema.refine((c) => c.kind !== 'event' && c.kind !== 'order', 'not customer content'), at: time }),
  z.object({
    type: z.literal('consultation'), id: z.string().min(1).max(128), storeId: z.string().min(1).max(64), staffId: z.string().min(1).max(128), customer,
    summary: z.string().min(1).max(5000), topics: z.array(z.string().max(64)).max(20).default([]), products: z.array(z.string().max(128)).max(50).default([]),
    startedAt: time, endedAt: time,
  }),
  // The store backend polls for the replies to a customer's store chat (its page has no socket of its own).
  z.object({ type: z.literal('sync'), storeId: z.string().min(1).max(64), customer, after: z.string().min(1).max(64).optional() }),
]);
export type StoreFrame = z.output<typeof storeFrameSchema>;

function frames(req: InboundRequest): StoreFrame[] {
  const v = parseJsonLossless(req.rawBody.toString('utf8'));
  const list: unknown[] | null = v && typeof v === 'object' && !Array.isArray(v) ? (Array.isArray(v.events) ? v.events : [v]) : null;
  if (!list || !list.length || list.length > 100) throw badRequest('store body must be an event or { events: [...] } (1–100)');
  return list.map((f, i) => {
    const r = storeFrameSchema.safeParse(f);
    if (!r.success) throw badRequest(`invalid store event${list.length > 1 ? ` #${i}` : ''}: ${configIssues(r.error).map((x) => `${x.path} ${x.message}`).join('; ')}`);
    return r.data;
  });
}

/** The signature of the store QR code the customer's page was opened from, so no one edits the URL to another store. */
function checkQr(sig: string, storeId: string, c: StoreChannelConfig): void {
  if (!safeEqual(sig, storeQrSignature(qrKey(c), storeId))) throw authError(`QR signature does not match store ${storeId}`);
}

function storeEvent(f: StoreFrame, c: StoreChannelConfig, receivedAt: Date): InboundEvent {
  if (c.stores.length && !c.stores.some((s) => s.id === f.storeId)) throw badRequest(`unknown store ${f.storeId}`);
  const who = f.customer;
  const sender = { channelType: 'store', externalId: who.id, ...(who.phone ? { phone: who.phone } : {}), ...(who.unionId ? { unionId: who.unionId } : {}), ...(who.name ? { displayName: who.name } : {}) };
  if (f.type === 'sync') { // answered by the host through `history` (SDK 1.2); never stored
    return { channelType: 'store', dedupeKey: `sync:${who.id}:${receivedAt.getTime()}`, sender, origin: 'customer', receivedAt, sentAt: receivedAt, ephemeral: true,
      content: { kind: 'event', name: 'sync', ...(f.after ? { key: f.after } : {}) }, context: { storeId: f.storeId } };
  }
  const base = { channelType: 'store', externalMessageId: f.id, dedupeKey: `${f.type}:${f.id}`, sender, receivedAt, context: { storeId: f.storeId, customerIdType: who.idType } };
  const chat = { id: `store:${f.storeId}:${who.id}` };
  const groupId = c.stores.find((s) => s.id === f.storeId)?.groupId;
  const route = groupId ? { route: { groupId } } : {}; // SDK 1.3: the store's chats go to its group
  let content: MessageContent;
  switch (f.type) {
    case 'qr_scan':
      checkQr(f.qrSig, f.storeId, c);
      content = { kind: 'event', name: 'store_qr_scan', key: f.storeId };
      return { ...base, origin: 'customer', content, sentAt: f.at, thread: chat, ...route };
    case 'message':
      checkQr(f.qrSig, f.storeId, c);
      return { ...base, origin: 'customer', content: f.content as MessageContent, sentAt: f.at, thread: chat, ...route };
    case 'consultation':
      content = { kind: 'event', name: 'store_consultation', text: f.summary, data: { staffId: f.staffId, topics: f.topics, products: f.products, startedAt: f.startedAt.toISOString(), endedAt: f.endedAt.toISOString() } };
      // logged by staff on the tablet: a finished, in-person conversation of its own
      return { ...base, origin: 'agent', content, sentAt: f.endedAt, thread: { id: `consultation:${f.id}`, ended: true, subject: 'In-store consultation' }, context: { ...base.context, staffId: f.staffId } };
  }
}

export function createStoreAdapter(pc: StorePluginConfig) {
  return defineChannel<typeof storeChannelConfig, StorePluginConfig>({
    type: 'store',
    displayName: 'Offline stores (store QR chats, tablet consultations)',
    capabilities: { ...DEFAULT_CAPABILITIES, media: true, maxTextLength: 5000, outboundKinds: ['text', 'image', 'link', 'card'], ackDeadlineMs: 5000, maxBodyBytes: 256 * 1024 },
    configSchema: storeChannelConfig,
    verify(req, c) {
      if (req.method.toUpperCase() !== 'POST') throw badRequest(`method ${req.method} not supported`);
      verifySignedPayload(req, c.secret, { toleranceSeconds: pc.maxClockSkewSeconds });
    },
    parse: (req, c) => frames(req).map((f) => storeEvent(f, c, req.receivedAt)),
    respond: (_req, events) => jsonResponse({ received: events.length }),
    /** SDK 1.2: the replies to a customer's store chat since `after`, for the store backend's page (a `sync` event). */
    history: (messages, more) => jsonResponse(historyFrame(messages, more)),
    /** Replies reach the customer on the store chat page, over the host's live connection (widget frames). */
    async send(message, ctx) {
      const live = await pushLive(message, ctx);
      return { externalMessageId: message.id, status: live ? 'delivered' : 'queued' };
    },
  });
}

export default definePlugin({
  manifest: { id: 'channel-store', kind: 'channel', version: '1.0.0', apiVersion: SDK_API_VERSION, capabilities: ['connections'], description: 'Offline stores: store QR chats bound to the store, tablet-logged consultations' },
  configSchema: storePluginConfig,
  register(host) {
    host.channels.register(createStoreAdapter(host.config));
  },
});

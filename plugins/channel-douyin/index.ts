import {
  ChannelError, DEFAULT_CAPABILITIES, SDK_API_VERSION, authError, badRequest, cachedToken, defineChannel, definePlugin, idString, invalidateToken,
  jsonResponse, parseJsonLossless, safeEqual, secret, sha1Hex, textResponse, z,
  type ChannelContext, type HttpResponse, type InboundEvent, type InboundRequest, type MessageContent,
} from '../sdk/index.js';

export const douyinPluginConfig = z.object({
  apiBaseUrl: z.string().url().default('https://open.douyin.com'),
  httpTimeoutMs: z.number().int().positive().default(10_000),
});
export type DouyinPluginConfig = z.output<typeof douyinPluginConfig>;

/** Names of the Douyin open platform console (应用 → client_key / client_secret) and the authorised enterprise account. */
export const douyinChannelConfig = z.object({
  clientKey: z.string().min(1, 'must be the app client_key'),
  clientSecret: secret(z.string().min(1, 'must be the app client_secret')),
  /** open_id of the brand's enterprise account (the `open_id` query of /im/send/msg/). */
  accountOpenId: z.string().min(1, 'must be the enterprise account open_id'),
  /** The account's refresh_token from its OAuth authorisation; access tokens are refreshed from it. */
  refreshToken: secret(z.string().min(1)).optional(),
  /** Or an access token managed elsewhere. */
  accessToken: secret(z.string().min(1)).optional(),
}).refine((c) => c.refreshToken || c.accessToken, { message: 'give refreshToken (or accessToken) to send messages', path: ['refreshToken'] });
export type DouyinChannelConfig = z.output<typeof douyinChannelConfig>;

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

/** `X-Douyin-Signature` = hex(sha1(client_secret + raw body)). */
export const douyinSignature = (clientSecret: string, rawBody: Buffer) => sha1Hex(Buffer.concat([Buffer.from(clientSecret), rawBody]));

function envelope(req: InboundRequest): Json {
  const v = parseJsonLossless(req.rawBody.toString('utf8'));
  if (!v || typeof v !== 'object' || Array.isArray(v)) throw badRequest('Douyin webhook body must be a JSON object');
  if (typeof v.event !== 'string' || !v.event) throw badRequest('Douyin webhook body has no event');
  return v;
}

/** `content` comes as an object or as a JSON string, depending on the product. */
function contentOf(env: Json): Json {
  const c = env.content;
  if (c === undefined || c === null || c === '') return {};
  if (typeof c === 'string') {
    const v = parseJsonLossless(c);
    if (!v || typeof v !== 'object' || Array.isArray(v)) throw badRequest('Douyin content string is not a JSON object');
    return v;
  }
  if (typeof c !== 'object' || Array.isArray(c)) throw badRequest('Douyin content must be an object or a JSON string');
  return c;
}

const str = (v: unknown) => idString(v);

function messageContent(c: Json): MessageContent {
  const type = String(c.message_type ?? c.msg_type ?? 'text');
  const s = (v: unknown) => (typeof v === 'string' && v ? v : undefined);
  switch (type) {
    case 'text': return { kind: 'text', text: String(c.text ?? '') };
    case 'image': return { kind: 'image', url: s(c.resource_url) ?? s(c.image?.url), mediaId: s(c.media_id) };
    case 'video': return { kind: 'video', url: s(c.resource_url), mediaId: s(c.item_id) ?? s(c.video?.item_id) };
    case 'emoji': return { kind: 'image', url: s(c.resource_url), caption: '[emoji]' };
    case 'retain_consult_card': return { kind: 'card', title: s(c.title) ?? 'consultation card', data: { card_id: c.card_id } };
    default: return { kind: 'event', name: 'unsupported', key: type, text: s(c.text) };
  }
}

/** One webhook event in the unified model (see §3.1; message fields partly [U]: unknown types are kept as `unsupported`). */
export function douyinEvents(req: InboundRequest): InboundEvent[] {
  const env = envelope(req);
  const event = String(env.event);
  if (event === 'verify_webhook') return [];
  const c = contentOf(env);
  const from = str(env.from_user_id);
  const to = str(env.to_user_id);
  const msgId = req.headers['msg-id'];
  const serverId = str(c.server_message_id);
  const created = Number(c.create_time);
  const sentAt = Number.isFinite(created) && created > 0 ? new Date(created > 1e12 ? created : created * 1000) : req.receivedAt;
  // im_send_msg: the brand's account sent it (from another tool); the customer is the recipient
  const outbound = event === 'im_send_msg';
  const customer = outbound ? to : event === 'im_message_read' ? (str(c.read_open_id) ?? from) : from;
  if (!customer) throw badRequest(`${event} without a user id`);
  const info = Array.isArray(c.user_infos) ? (c.user_infos as Json[]).find((u) => str(u?.open_id) === customer) : undefined;
  let content: MessageContent;
  if (event === 'im_receive_msg' || event === 'im_send_msg') content = messageContent(c);
  else if (event === 'im_enter_direct_msg') content = { kind: 'event', name: 'enter_session' };
  else if (event === 'im_message_read') content = { kind: 'event', name: 'read', key: str(c.index) };
  else content = { kind: 'event', name: event.toLowerCase() };
  const context: Record<string, string> = {};
  const conv = str(c.conversation_short_id) ?? str(c.conversation_id);
  if (conv) context.conversationId = conv;
  if (serverId) context.lastMessageId = serverId;
  const account = outbound ? from : to;
  if (account) context.accountOpenId = account;
  return [{
    channelType: 'douyin',
    externalMessageId: serverId ?? msgId,
    // Douyin's documented dedupe key is the Msg-Id header (the same on every retry)
    dedupeKey: msgId ? `msg:${msgId}` : serverId ? `srv:${serverId}` : `evt:${event}:${customer}:${sentAt.getTime()}`,
    sender: { channelType: 'douyin', externalId: customer, displayName: typeof info?.nick_name === 'string' ? info.nick_name : undefined, avatarUrl: typeof info?.avatar === 'string' ? info.avatar : undefined },
    origin: outbound ? 'agent' : 'customer',
    content,
    sentAt,
    receivedAt: req.receivedAt,
    context: Object.keys(context).length ? context : undefined,
    // a read receipt is not the customer writing: it must neither open a conversation nor become the reply context
    ...(event === 'im_message_read' ? { signal: true } : {}),
    raw: { ...env, content: c },
  }];
}

const TOKEN_ERRORS = new Set([2190008, 2190002, 28001008, 28001003]);

function douyinError(code: number, description: string, api: string): ChannelError {
  const message = `${api}: Douyin error_code ${code}: ${String(description ?? '').slice(0, 200)}`;
  if (TOKEN_ERRORS.has(code) || [10008, 10010, 2190004].includes(code)) return new ChannelError('AUTH', message, { platformCode: code });
  if (code === 2100004 || code === 2100005) return new ChannelError('UNAVAILABLE', message, { platformCode: code });
  if (code === 2100009 || code === 2119007) return new ChannelError('RATE_LIMITED', message, { platformCode: code, retryAfterMs: 60_000 });
  return new ChannelError('BAD_REQUEST', message, { platformCode: code });
}

function statusError(res: HttpResponse, api: string): ChannelError | null {
  if (res.status === 429) return new ChannelError('RATE_LIMITED', `${api}: HTTP 429`, { platformCode: 429, retryAfterMs: Number(res.headers['retry-after']) * 1000 || undefined });
  if (res.status === 401 || res.status === 403) return new ChannelError('AUTH', `${api}: HTTP ${res.status}`, { platformCode: res.status });
  if (res.status >= 500) return new ChannelError('UNAVAILABLE', `${api}: HTTP ${res.status}`, { platformCode: res.status });
  if (res.status !== 200) return new ChannelError('BAD_REQUEST', `${api}: HTTP ${res.status}`, { platformCode: res.status });
  return null;
}

type Ctx = ChannelContext<DouyinPluginConfig, DouyinChannelConfig>;

/** The account's access token: refreshed from its refresh_token (rotated refresh tokens are kept in the store). */
async function accessToken(ctx: Ctx): Promise<string> {
  const cfg = ctx.channel.config;
  if (!cfg.refreshToken) return cfg.accessToken!;
  return cachedToken(ctx.kv, ctx.clock, 'access_token', async () => {
    const refresh = (await ctx.kv.get('refresh_token')) ?? cfg.refreshToken!;
    const res = await ctx.http.request({ method: 'POST', url: '/oauth/refresh_token/', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams({ client_key: cfg.clientKey, grant_type: 'refresh_token', refresh_token: refresh }).toString() });
    const bad = statusError(res, 'oauth/refresh_token');
    if (bad) throw bad;
    const d = (res.json<Json>()?.data ?? {}) as Json;
    if (d.error_code) throw douyinError(Number(d.error_code), d.description, 'oauth/refresh_token');
    if (typeof d.access_token !== 'string') throw new ChannelError('UNAVAILABLE', 'oauth/refresh_token: no access_token in the answer');
    if (typeof d.refresh_token === 'string' && d.refresh_token !== refresh) await ctx.kv.set('refresh_token', d.refresh_token);
    return { token: d.access_token, expiresInSeconds: Number(d.expires_in) || 1_296_000 };
  });
}

function sendContent(c: MessageContent): Json {
  switch (c.kind) {
    case 'text': return { msg_type: 1, text: { text: c.text } };
    case 'image':
      if (!c.mediaId) throw new ChannelError('BAD_REQUEST', 'douyin: image.mediaId is required (upload the image first)');
      return { msg_type: 2, image: { media_id: c.mediaId } };
    case 'video':
      if (!c.mediaId) throw new ChannelError('BAD_REQUEST', 'douyin: video.mediaId (item_id) is required');
      return { msg_type: 3, video: { item_id: c.mediaId } };
    default: throw new ChannelError('BAD_REQUEST', `douyin cannot send ${c.kind}`);
  }
}

export function createDouyinAdapter(_pc: DouyinPluginConfig) {
  return defineChannel<typeof douyinChannelConfig, DouyinPluginConfig>({
    type: 'douyin',
    displayName: 'Douyin (抖音) private messages',
    capabilities: { ...DEFAULT_CAPABILITIES, media: true, maxTextLength: 500, sendWindow: null, outboundKinds: ['text', 'image', 'video'], ackDeadlineMs: 5000, maxBodyBytes: 256 * 1024 },
    configSchema: douyinChannelConfig,

    verify(req, config) {
      if (req.method.toUpperCase() !== 'POST') throw badRequest(`method ${req.method} not supported`);
      const sig = req.headers['x-douyin-signature'];
      if (!sig) throw authError('missing X-Douyin-Signature');
      if (!safeEqual(sig.toLowerCase(), douyinSignature(config.clientSecret, req.rawBody))) throw authError('X-Douyin-Signature mismatch');
    },

    parse: (req) => douyinEvents(req),

    respond(req) {
      const env = envelope(req);
      if (env.event === 'verify_webhook') {
        const challenge = contentOf(env).challenge;
        if (challenge === undefined) throw badRequest('verify_webhook without content.challenge');
        return jsonResponse({ challenge });
      }
      return textResponse('');
    },

    async send(message, ctx) {
      const conversationId = message.context?.conversationId;
      if (!conversationId) throw new ChannelError('BAD_REQUEST', 'douyin replies need the conversation of a customer message (context.conversationId)');
      const body = {
        msg_id: message.context?.lastMessageId,
        conversation_id: conversationId,
        to_user_id: message.recipient.externalId,
        content: sendContent(message.content),
        scene: 'im_replay_msg',
      };
      for (let attempt = 0; ; attempt++) {
        const token = await accessToken(ctx);
        const res = await ctx.http.request({ method: 'POST', url: '/im/send/msg/', query: { open_id: ctx.channel.config.accountOpenId }, headers: { 'access-token': token }, json: body });
        const bad = statusError(res, 'im/send/msg');
        if (bad) throw bad;
        const r = res.json<Json>();
        const code = Number(r?.data?.error_code ?? r?.extra?.error_code ?? 0);
        if (code && TOKEN_ERRORS.has(code) && attempt === 0 && ctx.channel.config.refreshToken) {
          await invalidateToken(ctx.kv, 'access_token', token);
          continue;
        }
        if (code) throw douyinError(code, r?.data?.description ?? r?.extra?.description, 'im/send/msg');
        return { externalMessageId: idString(r?.msg_id) ?? idString(r?.data?.msg_id) ?? message.id, status: 'sent' };
      }
    },
  });
}

export default definePlugin({
  manifest: { id: 'channel-douyin', kind: 'channel', version: '1.0.0', apiVersion: SDK_API_VERSION, capabilities: ['http', 'kv'], description: 'Douyin open platform webhooks (im_receive_msg...) and private message replies' },
  configSchema: douyinPluginConfig,
  register(host) {
    host.channels.register(createDouyinAdapter(host.config));
  },
});

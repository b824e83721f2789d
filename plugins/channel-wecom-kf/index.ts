import {
  ChannelError, DEFAULT_CAPABILITIES, md5Hex, ReplyWindow, SDK_API_VERSION, defineChannel, definePlugin, idString, isChannelError, secret, textResponse, z,
  isStoredItem, parseJsonLossless, type ChannelContext, type FailedItem, type InboundEvent, type MessageContent,
} from '../sdk/index.js';
import { callWithToken, wecomToken } from '../wechat-common/wechat.api.js';
import { ENCODING_AES_KEY } from '../wechat-common/wechat.crypto.js';
import { echoFor, eventName, readWechatMessage, verifyWechatRequest, type WechatInboundConfig } from '../wechat-common/wechat.inbound.js';
import { field } from '../wechat-common/wechat.xml.js';

const windowRule = z.object({ hours: z.number().positive(), maxMessages: z.number().int().positive() });

export const wecomKfPluginConfig = z.object({
  apiBaseUrl: z.string().url().default('https://qyapi.weixin.qq.com'),
  httpTimeoutMs: z.number().int().positive().default(10_000),
  /** kf/send_msg: at most 5 messages within 48 h of the customer's last message. */
  replyWindow: windowRule.default({ hours: 48, maxMessages: 5 }),
  enforceReplyWindow: z.boolean().default(true),
  /** kf/sync_msg page size (≤ 1000) and pages per notice. */
  syncLimit: z.number().int().min(1).max(1000).default(1000),
  maxPagesPerNotice: z.number().int().min(1).max(100).default(20),
  maxClockSkewSeconds: z.number().int().min(0).default(300),
});
export type WecomKfPluginConfig = z.output<typeof wecomKfPluginConfig>;

/** Names of the WeCom admin console (微信客服 → API → 回调配置 / Secret). */
export const wecomKfChannelConfig = z.object({
  corpId: z.string().regex(/^w[wx][0-9A-Za-z]{16}$/, 'must be the 18-character 企业ID (CorpID)'),
  secret: secret(z.string().min(16, 'must be the 微信客服 Secret')),
  token: secret(z.string().regex(/^[A-Za-z0-9]{3,32}$/, 'must be the callback Token')),
  encodingAESKey: secret(z.string().regex(ENCODING_AES_KEY, 'must be the 43-character EncodingAESKey')),
  /** The kf account used when a reply has no open_kfid in its conversation context. */
  openKfId: z.string().min(1).optional(),
  /** Sent with the enter_session welcome_code (within 20 s of the customer entering). */
  welcomeMessage: z.string().min(1).max(600).optional(),
});
export type WecomKfChannelConfig = z.output<typeof wecomKfChannelConfig>;

const inbound = (c: WecomKfChannelConfig, pc: WecomKfPluginConfig): WechatInboundConfig => ({
  token: c.token, appId: c.corpId, encodingAESKey: c.encodingAESKey, mode: 'safe', maxClockSkewSeconds: pc.maxClockSkewSeconds,
});

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

const isObject = (v: unknown): v is Json => !!v && typeof v === 'object' && !Array.isArray(v);
// String()/Number() throw on an object whose own `toString` is not a function, which JSON can carry: only primitives are read
const str = (v: unknown): string | undefined => (typeof v === 'string' ? v : typeof v === 'number' || typeof v === 'bigint' || typeof v === 'boolean' ? String(v) : undefined);
const num = (v: unknown): number => (typeof v === 'number' ? v : typeof v === 'string' || typeof v === 'bigint' ? Number(v) : NaN);

/**
 * One kf/sync_msg item (§2.2) in the unified model. origin 3 = customer, 4 = system event, 5 = servicer in the WeCom client.
 * An item it cannot read (not an object, no msgid) is a ChannelError BAD_REQUEST, never a TypeError.
 */
export function kfMessageEvent(m: unknown, receivedAt: Date): InboundEvent {
  if (!isObject(m)) throw new ChannelError('BAD_REQUEST', `kf/sync_msg item is ${m === null ? 'null' : Array.isArray(m) ? 'an array' : typeof m}, not an object`);
  const msgid = idString(m.msgid);
  if (!msgid) throw new ChannelError('BAD_REQUEST', 'kf/sync_msg item without msgid');
  const ev: Json = m.msgtype === 'event' && isObject(m.event) ? m.event : {};
  const customer = idString(m.external_userid) ?? idString(ev.external_userid);
  const servicer = idString(m.servicer_userid) ?? idString(ev.servicer_userid);
  const origin = m.origin === 5 ? 'agent' : m.origin === 4 || !customer ? 'system' : 'customer';
  const openKfId = idString(m.open_kfid) ?? idString(ev.open_kfid);
  const s = (v: unknown) => (typeof v === 'string' && v ? v : undefined);
  const msgtype = str(m.msgtype) ?? '';
  const body: Json = msgtype && isObject(m[msgtype]) ? m[msgtype] : {};
  let content: MessageContent;
  switch (msgtype) {
    case 'text': content = { kind: 'text', text: str(body.content) ?? '' }; break;
    case 'image': content = { kind: 'image', mediaId: s(body.media_id) }; break;
    case 'voice': content = { kind: 'voice', mediaId: s(body.media_id) }; break;
    case 'video': content = { kind: 'video', mediaId: s(body.media_id) }; break;
    case 'file': content = { kind: 'file', mediaId: s(body.media_id) }; break;
    case 'location': {
      const lat = num(body.latitude);
      const lng = num(body.longitude);
      content = Number.isFinite(lat) && Number.isFinite(lng) && Math.abs(lat) <= 90 && Math.abs(lng) <= 180
        ? { kind: 'location', latitude: lat, longitude: lng, label: [s(body.name), s(body.address)].filter(Boolean).join(' ') || undefined }
        : { kind: 'event', name: 'unsupported', key: 'location' };
      break;
    }
    case 'link': content = { kind: 'link', url: str(body.url) ?? '', title: s(body.title), description: s(body.desc), thumbUrl: s(body.pic_url) }; break;
    case 'miniprogram': content = { kind: 'card', title: str(body.title) ?? '', appId: s(body.appid), pagePath: s(body.pagepath), thumbMediaId: s(body.thumb_media_id) }; break;
    case 'business_card': content = { kind: 'card', title: 'business card', data: { userid: body.userid } }; break;
    case 'event': {
      const data: Json = {};
      for (const k of ['scene', 'scene_param', 'welcome_code', 'recall_msgid', 'fail_msgid', 'fail_type', 'status', 'change_type', 'old_servicer_userid', 'new_servicer_userid', 'msg_code']) if (ev[k] !== undefined) data[k] = ev[k];
      const name = eventName(str(ev.event_type) ?? 'unknown');
      // msg_send_fail reports one of our messages (fail_msgid: the msgid send_msg returned) as undelivered: the
      // host's `send_failed` turns its delivery FAILED.
      content = name === 'msg_send_fail' && idString(ev.fail_msgid)
        ? { kind: 'event', name: 'send_failed', key: idString(ev.fail_msgid), data: { fail_type: ev.fail_type ?? null } }
        : { kind: 'event', name, data: Object.keys(data).length ? data : undefined };
      break;
    }
    default: content = { kind: 'event', name: 'unsupported', key: msgtype };
  }
  const context: Record<string, string> = {};
  if (openKfId) context.openKfId = openKfId;
  if (typeof ev.scene === 'string' && ev.scene) context.scene = ev.scene;
  const t = num(m.send_time);
  return {
    channelType: 'wecom-kf',
    externalMessageId: msgid,
    dedupeKey: `msg:${msgid}`,
    sender: { channelType: 'wecom-kf', externalId: customer ?? `servicer:${servicer ?? openKfId ?? 'unknown'}` },
    origin,
    content,
    // A report about our message, not the customer writing: it opens no conversation (SDK 1.4 signal).
    ...(content.kind === 'event' && content.name === 'send_failed' ? { signal: true } : {}),
    sentAt: Number.isFinite(t) && t > 0 ? new Date(t * 1000) : receivedAt,
    receivedAt,
    context: Object.keys(context).length ? context : undefined,
    raw: { ...m },
  };
}

/** kf/send_msg bodies per content kind. */
function kfBody(c: MessageContent): Json {
  const need = (v: string | undefined, what: string) => { if (!v) throw new ChannelError('BAD_REQUEST', `wecom-kf: ${what} is required (upload the media first)`); return v; };
  switch (c.kind) {
    case 'text': return { msgtype: 'text', text: { content: c.text } };
    case 'image': return { msgtype: 'image', image: { media_id: need(c.mediaId, 'image.mediaId') } };
    case 'voice': return { msgtype: 'voice', voice: { media_id: need(c.mediaId, 'voice.mediaId') } };
    case 'video': return { msgtype: 'video', video: { media_id: need(c.mediaId, 'video.mediaId') } };
    case 'file': return { msgtype: 'file', file: { media_id: need(c.mediaId, 'file.mediaId') } };
    // kf links need an uploaded thumbnail; a link goes out as text
    case 'link': return { msgtype: 'text', text: { content: [c.title, c.url].filter(Boolean).join(' ') } };
    case 'card': return { msgtype: 'miniprogram', miniprogram: { appid: c.appId, title: c.title, thumb_media_id: need(c.thumbMediaId, 'card.thumbMediaId'), pagepath: c.pagePath } };
    case 'location': return { msgtype: 'location', location: { name: c.label, latitude: c.latitude, longitude: c.longitude } };
    default: throw new ChannelError('BAD_REQUEST', `wecom-kf cannot send ${c.kind}`);
  }
}

/** Our message id as a kf msgid (≤ 32 of [0-9a-zA-Z_-]; a UUID without dashes): WeCom dedupes on it, so a retried send is not doubled. */
export function kfMsgId(id: string): string {
  const clean = id.replace(/[^0-9a-zA-Z_]/g, '');
  return clean.length > 0 && clean.length <= 32 ? clean : md5Hex(id);
}

/**
 * A sync_msg page as events, item by item. An item we cannot read is handed back as failed (SDK 1.6): the host
 * keeps it for an operator and a replay, and the cursor still moves past the page, so one bad item cannot make
 * every later notice fail on the same page.
 */
function pageEvents(list: unknown[], at: { openKfId: string; cursor?: string }, receivedAt: Date, ctx: ChannelContext): { events: InboundEvent[]; failed: FailedItem[] } {
  const events: InboundEvent[] = [];
  const failed: FailedItem[] = [];
  list.forEach((m, index) => {
    try {
      events.push(kfMessageEvent(m, receivedAt));
    } catch (err) {
      if (!isChannelError(err)) throw err;
      failed.push({ raw: JSON.stringify(m) ?? 'null', error: err });
      ctx.logger.warn({ ...at, index, code: err.code, reason: err.message }, 'kf/sync_msg item kept as failed');
    }
  });
  return { events, failed };
}

export function createWecomKfAdapter(pc: WecomKfPluginConfig) {
  const token = (ctx: ChannelContext<WecomKfPluginConfig, WecomKfChannelConfig>) => wecomToken(ctx.channel.config.corpId, ctx.channel.config.secret);

  return defineChannel<typeof wecomKfChannelConfig, WecomKfPluginConfig>({
    type: 'wecom-kf',
    displayName: 'WeCom customer service (微信客服)',
    capabilities: {
      ...DEFAULT_CAPABILITIES,
      media: true,
      // kf/send_msg text: 2048 bytes; 512 characters stay under it whatever they are (at most 4 bytes each in UTF-8)
      maxTextLength: 512,
      sendWindow: pc.replyWindow,
      outboundKinds: ['text', 'image', 'voice', 'video', 'file', 'link', 'card', 'location'],
      // URL verification must be answered within 1 s
      ackDeadlineMs: 1000,
      maxBodyBytes: 64 * 1024,
    },
    configSchema: wecomKfChannelConfig,

    verify: (req, config) => verifyWechatRequest(req, inbound(config, pc)),

    parse(req, config) {
      if (req.method.toUpperCase() === 'GET') return [];
      // an item receive could not read, replayed by an operator: its body is the sync_msg entry
      if (isStoredItem(req)) return [kfMessageEvent(parseJsonLossless(req.rawBody.toString('utf8')), req.receivedAt)];
      const { fields } = readWechatMessage(req, inbound(config, pc));
      const corp = field(fields, 'ToUserName') || config.corpId;
      const created = field(fields, 'CreateTime');
      const sentAt = /^\d{1,12}$/.test(created) ? new Date(Number(created) * 1000) : req.receivedAt;
      const event = field(fields, 'Event');
      if (event === 'kf_msg_or_event') {
        const openKfId = field(fields, 'OpenKfId');
        const tok = field(fields, 'Token');
        if (!openKfId) throw new ChannelError('BAD_REQUEST', 'kf_msg_or_event without OpenKfId');
        return [{
          channelType: 'wecom-kf',
          dedupeKey: `notice:${openKfId}:${tok || created}`,
          sender: { channelType: 'wecom-kf', externalId: `kf:${openKfId}` },
          origin: 'system',
          content: { kind: 'event', name: 'kf_msg_or_event', data: { token: tok, openKfId } },
          sentAt,
          receivedAt: req.receivedAt,
          context: { openKfId },
          notice: true,
        }];
      }
      // another WeCom callback on this URL: kept, as a system event
      const kind = event || field(fields, 'MsgType') || 'unknown';
      return [{
        channelType: 'wecom-kf',
        dedupeKey: `cb:${kind}:${created}:${field(fields, 'MsgId') || field(fields, 'FromUserName')}`,
        sender: { channelType: 'wecom-kf', externalId: field(fields, 'FromUserName') || `corp:${corp}` },
        origin: 'system',
        content: { kind: 'event', name: 'unsupported', key: kind },
        sentAt,
        receivedAt: req.receivedAt,
        raw: { ...fields },
      }];
    },

    respond: (req, _e, config) => textResponse(req.method.toUpperCase() === 'GET' ? echoFor(req, inbound(config, pc)) : 'success'),

    /**
     * Replaces each kf_msg_or_event notice by the messages it announces: kf/sync_msg from the cursor kept
     * per kf account, page after page. The cursor is saved in `commit`, after the host stored the events,
     * so a crash in between replays the pull (duplicates collapse on msgid) instead of losing messages.
     */
    async receive(events, ctx) {
      const out: InboundEvent[] = [];
      const failed: FailedItem[] = [];
      const cursors = new Map<string, string | undefined>();
      for (const ev of events) {
        if (!ev.notice) { out.push(ev); continue; }
        const data = (ev.content.kind === 'event' ? ev.content.data : undefined) ?? {};
        const openKfId = String(data.openKfId ?? ev.context?.openKfId ?? '');
        let cursor = cursors.has(openKfId) ? cursors.get(openKfId) : (await ctx.kv.get(`cursor:${openKfId}`)) ?? undefined;
        // the callback token is valid 10 minutes; a replayed notice pulls without it
        const callbackToken = ctx.clock.now() - ev.receivedAt.getTime() < 9 * 60_000 && data.token ? String(data.token) : undefined;
        for (let page = 0; page < pc.maxPagesPerNotice; page++) {
          const r = await callWithToken(ctx, token(ctx), '/cgi-bin/kf/sync_msg', { cursor, token: callbackToken, limit: pc.syncLimit, voice_format: 0, open_kfid: openKfId });
          const list: unknown[] = Array.isArray(r.msg_list) ? r.msg_list : [];
          const read = pageEvents(list, { openKfId, cursor }, ev.receivedAt, ctx);
          out.push(...read.events);
          failed.push(...read.failed);
          if (typeof r.next_cursor === 'string' && r.next_cursor) cursor = r.next_cursor;
          if (r.has_more !== 1) break;
        }
        cursors.set(openKfId, cursor);
      }

      const window = new ReplyWindow(ctx.kv, ctx.clock, pc.replyWindow, 'WeCom kf reply window');
      const seen = new Set<string>();
      const unique = out.filter((e) => (seen.has(e.dedupeKey) ? false : (seen.add(e.dedupeKey), true)));
      for (const e of unique) {
        if (e.origin === 'customer' && e.content.kind !== 'event') await window.open(e.sender.externalId, e.sentAt.getTime());
        if (e.content.kind === 'event' && e.content.name === 'enter_session') await sendWelcome(e, ctx);
      }
      return {
        events: unique,
        failed,
        commit: async () => {
          for (const [k, c] of cursors) if (c) await ctx.kv.set(`cursor:${k}`, c);
        },
      };
    },

    async send(message, ctx) {
      const cfg = ctx.channel.config;
      const openKfId = message.context?.openKfId ?? cfg.openKfId;
      if (!openKfId) throw new ChannelError('BAD_REQUEST', 'wecom-kf: no open_kfid (the conversation has none and the channel config sets no openKfId)');
      const msgid = kfMsgId(message.id);
      const body = { touser: message.recipient.externalId, open_kfid: openKfId, msgid, ...kfBody(message.content) };
      const slot = pc.enforceReplyWindow ? await new ReplyWindow(ctx.kv, ctx.clock, pc.replyWindow, 'WeCom kf reply window').reserve(message.recipient.externalId) : null;
      let r: Json;
      try {
        r = await callWithToken(ctx, token(ctx), '/cgi-bin/kf/send_msg', body);
      } catch (e) {
        await slot?.release();
        throw e;
      }
      return { externalMessageId: typeof r.msgid === 'string' && r.msgid ? r.msgid : msgid, status: 'sent' };
    },
  });

  /** enter_session carries a welcome_code: one welcome message, once per code, within 20 s. Failures are logged, never fatal. */
  async function sendWelcome(e: InboundEvent, ctx: ChannelContext<WecomKfPluginConfig, WecomKfChannelConfig>) {
    const text = ctx.channel.config.welcomeMessage;
    const code = e.content.kind === 'event' ? e.content.data?.welcome_code : undefined;
    if (!text || typeof code !== 'string' || !code) return;
    if (!(await ctx.kv.setIfAbsent(`welcome:${code}`, '1', { ttlMs: 86_400_000 }))) return;
    try {
      await callWithToken(ctx, token(ctx), '/cgi-bin/kf/send_msg_on_event', { code, msgid: kfMsgId(`w${e.externalMessageId ?? ''}`), msgtype: 'text', text: { content: text } });
    } catch (err) {
      ctx.logger.warn({ err, code: (err as { code?: string }).code }, 'welcome message failed');
    }
  }
}

export default definePlugin({
  manifest: { id: 'channel-wecom-kf', kind: 'channel', version: '1.0.0', apiVersion: SDK_API_VERSION, capabilities: ['http', 'kv'], description: 'WeCom customer service (微信客服): callback notices, kf/sync_msg pull, kf/send_msg' },
  configSchema: wecomKfPluginConfig,
  register(host) {
    host.channels.register(createWecomKfAdapter(host.config));
  },
});

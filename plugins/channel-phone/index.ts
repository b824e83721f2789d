import {
  ChannelError, DEFAULT_CAPABILITIES, SDK_API_VERSION, badRequest, boundedKey, configIssues, defineChannel, definePlugin, jsonResponse, parseJsonLossless,
  secret, verifySignedPayload, wireTime, z, type InboundEvent, type InboundRequest, type MessageContent,
} from '../sdk/index.js';

export const phonePluginConfig = z.object({ maxClockSkewSeconds: z.number().int().min(0).default(300) });
export type PhonePluginConfig = z.output<typeof phonePluginConfig>;

/** The call center's CTI integration: it signs each POST with the channel secret (x-huiliu-signature over `timestamp.body`). */
export const phoneChannelConfig = z.object({
  secret: secret(z.string().min(16, 'must be at least 16 characters')),
  /** Still accepted during a secret rotation. */
  previousSecret: secret(z.string().min(16)).optional(),
  /** The brand's hotline numbers (documentation; calls to others are still accepted). */
  hotlines: z.array(z.string().min(3)).default([]),
  /**
   * The CTI's agent ids (as its events send `agentId`) → Huiliu agent ids: a call answered by a mapped agent is
   * recorded with that agent as its conversation's assignee (SDK 1.4 `thread.agentId`).
   */
  agents: z.record(z.string().min(1).max(128), z.string().uuid()).default({}),
});
export type PhoneChannelConfig = z.output<typeof phoneChannelConfig>;

/**
 * One CTI event. `call.*` follow a call's life; `transcript.segment` carries speech-to-text, one utterance
 * per segment (`final: false` partials are live-only).
 */
export const ctiEventSchema = z.object({
  id: z.string().min(1).max(128),
  type: z.enum(['call.ringing', 'call.answered', 'call.ended', 'call.missed', 'call.recording', 'transcript.segment']),
  callId: z.string().min(1).max(128),
  direction: z.enum(['inbound', 'outbound']),
  /** A number, or what the CTI says when it has none: `anonymous`, `unknown`, `restricted` (withheld callers are common). */
  caller: z.string().min(1).max(32),
  callee: z.string().min(1).max(32),
  /** Unix seconds, Unix milliseconds or ISO 8601. */
  at: wireTime,
  agentId: z.string().max(128).optional(),
  queue: z.string().max(128).optional(),
  durationSec: z.number().min(0).optional(),
  reason: z.string().max(64).optional(),
  recordingUrl: z.string().url().optional(),
  segment: z.object({
    seq: z.number().int().min(0),
    speaker: z.enum(['customer', 'agent']),
    text: z.string().max(10_000),
    startMs: z.number().min(0).optional(),
    endMs: z.number().min(0).optional(),
    final: z.boolean().default(true),
    confidence: z.number().min(0).max(1).optional(),
  }).optional(),
});
export type CtiEvent = z.output<typeof ctiEventSchema>;

/** E.164-ish: keeps + and digits. */
export const normalizePhone = (s: string) => s.replace(/[^\d+]/g, '');

/**
 * Who the customer on a call is: their number, or, when the CTI withheld it (`anonymous`, `unknown`) or gave fewer
 * than six digits (an extension; customers takes no shorter number), a customer of this call alone: nothing to
 * merge with, and never the same as another withheld caller.
 */
export function callerIdentity(number: string, callId: string): { externalId: string; phone?: string } {
  const phone = normalizePhone(number);
  return phone.replace('+', '').length >= 6 ? { externalId: phone, phone } : { externalId: boundedKey('anonymous', callId) };
}

function ctiEvents(req: InboundRequest): CtiEvent[] {
  const v = parseJsonLossless(req.rawBody.toString('utf8'));
  const list: unknown[] | null = v && typeof v === 'object' && !Array.isArray(v) ? (Array.isArray(v.events) ? v.events : [v]) : null;
  if (!list || !list.length || list.length > 200) throw badRequest('CTI body must be an event or { events: [...] } (1–200)');
  return list.map((e, i) => {
    const r = ctiEventSchema.safeParse(e);
    if (!r.success) throw badRequest(`invalid CTI event${list.length > 1 ? ` #${i}` : ''}: ${configIssues(r.error).map((x) => `${x.path} ${x.message}`).join('; ')}`);
    return r.data;
  });
}

export function phoneEvent(e: CtiEvent, receivedAt: Date, agents: Record<string, string> = {}): InboundEvent {
  const who = callerIdentity(e.direction === 'inbound' ? e.caller : e.callee, e.callId);
  let content: MessageContent;
  let origin: InboundEvent['origin'] = 'system';
  let ephemeral: boolean | undefined;
  let ended: boolean | undefined;
  switch (e.type) {
    case 'call.ringing': content = { kind: 'event', name: 'call_ringing', data: { direction: e.direction, ...(e.queue ? { queue: e.queue } : {}) } }; break;
    case 'call.answered': content = { kind: 'event', name: 'call_answered', data: e.agentId ? { agentId: e.agentId } : undefined }; break;
    case 'call.ended': content = { kind: 'event', name: 'call_ended', data: { ...(e.durationSec !== undefined ? { durationSec: e.durationSec } : {}), ...(e.reason ? { reason: e.reason } : {}) } }; ended = true; break;
    case 'call.missed': content = { kind: 'event', name: 'call_missed', data: e.queue ? { queue: e.queue } : undefined }; ended = true; break;
    case 'call.recording':
      if (!e.recordingUrl) throw badRequest('call.recording without recordingUrl');
      content = { kind: 'voice', url: e.recordingUrl, durationMs: e.durationSec !== undefined ? Math.round(e.durationSec * 1000) : undefined, format: 'recording' };
      break;
    case 'transcript.segment':
      if (!e.segment) throw badRequest('transcript.segment without segment');
      content = { kind: 'text', text: e.segment.text };
      origin = e.segment.speaker === 'agent' ? 'agent' : 'customer';
      ephemeral = e.segment.final ? undefined : true;
      break;
  }
  const context: Record<string, string> = { callId: e.callId };
  if (e.agentId) context.agentId = e.agentId;
  // one utterance's partials and its final text share this key (a live screen replaces what it showed)
  if (e.segment) context.utterance = `${e.callId}:${e.segment.seq}`;
  // who took the call, once it is answered (or handed to another agent: a later call.answered)
  const handledBy = e.type === 'call.answered' && e.agentId && Object.hasOwn(agents, e.agentId) ? agents[e.agentId] : undefined;
  return {
    channelType: 'phone',
    externalMessageId: e.id,
    dedupeKey: boundedKey('cti', e.callId, e.id),
    sender: { channelType: 'phone', ...who },
    origin,
    content,
    sentAt: e.at,
    receivedAt,
    // one call = one conversation thread; transcript segments and the recording join it. The call is answered on
    // the phone, so its conversation is a record: never in the chat queue (SDK 1.3).
    thread: { id: `call:${e.callId}`, subject: e.direction === 'inbound' ? 'Inbound call' : 'Outbound call', record: true, ...(ended ? { ended } : {}), ...(handledBy ? { agentId: handledBy } : {}) },
    context,
    ...(ephemeral ? { ephemeral } : {}),
    raw: { ...e },
  };
}

export function createPhoneAdapter(pc: PhonePluginConfig) {
  return defineChannel<typeof phoneChannelConfig, PhonePluginConfig>({
    type: 'phone',
    displayName: 'Call center (CTI events and transcripts)',
    capabilities: { ...DEFAULT_CAPABILITIES, outbound: false, media: true, outboundKinds: [], maxTextLength: 10_000, ackDeadlineMs: 5000, maxBodyBytes: 512 * 1024 },
    configSchema: phoneChannelConfig,
    verify(req, c) {
      if (req.method.toUpperCase() !== 'POST') throw badRequest(`method ${req.method} not supported`);
      verifySignedPayload(req, [c.secret, c.previousSecret ?? ''], { toleranceSeconds: pc.maxClockSkewSeconds });
    },
    parse: (req, c) => ctiEvents(req).map((e) => phoneEvent(e, req.receivedAt, c.agents)),
    respond: (_req, events) => jsonResponse({ received: events.length }),
    async send() {
      throw new ChannelError('BAD_REQUEST', 'phone channels do not send messages; call the customer back from the CTI');
    },
  });
}

export default definePlugin({
  manifest: { id: 'channel-phone', kind: 'channel', version: '1.0.0', apiVersion: SDK_API_VERSION, capabilities: [], description: 'Call-center CTI events (ringing, answered, ended, recording) and speech-to-text transcripts' },
  configSchema: phonePluginConfig,
  register(host) {
    host.channels.register(createPhoneAdapter(host.config));
  },
});

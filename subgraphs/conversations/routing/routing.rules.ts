import { z } from 'zod';
import { badInput } from '../../_shared/errors.js';
import type { ChannelClass } from './routing.entity.js';

/**
 * A tenant's declarative routing rules, saved as one JSON document (updateRoutingRules) and validated here.
 * Everything has a default, so `{}` is a valid document: route everyone to anyone online, offers of 30 s.
 */

const text = (max = 60) => z.string().trim().min(1).max(max);
const list = (max = 50, item = text()) => z.array(item).max(max);
const listOf = <T extends z.ZodTypeAny>(max: number, item: T) => z.array(item).max(max);
const id = z.uuid();
/** The channel type format of channels (channel.type.ts), kept here so rules stay free of GraphQL. */
const channelType = z.string().regex(/^[a-z][a-z0-9-]{1,39}$/, 'must be a channel type like wechat-oa');
const hhmm = z.string().regex(/^([01]\d|2[0-3]):[0-5]\d$|^24:00$/, 'must be HH:MM (00:00 to 24:00)');
const share = z.number().min(0).max(1);

/** Where the business type of a conversation comes from: the bot's intent, a menu key, an order event or keywords. */
const businessType = z.strictObject({
  type: text(40),
  intents: list().optional(),
  menuKeys: list().optional(),
  orderEvents: list().optional(),
  /** Matched as substrings of the subject and the customer's first message. */
  keywords: list(200, text(40)).optional(),
});

/** L1: channel type and business type → group. The first rule that matches wins. */
const l1Rule = z.strictObject({
  id: text(),
  channelTypes: listOf(50, channelType).optional(),
  businessTypes: list().optional(),
  groupId: id,
  /** Skills the agent must have (all of them), e.g. a language. */
  requiredSkills: list(10, text(40)).optional(),
});

/** L2: customer tags and attributes → preferred agents or a dedicated group. The first rule that matches wins. */
const l2Rule = z.strictObject({
  id: text(),
  when: z.strictObject({
    /** Any of these tags. */
    tagsAny: list().optional(),
    vipLevels: list().optional(),
    riskLevels: list().optional(),
    /** Every attribute equal. */
    attributes: z.record(text(40), z.union([z.string().max(200), z.number(), z.boolean()])).optional(),
    /** The customer talked to an agent within this many days. */
    lastAgentWithinDays: z.number().int().min(1).max(365).optional(),
  }),
  preferredAgentIds: listOf(20, id).optional(),
  /** Prefer the agent the customer talked to last (needs lastAgentWithinDays). */
  preferLastAgent: z.boolean().optional(),
  /** A dedicated group (VIP专席): it waits there instead of the L1 group. */
  groupId: id.optional(),
  /** When the preferred agents and the dedicated group have nobody online with room: go to the L1 group, or wait in the dedicated group. */
  fallback: z.enum(['l1', 'wait']).default('l1'),
  priority: z.number().int().min(-100).max(100).optional(),
});

const businessHours = z.strictObject({
  /** IANA time zone, e.g. Asia/Shanghai. */
  timezone: z.string().refine(isTimeZone, 'must be an IANA time zone such as Asia/Shanghai'),
  /** Days 1 (Monday) to 7 (Sunday), open ≤ time < close, local time. */
  weekly: z.array(z.strictObject({ days: z.array(z.number().int().min(1).max(7)).min(1).max(7), open: hhmm, close: hhmm })).min(1).max(21),
  /** Sent to the customer (a SYSTEM message) when they arrive while the group is closed. */
  closedMessage: text(500),
});

const groupSettings = z.strictObject({
  overflow: z.strictObject({ afterSeconds: z.number().int().min(1).max(86_400), toGroupId: id }).optional(),
  businessHours: businessHours.optional(),
});

const channelShare = z.strictObject({ target: share, min: share.default(0), max: share.default(1) });

export const routingRulesSchema = z
  .strictObject({
    /** Catches every conversation no L1 rule matched; without it, the tenant-wide pool (every agent) takes them. */
    defaultGroupId: id.nullable().default(null),
    /** Channel type → capacity class; `phone` is a call, everything else a chat, unless said otherwise. */
    channelClasses: z.record(channelType, z.enum(['chat', 'call'])).default({}),
    businessTypes: z.array(businessType).max(100).default([]),
    l1: z.array(l1Rule).max(200).default([]),
    l2: z.array(l2Rule).max(200).default([]),
    /** Queue priority added for VIP levels and risk levels (complaint risk), e.g. { vipLevels: { SVIP: 20, VIP: 10 } }. */
    priority: z
      .strictObject({ vipLevels: z.record(text(40), z.number().int().min(-100).max(100)).default({}), riskLevels: z.record(text(40), z.number().int().min(-100).max(100)).default({}) })
      .prefault({}),
    /** Per group id: overflow to another group after a wait, business hours. */
    groups: z.record(id, groupSettings).default({}),
    offers: z
      .strictObject({
        /** offer: the agent accepts (or the offer times out and moves on); auto: assigned at once. */
        mode: z.enum(['offer', 'auto']).default('offer'),
        timeoutSeconds: z.number().int().min(1).max(600).default(30),
        /** An agent who has not replied this long after taking a conversation is replaced; 0 never. */
        noReplyMinutes: z.number().min(0).max(1440).default(10),
      })
      .prefault({}),
    presence: z.strictObject({ graceSeconds: z.number().min(1).max(3600).default(60) }).prefault({}),
    /** Cross-channel balancing: each channel's target share of agent capacity, adapted to queue pressure within [min, max]. */
    balancing: z
      .strictObject({
        /** 0: the supervisor's targets as they are; 1: follow queue pressure entirely (within the bounds). */
        adaptivity: z.number().min(0).max(1).default(0.5),
        /** A conversation waiting this long weighs as much as one more waiting conversation. */
        waitWeightSeconds: z.number().positive().max(3600).default(60),
        channels: z.record(channelType, channelShare).default({}),
      })
      .prefault({}),
    /** Bot first: on these channels conversations start with the bot and escalate to routing. */
    bot: z
      .strictObject({
        channelTypes: listOf(50, channelType).default([]),
        escalation: z
          .strictObject({
            humanKeywords: list(50, text(20)).default(['转人工', '人工客服', '人工', '真人', '找客服']),
            upsetKeywords: list(100, text(20)).default(['投诉', '差评', '骗子', '垃圾', '太差', '退钱', '生气', '举报', '曝光', '12315']),
            /** Below this confidence the bot hands over. */
            minConfidence: z.number().min(0).max(1).default(0.5),
            /** Sentiment in [-1, 1]; below this the customer counts as upset. */
            sentimentBelow: z.number().min(-1).max(1).default(-0.5),
            vipLevels: list().default(['VIP', 'SVIP']),
          })
          .prefault({}),
      })
      .prefault({}),
    /** The customer's queue position as a SYSTEM message (opt-in): on arrival, then when it improved (at most every minIntervalSeconds). */
    queueMessages: z
      .strictObject({
        enabled: z.boolean().default(false),
        template: z.string().min(1).max(200).refine((t) => t.includes('{ahead}'), 'must contain {ahead}').default('您前面还有 {ahead} 位，请稍候'),
        minIntervalSeconds: z.number().int().min(0).max(3600).default(60),
      })
      .prefault({}),
  })
  .superRefine((r, ctx) => {
    const seen = (rules: Array<{ id: string }>, level: 'l1' | 'l2') => {
      const ids = new Set<string>();
      rules.forEach((rule, i) => {
        if (ids.has(rule.id)) ctx.addIssue({ code: 'custom', path: [level, i, 'id'], message: `duplicate rule id ${rule.id}` });
        ids.add(rule.id);
      });
    };
    seen(r.l1, 'l1');
    seen(r.l2, 'l2');
    r.l2.forEach((rule, i) => {
      if (rule.preferLastAgent && !rule.when.lastAgentWithinDays) {
        ctx.addIssue({ code: 'custom', path: ['l2', i, 'preferLastAgent'], message: 'needs when.lastAgentWithinDays' });
      }
      if (!rule.preferredAgentIds?.length && !rule.preferLastAgent && !rule.groupId && rule.priority === undefined) {
        ctx.addIssue({ code: 'custom', path: ['l2', i], message: 'must set preferredAgentIds, preferLastAgent, groupId or priority' });
      }
    });
    for (const [groupId, g] of Object.entries(r.groups)) {
      if (g.overflow?.toGroupId === groupId) ctx.addIssue({ code: 'custom', path: ['groups', groupId, 'overflow', 'toGroupId'], message: 'must be another group' });
      g.businessHours?.weekly.forEach((w, i) => {
        if (w.open >= w.close) ctx.addIssue({ code: 'custom', path: ['groups', groupId, 'businessHours', 'weekly', i, 'close'], message: 'must be after open' });
      });
    }
    for (const [type, c] of Object.entries(r.balancing.channels)) {
      if (!(c.min <= c.target && c.target <= c.max)) ctx.addIssue({ code: 'custom', path: ['balancing', 'channels', type], message: 'needs min ≤ target ≤ max' });
    }
  });

export type RoutingRules = z.infer<typeof routingRulesSchema>;
export type L1Rule = RoutingRules['l1'][number];
export type L2Rule = RoutingRules['l2'][number];
export type BusinessHours = z.infer<typeof businessHours>;

export const DEFAULT_RULES: RoutingRules = routingRulesSchema.parse({});

/** `l1[2].groupId`: the path of the offending value, as a client shows it. */
export function formatPath(path: ReadonlyArray<PropertyKey>): string {
  return path.reduce<string>((s, p) => (typeof p === 'number' ? `${s}[${p}]` : s ? `${s}.${String(p)}` : String(p)), '');
}

/** Parses a document; BAD_USER_INPUT naming the first offending rule path (field `rules.<path>`) and listing all. */
export function parseRules(raw: unknown): RoutingRules {
  const r = routingRulesSchema.safeParse(raw ?? {});
  if (r.success) return r.data;
  const problems = r.error.issues.map((i) => {
    const keys = i.code === 'unrecognized_keys' ? (i as { keys: string[] }).keys : [];
    const path = formatPath(keys.length ? [...i.path, keys[0]] : i.path);
    return { path: path || '(rules)', message: i.message };
  });
  throw badInput(`Invalid routing rules: ${problems.map((p) => `${p.path}: ${p.message}`).join('; ')}`, problems[0].path === '(rules)' ? 'rules' : `rules.${problems[0].path}`);
}

/** The group and agent ids a document refers to, with their paths, to check they exist in the tenant. */
export function referencedIds(r: RoutingRules): { groups: Array<[string, string]>; agents: Array<[string, string]> } {
  const groups: Array<[string, string]> = [];
  const agents: Array<[string, string]> = [];
  if (r.defaultGroupId) groups.push(['defaultGroupId', r.defaultGroupId]);
  r.l1.forEach((rule, i) => groups.push([`l1[${i}].groupId`, rule.groupId]));
  r.l2.forEach((rule, i) => {
    if (rule.groupId) groups.push([`l2[${i}].groupId`, rule.groupId]);
    rule.preferredAgentIds?.forEach((a, j) => agents.push([`l2[${i}].preferredAgentIds[${j}]`, a]));
  });
  for (const [g, s] of Object.entries(r.groups)) {
    groups.push([`groups.${g}`, g]);
    if (s.overflow) groups.push([`groups.${g}.overflow.toGroupId`, s.overflow.toGroupId]);
  }
  return { groups, agents };
}

export function channelClassOf(rules: RoutingRules, channelType: string): ChannelClass {
  return rules.channelClasses[channelType] ?? (channelType === 'phone' ? 'call' : 'chat');
}

function isTimeZone(tz: string): boolean {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: tz });
    return true;
  } catch {
    return false;
  }
}

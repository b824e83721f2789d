/**
 * Identity kinds: what an external id means, independent of the channel it arrived on. An OpenID seen on the
 * official account and on the mini program of the same app id is one identity; a Taobao buyer on taobao and
 * tmall channels is one identity.
 */
export const IDENTITY_KINDS = [
  'wechat-openid', // per app id (official account, mini program, ...)
  'wechat-unionid', // one per WeChat open-platform account: a strong key across the brand's apps
  'wecom-external', // WeCom external_userid, per corp id
  'douyin-openid', // per Douyin client key
  'taobao-buyer', // buyer nick, or open_uid when an app key is given
  'weibo',
  'app-user', // the brand app's logged-in user id: a strong key
  'web-visitor', // the web widget's visitor token
  'phone', // E.164, stored as a keyed hash (the number itself only encrypted)
  'phone-withheld', // a caller whose number was withheld: `anonymous:<call id>`, one per call (customer.pii.ts)
] as const;
export type IdentityKind = (typeof IDENTITY_KINDS)[number];

/** Kinds whose ids are only unique within an app (the `appId` of the input namespaces them). */
export const APP_SCOPED: ReadonlySet<string> = new Set(['wechat-openid', 'wecom-external', 'douyin-openid', 'taobao-buyer']);

/**
 * The kind of identity a channel's external id is. A kind name is accepted as a channel type too; an unknown
 * channel type (an offline store, a partner channel) is its own kind, so its ids stay distinct from all others.
 * Migration 1764600000000 backfilled existing rows with the same rules.
 */
export function kindOfChannel(channelType: string): string {
  if ((IDENTITY_KINDS as readonly string[]).includes(channelType)) return channelType;
  if (channelType === 'phone' || channelType.startsWith('phone-')) return 'phone';
  if (channelType.startsWith('wecom')) return 'wecom-external';
  if (channelType.startsWith('wechat')) return 'wechat-openid';
  if (channelType.startsWith('douyin') || channelType === 'doudian') return 'douyin-openid';
  if (channelType.startsWith('taobao') || channelType.startsWith('tmall')) return 'taobao-buyer';
  if (channelType.startsWith('weibo')) return 'weibo';
  if (channelType === 'app' || channelType.startsWith('app-')) return 'app-user';
  if (channelType === 'web' || channelType.startsWith('web-')) return 'web-visitor';
  return channelType;
}

/** The namespace stored with an id: the app id for app-scoped kinds, '' for the rest. */
export function appIdFor(kind: string, appId: string | null | undefined): string {
  return APP_SCOPED.has(kind) ? (appId ?? '').trim() : '';
}

const LABELS: Record<string, string> = {
  'wechat-openid': '微信',
  'wechat-unionid': '微信',
  'wecom-external': '企业微信',
  'douyin-openid': '抖音',
  'taobao-buyer': '淘宝',
  weibo: '微博',
  'app-user': 'App',
  'web-visitor': '网页',
  phone: '电话',
  'phone-withheld': '电话',
};

/**
 * The name a customer gets before anyone knows it, e.g. 微信用户 3f2a9c: the id's last six hex digits, which
 * are random (its first ones are a timestamp, the same for every customer created within hours).
 */
export function placeholderName(kind: string, customerId: string): string {
  return `${LABELS[kind] ?? kind}用户 ${customerId.slice(-6)}`;
}

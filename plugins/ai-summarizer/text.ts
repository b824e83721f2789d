/**
 * Deterministic Chinese-aware text analysis for customer-service chats: sentences, order and tracking numbers,
 * amounts, intent and mood. Pure functions (no segmentation dictionary needed), shared by the built-in
 * summarizer and the conversation context.
 */

/** Sentences with their closing punctuation kept (mood and question detection read it). */
export function sentences(text: string): string[] {
  const out: string[] = [];
  for (const m of text.matchAll(/[^。！？!?；;\n]+[。！？!?；;…]*/g)) {
    const s = m[0].trim();
    if (s && /[\p{L}\p{N}]/u.test(s)) out.push(s);
  }
  return out;
}

const PHONE = /^1[3-9]\d{9}$/;

/**
 * Order ids: Taobao/Tmall `tid`-like 16–19 digit numbers anywhere, and ids named as such (订单号/订单/order no.),
 * never a mobile number, a tracking number (运单号/快递单号/物流单号) or a plain short number.
 */
export function extractOrderIds(text: string): string[] {
  const found: Array<{ id: string; at: number }> = [];
  const add = (id: string, at: number) => {
    if (!PHONE.test(id) && !found.some((f) => f.id === id)) found.push({ id, at });
  };
  const tracking = new Set(extractTrackingNumbers(text));
  for (const m of text.matchAll(/(?<![\dA-Za-z])\d{16,19}(?![\dA-Za-z])/g)) add(m[0], m.index);
  for (const m of text.matchAll(/(?:(?<![运递流])单号|订单号?|order\s*(?:no\.?|id|number|#)?)\s*(?:是|为)?\s*[:：#]?\s*([A-Za-z]{0,4}-?\d[A-Za-z0-9-]{5,31})/gi)) {
    const id = m[1].replace(/-+$/, '');
    if (!tracking.has(id) && id.replace(/\D/g, '').length >= 6) add(id, m.index + m[0].length - m[1].length);
  }
  // in the order they were written
  return found.sort((a, b) => a.at - b.at).map((f) => f.id);
}

/** Parcel tracking numbers: named ones (运单号/快递单号/物流单号) and the common carriers' shapes. */
export function extractTrackingNumbers(text: string): string[] {
  const found = new Set<string>();
  for (const m of text.matchAll(/(?:运单号?|快递单号|物流单号|快递号)\s*(?:是|为)?\s*[:：]?\s*([A-Za-z0-9]{8,24})/g)) found.add(m[1]);
  for (const m of text.matchAll(/(?<![A-Za-z0-9])(?:SF\d{12,15}|YT\d{13,15}|JT\d{13}|JD[A-Z0-9]{10,15}|ZTO\d{12,14})(?![A-Za-z0-9])/g)) found.add(m[0]);
  return [...found];
}

/** Money amounts mentioned (¥12.5, 12.5元, 12块): the numbers as written. */
export function extractAmounts(text: string): string[] {
  const found = new Set<string>();
  for (const m of text.matchAll(/[¥￥]\s*(\d+(?:\.\d{1,2})?)|(\d+(?:\.\d{1,2})?)\s*(?:元|块钱|块)/g)) found.add(m[1] ?? m[2]);
  return [...found];
}

/** What customers of a consumer brand write about, with the words that say so. */
export const INTENTS: Record<string, string[]> = {
  logistics: ['发货', '物流', '快递', '到货', '送达', '配送', '派送', '签收', '没收到', '还没到', '没到', '顺丰', '运单', '单号', '催件', '几天能到'],
  refund: ['退款', '退钱', '退货', '退回', '返还', '退差价'],
  reship: ['换货', '补发', '重发', '换一袋', '再发'],
  quality: ['虫', '发霉', '霉变', '破损', '坏了', '变质', '质量', '异味', '漏气', '过期', '结块', '有沙'],
  invoice: ['发票', '开票', '抬头', '税号'],
  price: ['价格', '多少钱', '优惠', '优惠券', '满减', '活动', '便宜', '降价', '保价', '差价'],
  order_change: ['改地址', '修改地址', '地址写错', '改订单', '取消订单', '改成', '换地址'],
  product: ['怎么煮', '保质期', '产地', '规格', '口感', '新米', '几斤', '储存'],
  complaint: ['投诉', '差评', '举报', '12315', '曝光'],
};

/**
 * Scores each intent by the messages that mention it (a message counts once per intent however many of its
 * words it uses); each message weighs half as much as the next, so what the customer wants now wins.
 */
export function detectIntent(texts: string[]): { intent: string | null; scores: Record<string, number> } {
  const scores: Record<string, number> = {};
  texts.forEach((t, i) => {
    const weight = 2 ** (i - (texts.length - 1));
    for (const [intent, words] of Object.entries(INTENTS)) if (words.some((w) => t.includes(w))) scores[intent] = (scores[intent] ?? 0) + weight;
  });
  let best: string | null = null;
  for (const [k, v] of Object.entries(scores)) if (best === null || v > scores[best]) best = k;
  return { intent: best, scores };
}

export type Mood = 'calm' | 'anxious' | 'angry';

const ANGRY = ['投诉', '差评', '垃圾', '骗子', '骗人', '欺骗', '气死', '太差', '什么破', '破服务', '破东西', '无语', '坑人', '离谱', '恶心', '忍无可忍',
  '凭什么', '12315', '举报', '曝光', '什么态度', '敷衍', '黑店', '失望透顶', '再也不买', '滚'];
const ANXIOUS = ['急', '赶紧', '快点', '尽快', '怎么还', '还没', '还不', '到底', '催', '担心', '等了', '几天了', '都几天', '在吗', '在不在', '来不及',
  '马上要', '有人吗', '能不能快'];

/**
 * Mood from a lexicon and punctuation, over the customer's own lines (the latest weigh most): repeated
 * exclamation or question marks raise it, anger words dominate.
 */
export function detectMood(customerTexts: string[]): { mood: Mood; anger: number; anxiety: number } {
  let anger = 0;
  let anxiety = 0;
  const recent = customerTexts.slice(-8);
  recent.forEach((t, i) => {
    const w = i >= recent.length - 3 ? 1 : 0.5;
    anger += w * ANGRY.filter((x) => t.includes(x)).length;
    anxiety += w * ANXIOUS.filter((x) => t.includes(x)).length;
    if (/[！!]{2,}/.test(t)) anger += w * 0.5;
    if (/[？?]{2,}/.test(t)) anxiety += w * 0.5;
    if (/[！!]{3,}|[？?！!]{4,}/.test(t)) anxiety += w * 0.5;
  });
  // The same question twice in a row, unanswered, reads as impatience.
  for (let i = 1; i < recent.length; i++) if (recent[i] === recent[i - 1] && recent[i].length > 1) anxiety += 0.5;
  const mood: Mood = anger >= 1.5 ? 'angry' : anger >= 0.5 || anxiety >= 1 ? 'anxious' : 'calm';
  return { mood, anger, anxiety };
}

const TRIVIAL = /^(你好|您好|hi|hello|在吗|在不在|在么|有人吗|好的|好|嗯|嗯嗯|哦|ok|okay|谢谢|谢谢你|多谢|收到|知道了|行|可以|没问题|再见|拜拜)[啊呀呢吧哈~～。！!？?，,\s]*$/i;

/** Greetings, acknowledgements and pings carry no request. */
export const isTrivial = (s: string): boolean => TRIVIAL.test(s.trim());

const ASK_CUES = ['想', '要', '请', '麻烦', '帮我', '帮忙', '能不能', '能否', '可不可以', '可以', '希望', '需要', '怎么', '什么时候', '为什么', '多久', '哪天', '有没有', '是不是'];

/** How strongly a customer sentence asks for something (0: not an ask). */
export function askScore(s: string): number {
  if (isTrivial(s)) return 0;
  let score = 0;
  if (ASK_CUES.some((c) => s.includes(c))) score += 2;
  if (/[？?]|吗[。！!]?$|呢[。！!]?$/.test(s)) score += 2;
  for (const words of Object.values(INTENTS)) if (words.some((w) => s.includes(w))) score += 1;
  if (extractOrderIds(s).length) score += 1;
  return score;
}

import { Jieba } from '@node-rs/jieba';
import { dict } from '@node-rs/jieba/dict';
import { renderSummary, type HandoffSummaryData, type Summarizer, type SummaryRequest, type TranscriptLine } from './summarizer.js';
import { askScore, detectMood, extractOrderIds, INTENTS, isTrivial, sentences } from './text.js';

/** Word segmentation; the summarizer needs words to tell 会 (will) from 会员 (member) and to match asks to answers. */
export interface Segmenter {
  cut(text: string): string[];
}

/** jieba with its general dictionary, loaded on first use (~200 ms, tens of MB) so boots stay fast. */
export function createJiebaSegmenter(): Segmenter {
  let jieba: Jieba | undefined;
  return {
    cut(text) {
      jieba ??= Jieba.withDict(dict);
      return jieba.cut(text, true);
    },
  };
}

/** Words that commit the brand when an agent says them (会 and 将 only as whole words). */
const PROMISE_WORDS = new Set(['会', '将', '将会', '即将', '马上', '立即', '立刻', '尽快', '稍后', '承诺', '保证', '一定', '确保']);
/** jieba joins 会 with what follows (会到, 会给): those still promise, these nouns do not. */
const HUI_NOUNS = new Set(['会员', '会话', '会议', '会计', '会场', '会所', '会长', '会费', '会合', '会面', '会谈', '会诊', '会不会']);
const isPromiseWord = (w: string) => PROMISE_WORDS.has(w) || (w.length === 2 && w.startsWith('会') && !HUI_NOUNS.has(w));
const PROMISE_PHRASES = ['已经为您', '已为您', '已经帮您', '已帮您', '给您安排', '为您安排', '帮您安排', '退款', '补发', '重发', '退换', '赔偿', '补偿', '加急', '寄出', '发出',
  '跟进', '回电', '联系您', '回复您', '安排'];
const STOP = new Set(['您好', '你好', '我们', '你们', '您的', '这个', '那个', '一下', '已经', '可以', '什么', '怎么', '时候', '没有', '请问', '麻烦', '帮忙', '谢谢',
  '现在', '还是', '就是', '如果', '因为', '所以', '然后', '一个', '需要', '希望', '帮我', '亲亲', '客服']);

const LIMITS = { wanted: 3, promised: 5, open: 3, sentence: 120, wholeMessage: 60 };

/** A short message is quoted whole (its sentences explain each other); a long one sentence by sentence. */
const units = (text: string): string[] => {
  const t = text.trim().replace(/\s+/g, ' ');
  return t.length <= LIMITS.wholeMessage && sentences(t).length ? [t] : sentences(t);
};

const clip = (s: string) => (s.length > LIMITS.sentence ? `${s.slice(0, LIMITS.sentence - 1)}…` : s);
const isQuestion = (s: string) => /[？?]\s*$|吗[。！!]?\s*$/.test(s);

/**
 * The built-in summarizer: extractive (it quotes, never invents), deterministic, Chinese-aware, in process.
 * Wanted: the customer's strongest asks; promised: agent sentences that commit to something; open: asks no
 * later agent sentence addressed (sharing a content word, an order id or an intent) and no resolution closed.
 */
export class ExtractiveSummarizer implements Summarizer {
  readonly provider = 'builtin';

  constructor(private readonly segmenter: Segmenter = createJiebaSegmenter()) {}

  async summarize(request: SummaryRequest): Promise<HandoffSummaryData> {
    return this.summarizeSync(request);
  }

  summarizeSync(request: SummaryRequest): HandoffSummaryData {
    const lines = [...request.lines].sort((a, b) => a.at.getTime() - b.at.getTime());
    const channels: string[] = [];
    for (const l of lines) if (!channels.includes(l.channelType)) channels.push(l.channelType);
    const orderIds: string[] = [];
    for (const l of lines) for (const id of extractOrderIds(l.text)) if (!orderIds.includes(id)) orderIds.push(id);

    type Ask = { text: string; score: number; order: number; keys: Set<string>; conversationId?: string };
    const asks: Ask[] = [];
    const promised: string[] = [];
    let pending: Ask[] = [];
    let order = 0;
    for (const l of lines) {
      if (l.event) {
        if (l.event === 'RESOLVED' || l.event === 'CLOSED') pending = pending.filter((a) => a.conversationId !== l.conversationId);
        continue;
      }
      for (const s of units(l.text)) {
        order++;
        if (l.speaker === 'CUSTOMER') {
          const score = askScore(s);
          if (score < 2) continue;
          const ask = { text: clip(s), score, order, keys: this.keys(s), conversationId: l.conversationId };
          asks.push(ask);
          pending.push(ask);
        } else if (l.speaker === 'AGENT' || l.speaker === 'BOT') {
          if (isTrivial(s)) continue;
          const keys = this.keys(s);
          pending = pending.filter((a) => ![...a.keys].some((k) => keys.has(k)));
          if (!isQuestion(s) && this.isPromise(s) && !promised.includes(clip(s))) promised.push(clip(s));
        }
      }
    }

    const wanted = dedupe(asks)
      .sort((a, b) => b.score - a.score || b.order - a.order)
      .slice(0, LIMITS.wanted)
      .sort((a, b) => a.order - b.order)
      .map((a) => a.text);
    const open = dedupe(pending).slice(-LIMITS.open).map((a) => a.text);
    const { mood } = detectMood(lines.filter((l) => l.speaker === 'CUSTOMER' && !l.event).map((l) => l.text));
    const core = {
      channels,
      since: lines.length ? lines[0].at.toISOString() : null,
      wanted,
      orderIds,
      promised: promised.slice(-LIMITS.promised),
      open,
      mood,
    };
    return { ...core, text: renderSummary(core), provider: this.provider };
  }

  private isPromise(s: string): boolean {
    if (PROMISE_PHRASES.some((p) => s.includes(p))) return true;
    return this.segmenter.cut(s).some(isPromiseWord);
  }

  /** Content words, order ids and intents of a sentence: what an answer to it would share. */
  private keys(s: string): Set<string> {
    const keys = new Set<string>();
    for (const w of this.segmenter.cut(s)) if (w.length >= 2 && !STOP.has(w) && /\p{L}/u.test(w)) keys.add(w);
    for (const id of extractOrderIds(s)) keys.add(`#${id}`);
    for (const [intent, words] of Object.entries(INTENTS)) if (words.some((w) => s.includes(w))) keys.add(`@${intent}`);
    return keys;
  }
}

/** Near-duplicate asks (the customer repeating themselves) count once: the later wording wins. */
function dedupe<T extends { text: string }>(items: T[]): T[] {
  const out: T[] = [];
  for (const it of items) {
    const i = out.findIndex((o) => similar(o.text, it.text));
    if (i >= 0) out.splice(i, 1);
    out.push(it);
  }
  return out;
}

function similar(a: string, b: string): boolean {
  const grams = (s: string) => new Set(Array.from({ length: Math.max(0, s.length - 1) }, (_, i) => s.slice(i, i + 2)));
  const [x, y] = [grams(a), grams(b)];
  if (!x.size || !y.size) return a === b;
  let both = 0;
  for (const g of x) if (y.has(g)) both++;
  return both / (x.size + y.size - both) >= 0.6;
}

export type { TranscriptLine };

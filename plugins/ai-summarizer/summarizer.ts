import type { Mood } from './text.js';

export type { Mood };
export type Speaker = 'CUSTOMER' | 'AGENT' | 'BOT' | 'SYSTEM';

/** One line of what happened with a customer, across channels: a message, or a lifecycle event. */
export interface TranscriptLine {
  at: Date;
  channelType: string;
  speaker: Speaker;
  text: string;
  conversationId?: string;
  /** A lifecycle event (RESOLVED, CLOSED, ...) instead of words: resolving a conversation settles its asks. */
  event?: string;
}

export interface SummaryRequest {
  tenantId: string;
  /** Oldest first (the summarizer sorts anyway). Internal notes never belong here. */
  lines: TranscriptLine[];
}

/** What the agent who takes over needs before saying hello. */
export interface HandoffSummaryData {
  /** Channel types in the order the customer used them. */
  channels: string[];
  /** When the summarised history starts (ISO-8601), null without lines. */
  since: string | null;
  /** What the customer wanted, in their words (up to 3 sentences). */
  wanted: string[];
  orderIds: string[];
  /** What agents (or the bot) promised (up to 5 sentences). */
  promised: string[];
  /** Asks nobody has answered yet (up to 3 sentences). */
  open: string[];
  mood: Mood;
  /** A one-paragraph rendering of the above. */
  text: string;
  /** Which provider produced it: `builtin`, or the LLM provider's id. */
  provider: string;
}

/** The summarizer AI feature: the built-in extractive one, or an LLM provider chosen by config. */
export interface Summarizer {
  readonly provider: string;
  summarize(request: SummaryRequest): Promise<HandoffSummaryData>;
}

const MOOD_ZH: Record<Mood, string> = { calm: '平静', anxious: '焦急', angry: '生气' };

/** The text rendering shared by every provider, so agents read the same layout whoever wrote it. */
export function renderSummary(s: Omit<HandoffSummaryData, 'text' | 'provider'>): string {
  const parts = [
    s.channels.length ? `渠道：${s.channels.join(' → ')}${s.since ? `（自 ${s.since.slice(0, 10)} 起）` : ''}` : '',
    s.wanted.length ? `诉求：${s.wanted.join(' / ')}` : '',
    s.orderIds.length ? `订单：${s.orderIds.join('、')}` : '',
    s.promised.length ? `已承诺：${s.promised.join(' / ')}` : '',
    s.open.length ? `待处理：${s.open.join(' / ')}` : '',
    `情绪：${MOOD_ZH[s.mood]}`,
  ];
  return parts.filter(Boolean).join('；');
}

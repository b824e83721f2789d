import { z } from 'zod';
import { renderSummary, type HandoffSummaryData, type Summarizer, type SummaryRequest } from './summarizer.js';
import { extractOrderIds } from './text.js';

/** POSTs JSON and returns the status and parsed body; the plugin host's HTTP client or fetch. */
export type JsonPost = (url: string, body: unknown, headers: Record<string, string>, timeoutMs: number) => Promise<{ status: number; body: unknown }>;

export const fetchJsonPost: JsonPost = async (url, body, headers, timeoutMs) => {
  const res = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: JSON.stringify(body),
    signal: AbortSignal.timeout(timeoutMs),
  });
  const text = await res.text();
  let parsed: unknown = text;
  try {
    parsed = JSON.parse(text);
  } catch {
    /* non-JSON error pages stay text */
  }
  return { status: res.status, body: parsed };
};

export interface LlmSummarizerOptions {
  /** An OpenAI-compatible API root, e.g. https://api.deepseek.com/v1 or DashScope's compatible-mode/v1. */
  baseUrl: string;
  apiKey?: string;
  model: string;
  timeoutMs: number;
  /** Used when the provider fails, times out or answers something unusable: a handoff never waits on it. */
  fallback: Summarizer;
  post?: JsonPost;
  /** Told why a fallback happened (no personal data: status codes and error names only). */
  onFallback?: (reason: string) => void;
}

const SYSTEM_PROMPT = [
  '你是电商客服交接助手。阅读客户与客服的多渠道对话记录，只输出一个 JSON 对象，字段：',
  'wanted（客户想要什么，最多3条，用客户原话或简短转述），orderIds（提到的订单号，字符串），',
  'promised（客服已经承诺的事，最多5条），open（尚未解决的客户诉求，最多3条），mood（calm、anxious 或 angry）。',
  '不要编造记录中没有的内容。',
].join('');

const answerSchema = z.object({
  wanted: z.array(z.string()).max(10).default([]),
  orderIds: z.array(z.union([z.string(), z.number()]).transform(String)).max(20).default([]),
  promised: z.array(z.string()).max(10).default([]),
  open: z.array(z.string()).max(10).default([]),
  mood: z.enum(['calm', 'anxious', 'angry']),
});

const completionSchema = z.object({ choices: z.array(z.object({ message: z.object({ content: z.string() }) })).min(1) });

/**
 * An LLM provider behind the same interface, speaking the OpenAI chat-completions format (which DeepSeek,
 * Qwen/DashScope, Moonshot and most self-hosted servers accept). Channels, `since` and order ids found by the
 * deterministic extractor are kept whatever the model says, so the facts an agent acts on never depend on it.
 */
export class LlmSummarizer implements Summarizer {
  readonly provider: string;
  private readonly post: JsonPost;

  constructor(private readonly o: LlmSummarizerOptions) {
    this.provider = `openai:${o.model}`;
    this.post = o.post ?? fetchJsonPost;
  }

  async summarize(request: SummaryRequest): Promise<HandoffSummaryData> {
    const lines = [...request.lines].sort((a, b) => a.at.getTime() - b.at.getTime());
    const transcript = lines
      .map((l) => `[${l.at.toISOString().slice(0, 16).replace('T', ' ')}][${l.channelType}][${l.event ? 'EVENT' : l.speaker}] ${l.event ?? l.text}`)
      .join('\n');
    try {
      const res = await this.post(
        `${this.o.baseUrl.replace(/\/+$/, '')}/chat/completions`,
        {
          model: this.o.model,
          temperature: 0,
          response_format: { type: 'json_object' },
          messages: [
            { role: 'system', content: SYSTEM_PROMPT },
            { role: 'user', content: transcript },
          ],
        },
        this.o.apiKey ? { authorization: `Bearer ${this.o.apiKey}` } : {},
        this.o.timeoutMs,
      );
      if (res.status !== 200) throw new Error(`HTTP ${res.status}`);
      const content = completionSchema.parse(res.body).choices[0].message.content;
      const answer = answerSchema.parse(JSON.parse(content.replace(/^```(?:json)?\s*|\s*```$/g, '')));
      const channels: string[] = [];
      for (const l of lines) if (!channels.includes(l.channelType)) channels.push(l.channelType);
      const orderIds: string[] = [];
      for (const id of [...lines.flatMap((l) => extractOrderIds(l.text)), ...answer.orderIds]) if (!orderIds.includes(id)) orderIds.push(id);
      const core = {
        channels,
        since: lines.length ? lines[0].at.toISOString() : null,
        wanted: answer.wanted.slice(0, 3),
        orderIds,
        promised: answer.promised.slice(0, 5),
        open: answer.open.slice(0, 3),
        mood: answer.mood,
      };
      return { ...core, text: renderSummary(core), provider: this.provider };
    } catch (e) {
      this.o.onFallback?.(e instanceof z.ZodError ? 'unexpected answer shape' : e instanceof SyntaxError ? 'answer is not JSON' : (e as Error).name === 'TimeoutError' ? 'timeout' : (e as Error).message);
      return this.o.fallback.summarize(request);
    }
  }
}

import { z } from 'zod';
import type { AiFeature, AiInput, AiOutput } from '../sdk/ai.js';
import { secret } from '../sdk/config.js';
import type { PluginContext } from '../sdk/context.js';
import { definePlugin } from '../sdk/index.js';
import { SDK_API_VERSION } from '../sdk/manifest.js';
import { contentToText } from '../sdk/messages.js';
import { createJiebaSegmenter, ExtractiveSummarizer, type Segmenter } from './extractive.js';
import { LlmSummarizer, type JsonPost } from './llm.js';
import type { Speaker, Summarizer, TranscriptLine } from './summarizer.js';

export * from './summarizer.js';
export { ExtractiveSummarizer, createJiebaSegmenter, type Segmenter } from './extractive.js';
export { LlmSummarizer, type JsonPost } from './llm.js';

/** Which summarizer runs: the embedded extractive one (default) or an OpenAI-compatible LLM. */
export const summarizerConfigSchema = z.discriminatedUnion('provider', [
  z.object({ provider: z.literal('builtin') }),
  z.object({
    provider: z.literal('openai'),
    baseUrl: z.string().url(),
    apiKey: secret().optional(),
    model: z.string().min(1),
    timeoutMs: z.number().int().min(100).max(60_000).default(5000),
  }),
]);
export type SummarizerConfig = z.output<typeof summarizerConfigSchema>;

export interface SummarizerDeps {
  segmenter?: Segmenter;
  post?: JsonPost;
  onFallback?: (reason: string) => void;
}

/** The configured summarizer; an LLM one always falls back to the built-in when it fails. */
export function createSummarizer(config: SummarizerConfig, deps: SummarizerDeps = {}): Summarizer {
  const builtin = new ExtractiveSummarizer(deps.segmenter ?? createJiebaSegmenter());
  if (config.provider === 'builtin') return builtin;
  return new LlmSummarizer({ ...config, fallback: builtin, post: deps.post, onFallback: deps.onFallback });
}

const ORIGIN: Record<string, Speaker> = { customer: 'CUSTOMER', agent: 'AGENT', system: 'SYSTEM' };

/** The SDK host's HTTP client as the LLM provider's transport (timeouts and base URL handled by the host). */
export function hostPost(ctx: PluginContext): JsonPost {
  return async (url, body, headers, timeoutMs) => {
    const res = await ctx.http.request({ method: 'POST', url, json: body, headers, timeoutMs });
    let parsed: unknown;
    try {
      parsed = res.json();
    } catch {
      parsed = res.text();
    }
    return { status: res.status, body: parsed };
  };
}

/**
 * The summarizer as an SDK AI feature (`summary`), for hosts that run AI plugins: the transcript comes as the
 * SDK's messages (a message may carry its `channelType`; otherwise `context.channelType`), the summary goes
 * back in `data`. The conversations subgraph calls the Summarizer interface directly.
 */
export function summaryFeature(make: (ctx: PluginContext) => Summarizer): AiFeature {
  let summarizer: Summarizer | undefined;
  return {
    name: 'summary',
    description: 'Handoff summary: channels, what the customer wanted, order ids, promises, open asks, mood.',
    async handle(input: AiInput, ctx: PluginContext): Promise<AiOutput> {
      summarizer ??= make(ctx);
      const lines: TranscriptLine[] = input.messages.map((m) => ({
        at: m.sentAt,
        channelType: (m as { channelType?: string }).channelType ?? input.context?.channelType ?? 'unknown',
        speaker: ORIGIN[m.origin] ?? 'SYSTEM',
        text: contentToText(m.content),
        conversationId: input.conversationId,
      }));
      const summary = await summarizer.summarize({ tenantId: input.tenantId, lines });
      return { data: { ...summary } };
    },
  };
}

/** The plugin as a host loads it: `kind: ai`, registering the `summary` feature with the configured provider. */
export default definePlugin({
  manifest: { id: 'ai-summarizer', kind: 'ai', version: '1.0.0', apiVersion: SDK_API_VERSION, capabilities: ['http'], description: 'Handoff summaries' },
  configSchema: summarizerConfigSchema,
  register(host) {
    host.ai.register(summaryFeature((ctx) => createSummarizer(host.config, { post: hostPost(ctx), onFallback: (reason) => ctx.logger.warn({ reason }, 'summary provider failed; built-in used') })));
  },
});

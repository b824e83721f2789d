import type { PluginContext } from './context.js';
import type { InboundEvent, MessageContent } from './messages.js';

/**
 * An AI feature (bot reply, intent classification, summarisation...). The registrar exists so AI plugins load
 * through the same loader; the conversation pipeline that calls features belongs to the AI issue.
 */
export interface AiFeature<PluginConfig = unknown> {
  /** Unique across the host: `faq-bot`, `intent`, `summary`... */
  readonly name: string;
  readonly description?: string;
  handle(input: AiInput, ctx: PluginContext<PluginConfig>): Promise<AiOutput>;
}

export interface AiInput {
  tenantId: string;
  conversationId: string;
  /** The newest last. */
  messages: Array<Pick<InboundEvent, 'origin' | 'content' | 'sentAt'>>;
  context?: Record<string, string>;
}

export interface AiOutput {
  reply?: MessageContent;
  intent?: string;
  confidence?: number;
  handoff?: boolean;
  data?: Record<string, unknown>;
}

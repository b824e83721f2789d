import type { DataSource } from 'typeorm';
import type { KeyValueCache } from '../../_shared/cache.js';
import type { Logger } from '../../_shared/logger.js';
import type { ExtractiveSummarizer } from '../../../plugins/ai-summarizer/index.js';
import { detectIntent, extractAmounts, extractOrderIds, extractTrackingNumbers } from '../../../plugins/ai-summarizer/text.js';
import { CONTEXT_DAYS, customerTranscript, DAY_MS } from './transcript.js';

export interface ContextMessage {
  id: string;
  conversationId: string;
  channelType: string;
  senderType: string;
  text: string;
  at: string;
}

/** What a bot or an agent needs to know about a customer right now: their last 30 days, condensed. */
export interface ConversationContextData {
  customerId: string;
  /** The latest customer-visible messages across channels, oldest first (internal notes never). */
  recentMessages: ContextMessage[];
  /** logistics, refund, reship, quality, invoice, price, order_change, product, complaint; null when unclear. */
  intent: string | null;
  /** orderId, trackingNo, amount: the latest value of each the customer or an agent mentioned. */
  slots: Record<string, string>;
  orderIds: string[];
  /** The built-in extractive summary of the 30 days (deterministic, no LLM call on a cache miss). */
  summary: string | null;
  /** Channel types used in the 30 days, first use first. */
  channels: string[];
  lastActivityAt: string | null;
  builtAt: string;
}

export const CONTEXT_TTL_SECONDS = CONTEXT_DAYS * 24 * 3600;
const RECENT = 20;

/**
 * The 30-day session context, cached (Redis when distributed, memory when embedded) for 30 days per
 * tenant + customer. The database stays the source of truth: every new message invalidates the entry and the
 * next read rebuilds it. A generation counter, bumped by each invalidation, keeps a rebuild that raced a write
 * from caching what it read before that write.
 */
export class ConversationContextService {
  constructor(
    private readonly ds: DataSource,
    private readonly cache: KeyValueCache,
    private readonly summarizer: ExtractiveSummarizer,
    private readonly log: Logger,
    private readonly now: () => Date = () => new Date(),
  ) {}

  static key(tenantId: string, customerId: string): string {
    return `ctx:${tenantId}:${customerId}`;
  }

  private static generationKey(tenantId: string, customerId: string): string {
    return `ctxgen:${tenantId}:${customerId}`;
  }

  async get(tenantId: string, customerId: string): Promise<{ context: ConversationContextData; cached: boolean }> {
    return (await this.getMany(tenantId, [customerId]))[0];
  }

  /** One cache round trip for all the customers; misses are rebuilt from the database and cached. */
  async getMany(tenantId: string, customerIds: readonly string[]): Promise<Array<{ context: ConversationContextData; cached: boolean }>> {
    let raw: Array<string | null> = customerIds.map(() => null);
    try {
      raw = await this.cache.mget(customerIds.map((c) => ConversationContextService.key(tenantId, c)));
    } catch (err) {
      this.log.warn({ err, tenantId }, 'context cache unavailable; reading the database');
    }
    return Promise.all(
      customerIds.map(async (customerId, i) => {
        if (raw[i]) {
          try {
            return { context: JSON.parse(raw[i]!) as ConversationContextData, cached: true };
          } catch {
            /* a corrupt entry is rebuilt */
          }
        }
        return { context: await this.rebuild(tenantId, customerId), cached: false };
      }),
    );
  }

  /** After a write that changes a customer's context: the next read rebuilds it. Never fails the write. */
  invalidate(tenantId: string, customerId: string): Promise<void> {
    return this.invalidateMany(tenantId, [customerId]);
  }

  /** Several customers in one cache round trip (a batch of inbound messages). */
  async invalidateMany(tenantId: string, customerIds: readonly string[]): Promise<void> {
    if (!customerIds.length) return;
    try {
      // Per customer, atomically: the new generation (a rebuild racing this write will not be cached), the stale context gone.
      await this.cache.invalidate(
        [...new Set(customerIds)].map((c) => ({ guardKey: ConversationContextService.generationKey(tenantId, c), key: ConversationContextService.key(tenantId, c) })),
        CONTEXT_TTL_SECONDS,
      );
    } catch (err) {
      this.log.warn({ err, tenantId }, 'context cache not invalidated');
    }
  }

  /** Builds from the database and caches for 30 days, unless a write happened meanwhile. */
  async rebuild(tenantId: string, customerId: string): Promise<ConversationContextData> {
    const genKey = ConversationContextService.generationKey(tenantId, customerId);
    let generation: string | null | undefined;
    try {
      generation = await this.cache.get(genKey);
    } catch {
      generation = undefined; // cache down: build, don't store
    }
    const context = await this.build(tenantId, customerId);
    if (generation !== undefined) {
      try {
        await this.cache.setIfGuard(ConversationContextService.key(tenantId, customerId), JSON.stringify(context), CONTEXT_TTL_SECONDS, genKey, generation);
      } catch (err) {
        this.log.warn({ err, tenantId }, 'context not cached');
      }
    }
    return context;
  }

  async build(tenantId: string, customerId: string): Promise<ConversationContextData> {
    const now = this.now();
    const { messages, lines } = await customerTranscript(this.ds, tenantId, customerId, new Date(now.getTime() - CONTEXT_DAYS * DAY_MS));
    const channels: string[] = [];
    const orderIds: string[] = [];
    const slots: Record<string, string> = {};
    for (const m of messages) {
      if (!channels.includes(m.channelType)) channels.push(m.channelType);
      // An order message (a Taobao buyer's question, a trade or refund event) names its order; the text may not.
      const named = m.kind === 'order' && typeof m.payload?.orderId === 'string' ? [m.payload.orderId] : [];
      const ids = [...named, ...extractOrderIds(m.text).filter((id) => !named.includes(id))];
      for (const id of ids) if (!orderIds.includes(id)) orderIds.push(id);
      // latest mention wins
      if (ids.length) slots.orderId = ids[ids.length - 1];
      const tracking = extractTrackingNumbers(m.text);
      if (tracking.length) slots.trackingNo = tracking[tracking.length - 1];
      const amounts = extractAmounts(m.text);
      if (amounts.length) slots.amount = amounts[amounts.length - 1];
    }
    const customerTexts = messages.filter((m) => m.senderType === 'CUSTOMER').map((m) => m.text);
    const summary = messages.length ? this.summarizer.summarizeSync({ tenantId, lines }).text : null;
    return {
      customerId,
      recentMessages: messages.slice(-RECENT).map((m) => ({
        id: m.id, conversationId: m.conversationId, channelType: m.channelType, senderType: m.senderType, text: m.text, at: m.createdAt.toISOString(),
      })),
      intent: detectIntent(customerTexts.slice(-10)).intent,
      slots,
      orderIds,
      summary,
      channels,
      lastActivityAt: messages.length ? messages[messages.length - 1].createdAt.toISOString() : null,
      builtAt: now.toISOString(),
    };
  }
}

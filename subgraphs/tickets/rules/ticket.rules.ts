import type { DomainEvent } from '../../_shared/events.js';
import { isUuid } from '../../_shared/ids.js';
import type { Logger } from '../../_shared/logger.js';
import { ORDER_ID, type TicketActor } from '../ticket/ticket.model.js';
import type { TicketService } from '../ticket/ticket.service.js';
import type { ConversationDigestService } from '../conversation/conversation-digest.service.js';
import type { Clock } from '../tickets.clock.js';

/**
 * Words that make a customer message a complaint. 12315 is the consumer-complaint hotline of the market
 * regulator; 曝光 (going public) and 差评 (a bad review) are what brands fear most on Taobao and Douyin.
 */
export const COMPLAINT_WORDS = ['投诉', '差评', '12315', '曝光', '退款', '举报', '消协', '维权'] as const;

export const COMPLAINT_RULE: TicketActor = { id: 'rule:complaint', kind: 'SYSTEM' };
export const REFUND_RULE: TicketActor = { id: 'rule:refund', kind: 'SYSTEM' };

export type RuleOutcome = 'created' | 'exists' | 'updated' | 'ignored' | 'stale' | 'malformed';

/**
 * Events older than this are not acted on. A consumer group created on a long-lived stream starts at its
 * beginning: without the limit, deploying the rules would open tickets for months-old messages.
 */
export const MAX_EVENT_AGE_MS = 3 * 24 * 3600_000;

const clip = (s: string, n: number) => (s.length > n ? `${s.slice(0, n - 1)}…` : s);

/**
 * Tickets that open themselves from domain events. Both rules are idempotent (a redelivered event, or a second
 * complaint in the same conversation, finds the ticket through its source key instead of opening another).
 */
export class TicketRules {
  constructor(
    private readonly tickets: TicketService,
    private readonly clock: Clock,
    private readonly log: Logger,
    private readonly digests?: ConversationDigestService,
  ) {}

  async handle(event: DomainEvent): Promise<RuleOutcome> {
    if (event?.type !== 'message.received' && event?.type !== 'order.refund') return 'ignored';
    const age = this.clock.now().getTime() - Date.parse(event.occurredAt);
    if (!(age <= MAX_EVENT_AGE_MS)) return 'stale';
    if (event?.type === 'message.received') {
      const { conversationId, text } = event.data as { conversationId?: unknown; text?: unknown };
      if (this.digests && isUuid(conversationId) && typeof text === 'string') await this.digests.record(event.tenantId, conversationId, text, new Date(event.occurredAt));
      return this.complaint(event);
    }
    if (event?.type === 'order.refund') return this.refund(event);
    return 'ignored';
  }

  /** message.received { conversationId, messageId, customerId, text } with a complaint word → a complaint ticket. */
  private async complaint(e: DomainEvent): Promise<RuleOutcome> {
    const { conversationId, customerId, text, messageId } = e.data as { conversationId?: unknown; customerId?: unknown; text?: unknown; messageId?: unknown };
    if (typeof text !== 'string') return 'ignored';
    const word = COMPLAINT_WORDS.find((w) => text.includes(w));
    if (!word) return 'ignored';
    if (!isUuid(conversationId)) return this.malformed(e, 'conversationId must be a uuid');
    const { created } = await this.tickets.createOrGet(
      e.tenantId,
      {
        sourceKey: `complaint:${conversationId}`,
        source: 'RULE',
        type: 'complaint',
        priority: 'HIGH',
        subject: clip(`客户投诉：${text.replace(/\s+/g, ' ').trim()}`, 200),
        summary: clip(text, 4000),
        customerId: isUuid(customerId) ? customerId : null,
        conversationId,
        tags: ['投诉'],
        customFields: { matchedWord: word, ...(typeof messageId === 'string' ? { messageId } : {}) },
      },
      COMPLAINT_RULE,
    );
    this.log.info({ tenantId: e.tenantId, conversationId, eventId: e.id, created }, 'complaint rule matched');
    return created ? 'created' : 'exists';
  }

  /** order.refund { tid, buyerNick, customerId?, status } → one refund ticket per order; later statuses update it. */
  private async refund(e: DomainEvent): Promise<RuleOutcome> {
    const { tid, buyerNick, customerId, status } = e.data as { tid?: unknown; buyerNick?: unknown; customerId?: unknown; status?: unknown };
    // Taobao tids are 64-bit numbers: a number here may already have lost digits, so only strings are taken.
    if (typeof tid !== 'string' || !ORDER_ID.test(tid)) return this.malformed(e, 'tid must be a string order id');
    if (typeof status !== 'string' || !status || status.length > 64) return this.malformed(e, 'status must be a string');
    const nick = typeof buyerNick === 'string' ? buyerNick.slice(0, 100) : null;
    const { ticket, created } = await this.tickets.createOrGet(
      e.tenantId,
      {
        sourceKey: `refund:${tid}`,
        source: 'RULE',
        type: 'refund',
        subject: `退款申请：订单 ${tid}`,
        customerId: isUuid(customerId) ? customerId : null,
        orderIds: [tid],
        tags: ['退款'],
        customFields: { refundStatus: status, refundStatusAt: e.occurredAt, ...(nick ? { buyerNick: nick } : {}) },
      },
      REFUND_RULE,
    );
    if (created) return 'created';
    // Only a newer status counts: a redelivered or late message must not turn SUCCESS back into WAIT_SELLER_AGREE.
    const known = ticket.customFields?.refundStatusAt;
    if (ticket.status === 'CLOSED' || (typeof known === 'string' && known >= e.occurredAt) || ticket.customFields?.refundStatus === status) return 'exists';
    await this.tickets.update(e.tenantId, ticket.id, { customFields: { ...(ticket.customFields ?? {}), refundStatus: status, refundStatusAt: e.occurredAt } }, REFUND_RULE);
    return 'updated';
  }

  /** Retrying cannot fix it: log (ids and the reason only, no personal data) and let the bus acknowledge it. */
  private malformed(e: DomainEvent, reason: string): RuleOutcome {
    this.log.warn({ eventId: e.id, type: e.type, tenantId: e.tenantId, reason }, 'malformed event skipped by ticket rules');
    return 'malformed';
  }
}

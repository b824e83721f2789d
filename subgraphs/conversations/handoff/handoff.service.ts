import { In, MoreThanOrEqual, Not, type DataSource, type EntityManager, type Repository } from 'typeorm';
import { newId } from '../../_shared/ids.js';
import type { Logger } from '../../_shared/logger.js';
import type { HandoffSummaryData, Summarizer } from '../../../plugins/ai-summarizer/index.js';
import { ConversationEntity, ConversationStatus } from '../conversation/conversation.entity.js';
import { CONTEXT_DAYS, customerTranscript, DAY_MS } from '../context/transcript.js';
import { firstChildren } from '../conversations.paging.js';
import { ConversationEventType } from '../event/event.entity.js';
import type { ConversationEventService } from '../event/event.service.js';
import { HandoffSummaryEntity, HandoffTrigger } from './handoff.entity.js';

/**
 * Handoff summaries: when a customer with recent activity shows up on another channel, or a conversation
 * reaches an agent from another agent or from the bot, the configured summarizer (built-in extractive by
 * default) condenses the customer's last 30 days for the agent who receives it.
 */
export class HandoffService {
  private readonly repo: Repository<HandoffSummaryEntity>;
  private readonly conversations: Repository<ConversationEntity>;

  constructor(
    private readonly ds: DataSource,
    private readonly summarizer: Summarizer,
    private readonly lifecycle: ConversationEventService,
    private readonly log: Logger,
    private readonly now: () => Date = () => new Date(),
  ) {
    this.repo = ds.getRepository(HandoffSummaryEntity);
    this.conversations = ds.getRepository(ConversationEntity);
  }

  async byIds(tenantId: string, ids: readonly string[]): Promise<HandoffSummaryEntity[]> {
    if (!ids.length) return [];
    return this.repo.findBy({ tenantId, id: In([...ids]) });
  }

  /** The latest summary of each conversation (one round of queries). */
  latestOf(tenantId: string, conversationIds: readonly string[]): Promise<HandoffSummaryEntity[]> {
    return firstChildren(this.repo, { tenantId, parentColumn: 'conversation_id', orderColumn: 'created_at', direction: 'DESC' }, conversationIds, 1);
  }

  /** Whether the customer was active in the last 30 days in a conversation on another channel type. */
  async cameFromAnotherChannel(c: ConversationEntity): Promise<boolean> {
    const since = new Date(this.now().getTime() - CONTEXT_DAYS * DAY_MS);
    const other = await this.conversations.count({
      where: { tenantId: c.tenantId, customerId: c.customerId, id: Not(c.id), channelType: Not(c.channelType), lastMessageAt: MoreThanOrEqual(since) },
    });
    return other > 0;
  }

  /** Why assigning `c` to `agentId` needs a summary, if it does. */
  async triggerForAssignment(c: ConversationEntity, agentId: string): Promise<HandoffTrigger | null> {
    if (c.assigneeId && c.assigneeId !== agentId) return HandoffTrigger.TRANSFER;
    if (c.assigneeId === agentId) return null;
    if (await this.cameFromAnotherChannel(c)) return HandoffTrigger.CHANNEL_SWITCH;
    if (c.status === ConversationStatus.BOT || (await this.lifecycle.has(c.tenantId, c.id, [ConversationEventType.ESCALATED]))) return HandoffTrigger.ESCALATION;
    return null;
  }

  /** The summary of the customer's last 30 days across channels; null when the summarizer fails outright. */
  async summarize(c: ConversationEntity): Promise<HandoffSummaryData | null> {
    try {
      const { lines } = await customerTranscript(this.ds, c.tenantId, c.customerId, new Date(this.now().getTime() - CONTEXT_DAYS * DAY_MS));
      return await this.summarizer.summarize({ tenantId: c.tenantId, lines });
    } catch (err) {
      this.log.error({ err, tenantId: c.tenantId, conversationId: c.id }, 'handoff summary failed');
      return null;
    }
  }

  /** Stores a summary, in the caller's transaction when given one. */
  async store(c: ConversationEntity, trigger: HandoffTrigger, agentId: string | null, summary: HandoffSummaryData, m?: EntityManager): Promise<HandoffSummaryEntity> {
    const row = this.repo.create({
      id: newId(), tenantId: c.tenantId, conversationId: c.id, customerId: c.customerId, agentId, trigger, provider: summary.provider, summary, createdAt: this.now(),
    });
    await (m ?? this.ds.manager).insert(HandoffSummaryEntity, row);
    return row;
  }
}

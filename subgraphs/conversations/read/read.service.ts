import { In, LessThan, type DataSource, type Repository } from 'typeorm';
import { isUniqueViolation } from '../../_shared/db-errors.js';
import { notFound } from '../../_shared/errors.js';
import { ConversationEntity } from '../conversation/conversation.entity.js';
import { newId } from '../../_shared/ids.js';
import { MessageEntity } from '../message/message.entity.js';
import { ConversationReadEntity } from './read.entity.js';

/**
 * Read state per reader (the token subject): how far each agent has read each conversation, and how many
 * messages from others (customer, bot, system, colleagues' replies and notes) came after that.
 */
export class ReadService {
  private readonly repo: Repository<ConversationReadEntity>;
  private readonly messages: Repository<MessageEntity>;

  constructor(private readonly ds: DataSource) {
    this.repo = ds.getRepository(ConversationReadEntity);
    this.messages = ds.getRepository(MessageEntity);
  }

  /** The reader has read the conversation up to a message of it (default: its last message). */
  async markConversationRead(tenantId: string, conversationId: string, readerId: string, upToMessageId?: string | null): Promise<{ conversation: ConversationEntity; lastReadAt: Date }> {
    const conversation = await this.ds.getRepository(ConversationEntity).findOneBy({ tenantId, id: conversationId });
    if (!conversation) throw notFound('conversation', conversationId);
    let at = conversation.lastMessageAt;
    if (upToMessageId) {
      const m = await this.messages.findOneBy({ tenantId, conversationId, id: upToMessageId });
      if (!m) throw notFound('message', upToMessageId);
      at = m.createdAt;
    }
    return { conversation, lastReadAt: await this.markRead(tenantId, conversationId, readerId, at) };
  }

  /** Moves the reader's mark forward to `at` (never back). */
  async markRead(tenantId: string, conversationId: string, readerId: string, at: Date): Promise<Date> {
    const now = new Date();
    const forward = () => this.repo.update({ tenantId, conversationId, readerId, lastReadAt: LessThan(at) }, { lastReadAt: at, updatedAt: now });
    if (!(await forward()).affected) {
      const existing = await this.repo.findOneBy({ tenantId, conversationId, readerId });
      if (existing) return existing.lastReadAt;
      try {
        await this.repo.insert({ id: newId(), tenantId, conversationId, readerId, lastReadAt: at, updatedAt: now });
      } catch (e) {
        if (!isUniqueViolation(e)) throw e;
        await forward(); // another request inserted first
      }
    }
    return (await this.repo.findOneByOrFail({ tenantId, conversationId, readerId })).lastReadAt;
  }

  async marks(tenantId: string, readerId: string, conversationIds: readonly string[]): Promise<ConversationReadEntity[]> {
    if (!conversationIds.length) return [];
    return this.repo.findBy({ tenantId, readerId, conversationId: In([...conversationIds]) });
  }

  /** Unread messages per conversation for the reader: one query for all the conversations. */
  async unreadCounts(tenantId: string, readerId: string, conversationIds: readonly string[], includeInternal: boolean): Promise<Map<string, number>> {
    const out = new Map<string, number>();
    if (!conversationIds.length) return out;
    const qb = this.messages
      .createQueryBuilder('m')
      .select('m.conversation_id', 'cid')
      .addSelect('COUNT(*)', 'n')
      .leftJoin(ConversationReadEntity, 'r', 'r.tenant_id = m.tenant_id AND r.conversation_id = m.conversation_id AND r.reader_id = :readerId', { readerId })
      .where('m.tenant_id = :tenantId', { tenantId })
      .andWhere('m.conversation_id IN (:...ids)', { ids: [...conversationIds] })
      .andWhere('(r.last_read_at IS NULL OR m.created_at > r.last_read_at)')
      .andWhere('(m.sender_id IS NULL OR m.sender_id <> :readerId)')
      .groupBy('m.conversation_id');
    if (!includeInternal) qb.andWhere('m.internal = 0');
    for (const r of await qb.getRawMany<{ cid: string; n: number | string }>()) out.set(r.cid, Number(r.n));
    return out;
  }
}

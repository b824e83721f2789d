import { In, type DataSource, type Repository } from 'typeorm';
import type { PubSub } from '../../_shared/pubsub.js';
import type { ConversationService } from '../conversation/conversation.service.js';
import { firstChildren } from '../conversations.paging.js';
import { liveRows, TOPICS } from '../live/live.stream.js';
import { MessageEntity } from './message.entity.js';

/** Reads of messages (writes go through ConversationService, which owns the aggregate). Scoped by tenant. */
export class MessageService {
  private readonly repo: Repository<MessageEntity>;

  constructor(ds: DataSource, private readonly pubsub: PubSub, private readonly conversations: ConversationService) {
    this.repo = ds.getRepository(MessageEntity);
  }

  /** Internal notes only when `includeInternal` (staff): nobody else ever reads them. */
  async byIds(tenantId: string, ids: readonly string[], includeInternal = true): Promise<MessageEntity[]> {
    if (!ids.length) return [];
    return this.repo.findBy({ tenantId, id: In([...ids]), ...(includeInternal ? {} : { internal: false }) });
  }

  /** The first `limit` messages of each conversation (oldest first), after a cursor: one round of queries. */
  firstOf(tenantId: string, conversationIds: readonly string[], limit: number, after?: { at: Date; id: string }, includeInternal = true): Promise<MessageEntity[]> {
    // Without notes, the page is cut from the customer-visible messages only (so it stays full).
    const filter = includeInternal ? undefined : 'r.internal = 0';
    return firstChildren(this.repo, { tenantId, parentColumn: 'conversation_id', orderColumn: 'created_at', direction: 'ASC', filter }, conversationIds, limit, after);
  }

  /** New messages of one conversation of the tenant, reloaded; NOT_FOUND for a conversation of another tenant. */
  async watchAdded(tenantId: string, conversationId: string): Promise<AsyncIterableIterator<MessageEntity>> {
    await this.conversations.get(tenantId, conversationId);
    return liveRows(
      this.pubsub,
      TOPICS.messageAdded,
      tenantId,
      (e) => e.conversationId === conversationId,
      async (e) => (await this.byIds(tenantId, [e.id]))[0] ?? null,
    );
  }
}

import { In, MoreThanOrEqual, type DataSource } from 'typeorm';
import type { Speaker, TranscriptLine } from '../../../plugins/ai-summarizer/index.js';
import { ConversationEventEntity, ConversationEventType } from '../event/event.entity.js';
import { MessageEntity } from '../message/message.entity.js';

/** How far back the context and handoff summaries look. */
export const CONTEXT_DAYS = 30;
export const DAY_MS = 24 * 3600_000;

export interface Transcript {
  /** Newest last; internal notes never included (bots read this, and it may reach an external LLM). */
  messages: MessageEntity[];
  lines: TranscriptLine[];
}

/**
 * A customer's recent history across all channels: their last `limit` customer-visible messages since `since`
 * and the resolutions in between (which settle earlier asks). Two range scans on the customer indexes.
 */
export async function customerTranscript(ds: DataSource, tenantId: string, customerId: string, since: Date, limit = 300): Promise<Transcript> {
  const messages = (
    await ds.getRepository(MessageEntity).find({
      where: { tenantId, customerId, internal: false, createdAt: MoreThanOrEqual(since) },
      order: { createdAt: 'DESC', id: 'DESC' },
      take: limit,
    })
  ).reverse();
  const from = messages[0]?.createdAt ?? since;
  const events = await ds.getRepository(ConversationEventEntity).find({
    where: { tenantId, customerId, at: MoreThanOrEqual(from), type: In([ConversationEventType.RESOLVED, ConversationEventType.CLOSED]) },
    order: { at: 'ASC', id: 'ASC' },
    take: 100,
  });
  const lines: TranscriptLine[] = [
    ...messages.map((m) => ({ at: m.createdAt, channelType: m.channelType, speaker: m.senderType as Speaker, text: m.text, conversationId: m.conversationId })),
    ...events.map((e) => ({ at: e.at, channelType: e.channelType, speaker: 'SYSTEM' as const, text: '', conversationId: e.conversationId, event: e.type })),
  ].sort((a, b) => a.at.getTime() - b.at.getTime());
  return { messages, lines };
}

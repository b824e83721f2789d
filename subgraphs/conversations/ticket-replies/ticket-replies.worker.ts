import { isUniqueViolation } from '../../_shared/db-errors.js';
import { DomainError } from '../../_shared/errors.js';
import { RELAXED_LATENCY, TICKET_COMMENTS_TOPIC, type DomainEvent } from '../../_shared/events.js';
import { stableId } from '../../_shared/ids.js';
import type { Logger } from '../../_shared/logger.js';
import type { SubgraphDeps, Worker } from '../../_shared/subgraph-module.js';
import type { ConversationsServices } from '../conversations.services.js';
import { ActorType, SYSTEM_ACTOR } from '../event/event.entity.js';
import { MessageSenderType, type Attachment } from '../message/message.entity.js';

/** This subgraph's consumer group for ticket replies: each event reaches one conversations replica. */
export const TICKET_REPLIES_GROUP = 'conversations-ticket-replies';

export type TicketReplyOutcome = 'appended' | 'duplicate' | 'ignored' | 'undeliverable';

/** The message a public comment becomes: derived from the comment, so a redelivered event finds it. */
export const ticketReplyId = (tenantId: string, commentId: string) => stableId(`ticket-comment:${tenantId}:${commentId}`);

interface TicketCommented {
  ticketId: string;
  commentId: string;
  conversationId: string | null;
  public: boolean;
  authorId: string;
  authorType?: string;
  body?: string;
  attachments?: Array<{ name: string; size: number; mediaRef: string; contentType?: string | null }>;
}

/**
 * A public comment on a ticket (tickets subgraph, `ticket.commented`) is a reply to the customer: it is appended
 * to the ticket's conversation as an AGENT message, from which the channel sends it like any agent reply. A
 * ticket often outlives its conversation: once that is closed, the reply goes to the customer's open conversation
 * on the same channel, or a follow-up (ConversationService.addStaffReply). On a channel that sends nothing (phone,
 * Taobao) the message's delivery says so (FAILED, CANNOT_SEND). The ticket sees both through `TicketComment.reply`.
 * Exactly once per comment: the message id derives from the comment id, so a redelivered event finds it.
 */
export async function appendTicketReply(s: ConversationsServices, log: Logger, e: DomainEvent): Promise<TicketReplyOutcome> {
  if (e?.type !== 'ticket.commented') return 'ignored';
  const d = e.data as unknown as TicketCommented;
  if (!d.public || !d.conversationId || typeof d.body !== 'string' || !d.body || typeof d.commentId !== 'string') return 'ignored';
  const id = ticketReplyId(e.tenantId, d.commentId);
  const [written] = await s.messages.byIds(e.tenantId, [id]);
  if (written) {
    // Written by an earlier delivery of the event, which may have failed before handing it to the channel: hand it
    // again (a delivery that exists already is left as it is).
    const [conversation] = await s.conversations.byIds(e.tenantId, [written.conversationId]);
    if (conversation) await s.delivery.enqueue(e.tenantId, written, conversation);
    return 'duplicate';
  }
  const attachments: Attachment[] = (d.attachments ?? []).map((a) => ({
    kind: a.contentType?.startsWith('image/') ? 'image' : a.contentType?.startsWith('video/') ? 'video' : 'file',
    mediaRef: a.mediaRef, name: a.name, size: a.size, mime: a.contentType ?? null,
  }));
  try {
    const senderId = typeof d.authorId === 'string' ? d.authorId.slice(0, 191) : null;
    const r = await s.conversations.addStaffReply(e.tenantId, d.conversationId, {
      id,
      senderType: MessageSenderType.AGENT,
      senderId,
      text: d.body,
      attachments: attachments.length ? attachments : null,
      payload: { ticketId: d.ticketId, commentId: d.commentId },
    }, d.authorType === 'AGENT' && senderId ? { type: ActorType.AGENT, id: senderId } : SYSTEM_ACTOR);
    // A public comment goes out to the customer through the conversation's channel, like an agent's reply.
    await s.delivery.enqueue(e.tenantId, r.message, r.conversation);
    return 'appended';
  } catch (err) {
    if (isUniqueViolation(err)) return 'duplicate'; // a concurrent delivery wrote it first
    if (err instanceof DomainError && err.code === 'NOT_FOUND') {
      // The conversation is gone (or another tenant's): retrying cannot help. Ids only in the log.
      log.warn({ tenantId: e.tenantId, conversationId: d.conversationId, ticketId: d.ticketId, reason: err.code }, 'ticket reply not delivered to the conversation');
      return 'undeliverable';
    }
    throw err; // left pending on the bus, redelivered
  }
}

export async function startTicketRepliesWorker(s: ConversationsServices, deps: SubgraphDeps): Promise<Worker> {
  const log = deps.log.child({ component: 'ticket-replies' });
  return deps.events.consume(TICKET_REPLIES_GROUP, async (event) => {
    await appendTicketReply(s, log, event);
  }, { ...RELAXED_LATENCY, topic: TICKET_COMMENTS_TOPIC });
}

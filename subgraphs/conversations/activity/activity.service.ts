import type { DataSource, Repository } from 'typeorm';
import type { Logger } from '../../_shared/logger.js';
import type { PubSub } from '../../_shared/pubsub.js';
import { ConversationEntity } from '../conversation/conversation.entity.js';
import { ConversationEventEntity } from '../event/event.entity.js';
import { HandoffSummaryEntity } from '../handoff/handoff.entity.js';
import { liveRows, TOPICS, type LiveEvent } from '../live/live.stream.js';
import { MessageEntity } from '../message/message.entity.js';

export enum ActivityKind {
  MESSAGE = 'MESSAGE',
  EVENT = 'EVENT',
  HANDOFF = 'HANDOFF',
  /** Someone started or stopped typing in the conversation (the customer in the widget or app, or an agent): live only. */
  TYPING = 'TYPING',
  /** Words being said before they are final (a call's speech-to-text in progress): live only. */
  PARTIAL = 'PARTIAL',
  /** The delivery of one of our messages changed (sent, failed, retrying): its `message` carries the `delivery`. */
  DELIVERY = 'DELIVERY',
}

export interface Typing { by: 'CUSTOMER' | 'AGENT'; state: 'START' | 'STOP'; agentId?: string }
/** `key`: the same for every version of one utterance, so a screen replaces the last one it showed. */
export interface PartialText { by: 'CUSTOMER' | 'AGENT'; text: string; key?: string }

/** One live item: a message (or note), a lifecycle event, or a handoff summary, with its conversation. */
export interface Activity {
  kind: ActivityKind;
  conversation: ConversationEntity;
  message?: MessageEntity;
  event?: ConversationEventEntity;
  handoffSummary?: HandoffSummaryEntity;
  typing?: Typing;
  partial?: PartialText;
}

export interface ActivityFilter {
  /** Staff see internal notes; anyone else never does. */
  includeInternal: boolean;
}

/**
 * Live activity across replicas: publishers send ids on Redis pub/sub (or in process), and the replica that
 * holds a subscriber's socket reloads the row, scoped by the subscriber's tenant, and filters it by permission.
 */
export class ActivityService {
  private readonly conversations: Repository<ConversationEntity>;
  private readonly messages: Repository<MessageEntity>;
  private readonly events: Repository<ConversationEventEntity>;
  private readonly handoffs: Repository<HandoffSummaryEntity>;

  constructor(ds: DataSource, private readonly pubsub: PubSub, private readonly log: Logger) {
    this.conversations = ds.getRepository(ConversationEntity);
    this.messages = ds.getRepository(MessageEntity);
    this.events = ds.getRepository(ConversationEventEntity);
    this.handoffs = ds.getRepository(HandoffSummaryEntity);
  }

  /** Best effort: a pub/sub hiccup must not fail a write that is already committed. */
  async publish(kind: ActivityKind, c: ConversationEntity, id: string, agentIds: Array<string | null | undefined> = [c.assigneeId]): Promise<void> {
    const payload: LiveEvent = { id, kind, tenantId: c.tenantId, conversationId: c.id, customerId: c.customerId, agentIds: [...new Set(agentIds.filter((a): a is string => !!a))] };
    try {
      await this.pubsub.publish(TOPICS.activity, payload as unknown as Record<string, unknown>);
    } catch (err) {
      this.log.warn({ err, tenantId: c.tenantId, conversationId: c.id, kind }, 'activity not published');
    }
  }

  /** Live only (nothing stored): the subscribers of the conversation, and its agent, see who is typing. */
  publishTyping(c: ConversationEntity, typing: Typing): Promise<void> {
    return this.publishLive(c, ActivityKind.TYPING, { typing });
  }

  /** Live only: the words of an utterance so far (a call's partial transcript), to the conversation's watchers. */
  publishPartial(c: ConversationEntity, partial: PartialText): Promise<void> {
    return this.publishLive(c, ActivityKind.PARTIAL, { partial });
  }

  private async publishLive(c: ConversationEntity, kind: ActivityKind, live: Pick<LiveEvent, 'typing' | 'partial'>): Promise<void> {
    const payload: LiveEvent = { id: c.id, kind, tenantId: c.tenantId, conversationId: c.id, customerId: c.customerId, agentIds: c.assigneeId ? [c.assigneeId] : [], ...live };
    try {
      await this.pubsub.publish(TOPICS.activity, payload as unknown as Record<string, unknown>);
    } catch (err) {
      this.log.warn({ err, tenantId: c.tenantId, conversationId: c.id, kind }, 'live activity not published');
    }
  }

  /** Everything that happens in one conversation. */
  watchConversation(tenantId: string, conversationId: string, f: ActivityFilter): AsyncIterableIterator<Activity> {
    return this.watch(tenantId, (e) => e.conversationId === conversationId, f);
  }

  /** Everything that happens in any of one customer's conversations. */
  watchCustomer(tenantId: string, customerId: string, f: ActivityFilter): AsyncIterableIterator<Activity> {
    return this.watch(tenantId, (e) => e.customerId === customerId, f);
  }

  /**
   * What concerns one agent: conversations assigned to them or transferred away from them, new messages in the
   * conversations they hold, and the handoff summaries written for them.
   */
  watchAgent(tenantId: string, agentId: string, f: ActivityFilter): AsyncIterableIterator<Activity> {
    return this.watch(tenantId, (e) => !!e.agentIds?.includes(agentId), f, (a) => {
      if (a.handoffSummary) return a.handoffSummary.agentId === agentId;
      if (a.event) {
        const d = a.event.data ?? {};
        return d.agentId === agentId || d.previousAgentId === agentId || a.conversation.assigneeId === agentId;
      }
      return a.conversation.assigneeId === agentId;
    });
  }

  private watch(tenantId: string, accept: (e: LiveEvent) => boolean, f: ActivityFilter, keep: (a: Activity) => boolean = () => true): AsyncIterableIterator<Activity> {
    return liveRows(this.pubsub, TOPICS.activity, tenantId, (e) => !!e.kind && accept(e), async (e) => {
      const a = await this.reload(tenantId, e, f);
      return a && keep(a) ? a : null;
    });
  }

  private async reload(tenantId: string, e: LiveEvent, f: ActivityFilter): Promise<Activity | null> {
    const conversation = await this.conversations.findOneBy({ tenantId, id: e.conversationId });
    if (!conversation) return null;
    switch (e.kind) {
      case ActivityKind.MESSAGE:
      case ActivityKind.DELIVERY: {
        const message = await this.messages.findOneBy({ tenantId, id: e.id });
        if (!message || (message.internal && !f.includeInternal)) return null;
        return { kind: e.kind, conversation, message };
      }
      case ActivityKind.EVENT: {
        const event = await this.events.findOneBy({ tenantId, id: e.id });
        return event ? { kind: ActivityKind.EVENT, conversation, event } : null;
      }
      case ActivityKind.TYPING:
        return e.typing ? { kind: ActivityKind.TYPING, conversation, typing: e.typing } : null;
      case ActivityKind.PARTIAL:
        return e.partial ? { kind: ActivityKind.PARTIAL, conversation, partial: e.partial } : null;
      case ActivityKind.HANDOFF: {
        const handoffSummary = await this.handoffs.findOneBy({ tenantId, id: e.id });
        return handoffSummary ? { kind: ActivityKind.HANDOFF, conversation, handoffSummary } : null;
      }
      default:
        return null;
    }
  }
}

import type { InboundEvent } from '../../../plugins/sdk/index.js';
import type { KeyValueCache } from '../../_shared/cache.js';
import type { Logger } from '../../_shared/logger.js';
import type { ActivityService } from '../activity/activity.service.js';
import type { ChannelEntity } from '../channel/channel.entity.js';
import { ConversationStatus } from '../conversation/conversation.entity.js';
import type { ConversationService } from '../conversation/conversation.service.js';
import type { ConversationEntity } from '../conversation/conversation.entity.js';
import type { ChannelService } from '../channel/channel.service.js';
import type { DeliveryService } from '../delivery/delivery.service.js';
import type { ChannelBindings } from './channel-bindings.js';

/** How long a client's last conversation is remembered for its typing (a day: the widget's session, roughly). */
const REMEMBER_SECONDS = 86_400;

const clientOf = (e: InboundEvent) => e.context?.clientId ?? e.sender.externalId;

/**
 * A widget or app client's typing reaches the agents of its conversation (ConversationActivity TYPING). Typing is
 * live only and arrives at the acknowledging edge, which knows the client but not its conversation: processing
 * remembers, per channel and client, the conversation its last message went to (in the shared cache, so any
 * replica's edge finds it). A client that has not written yet has no conversation, and its typing goes nowhere.
 */
export class TypingRelay {
  constructor(
    private readonly cache: KeyValueCache,
    private readonly conversations: Pick<ConversationService, 'byIds' | 'findThread'>,
    private readonly activity: Pick<ActivityService, 'publishTyping' | 'publishPartial'>,
    private readonly log: Logger,
    private readonly outbound: { channels: Pick<ChannelService, 'byIds'>; bindings: Pick<ChannelBindings, 'bind'>; recipients: Pick<DeliveryService, 'recipientOf'> },
  ) {}

  /**
   * An agent typing in a conversation: the other staff watching it see it, and the customer does where the
   * channel's plugin can show it (web widget, app: on the live connection). Best effort: a channel that cannot,
   * or a failure, leaves the customer's side out; the answer says whether it went to the customer.
   */
  async agentTyping(c: ConversationEntity, agentId: string, state: 'START' | 'STOP'): Promise<boolean> {
    await this.activity.publishTyping(c, { by: 'AGENT', state, agentId });
    if (!c.channelId || c.status === ConversationStatus.CLOSED) return false;
    try {
      const [channel] = await this.outbound.channels.byIds(c.tenantId, [c.channelId]);
      const bound = channel?.enabled ? this.outbound.bindings.bind(channel) : null;
      const to = bound ? await this.outbound.recipients.recipientOf(c.tenantId, c.id) : null;
      return to ? await bound!.typing(to, state === 'START' ? 'start' : 'stop') : false;
    } catch (err) {
      this.log.warn({ err, conversationId: c.id }, 'typing not shown to the customer');
      return false;
    }
  }

  /** Processing: the client's message went to this conversation. */
  remember(channel: ChannelEntity, e: InboundEvent, conversationId: string): void {
    this.cache.set(key(channel.id, clientOf(e)), conversationId, REMEMBER_SECONDS).catch((err) => this.log.warn({ err, channelId: channel.id }, 'typing target not remembered'));
  }

  /**
   * The edge: the request's live-only events, published on their conversations (best effort): typing, and the
   * words of a thread's utterance before they are final (a call's partial transcript; its thread's conversation).
   */
  async relay(channel: ChannelEntity, events: InboundEvent[]): Promise<void> {
    for (const e of events) {
      if (e.ephemeral && e.content.kind === 'text' && e.thread) {
        const c = await this.conversations.findThread(channel.tenantId, channel.id, e.thread.id.slice(0, 191));
        if (c) await this.activity.publishPartial(c, { by: e.origin === 'agent' ? 'AGENT' : 'CUSTOMER', text: e.content.text, ...(e.context?.utterance ? { key: e.context.utterance } : {}) });
        continue;
      }
      if (!e.ephemeral || e.content.kind !== 'event' || e.content.name !== 'typing') continue;
      const id = await this.cache.get(key(channel.id, clientOf(e)));
      const [c] = id ? await this.conversations.byIds(channel.tenantId, [id]) : [];
      if (!c || c.status === ConversationStatus.CLOSED) continue;
      await this.activity.publishTyping(c, { by: 'CUSTOMER', state: e.content.key === 'stop' ? 'STOP' : 'START' });
    }
  }
}

const key = (channelId: string, clientId: string) => `typing:${channelId}:${clientId}`;

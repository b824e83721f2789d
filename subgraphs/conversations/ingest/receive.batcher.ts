import type { ConversationService, ReceiveInput } from '../conversation/conversation.service.js';

interface Waiting { input: ReceiveInput; resolve: (conversationId: string) => void; reject: (e: unknown) => void }

/**
 * Customer messages that processing reaches in the same turn of the event loop are written together
 * (`ConversationService.receiveMany`, per tenant), the way DataLoader batches loads: a message waits at most
 * for the current I/O phase to end. Per-sender order is kept by the caller (one message of a sender at a time).
 */
export class ReceiveBatcher {
  private readonly waiting = new Map<string, Waiting[]>();
  private scheduled = false;

  constructor(private readonly conversations: Pick<ConversationService, 'receiveMany'>) {}

  /** Resolves with the conversation the message went to. */
  receive(tenantId: string, input: ReceiveInput): Promise<string> {
    return new Promise<string>((resolve, reject) => {
      const list = this.waiting.get(tenantId) ?? [];
      list.push({ input, resolve, reject });
      this.waiting.set(tenantId, list);
      if (!this.scheduled) {
        this.scheduled = true;
        setImmediate(() => void this.flush());
      }
    });
  }

  private async flush(): Promise<void> {
    const all = [...this.waiting];
    this.waiting.clear();
    this.scheduled = false;
    await Promise.all(all.map(async ([tenantId, items]) => {
      try {
        const results = await this.conversations.receiveMany(tenantId, items.map((i) => i.input));
        results.forEach((r, k) => ('error' in r ? items[k].reject(r.error) : items[k].resolve(r.conversation.id)));
      } catch (err) {
        for (const i of items) i.reject(err);
      }
    }));
  }
}

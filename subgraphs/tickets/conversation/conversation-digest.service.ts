import type { DataSource, Repository } from 'typeorm';
import { isUniqueViolation } from '../../_shared/db-errors.js';
import { stableId } from '../../_shared/ids.js';
import { ConversationDigestEntity } from './conversation-digest.entity.js';

const KEEP = 5;
const MAX_LINE = 500;

/** Keeps each conversation's last customer lines; a ticket opened from the conversation takes them as its summary. */
export class ConversationDigestService {
  private readonly repo: Repository<ConversationDigestEntity>;
  constructor(ds: DataSource) {
    this.repo = ds.getRepository(ConversationDigestEntity);
  }

  async record(tenantId: string, conversationId: string, text: string, at: Date): Promise<void> {
    const line = text.replace(/\s+/g, ' ').trim().slice(0, MAX_LINE);
    if (!line) return;
    const id = stableId(`digest:${tenantId}:${conversationId}`);
    for (let attempt = 0; attempt < 3; attempt++) {
      const row = await this.repo.findOneBy({ tenantId, id });
      if (row) {
        if (row.lines.at(-1) === line) return; // a redelivered event
        await this.repo.update({ tenantId, id }, { lines: [...row.lines, line].slice(-KEEP), updatedAt: at });
        return;
      }
      try {
        await this.repo.insert({ id, tenantId, conversationId, lines: [line], updatedAt: at });
        return;
      } catch (e) {
        if (!isUniqueViolation(e)) throw e; // another replica inserted it first: update instead
      }
    }
  }

  async summaryOf(tenantId: string, conversationId: string): Promise<string | null> {
    const row = await this.repo.findOneBy({ tenantId, id: stableId(`digest:${tenantId}:${conversationId}`) });
    return row?.lines.length ? row.lines.join('\n') : null;
  }
}

import { In, type DataSource } from 'typeorm';
import { encodeCursor, type PageInfo } from '../../_shared/pagination.js';
import { ConversationEventEntity } from '../event/event.entity.js';
import { MessageEntity } from '../message/message.entity.js';

export type TimelineEntry = MessageEntity | ConversationEventEntity;

export interface TimelinePage {
  nodes: TimelineEntry[];
  pageInfo: PageInfo;
}

export interface TimelineQuery {
  first: number;
  after?: { at: Date; id: string };
  /** Channel types to keep (all when empty). */
  channels?: readonly string[];
  newestFirst?: boolean;
  /** Staff see internal notes; nobody else does. */
  includeInternal: boolean;
}

export const entryAt = (e: TimelineEntry): Date => (e instanceof ConversationEventEntity ? e.at : e.createdAt);

/** SQLite hands datetimes back as 'YYYY-MM-DD HH:MM:SS.SSS' (UTC); MySQL/MariaDB as Dates. */
const toDate = (v: Date | string): Date => (v instanceof Date ? v : new Date(`${v.replace(' ', 'T')}Z`));

/**
 * A customer's messages and lifecycle events across every channel in time order, keyset-paginated on (at, id).
 * Per customer, each table is read with one range scan of its (tenant_id, customer_id, time, id) index, limited
 * to the page size; all customers of a request go in ONE UNION ALL query (ids only), then two primary-key
 * loads fetch the rows: three queries whatever the number of customers.
 */
export class TimelineService {
  constructor(private readonly ds: DataSource) {}

  async pages(tenantId: string, customerIds: readonly string[], q: TimelineQuery): Promise<Map<string, TimelinePage>> {
    const out = new Map<string, TimelinePage>();
    if (!customerIds.length) return out;
    const limit = q.first + 1;
    const dir = q.newestFirst ? 'DESC' : 'ASC';
    const [ge, gt] = q.newestFirst ? ['<=', '<'] : ['>=', '>'];
    const params: Record<string, unknown> = { tenantId, limit };
    const channelFilter = q.channels?.length ? ' AND channel_type IN (:...channels)' : '';
    if (q.channels?.length) params.channels = [...q.channels];
    if (q.after) Object.assign(params, { afterAt: q.after.at, afterId: q.after.id });
    const parts: string[] = [];
    customerIds.forEach((customerId, i) => {
      params[`c${i}`] = customerId;
      const scan = (table: string, timeColumn: string, kind: string, extra = '') => {
        const keyset = q.after ? ` AND ${timeColumn} ${ge} :afterAt AND (${timeColumn} ${gt} :afterAt OR id ${gt} :afterId)` : '';
        return `SELECT * FROM (SELECT id, customer_id, ${timeColumn} AS at, '${kind}' AS k FROM ${table}
          WHERE tenant_id = :tenantId AND customer_id = :c${i}${channelFilter}${extra}${keyset}
          ORDER BY ${timeColumn} ${dir}, id ${dir} LIMIT ${limit}) ${kind}${i}`;
      };
      parts.push(scan('messages', 'created_at', 'm', q.includeInternal ? '' : ' AND internal = 0'), scan('conversation_events', 'at', 'e'));
    });
    const [sql, bound] = this.ds.driver.escapeQueryWithParameters(parts.join('\nUNION ALL\n'), params);
    const rows = ((await this.ds.query(sql, bound)) as Array<{ id: string; customer_id: string; at: Date | string; k: 'm' | 'e' }>).map((r) => ({ ...r, at: toDate(r.at) }));

    const sign = q.newestFirst ? -1 : 1;
    const byCustomer = new Map<string, typeof rows>();
    for (const r of rows) byCustomer.set(r.customer_id, [...(byCustomer.get(r.customer_id) ?? []), r]);
    const picked = new Map<string, { rows: typeof rows; more: boolean }>();
    for (const [customerId, list] of byCustomer) {
      list.sort((a, b) => sign * (a.at.getTime() - b.at.getTime() || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0)));
      picked.set(customerId, { rows: list.slice(0, q.first), more: list.length > q.first });
    }
    const all = [...picked.values()].flatMap((p) => p.rows);
    const messageIds = all.filter((r) => r.k === 'm').map((r) => r.id);
    const eventIds = all.filter((r) => r.k === 'e').map((r) => r.id);
    const [messages, events] = await Promise.all([
      messageIds.length ? this.ds.getRepository(MessageEntity).findBy({ tenantId, id: In(messageIds) }) : [],
      eventIds.length ? this.ds.getRepository(ConversationEventEntity).findBy({ tenantId, id: In(eventIds) }) : [],
    ]);
    const rowsById = new Map<string, TimelineEntry>([...messages.map((m) => [`m${m.id}`, m] as const), ...events.map((e) => [`e${e.id}`, e] as const)]);
    for (const customerId of customerIds) {
      const p = picked.get(customerId);
      const nodes = (p?.rows ?? []).map((r) => rowsById.get(`${r.k}${r.id}`)).filter((n): n is TimelineEntry => !!n);
      const last = nodes[nodes.length - 1];
      out.set(customerId, { nodes, pageInfo: { hasNextPage: !!p?.more, endCursor: last ? encodeCursor(entryAt(last), last.id) : null } });
    }
    return out;
  }
}

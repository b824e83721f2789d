import { In, type DataSource, type EntityManager, type EntityTarget, type ObjectLiteral } from 'typeorm';
import { isRetryableTransactionError, isUniqueViolation } from './db-errors.js';
import { CUSTOMER_MERGES_TOPIC, RELAXED_LATENCY, type DomainEvent, type EventBus } from './events.js';
import { newId } from './ids.js';
import type { Logger } from './logger.js';
import type { Worker } from './subgraph-module.js';

/**
 * Rows of another subgraph that belong to a customer (conversations, tickets) follow the customers subgraph's
 * merges: on `customer.merged` the merged customer's rows are re-pointed at the survivor and remembered; on
 * `customer.unmerged` exactly the remembered rows go back (those still on the survivor), so a row created for
 * the survivor after the merge stays with it.
 *
 * Exactly once per merge, in any delivery order, on any number of replicas: a per-merge state row (unique by
 * merge id) is written in the same transaction as the moves. `merged` after `unmerged` (a late redelivery) finds
 * the state UNMERGED and does nothing; a redelivered `merged` finds MERGED and does nothing.
 */

/** A row owned by a customer, in the following subgraph. */
export interface CustomerOwnedRow extends ObjectLiteral {
  id: string;
  tenantId: string;
  customerId: string | null;
}

/** One row moved by one merge. */
export interface CustomerMoveRow extends ObjectLiteral {
  id: string;
  tenantId: string;
  mergeId: string;
  /** The moved row's id (a conversation id, a ticket id). */
  entityId: string;
  fromCustomerId: string;
  toCustomerId: string;
  createdAt: Date;
}

/** Where this subgraph stands with one merge. */
export interface CustomerMergeStateRow extends ObjectLiteral {
  mergeId: string;
  tenantId: string;
  /** MERGED | UNMERGED */
  state: string;
  updatedAt: Date;
}

export interface FollowerTables {
  owned: EntityTarget<CustomerOwnedRow>;
  moves: EntityTarget<CustomerMoveRow>;
  states: EntityTarget<CustomerMergeStateRow>;
  /**
   * Tables that copy the owner's customer_id (messages of a conversation, for the customer timeline): their
   * customer_id follows the moved rows. By table name, with the column naming the owner row (`conversation_id`);
   * a table not registered in this data source, or without these columns, is skipped.
   */
  copies?: Array<{ table: string; ownerColumn: string }>;
}

export type FollowOutcome = 'moved' | 'restored' | 'skipped' | 'ignored';

interface MergeEventData {
  mergeId: string;
  survivorId: string;
  mergedId: string;
}

const CHUNK = 500;
const MAX_ATTEMPTS = 8;

export class CustomerMergeFollower {
  constructor(private readonly ds: DataSource, private readonly tables: FollowerTables, private readonly log: Logger) {}

  async handle(event: DomainEvent): Promise<FollowOutcome> {
    if (event.type !== 'customer.merged' && event.type !== 'customer.unmerged') return 'ignored';
    const d = event.data as Partial<MergeEventData>;
    if (typeof d?.mergeId !== 'string' || typeof d.survivorId !== 'string' || typeof d.mergedId !== 'string' || typeof event.tenantId !== 'string') {
      this.log.warn({ eventId: event.id, type: event.type }, 'malformed customer merge event skipped');
      return 'ignored';
    }
    const data = d as MergeEventData;
    const outcome = await this.retrying(() =>
      this.ds.transaction((m) => (event.type === 'customer.merged' ? this.merged(m, event.tenantId, data) : this.unmerged(m, event.tenantId, data))),
    );
    this.log.info({ tenantId: event.tenantId, mergeId: data.mergeId, type: event.type, outcome }, 'customer merge followed');
    return outcome;
  }

  private async merged(m: EntityManager, tenantId: string, e: MergeEventData): Promise<FollowOutcome> {
    if (!(await this.claim(m, tenantId, e.mergeId, 'MERGED'))) return 'skipped';
    const rows = await m.find(this.tables.owned, { select: { id: true } as never, where: { tenantId, customerId: e.mergedId } as never, ...lock(m) });
    const now = new Date();
    for (let i = 0; i < rows.length; i += CHUNK) {
      const ids = rows.slice(i, i + CHUNK).map((r) => r.id);
      await m.insert(
        this.tables.moves,
        ids.map((entityId) => ({ id: newId(), tenantId, mergeId: e.mergeId, entityId, fromCustomerId: e.mergedId, toCustomerId: e.survivorId, createdAt: now })) as never,
      );
      await m.update(this.tables.owned, { tenantId, id: In(ids), customerId: e.mergedId } as never, { customerId: e.survivorId } as never);
      await this.moveCopies(m, tenantId, ids, e.mergedId, e.survivorId);
    }
    return 'moved';
  }

  private async unmerged(m: EntityManager, tenantId: string, e: MergeEventData): Promise<FollowOutcome> {
    // First news of this merge is its undoing: nothing was moved, and a late `merged` must not move anything.
    if (await this.claim(m, tenantId, e.mergeId, 'UNMERGED')) return 'skipped';
    const state = await m.findOne(this.tables.states, { where: { mergeId: e.mergeId } as never, ...lock(m) });
    if (!state || state.state !== 'MERGED') return 'skipped';
    const moves = await m.find(this.tables.moves, { where: { tenantId, mergeId: e.mergeId } as never });
    for (let i = 0; i < moves.length; i += CHUNK) {
      const chunk = moves.slice(i, i + CHUNK);
      // Only rows still with the survivor: a chain of merges is undone in reverse order by the customers subgraph.
      const ids = chunk.map((x) => x.entityId);
      await m.update(this.tables.owned, { tenantId, id: In(ids), customerId: e.survivorId } as never, { customerId: e.mergedId } as never);
      await this.moveCopies(m, tenantId, ids, e.survivorId, e.mergedId);
    }
    await m.update(this.tables.states, { mergeId: e.mergeId } as never, { state: 'UNMERGED', updatedAt: new Date() } as never);
    return 'restored';
  }

  private async moveCopies(m: EntityManager, tenantId: string, ownerIds: string[], from: string, to: string): Promise<void> {
    for (const { table, ownerColumn } of this.tables.copies ?? []) {
      const meta = this.ds.entityMetadatas.find((x) => x.tableName === table);
      if (!meta || !meta.findColumnWithDatabaseName('customer_id') || !meta.findColumnWithDatabaseName(ownerColumn)) continue;
      const q = (c: string) => m.connection.driver.escape(c);
      await m
        .createQueryBuilder()
        .update(meta.target)
        .set({ [meta.findColumnWithDatabaseName('customer_id')!.propertyName]: to })
        .where(`${q('tenant_id')} = :tenantId AND ${q(ownerColumn)} IN (:...ownerIds) AND ${q('customer_id')} = :from`, { tenantId, ownerIds, from })
        .execute();
    }
  }

  /** Inserts the merge's state row; false when there already is one (the other event came first, or a redelivery). */
  private async claim(m: EntityManager, tenantId: string, mergeId: string, state: string): Promise<boolean> {
    try {
      await m.insert(this.tables.states, { mergeId, tenantId, state, updatedAt: new Date() } as never);
      return true;
    } catch (e) {
      if (!isUniqueViolation(e)) throw e;
      return false;
    }
  }

  private async retrying<T>(fn: () => Promise<T>): Promise<T> {
    for (let attempt = 1; ; attempt++) {
      try {
        return await fn();
      } catch (e) {
        if (attempt >= MAX_ATTEMPTS || !isRetryableTransactionError(e)) throw e;
        await new Promise((r) => setTimeout(r, Math.random() * 10 * 2 ** attempt));
      }
    }
  }
}

/** SELECT … FOR UPDATE on MySQL/MariaDB (read the latest rows, not the snapshot); SQLite needs none. */
function lock(m: EntityManager): { lock?: { mode: 'pessimistic_write' } } {
  return m.connection.options.type === 'better-sqlite3' ? {} : { lock: { mode: 'pessimistic_write' } };
}

/** Consumes the bus with the subgraph's own consumer group; a handler that throws leaves the event to be retried. */
export async function startCustomerMergeFollower(events: EventBus, group: string, follower: CustomerMergeFollower): Promise<Worker> {
  return events.consume(group, async (event) => {
    await follower.handle(event);
  }, { ...RELAXED_LATENCY, topic: CUSTOMER_MERGES_TOPIC });
}

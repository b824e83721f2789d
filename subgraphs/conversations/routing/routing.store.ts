import type { Pool, PoolConnection, PoolOptions } from 'mysql2';
import { In, type DataSource, type EntityManager, type Repository } from 'typeorm';
import { isRetryableTransactionError, isUniqueViolation } from '../../_shared/db-errors.js';
import { newId } from '../../_shared/ids.js';
import { AgentEntity, AgentGroupMemberEntity } from '../agent/agent.entity.js';
import { ConversationEntity } from '../conversation/conversation.entity.js';
import {
  AgentLoadEntity, AgentRoutingProfileEntity, EntryState, HOLDING_STATES, OfferStatus, RoutingEntryEntity, RoutingOfferEntity,
  type ChannelClass,
} from './routing.entity.js';
import { ReadBatcher } from './routing.batcher.js';
import { LoadCache } from './routing.load-cache.js';

/** The entry changed under us (another replica, another request): re-read and decide again. */
export class StaleEntry extends Error {
  constructor() {
    super('routing entry changed concurrently');
  }
}

/** The agent had no room left when the claim ran. */
export class AgentFull extends Error {
  constructor(readonly agentId: string) {
    super(`agent ${agentId} is at capacity`);
  }
}

export interface ConversationWithEntry {
  conversation: ConversationEntity;
  entry: RoutingEntryEntity | null;
}

export type EntryPatch = Partial<Omit<RoutingEntryEntity, 'id' | 'tenantId' | 'conversationId' | 'version'>>;

/** What a claim found: taken, the entry moved on, or the agent had no room; with the agent's counters after it. */
export interface ClaimResult {
  status: 'ok' | 'stale' | 'full';
  version: number | null;
  load: { active: number; capacity: number } | null;
}

/** A replica trusts its copy of an agent's load this long (see LoadCache). */
export const LOADS_TTL_MS = 500;
/** Connections of routing's own MySQL pool (see RoutingStore.lane). */
const LANE_CONNECTIONS = 6;
/** Claims per transaction, and such transactions on their way at once, per replica (see claimWithOffer). */
const CLAIM_BATCH = 16;
const CLAIM_BATCHES_IN_FLIGHT = 2;

interface PendingClaim {
  sql: string;
  values: unknown[];
  agentId: string;
  version: number;
  resolve: (r: ClaimResult) => void;
  reject: (err: unknown) => void;
}

export interface RosterAgent {
  id: string;
  maxChats: number;
  groupIds: string[];
  skills: string[];
}

/**
 * Routing's rows and its atomic steps. Every change of an entry is `UPDATE … WHERE id = ? AND version = ?`, and
 * every unit of load moves in the same transaction with `active < capacity` on the way up; together they keep
 * "no conversation held twice, no agent over capacity" true with any number of replicas.
 *
 * Who holds a unit for an entry: its agent while OFFERED or ASSIGNED, and its `reassignFrom` agent (who keeps
 * the conversation during a transfer to a group or a no-reply replacement) while WAITING or OFFERED.
 */
export class RoutingStore {
  readonly entries: Repository<RoutingEntryEntity>;
  readonly offers: Repository<RoutingOfferEntity>;
  readonly loads: Repository<AgentLoadEntity>;
  readonly profiles: Repository<AgentRoutingProfileEntity>;
  readonly loadCache: LoadCache;
  private lanePool: Promise<Pool> | null = null;
  private closed = false;

  constructor(
    readonly ds: DataSource,
    opts: { loadsTtlMs?: number; clock?: () => number } = {},
  ) {
    this.entries = ds.getRepository(RoutingEntryEntity);
    this.offers = ds.getRepository(RoutingOfferEntity);
    this.loads = ds.getRepository(AgentLoadEntity);
    this.profiles = ds.getRepository(AgentRoutingProfileEntity);
    this.loadCache = new LoadCache(opts.loadsTtlMs ?? LOADS_TTL_MS, opts.clock);
  }

  /**
   * MySQL/MariaDB: routing's own small pool for its hot statements, opened on first use with the DataSource's
   * connection options plus multi-statement batches. Two reasons: the claim's whole transaction (conditional
   * update, offer row, read-back, commit) goes in ONE round trip, and the callback API skips the ORM's per-query
   * work (query runner, events, stack capture), which cost more CPU than the statements did. Only the fixed,
   * `?`-parameterised statements of this file run on it.
   */
  private lane(): Promise<Pool> {
    if (this.closed) return Promise.reject(new Error('routing store closed'));
    if (!this.lanePool) {
      const driver = this.ds.driver as unknown as { mysql: { createPool(o: PoolOptions): Pool }; options: unknown; createConnectionOptions(o: unknown, c: unknown): PoolOptions | Promise<PoolOptions> };
      this.lanePool = Promise.resolve(driver.createConnectionOptions(driver.options, driver.options)).then((o) => {
        const pool = driver.mysql.createPool({ ...o, multipleStatements: true, connectionLimit: LANE_CONNECTIONS, maxIdle: 2 });
        pool.on('connection', (c) => c.on('error', () => undefined)); // a broken connection fails its query, not the process
        return pool;
      });
    }
    return this.lanePool;
  }

  /** One statement (or batch) on the lane; plain ds.query elsewhere (SQLite). */
  private async run<T = any>(sql: string, params: unknown[]): Promise<T> {
    if (!this.singleStatementClaims) return (await this.ds.query(sql, params)) as T;
    const pool = await this.lane();
    return new Promise<T>((resolve, reject) => pool.query(sql, params, (err, rows) => (err ? reject(err) : resolve(rows as T))));
  }

  /** Closes the lane (the composition's close). */
  async close(): Promise<void> {
    this.closed = true;
    const p = this.lanePool;
    this.lanePool = null;
    if (p) await p.then((pool) => new Promise<void>((r) => pool.end(() => r()))).catch(() => undefined);
  }

  /** A transaction, run again when it lost a lock race (deadlock, lock wait timeout, SQLite busy). */
  async tx<T>(work: (m: EntityManager) => Promise<T>): Promise<T> {
    for (let attempt = 1; ; attempt++) {
      try {
        return await this.ds.transaction(work);
      } catch (e) {
        if (attempt >= 6 || !isRetryableTransactionError(e)) throw e;
        await new Promise((r) => setTimeout(r, Math.random() * 5 * attempt));
      }
    }
  }

  /**
   * The conversation and its routing entry in one round trip (the arrival path runs it for every conversation),
   * batched with the other arrivals of the moment (ReadBatcher). Hot-path reads are plain SQL hydrated through
   * the entities' metadata: the query builder cost more CPU than the database did.
   */
  async conversationWithEntry(tenantId: string, conversationId: string): Promise<ConversationWithEntry | null> {
    const v = await this.arrivals.load(tenantId, conversationId);
    // Two asks for the same conversation share a read, not the objects.
    return v && { conversation: Object.assign(new ConversationEntity(), v.conversation), entry: v.entry && Object.assign(new RoutingEntryEntity(), v.entry) };
  }

  private readonly arrivals = new ReadBatcher<ConversationWithEntry>(async (tenantId, ids) => {
    const c = this.columns(ConversationEntity, 'c');
    const e = this.columns(RoutingEntryEntity, 'e');
    const rows = await this.run<Array<Record<string, unknown>>>(
      `SELECT ${c.select}, ${e.select} FROM conversations c LEFT JOIN routing_entries e ON e.conversation_id = c.id AND e.tenant_id = c.tenant_id
        WHERE c.tenant_id = ? AND c.id IN (${ids.map(() => '?').join(', ')})`,
      [tenantId, ...ids],
    );
    return new Map(rows.map((r) => [r.c_id as string, { conversation: c.hydrate(r), entry: r.e_id ? e.hydrate(r) : null }]));
  });

  private readonly columnSets = new Map<string, { select: string; hydrate: (row: Record<string, unknown>) => any }>();

  /** `alias.col AS alias_col, …` for an entity, and the matching hydration through the driver. */
  private columns<T>(target: new () => T, alias: string): { select: string; hydrate: (row: Record<string, unknown>) => T } {
    const key = `${target.name}:${alias}`;
    let set = this.columnSets.get(key);
    if (!set) {
      const meta = this.ds.getMetadata(target);
      const driver = this.ds.driver;
      const cols = meta.columns.map((col) => ({ col, as: `${alias}_${col.databaseName}` }));
      set = {
        select: cols.map(({ col, as }) => `${alias}.${col.databaseName} AS ${as}`).join(', '),
        hydrate: (row) => {
          const out = new target() as Record<string, unknown>;
          for (const { col, as } of cols) out[col.propertyName] = driver.prepareHydratedValue(row[as], col);
          return out;
        },
      };
      this.columnSets.set(key, set);
    }
    return set as { select: string; hydrate: (row: Record<string, unknown>) => T };
  }

  entry(tenantId: string, conversationId: string): Promise<RoutingEntryEntity | null> {
    return this.entries.findOneBy({ tenantId, conversationId });
  }

  async entriesOf(tenantId: string, conversationIds: readonly string[]): Promise<RoutingEntryEntity[]> {
    if (!conversationIds.length) return [];
    return this.entries.findBy({ tenantId, conversationId: In([...conversationIds]) });
  }

  /** Inserts the entry, or returns the one a concurrent request inserted first. */
  async createEntry(e: RoutingEntryEntity): Promise<RoutingEntryEntity> {
    try {
      await this.entries.insert(e);
      return e;
    } catch (err) {
      if (!isUniqueViolation(err)) throw err;
      const existing = await this.entry(e.tenantId, e.conversationId);
      if (!existing) throw err;
      return existing;
    }
  }

  /** The conditional step: applies `patch` only if nobody changed the entry since it was read. */
  async updateEntry(m: EntityManager, e: RoutingEntryEntity, patch: EntryPatch, now: Date): Promise<RoutingEntryEntity> {
    const r = await m
      .createQueryBuilder()
      .update(RoutingEntryEntity)
      .set({ ...patch, updatedAt: now, version: () => 'version + 1' })
      .where('id = :id AND version = :version', { id: e.id, version: e.version })
      .execute();
    if (!r.affected) throw new StaleEntry();
    return Object.assign(new RoutingEntryEntity(), e, patch, { updatedAt: now, version: e.version + 1 });
  }

  /** MySQL/MariaDB: the claim as one round trip (see claimWithOffer); SQLite runs it as a transaction of steps. */
  get singleStatementClaims(): boolean {
    return this.ds.options.type === 'mysql' || this.ds.options.type === 'mariadb';
  }

  /**
   * The atomic claim with its offer row (MySQL/MariaDB). Per claim, a single multi-table UPDATE moves the entry
   * out of WAITING (same version) and gives the agent's load a unit (room left) together, or changes nothing;
   * the offer row is inserted only if it did (ROW_COUNT() of the UPDATE); whether it was (ROW_COUNT() of the
   * INSERT), the entry's version and the agent's counters are read back (why it failed, and the load for the
   * replica's LoadCache). Claims made at the same moment on this replica share one transaction and one round trip
   * (runClaims); each keeps its own conditions, so one that fails changes nothing and does not stop the others.
   */
  claimWithOffer(e: RoutingEntryEntity, agentId: string, cls: ChannelClass, patch: EntryPatch, now: Date, offer: RoutingOfferEntity): Promise<ClaimResult> {
    const meta = this.entries.metadata;
    const driver = this.ds.driver;
    const sets: string[] = [];
    const params: unknown[] = [];
    for (const [prop, value] of Object.entries({ ...patch, updatedAt: now })) {
      const col = meta.findColumnWithPropertyName(prop);
      if (!col || value === undefined) continue;
      sets.push(`e.\`${col.databaseName}\` = ?`);
      params.push(driver.preparePersistentValue(value, col));
    }
    const offerCols = this.offers.metadata.columns;
    const sql = `UPDATE routing_entries e JOIN routing_agent_loads l ON l.tenant_id = e.tenant_id AND l.agent_id = ? AND l.channel_class = ?
  SET ${sets.join(', ')}, e.version = e.version + 1, l.active = l.active + 1, l.last_assigned_at = ?
  WHERE e.id = ? AND e.tenant_id = ? AND e.version = ? AND e.state = 'WAITING' AND l.active < l.capacity;
INSERT INTO routing_offers (${offerCols.map((c) => c.databaseName).join(', ')}) SELECT ${offerCols.map(() => '?').join(', ')} FROM DUAL WHERE ROW_COUNT() > 0;
SELECT ROW_COUNT() AS claimed, e.version AS version, e.state AS state, l.active AS active, l.capacity AS capacity
  FROM routing_entries e LEFT JOIN routing_agent_loads l ON l.tenant_id = e.tenant_id AND l.agent_id = ? AND l.channel_class = ? WHERE e.id = ?;`;
    const values = [
      agentId, cls, ...params, now, e.id, e.tenantId, e.version,
      ...offerCols.map((c) => driver.preparePersistentValue((offer as unknown as Record<string, unknown>)[c.propertyName] ?? null, c)),
      agentId, cls, e.id,
    ];
    return new Promise<ClaimResult>((resolve, reject) => {
      this.claimQueue.push({ sql, values, agentId, version: e.version, resolve, reject });
      if (!this.claimPumpScheduled) {
        this.claimPumpScheduled = true;
        process.nextTick(() => {
          this.claimPumpScheduled = false;
          this.pumpClaims();
        });
      }
    });
  }

  private readonly claimQueue: PendingClaim[] = [];
  private claimPumpScheduled = false;
  private claimsInFlight = 0;

  /** Sends what queued up, as batches of at most CLAIM_BATCH claims, while fewer than CLAIM_BATCHES_IN_FLIGHT are out. */
  private pumpClaims(): void {
    while (this.claimsInFlight < CLAIM_BATCHES_IN_FLIGHT && this.claimQueue.length) {
      const batch = this.claimQueue.splice(0, CLAIM_BATCH);
      this.claimsInFlight++;
      void this.runClaims(batch).finally(() => {
        this.claimsInFlight--;
        this.pumpClaims();
      });
    }
  }

  /**
   * One transaction for the batch, in one round trip: in agent id order (two replicas' batches take the agents'
   * rows in the same order); a lock race runs the batch again; any other failure runs its claims one by one, so a
   * bad claim fails alone.
   */
  private async runClaims(batch: PendingClaim[]): Promise<void> {
    batch.sort((a, b) => (a.agentId < b.agentId ? -1 : a.agentId > b.agentId ? 1 : 0));
    let results: unknown[];
    try {
      results = await this.transactionBatch(`START TRANSACTION;\n${batch.map((c) => c.sql).join('\n')}\nCOMMIT`, batch.flatMap((c) => c.values));
    } catch (err) {
      // Known to be rolled back: run them one by one. Otherwise (the connection broke) the outcome is unknown and
      // every claim fails as it is; the event is handled again and the entry says what happened.
      if (batch.length === 1 || !(err as { rolledBack?: boolean }).rolledBack) {
        for (const c of batch) c.reject(err);
        return;
      }
      for (const c of batch) await this.runClaims([c]);
      return;
    }
    batch.forEach((c, i) => {
      const row = (results[1 + 3 * i + 2] as Array<Record<string, unknown>>)[0];
      const load = row && row.active !== null && row.active !== undefined ? { active: Number(row.active), capacity: Number(row.capacity) } : null;
      const version = row ? Number(row.version) : null;
      if (Number(row?.claimed ?? 0) > 0) c.resolve({ status: 'ok', version, load });
      else c.resolve({ status: !row || version !== c.version || row.state !== EntryState.WAITING ? 'stale' : 'full', version, load });
    });
  }

  /** A `START TRANSACTION; …; COMMIT` batch on one lane connection, rolled back there when a statement fails; lock races run again. */
  private async transactionBatch(sql: string, values: unknown[]): Promise<unknown[]> {
    const pool = await this.lane();
    for (let attempt = 1; ; attempt++) {
      const conn = await new Promise<PoolConnection>((resolve, reject) => pool.getConnection((err, c) => (err ? reject(err) : resolve(c))));
      try {
        const r = await new Promise<unknown[]>((resolve, reject) => conn.query(sql, values, (err, rows) => (err ? reject(err) : resolve(rows as unknown[]))));
        conn.release();
        return r;
      } catch (err) {
        // The batch stopped at the failing statement, maybe inside the transaction: end it before reuse.
        const clean = await new Promise<boolean>((resolve) => conn.query('ROLLBACK', (e) => resolve(!e)));
        if (clean) conn.release();
        else conn.destroy();
        if (!clean || attempt >= 6 || !isRetryableTransactionError(err)) throw Object.assign(err as object, { rolledBack: clean });
      }
      await new Promise((r) => setTimeout(r, Math.random() * 5 * attempt));
    }
  }

  /** One more unit of the agent's load: only below capacity, unless `force` (an assignment made by a human). */
  async takeUnit(m: EntityManager, tenantId: string, agentId: string, cls: ChannelClass, now: Date, force = false): Promise<boolean> {
    const qb = m
      .createQueryBuilder()
      .update(AgentLoadEntity)
      .set({ active: () => 'active + 1', lastAssignedAt: now })
      .where('tenant_id = :tenantId AND agent_id = :agentId AND channel_class = :cls', { tenantId, agentId, cls });
    if (!force) qb.andWhere('active < capacity');
    const r = await qb.execute();
    return !!r.affected;
  }

  async giveUnit(m: EntityManager, tenantId: string, agentId: string, cls: ChannelClass, now: Date): Promise<void> {
    await m
      .createQueryBuilder()
      .update(AgentLoadEntity)
      .set({ active: () => 'active - 1', lastReleasedAt: now })
      .where('tenant_id = :tenantId AND agent_id = :agentId AND channel_class = :cls AND active > 0', { tenantId, agentId, cls })
      .execute();
  }

  /**
   * Moves units between agents in one transaction, in agent id order (two opposite moves cannot deadlock): one
   * taken (conditional on room unless `force`) and any given back. An agent on both sides keeps their unit.
   */
  async moveUnits(m: EntityManager, tenantId: string, cls: ChannelClass, now: Date, take: string | null, give: Array<string | null | undefined>, force = false): Promise<void> {
    const gives = give.filter((g): g is string => !!g);
    // Even if the transaction rolls back: a re-read costs less than a wrong copy.
    this.loadCache.forget(tenantId, [take, ...gives]);
    let taker = take;
    const same = taker ? gives.indexOf(taker) : -1;
    if (same >= 0) {
      gives.splice(same, 1);
      taker = null;
    }
    const ops = [...(taker ? [{ id: taker, take: true }] : []), ...gives.map((id) => ({ id, take: false }))].sort((a, b) => a.id.localeCompare(b.id));
    for (const op of ops) {
      if (!op.take) await this.giveUnit(m, tenantId, op.id, cls, now);
      else if (!(await this.takeUnit(m, tenantId, op.id, cls, now, force))) throw new AgentFull(op.id);
    }
  }

  async insertOffer(m: EntityManager, o: Omit<RoutingOfferEntity, 'respondedAt' | 'endedAt' | 'reason'> & Partial<RoutingOfferEntity>): Promise<RoutingOfferEntity> {
    const row = Object.assign(new RoutingOfferEntity(), { respondedAt: null, endedAt: null, reason: null, ...o });
    await m.insert(RoutingOfferEntity, row);
    return row;
  }

  /** Moves an offer from one of `from` to `to`; false when it was not in `from` any more. */
  async setOffer(m: EntityManager, id: string, from: OfferStatus[], to: OfferStatus, now: Date, reason: string | null): Promise<boolean> {
    const patch: Partial<RoutingOfferEntity> = { status: to, reason };
    if (to === OfferStatus.ACCEPTED || to === OfferStatus.DECLINED) patch.respondedAt = now;
    else patch.endedAt = now;
    const r = await m.createQueryBuilder().update(RoutingOfferEntity).set(patch).where('id = :id', { id }).andWhere({ status: In(from) }).execute();
    return !!r.affected;
  }

  offer(tenantId: string, id: string): Promise<RoutingOfferEntity | null> {
    return this.offers.findOneBy({ tenantId, id });
  }

  async offersByIds(tenantId: string, ids: readonly string[]): Promise<RoutingOfferEntity[]> {
    if (!ids.length) return [];
    return this.offers.findBy({ tenantId, id: In([...ids]) });
  }

  /** The agent's open offers and current assignments, newest first. */
  openOffersOf(tenantId: string, agentId: string): Promise<RoutingOfferEntity[]> {
    return this.offers.find({ where: { tenantId, agentId, status: In([OfferStatus.OFFERED, OfferStatus.ACCEPTED]) }, order: { createdAt: 'DESC', id: 'DESC' }, take: 200 });
  }

  /** Waiting entries of one group (null: the tenant-wide pool), in queue order. */
  waiting(tenantId: string, groupId: string | null, limit: number): Promise<RoutingEntryEntity[]> {
    const qb = this.entries.createQueryBuilder('e').where('e.tenant_id = :tenantId AND e.state = :state', { tenantId, state: EntryState.WAITING });
    if (groupId) qb.andWhere('e.group_id = :groupId', { groupId });
    else qb.andWhere('e.group_id IS NULL');
    return qb.orderBy('e.priority', 'DESC').addOrderBy('e.enqueued_at', 'ASC').addOrderBy('e.id', 'ASC').take(limit).getMany();
  }

  /** How many wait in the same queue ahead of the given priority and arrival. */
  async countAhead(tenantId: string, groupId: string | null, priority: number, enqueuedAt: Date, id: string): Promise<number> {
    const qb = this.entries
      .createQueryBuilder('e')
      .where('e.tenant_id = :tenantId AND e.state = :state', { tenantId, state: EntryState.WAITING })
      .andWhere('e.id <> :id', { id })
      .andWhere('(e.priority > :p OR (e.priority = :p AND (e.enqueued_at < :at OR (e.enqueued_at = :at AND e.id < :id))))', { p: priority, at: enqueuedAt });
    if (groupId) qb.andWhere('e.group_id = :groupId', { groupId });
    else qb.andWhere('e.group_id IS NULL');
    return qb.getCount();
  }

  /** Held (offered or assigned) conversations per channel type in a group: the current channel shares. */
  async heldByChannel(tenantId: string, groupId: string | null): Promise<Map<string, number>> {
    const qb = this.entries
      .createQueryBuilder('e')
      .select('e.channel_type', 'channelType')
      .addSelect('COUNT(*)', 'n')
      .where('e.tenant_id = :tenantId', { tenantId })
      .andWhere({ state: In([...HOLDING_STATES]) });
    if (groupId) qb.andWhere('e.group_id = :groupId', { groupId });
    else qb.andWhere('e.group_id IS NULL');
    const rows = await qb.groupBy('e.channel_type').getRawMany<{ channelType: string; n: string | number }>();
    return new Map(rows.map((r) => [r.channelType, Number(r.n)]));
  }

  /** Agents, their groups and skills: what routing needs to know about the tenant's people. */
  async roster(tenantId: string): Promise<RosterAgent[]> {
    const [agents, members, profiles] = await Promise.all([
      this.ds.getRepository(AgentEntity).find({ where: { tenantId }, select: { id: true, maxChats: true } }),
      this.ds.getRepository(AgentGroupMemberEntity).find({ where: { tenantId }, select: { agentId: true, groupId: true } }),
      this.profiles.find({ where: { tenantId }, select: { agentId: true, skills: true } }),
    ]);
    const groups = new Map<string, string[]>();
    for (const m of members) {
      const g = groups.get(m.agentId);
      if (g) g.push(m.groupId);
      else groups.set(m.agentId, [m.groupId]);
    }
    const skills = new Map(profiles.map((p) => [p.agentId, p.skills ?? []]));
    return agents.map((a) => ({ id: a.id, maxChats: a.maxChats, groupIds: groups.get(a.id) ?? [], skills: skills.get(a.id) ?? [] }));
  }

  /** loadsOf for the routing path: the agents asked for by concurrent routing steps are read together. */
  async loadsBatched(tenantId: string, agentIds: readonly string[]): Promise<AgentLoadEntity[]> {
    const rows = await Promise.all(agentIds.map((id) => this.loadReads.load(tenantId, id)));
    return rows.flatMap((r) => r ?? []);
  }

  private readonly loadReads = new ReadBatcher<AgentLoadEntity[]>(async (tenantId, ids) => {
    const by = new Map<string, AgentLoadEntity[]>();
    for (const l of await this.loadsOf(tenantId, ids)) {
      const list = by.get(l.agentId);
      if (list) list.push(l);
      else by.set(l.agentId, [l]);
    }
    return by;
  }, 2, 500);

  async loadsOf(tenantId: string, agentIds: readonly string[]): Promise<AgentLoadEntity[]> {
    if (!agentIds.length) return [];
    const l = this.columns(AgentLoadEntity, 'l');
    const rows: AgentLoadEntity[] = [];
    // IN lists stay short enough for every driver.
    for (let i = 0; i < agentIds.length; i += 500) {
      const ids = agentIds.slice(i, i + 500);
      const raw = await this.run<Array<Record<string, unknown>>>(`SELECT ${l.select} FROM routing_agent_loads l WHERE l.tenant_id = ? AND l.agent_id IN (${ids.map(() => '?').join(', ')})`, [tenantId, ...ids]);
      rows.push(...raw.map(l.hydrate));
    }
    return rows;
  }

  /** Creates the missing load rows (chat: the agent's maxChats, call: 1); replicas racing on it are fine. */
  async ensureLoads(tenantId: string, agents: ReadonlyArray<{ id: string; maxChats: number }>, existing: readonly AgentLoadEntity[]): Promise<AgentLoadEntity[]> {
    const have = new Set(existing.map((l) => `${l.agentId}/${l.channelClass}`));
    const missing: AgentLoadEntity[] = [];
    for (const a of agents) {
      for (const cls of ['chat', 'call'] as const) {
        if (have.has(`${a.id}/${cls}`)) continue;
        missing.push(Object.assign(new AgentLoadEntity(), { id: newId(), tenantId, agentId: a.id, channelClass: cls, capacity: cls === 'chat' ? a.maxChats : 1, active: 0, lastAssignedAt: null, lastReleasedAt: null }));
      }
    }
    for (const row of missing) {
      try {
        await this.loads.insert(row);
      } catch (e) {
        if (!isUniqueViolation(e)) throw e;
      }
    }
    return missing.length ? this.loadsOf(tenantId, [...new Set(missing.map((l) => l.agentId))]) : [];
  }
}

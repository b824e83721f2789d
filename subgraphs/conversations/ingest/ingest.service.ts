import { isUtf8 } from 'node:buffer';
import { createHash } from 'node:crypto';
import Denque from 'denque';
import { In, type DataSource, type FindOptionsSelect, type Repository } from 'typeorm';
import { backoffDelay, ChannelDisabledError, PluginCrashError, type BoundChannel } from '../../../plugins/host/index.js';
import type { FailedItem, ImmediateResponse, InboundEvent, InboundRequest, MessageContent } from '../../../plugins/sdk/index.js';
import { contentToText, isChannelError, storedItemRequest } from '../../../plugins/sdk/index.js';
import { isUniqueViolation } from '../../_shared/db-errors.js';
import { DomainError } from '../../_shared/errors.js';
import type { EventBus } from '../../_shared/events.js';
import { newId, orderedStableId } from '../../_shared/ids.js';
import type { Logger } from '../../_shared/logger.js';
import type { ChannelEntity } from '../channel/channel.entity.js';
import type { ChannelService } from '../channel/channel.service.js';
import { ConversationStatus } from '../conversation/conversation.entity.js';
import type { ConversationService } from '../conversation/conversation.service.js';
import type { DeliveryService } from '../delivery/delivery.service.js';
import { MEDIA_KINDS, MessageSenderType, type Attachment } from '../message/message.entity.js';
import type { MessageService } from '../message/message.service.js';
import type { ChannelBindings } from './channel-bindings.js';
import type { IdentityResolver } from './identity.client.js';
import { DEFAULT_ACK_TARGET_MS, DEFAULT_BATCH_WAIT_MS, DEFAULT_GROUP_COMMIT_MS, type IngestConfig } from './ingest.config.js';
import { InboundPayloadEntity, InboundPayloadStatus as P, type StoredRequest } from './payload.entity.js';
import type { BacklogTotals, ChannelMetrics, LocalIngestState } from './channel.metrics.js';
import { LOCK_MS, PayloadClaims, SWEEP_GRACE_MS } from './payload.claims.js';
import { PayloadWriter } from './payload.writer.js';
import type { AckPressure } from './ack-pressure.js';
import { ProcessingPace } from './processing.pace.js';
import { ReceiveBatcher } from './receive.batcher.js';
import type { TypingRelay } from './typing.relay.js';

/** Stored payloads handed to processing replicas (INGEST_ROLE=receive): the event type and their consumer group. */
export const INBOUND_STORED = 'inbound.stored';
export const INGEST_PROCESSORS_GROUP = 'conversations-ingest-processors';
/** Hand-offs travel on their own stream: only the processors' group reads them, not every domain-event group. */
export const INGEST_TOPIC = 'ingest';
/** The acknowledging side's window for telling processing replicas that acknowledgements are slow (AckPressure). */
const ACK_WINDOW_MS = 100;
/** Payload ids per inbound.stored event. */
const HANDOFF_BATCH = 100;
/**
 * A hand-off waits this long to share its event with the next acknowledgements: under load one XADD (a socket
 * write on the ack path) then carries tens of ids instead of one group commit's few, for 5 ms of latency.
 */
const HANDOFF_WAIT_MS = 5;
const MAX_RETRY_DELAY_MS = 5 * 60_000;
/** Stored rows kept in memory for their processing here (~5 KB each as objects): beyond it, they are read back. */
const KEPT_ROWS_MAX = 10_000;

/**
 * The message id an inbound event becomes: derived from channel + dedupe key and the time the platform gives the
 * message, so a reprocessed event finds its message, and messages append to the table's index in time order.
 * Platforms repeat their own timestamp on every redelivery; where one gives none, the plugin's fallback is the
 * stored payload's receive time, which a redelivery does not change (the payload is stored once).
 */
export const inboundMessageId = (channelId: string, dedupeKey: string, sentAt: Date) => orderedStableId(sentAt, `inbound:${channelId}:${dedupeKey}`);

export function storedRequest(r: InboundRequest): StoredRequest {
  const body = isUtf8(r.rawBody) ? { body: r.rawBody.toString('utf8') } : { bodyBase64: r.rawBody.toString('base64') };
  return { method: r.method, path: r.path, query: r.query, headers: r.headers, ...body, receivedAt: r.receivedAt.toISOString() };
}

export function inboundRequest(s: StoredRequest): InboundRequest {
  return { method: s.method, path: s.path, query: s.query, headers: s.headers, rawBody: s.body !== undefined ? Buffer.from(s.body, 'utf8') : Buffer.from(s.bodyBase64 ?? '', 'base64'), receivedAt: new Date(s.receivedAt) };
}

function reviveEvent(e: Record<string, unknown>): InboundEvent {
  return { ...(e as unknown as InboundEvent), sentAt: new Date(e.sentAt as string), receivedAt: new Date(e.receivedAt as string) };
}

/** The app id that scopes the sender's id (WeChat AppID, WeCom corp id, Douyin client key, Taobao app key). */
function appIdOf(config: Record<string, unknown> | null): string | undefined {
  for (const k of ['appId', 'corpId', 'clientKey', 'appKey']) if (typeof config?.[k] === 'string' && config[k]) return (config[k] as string).slice(0, 64);
  return undefined;
}


/** The unified content as a message row: kind, text (a readable rendering), kind-specific payload, media as attachments. */
export function messageFields(c: MessageContent): { kind: string; text: string; attachments: Attachment[] | null; content: Record<string, unknown> } {
  const { kind, ...rest } = c as MessageContent & Record<string, unknown>;
  let attachments: Attachment[] | null = null;
  if (MEDIA_KINDS.includes(kind)) {
    const m = c as { url?: string; mediaId?: string; name?: string; size?: number; mimeType?: string };
    const ref = m.url ?? m.mediaId;
    if (ref) attachments = [{ kind, mediaRef: ref.slice(0, 1000), name: m.name ?? null, size: m.size ?? null, mime: m.mimeType ?? null }];
  }
  // Media without a caption keep an empty text (the attachment says it all), like messages sent with files.
  const text = MEDIA_KINDS.includes(kind) && attachments && !(rest as { caption?: string; recognition?: string }).caption && !(rest as { recognition?: string }).recognition ? '' : contentToText(c);
  return { kind, text, attachments, content: rest };
}

const describe = (e: unknown) => (e instanceof Error ? e.message : String(e)).split('\n')[0].slice(0, 1000);

/**
 * Inbound messages from channel webhooks: verified and stored (deduplicated) before the webhook answers, then
 * processed asynchronously into conversations. A payload that fails is kept with its error and retried with
 * backoff; a sweeper finds payloads that were stored but never processed (a crash after acknowledging).
 */
export class IngestService {
  private readonly repo: Repository<InboundPayloadEntity>;
  private readonly processingColumns: FindOptionsSelect<InboundPayloadEntity>;
  private readonly writer: PayloadWriter;
  private readonly claims: PayloadClaims;
  private readonly receiver: ReceiveBatcher;
  /**
   * Payload ids waiting here, oldest first. A deque: when processing is behind, tens of thousands wait, and taking
   * a batch off the front of such an array (splice) copied all of them, batch after batch: in a CPU profile of a
   * processor 3.2 s of 77 s were on that one line, and its share of the process fell from 8.2 % to 1.6 % with this.
   */
  private readonly queue = new Denque<string>();
  private readonly queued = new Set<string>();
  /** Batches being claimed or processed. */
  private active = 0;
  private readonly handOffs = new Map<string, string[]>();
  /** Per sender: one event at a time, so two messages of a new customer do not open two conversations. */
  private readonly senderChains = new Map<string, Promise<unknown>>();
  /**
   * Rows are stored already claimed by the replica that acknowledged them (PROCESSING under this token). Role
   * `all` processes them without a claim UPDATE while the lock (LOCK_MS) holds; role `receive` holds them for the
   * hand-off (SWEEP_GRACE_MS), and the processor that gets the hand-off takes them over in place. A claim that
   * made the ~3 KB row longer (PENDING → PROCESSING, a lock and a token where there were NULLs) made InnoDB
   * rebuild the row's page: ~11 KB of redo log per message, most of the ingest's redo. A crash leaves the rows
   * to the sweeper once the lock runs out, as with any claim.
   */
  private readonly ownClaim: string | null;
  private readonly processesHere: boolean;
  /** Rows this replica stored claimed and processes itself, until processed: when they were stored. */
  private readonly born = new Map<string, number>();
  /**
   * Of those, the rows as processing reads them (no request), when the INSERT said they were inserted: processing
   * takes them from here instead of reading them back (a round trip, ~1.5 KB of JSON per row to receive and
   * hydrate). Bounded: past KEPT_ROWS_MAX queued rows, the rest are read back as before.
   */
  private readonly kept = new Map<string, InboundPayloadEntity>();
  /** Rows handed over by a receiving replica: the token they are held under until claimed here. */
  private readonly held = new Map<string, string>();
  private stopped = false;
  private readonly idle = new Set<() => void>();
  /** Batch size and pauses, set by how this replica's acknowledgements fare (role `all`). */
  private readonly pace: ProcessingPace;
  private readonly ackTargetMs: number;
  /** This process's acknowledgements in the current window, when it tells others (role `receive`). */
  private readonly ackWindow = { start: 0, acks: 0, slow: 0 };
  private pauseTimer: NodeJS.Timeout | undefined;
  /** Pumps once the queue's wait for a running batch is up (batchWaitMs). */
  private waitTimer: NodeJS.Timeout | undefined;
  /** When the oldest payload in the queue came (about). */
  private waitingSince = 0;
  private readonly batchWaitMs: number;

  constructor(
    private readonly ds: DataSource,
    private readonly channels: ChannelService,
    private readonly bindings: ChannelBindings,
    private readonly conversations: ConversationService,
    private readonly messages: MessageService,
    private readonly identities: IdentityResolver,
    private readonly events: EventBus,
    private readonly log: Logger,
    readonly config: IngestConfig,
    private readonly metrics: ChannelMetrics,
    /** Remembers a live client's conversation, for its typing (widget, app). */
    private readonly typing?: Pick<TypingRelay, 'remember'>,
    /** Read receipts mark our sent messages read; a platform's failure report fails them (DeliveryService). */
    private readonly receipts?: Pick<DeliveryService, 'markRead' | 'markSendFailed'>,
    /** Acknowledgements first across processes (distributed): signalled here in role `receive`, heeded in role `all`. */
    private readonly pressure?: AckPressure,
  ) {
    this.repo = ds.getRepository(InboundPayloadEntity);
    this.processingColumns = Object.fromEntries(this.repo.metadata.columns.map((c) => [c.propertyName, c.propertyName !== 'request'])) as FindOptionsSelect<InboundPayloadEntity>;
    this.writer = new PayloadWriter(ds, config.groupCommitMs ?? DEFAULT_GROUP_COMMIT_MS, { log });
    this.claims = new PayloadClaims(ds);
    this.receiver = new ReceiveBatcher(conversations);
    this.processesHere = (config.role ?? 'all') === 'all';
    this.ackTargetMs = config.ackTargetMs ?? DEFAULT_ACK_TARGET_MS;
    this.pace = new ProcessingPace({ maxBatch: config.concurrency, ackTargetMs: this.ackTargetMs, external: this.processesHere && pressure ? () => pressure.active() : undefined });
    this.batchWaitMs = config.batchWaitMs ?? DEFAULT_BATCH_WAIT_MS;
    this.ownClaim = config.processInline ? newId() : null;
  }

  /** Every tenant's backlog in the database (the operator's metrics). */
  backlogTotals(): Promise<BacklogTotals> {
    return this.claims.totals();
  }

  /** What this process holds: queued payloads and the pace (the operator's metrics). */
  localState(): LocalIngestState {
    return { queued: this.queue.length, holding: this.pace.holding, batch: this.pace.current.batch };
  }

  /** Where processing's pacing stands (batch size, batches at once, pause; `holding` below full pace). */
  get pacing(): { batch: number; parallel: number; pauseMs: number; holding: boolean } {
    return { ...this.pace.current, holding: this.pace.holding };
  }

  /**
   * The webhook answered `ms` after its handler started: processing here backs off when acknowledgements slow down,
   * and a replica that does not process (role `receive`, the edge) tells the processing replicas, per 100 ms window
   * in which more than 1 % of its acknowledgements took longer than twice the target.
   */
  noteAck(ms: number): void {
    this.pace.noteAck(ms);
    if (this.processesHere || !this.pressure || !this.ackTargetMs) return;
    const w = this.ackWindow;
    const now = Date.now();
    if (now - w.start >= ACK_WINDOW_MS) {
      if (w.slow > w.acks * 0.01) this.pressure.signal();
      w.start = now;
      w.acks = w.slow = 0;
    }
    w.acks++;
    // Twice the target: here the handler's time is mostly the INSERT's wait (a durable write alone has a p99 near
    // 20 ms on a slow disk), and at the target itself processing held back so often that it fell seconds behind.
    if (ms > 2 * this.ackTargetMs) w.slow++;
  }

  /**
   * Verified and parsed events of one request → stored once per (channel, dedupe key), then the plugin's answer.
   * A verified request the plugin crashed on is stored raw (FAILED) for a replay once the plugin is fixed.
   */
  async store(channel: ChannelEntity, request: InboundRequest, events: InboundEvent[], failure?: unknown): Promise<string[]> {
    const req = storedRequest(request);
    const rows: InboundPayloadEntity[] = [];
    if (failure) {
      rows.push(this.row(channel, req, `raw:${createHash('sha256').update(request.rawBody).digest('hex')}`, null, null, request.receivedAt, {
        status: P.FAILED, errorCode: (failure as { code?: string }).code ?? 'PLUGIN_FAILED', error: describe(failure),
      }));
    }
    for (const e of events) {
      if (e.ephemeral) continue; // typing and the like: live only, never stored
      rows.push(this.row(channel, req, e.dedupeKey, e.externalMessageId ?? null, e as unknown as Record<string, unknown>, request.receivedAt));
    }
    if (!rows.length) return [];
    // INSERT IGNORE (MariaDB) / INSERT OR IGNORE (SQLite), grouped with concurrent webhooks: a redelivery leaves
    // the first row as it is, and its own row is not inserted: nothing to process. Where the database cannot say
    // which rows went in (MySQL), such an id is queued and found by neither the claim nor the read-back.
    const inserted = await this.writer.write(rows);
    const now = Date.now();
    const stored = rows.filter((r) => r.status !== P.FAILED && (!inserted || inserted.has(r.id)));
    if (this.ownClaim && this.processesHere) {
      for (const r of stored) {
        this.born.set(r.id, now); // until processed here (or by the sweeper's claim)
        // Without the request, as processing reads rows back. The event is the parsed one itself, not a copy
        // through JSON: processing revives its dates from either form, and nothing else holds it after the INSERT.
        if (inserted && this.kept.size < KEPT_ROWS_MAX) this.kept.set(r.id, { ...r, request: undefined as never });
      }
    }
    return stored.map((r) => r.id);
  }

  private row(channel: ChannelEntity, request: StoredRequest, dedupeKey: string, externalMessageId: string | null, event: Record<string, unknown> | null, at: Date, over: Partial<InboundPayloadEntity> = {}): InboundPayloadEntity {
    const claimed = this.ownClaim
      // Processing here is the first attempt; a receiver's hold is none yet (the processor's claim counts it).
      ? { status: P.PROCESSING, attempts: this.processesHere ? 1 : 0, claimedBy: this.ownClaim, lockedUntil: new Date(Date.now() + (this.processesHere ? LOCK_MS : SWEEP_GRACE_MS)) }
      : { status: P.PENDING, attempts: 0, claimedBy: null, lockedUntil: null };
    return { // a plain row (PayloadWriter writes it): no entity instance on the acknowledgement path
      id: newId(), tenantId: channel.tenantId, channelId: channel.id, channelType: channel.type, dedupeKey, externalMessageId: externalMessageId?.slice(0, 191) ?? null,
      event, request, errorCode: null, error: null, messageId: null, receivedAt: at, nextAttemptAt: null, processedAt: null, ...claimed, ...over,
    };
  }

  /**
   * After the webhook answered: process here (role `all`), or hand the ids to the processing replicas in one
   * inbound.stored event per 5 ms and tenant (role `receive`). A lost hand-off is not a lost message: the
   * rows are PENDING and the processors' sweeper takes them after its grace.
   */
  handOff(tenantId: string, ids: string[]): void {
    if (!ids.length || !this.config.processInline) return;
    if (this.processesHere) return this.enqueue(ids);
    const pending = this.handOffs.get(tenantId) ?? [];
    pending.push(...ids);
    this.handOffs.set(tenantId, pending);
    if (this.handOffs.size === 1 && pending.length === ids.length) setTimeout(() => void this.flushHandOffs(), HANDOFF_WAIT_MS);
  }

  private async flushHandOffs(): Promise<void> {
    const all = [...this.handOffs];
    this.handOffs.clear();
    for (const [tenantId, ids] of all) {
      for (let i = 0; i < ids.length; i += HANDOFF_BATCH) {
        const data = { ids: ids.slice(i, i + HANDOFF_BATCH), holder: this.ownClaim };
        await this.events.publish({ type: INBOUND_STORED, tenantId, data }, { topic: INGEST_TOPIC })
          .catch((err) => this.log.warn({ err: describe(err), tenantId, payloads: data.ids.length }, 'inbound hand-off not published; the sweeper will take them'));
      }
    }
  }

  /**
   * Queues stored payloads for processing in this process (claimed in batches, bounded concurrency). `holder`: the
   * token a receiving replica stored them under (its hand-off), which the claim takes over whatever the lock.
   */
  enqueue(ids: string[], holder?: string): void {
    if (this.stopped) return;
    if (!this.queue.length) this.waitingSince = performance.now();
    for (const id of ids) {
      if (this.queued.has(id)) continue;
      this.queued.add(id);
      this.queue.push(id);
      if (holder) this.held.set(id, holder);
    }
    this.pump();
  }

  private pump(): void {
    if (this.pauseTimer) return; // pacing: the timer pumps
    // Two batches at a time at full size: one is claimed while the other runs, so the database round trip of a
    // claim does not leave the processors idle. Smaller batches, one at a time, while acknowledgements suffer.
    const { batch, parallel } = this.pace.current;
    while (!this.stopped && this.active < parallel && this.queue.length) {
      // A second batch at once only when a full one waits, or when what waits has waited batchWaitMs. Below that,
      // what arrives while a batch runs joins the next one: batches grow with the load instead of splitting it into
      // many small ones, each of which costs the same few statements (claim, conversations, messages, processed).
      if (this.active > 0 && this.queue.length < batch) {
        const left = this.batchWaitMs - (performance.now() - this.waitingSince);
        if (left > 0) {
          this.waitTimer ??= setTimeout(() => { this.waitTimer = undefined; this.pump(); }, left);
          break;
        }
      }
      const ids: string[] = [];
      while (ids.length < batch && this.queue.length) ids.push(this.queue.shift()!);
      // About: what is left came before now, so a wait can run up to about twice batchWaitMs; a bound, not a clock.
      this.waitingSince = performance.now();
      this.active++;
      this.metrics.batch(ids.length);
      void this.processBatch(ids)
        .catch((err) => this.log.error({ err, payloadIds: ids.length }, 'inbound payload processing crashed'))
        .finally(() => this.batchDone(ids));
    }
  }

  /** After a batch: the pace adjusts (logged when it starts or stops holding back), then the next batch, or a pause first. */
  private batchDone(ids: string[]): void {
    for (const id of ids) this.forget(id);
    this.active--;
    const wasHeld = this.pace.holding;
    this.pace.settle();
    if (this.pace.holding !== wasHeld) {
      const line = { ...this.pace.current, backlog: this.queue.length };
      if (this.pace.holding) this.log.warn(line, 'acknowledgements are slow: processing backs off');
      else this.log.info(line, 'processing back at full pace');
    }
    const { pauseMs } = this.pace.current;
    if (pauseMs && this.queue.length && !this.stopped && !this.pauseTimer) {
      this.pauseTimer = setTimeout(() => { this.pauseTimer = undefined; this.pump(); }, pauseMs);
      this.pauseTimer.unref();
    } else this.pump();
    if (!this.active && !this.queue.length) for (const f of this.idle) f();
  }

  private forget(id: string): void {
    this.queued.delete(id);
    this.born.delete(id);
    this.kept.delete(id);
    this.held.delete(id);
  }

  /** Resolves when nothing is queued or running (tests, shutdown). */
  drain(): Promise<void> {
    if (!this.active && !this.queue.length) return Promise.resolve();
    return new Promise((resolve) => {
      const f = () => { this.idle.delete(f); resolve(); };
      this.idle.add(f);
    });
  }

  /**
   * Stops processing: running batches finish; queued rows this replica stored claimed are released (PENDING
   * again), so that a deploy with a backlog hands them to the next replica at once, not when their lock runs out.
   */
  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.pauseTimer);
    this.pauseTimer = undefined;
    clearTimeout(this.waitTimer);
    this.waitTimer = undefined;
    const queued = this.queue.toArray();
    this.queue.clear();
    const mine = queued.filter((id) => this.born.has(id));
    for (const id of queued) this.forget(id);
    if (mine.length && this.ownClaim) {
      await this.claims.release(mine, this.ownClaim)
        .catch((err) => this.log.warn({ err: describe(err), payloads: mine.length }, 'queued payloads not released; the sweeper takes them when their lock runs out'));
    }
    // Stored and answered, their hand-off not yet out (role receive, the edge): sent now rather than left to the sweeper
    // when their hold runs out 10 s later.
    if (this.handOffs.size) await this.flushHandOffs();
    await this.drain();
    this.pace.stop();
    this.pressure?.stop();
  }

  /** Claims one due payload and processes it (replays). */
  async process(id: string): Promise<'processed' | 'failed' | 'skipped'> {
    return (await this.processBatch([id])).get(id) ?? 'skipped';
  }

  /**
   * Claims the due payloads among `ids` with one UPDATE (atomically, so replicas and the sweeper never process
   * one twice at once), reads back the rows this claim won, turns them into messages (one sender at a time,
   * senders in parallel) and marks the processed ones with one UPDATE. Rows this replica stored claimed need no
   * claim while their lock has more than half its time left; older ones are claimed anew (the lock renewed).
   */
  private async processBatch(ids: string[]): Promise<Map<string, 'processed' | 'failed'>> {
    const out = new Map<string, 'processed' | 'failed'>();
    if (!ids.length) return out;
    const now = new Date();
    const fresh = now.getTime() - LOCK_MS / 2;
    const rest = ids.filter((id) => !((this.born.get(id) ?? -Infinity) > fresh));
    const claim = newId();
    const holders = new Set(rest.map((id) => this.held.get(id)).filter((h): h is string => !!h));
    if (this.ownClaim && this.processesHere) holders.add(this.ownClaim);
    const claimed = rest.length ? await this.claims.claim(rest, claim, now, [...holders]) : 0;
    if (!claimed && rest.length === ids.length) return out;
    const owners = this.ownClaim ? [claim, this.ownClaim] : [claim]; // own rows left in `rest` were just claimed anew
    // Own rows still under their first hold are as this replica inserted them: no need to read them back.
    const rows: InboundPayloadEntity[] = [];
    const unread: string[] = [];
    for (const id of ids) {
      const row = (this.born.get(id) ?? -Infinity) > fresh ? this.kept.get(id) : undefined;
      if (row) rows.push(row);
      else unread.push(id);
    }
    // Without the raw request (the larger half of a row): processing reads the decoded event, and loads the
    // request only for a payload stored without one (a plugin crash kept for a replay).
    if (unread.length) rows.push(...(await this.repo.find({ select: this.processingColumns, where: { id: In(unread), claimedBy: In(owners), status: P.PROCESSING } })));
    rows.sort((a, b) => a.receivedAt.getTime() - b.receivedAt.getTime() || ids.indexOf(a.id) - ids.indexOf(b.id));
    const done: Array<{ id: string; messageId: string | null }> = [];
    // Settled, not all: one row whose failure could not even be recorded (database gone) must not keep the
    // others from being marked; it stays PROCESSING until its claim runs out and the sweeper retries it.
    const settled = await Promise.allSettled(rows.map((row) => {
      const senderKey = `${row.channelId}:${(row.event as { sender?: { externalId?: string } } | null)?.sender?.externalId ?? row.id}`;
      return this.serialized(senderKey, () => this.run(row)).then((r) => {
        out.set(row.id, r.status);
        if (r.status === 'processed') done.push({ id: row.id, messageId: r.messageId });
      });
    }));
    await this.claims.markProcessed(done);
    const broken = settled.find((x): x is PromiseRejectedResult => x.status === 'rejected');
    if (broken) throw broken.reason;
    return out;
  }

  private async serialized<T>(key: string, work: () => Promise<T>): Promise<T> {
    const prev = this.senderChains.get(key) ?? Promise.resolve();
    const next = prev.catch(() => undefined).then(work);
    this.senderChains.set(key, next);
    try {
      return await next;
    } finally {
      if (this.senderChains.get(key) === next) this.senderChains.delete(key);
    }
  }

  private async run(row: InboundPayloadEntity): Promise<{ status: 'processed'; messageId: string | null } | { status: 'failed' }> {
    try {
      const channel = this.bindings.cached(row.channelId) ?? (await this.channels.forWebhook(row.channelId));
      if (!channel) throw new Error(`channel ${row.channelId} no longer exists`);
      const bound = this.bindings.bind(channel);
      if (!bound) throw new Error(`channel ${channel.id} has no usable config or no plugin for ${channel.type}`);
      const parsed = row.event ? [reviveEvent(row.event)] : bound.parse(inboundRequest((await this.repo.findOneOrFail({ select: { id: true, request: true }, where: { id: row.id } })).request));
      const { events, commit, failed } = await bound.receive(parsed);
      if (failed?.length) await this.keepFailed(channel, row, failed);
      let messageId: string | null = null;
      for (const e of events) {
        if (e.ephemeral) continue;
        messageId = (await this.ingestEvent(channel, bound, row, e)) ?? messageId;
      }
      await commit?.();
      this.metrics.processed(row.channelType, 'processed');
      return { status: 'processed', messageId };
    } catch (err) {
      const attempts = row.attempts;
      const giveUp = attempts >= this.config.maxAttempts || err instanceof PluginCrashError || err instanceof ChannelDisabledError;
      const next = giveUp ? null : new Date(Date.now() + backoffDelay(attempts, { baseMs: this.config.retryBaseMs, maxMs: MAX_RETRY_DELAY_MS, jitter: 'none' }, err));
      const code = isChannelError(err) ? err.code : (err as { code?: unknown }).code && typeof (err as { code?: unknown }).code === 'string' ? (err as { code: string }).code.slice(0, 40) : 'PROCESSING_FAILED';
      await this.repo.update({ id: row.id }, { status: P.FAILED, error: describe(err), errorCode: code, nextAttemptAt: next, lockedUntil: null, claimedBy: null });
      this.log.warn({ payloadId: row.id, channelId: row.channelId, tenantId: row.tenantId, attempts, code, retryAt: next?.toISOString() ?? null, err: describe(err) }, 'inbound payload failed');
      await this.events.publish({ type: 'inbound.failed', tenantId: row.tenantId, data: { payloadId: row.id, channelId: row.channelId, attempts, code, willRetry: !!next } }).catch(() => undefined);
      this.metrics.processed(row.channelType, 'failed');
      return { status: 'failed' };
    }
  }

  /**
   * Items `receive` fetched but could not read (SDK 1.6), each kept FAILED as a request on `/receive/<channelId>`
   * whose body is the item, before `commit` moves the plugin's cursor past them: an operator sees them and
   * replays them through `parse` once the plugin reads them. Stored again by a retry, they collapse on their bytes.
   */
  private async keepFailed(channel: ChannelEntity, row: InboundPayloadEntity, failed: FailedItem[]): Promise<void> {
    for (const item of failed) {
      const request = storedItemRequest('receive', channel.id, item.raw, row.receivedAt, { 'x-huiliu-payload': row.id });
      const error = item.error ?? new Error('the plugin could not read this item');
      await this.store(channel, request, [], error);
      this.metrics.processed(row.channelType, 'failed');
      this.log.warn({ payloadId: row.id, channelId: channel.id, tenantId: channel.tenantId, code: (error as { code?: string }).code ?? 'PLUGIN_FAILED' }, 'an item the plugin could not read was kept as failed');
    }
  }

  /** One event → identity → conversation → message. Exactly once: the message id derives from the dedupe key. */
  private async ingestEvent(channel: ChannelEntity, bound: BoundChannel, row: InboundPayloadEntity, e: InboundEvent): Promise<string | null> {
    const tenantId = channel.tenantId;
    const id = inboundMessageId(channel.id, e.dedupeKey, e.sentAt);
    const threadId = e.thread?.id.slice(0, 191) ?? null;
    // A first attempt cannot have written the message; a retry after a crash may have (the insert would refuse it too).
    // An earlier attempt that stored the message may have crashed before ending its thread: end it now.
    const stored = async () => {
      if (e.thread?.ended && threadId) await this.endThread(tenantId, channel.id, threadId);
      return id;
    };
    if (row.attempts > 1 && (await this.messages.byIds(tenantId, [id])).length) return stored();
    const identity = await this.identities.resolve(tenantId, {
      channelType: bound.type, externalId: e.sender.externalId.slice(0, 191), appId: appIdOf(channel.config), unionId: e.sender.unionId,
      phone: e.sender.phone && e.sender.phone.length >= 3 && e.sender.phone.length <= 32 ? e.sender.phone : undefined, name: e.sender.displayName?.slice(0, 200),
    });
    const f = messageFields(e.content);
    const payload = {
      ...f.content, inboundPayloadId: row.id, externalMessageId: e.externalMessageId ?? null, sender: e.sender,
      ...(e.context ? { context: e.context } : {}), ...(e.thread ? { thread: e.thread } : {}), ...(e.raw ? { raw: e.raw } : {}),
    };
    const message = { id, kind: f.kind, text: f.text, payload, attachments: f.attachments, at: e.sentAt };
    let conversationId: string;
    // Not the customer's, or a thread the platform handles itself (a call): kept as a record, in no queue.
    const record = e.origin !== 'customer' || e.thread?.record === true;
    /** The customer's conversation on this channel that is not closed (the thread's, for a threaded event). */
    const openOne = async () => threadId
      ? this.conversations.findThread(tenantId, channel.id, threadId)
      : (await this.conversations.list(tenantId, { customerId: identity.customerId, first: 20 })).nodes
        .find((c) => c.channelId === channel.id && !c.threadId && c.status !== ConversationStatus.CLOSED);
    try {
      if (e.signal) {
        // A read receipt, a push token, an unfollow (SDK 1.4): a system line in the open conversation, changing no
        // status and not the reply context; with none open, the stored payload is all that is kept. A read receipt
        // also marks what we sent to that client read, open conversation or not.
        if (this.receipts && e.content.kind === 'event' && e.content.name === 'read') {
          await this.receipts.markRead(tenantId, channel.id, e.context?.clientId ?? e.sender.externalId, e.content.key, e.sentAt);
        }
        if (this.receipts && e.content.kind === 'event' && e.content.name === 'send_failed' && e.content.key) {
          await this.receipts.markSendFailed(tenantId, channel.id, e.content.key, e.content.data);
        }
        const open = await openOne();
        if (!open) return null;
        conversationId = (await this.conversations.addMessage(tenantId, open.id, { ...message, senderType: MessageSenderType.SYSTEM }, { asRecord: true })).conversation.id;
      } else if (!record) {
        conversationId = await this.receiver.receive(tenantId, { customerId: identity.customerId, channelType: bound.type, channelId: channel.id, threadId, groupId: e.route?.groupId ?? null, subject: e.thread?.subject ?? null, message });
        if (bound.liveConnections) this.typing?.remember(channel, e, conversationId);
      } else {
        // Staff writing from another tool (WeCom client, a phone agent), or the platform telling of an order or a
        // call: into the customer's open conversation (the thread's, for a threaded event); without one, a
        // record that waits in no queue.
        const senderType = e.origin === 'agent' ? MessageSenderType.AGENT : e.origin === 'customer' ? MessageSenderType.CUSTOMER : MessageSenderType.SYSTEM;
        const open = await openOne();
        conversationId = open
          ? (await this.conversations.addMessage(tenantId, open.id, { ...message, senderType }, { asRecord: true })).conversation.id
          : (await this.conversations.open(tenantId, { customerId: identity.customerId, channelType: bound.type, channelId: channel.id, threadId, subject: e.thread?.subject ?? (f.text.slice(0, 60) || `[${f.kind}]`), firstMessage: { ...message, senderType }, at: e.sentAt, asRecord: true })).id;
      }
    } catch (err) {
      if (isUniqueViolation(err)) return stored(); // a concurrent or earlier attempt stored it
      throw err;
    }
    // The platform says the thread is over (a call ended, a consultation logged): its conversation is resolved.
    if (e.thread?.ended) await this.conversations.resolve(tenantId, conversationId);
    if (e.thread?.record && e.thread.agentId) await this.handledBy(tenantId, conversationId, e.thread.agentId, channel.id);
    return id;
  }

  /** The record's assignee: the agent who handled it on the platform; one not of the tenant is left out, with a warning. */
  private async handledBy(tenantId: string, conversationId: string, agentId: string, channelId: string): Promise<void> {
    try {
      await this.conversations.recordHandledBy(tenantId, conversationId, agentId);
    } catch (err) {
      if (!(err instanceof DomainError && err.code === 'NOT_FOUND')) throw err;
      this.log.warn({ tenantId, channelId, agentId }, 'thread.agentId is not an agent of the tenant; the record keeps no assignee');
    }
  }

  /** Resolves the open conversation of a thread the platform says is over (none open: nothing to do). */
  private async endThread(tenantId: string, channelId: string, threadId: string): Promise<void> {
    const c = await this.conversations.findThread(tenantId, channelId, threadId);
    if (c) await this.conversations.resolve(tenantId, c.id);
  }

  /**
   * One sweep: queues whatever is due that is not already queued here. `graceMs` leaves PENDING rows younger
   * than that to the replica that acknowledged them; at boot nothing here is queued, so the sweep takes all.
   */
  async sweep(graceMs = SWEEP_GRACE_MS): Promise<number> {
    const ids = (await this.claims.due(200, graceMs)).filter((id) => !this.queued.has(id));
    this.enqueue(ids);
    return ids.length;
  }
}

export type { ImmediateResponse };

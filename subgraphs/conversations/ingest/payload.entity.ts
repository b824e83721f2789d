import { Column, Entity, Index, PrimaryColumn } from 'typeorm';

export enum InboundPayloadStatus {
  /** Waiting to be processed, held by nobody (replayed, or stored by a replica that does not process inline). */
  PENDING = 'PENDING',
  /**
   * Held until `lockedUntil` by the replica that stored it (for its own processing or its hand-off) or claimed by
   * a processor; a hold or claim that runs out goes to the sweeper.
   */
  PROCESSING = 'PROCESSING',
  PROCESSED = 'PROCESSED',
  /** Processing failed: kept with its error; retried at `nextAttemptAt` (null: given up, replay by hand). */
  FAILED = 'FAILED',
}

/**
 * The request as received (for audit and re-parsing). The body is kept as text when its bytes are valid UTF-8
 * (every JSON and XML push: a third smaller than base64, and readable), otherwise base64 so any bytes survive.
 */
export interface StoredRequest {
  method: string;
  path: string;
  query: Record<string, string>;
  headers: Record<string, string>;
  body?: string;
  bodyBase64?: string;
  receivedAt: string;
}

/** One accepted inbound event (or one verified request its plugin failed to parse), stored before the webhook answers. */
@Entity('inbound_payloads')
@Index('uq_inbound_payloads_dedupe', ['channelId', 'dedupeKey'], { unique: true })
@Index('idx_inbound_payloads_due', ['status', 'nextAttemptAt'])
@Index('idx_inbound_payloads_tenant_status', ['tenantId', 'status', 'receivedAt'])
@Index('idx_inbound_payloads_processed', ['status', 'processedAt'])
export class InboundPayloadEntity {
  @PrimaryColumn({ type: 'varchar', length: 36 })
  id: string;

  @Column({ name: 'tenant_id', type: 'varchar', length: 64 })
  tenantId: string;

  @Column({ name: 'channel_id', type: 'varchar', length: 36 })
  channelId: string;

  @Column({ name: 'channel_type', type: 'varchar', length: 40 })
  channelType: string;

  /** The plugin's dedupe key (WeChat MsgId, Douyin Msg-Id...), or `raw:<sha256>` for a payload that could not be parsed. */
  @Column({ name: 'dedupe_key', type: 'varchar', length: 191 })
  dedupeKey: string;

  @Column({ name: 'external_message_id', type: 'varchar', length: 191, nullable: true })
  externalMessageId: string | null;

  @Column({ name: 'status', type: 'varchar', length: 16 })
  status: InboundPayloadStatus;

  /** The parsed InboundEvent (JSON); null when parsing must be redone on replay. */
  @Column({ name: 'event', type: 'json', nullable: true })
  event: Record<string, any> | null; // eslint-disable-line @typescript-eslint/no-explicit-any

  @Column({ name: 'request', type: 'json' })
  request: StoredRequest;

  @Column({ name: 'attempts', type: 'int' })
  attempts: number;

  @Column({ name: 'error_code', type: 'varchar', length: 40, nullable: true })
  errorCode: string | null;

  @Column({ name: 'error', type: 'text', nullable: true })
  error: string | null;

  /** The message it became (null for events that are not stored as messages). */
  @Column({ name: 'message_id', type: 'varchar', length: 36, nullable: true })
  messageId: string | null;

  @Column({ name: 'received_at', type: 'datetime', precision: 3 })
  receivedAt: Date;

  @Column({ name: 'next_attempt_at', type: 'datetime', precision: 3, nullable: true })
  nextAttemptAt: Date | null;

  @Column({ name: 'locked_until', type: 'datetime', precision: 3, nullable: true })
  lockedUntil: Date | null;

  @Column({ name: 'processed_at', type: 'datetime', precision: 3, nullable: true })
  processedAt: Date | null;

  /** The claim that holds a PROCESSING row: a batch claims many rows with one UPDATE, then reads back its own. */
  @Column({ name: 'claimed_by', type: 'varchar', length: 36, nullable: true })
  claimedBy: string | null;
}

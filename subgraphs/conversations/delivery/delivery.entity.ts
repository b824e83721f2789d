import { Column, Entity, Index, PrimaryColumn } from 'typeorm';

export enum DeliveryStatus {
  PENDING = 'PENDING',
  SENDING = 'SENDING',
  SENT = 'SENT',
  FAILED = 'FAILED',
}

/** The delivery of one outbound message (agent or bot) through its channel's plugin; id = the message id. */
@Entity('message_deliveries')
@Index('idx_message_deliveries_due', ['status', 'nextAttemptAt'])
@Index('idx_message_deliveries_recipient', ['channelId', 'recipientId', 'id'])
@Index('idx_message_deliveries_external', ['channelId', 'externalMessageId'])
export class MessageDeliveryEntity {
  @PrimaryColumn({ type: 'varchar', length: 36 })
  id: string;

  @Column({ name: 'tenant_id', type: 'varchar', length: 64 })
  tenantId: string;

  @Column({ name: 'conversation_id', type: 'varchar', length: 36 })
  conversationId: string;

  @Column({ name: 'channel_id', type: 'varchar', length: 36 })
  channelId: string;

  @Column({ name: 'status', type: 'varchar', length: 16 })
  status: DeliveryStatus;

  @Column({ name: 'attempts', type: 'int' })
  attempts: number;

  /** How many of the message's parts (its text, then each attachment: `outboundParts`) went out; a retry resumes there. */
  @Column({ name: 'parts_sent', type: 'int', default: 0 })
  partsSent: number;

  /** The ChannelError code (WINDOW_CLOSED, INVALID_RECIPIENT, UNAVAILABLE...) of the last failure. */
  @Column({ name: 'error_code', type: 'varchar', length: 40, nullable: true })
  errorCode: string | null;

  @Column({ name: 'error', type: 'text', nullable: true })
  error: string | null;

  @Column({ name: 'external_message_id', type: 'varchar', length: 191, nullable: true })
  externalMessageId: string | null;

  /** The recipient's id on the channel, once sent (a widget client's id: what it missed is looked up by it). */
  @Column({ name: 'recipient_id', type: 'varchar', length: 191, nullable: true })
  recipientId: string | null;

  /** What the channel said once sent: `sent` (to the platform), `delivered` (a live client took it), `queued`. */
  @Column({ name: 'outcome', type: 'varchar', length: 16, nullable: true })
  outcome: string | null;

  /** When the customer's client said it read this message (a read receipt up to it or a later one). */
  @Column({ name: 'read_at', type: 'datetime', precision: 3, nullable: true })
  readAt: Date | null;

  @Column({ name: 'next_attempt_at', type: 'datetime', precision: 3, nullable: true })
  nextAttemptAt: Date | null;

  @Column({ name: 'locked_until', type: 'datetime', precision: 3, nullable: true })
  lockedUntil: Date | null;

  @Column({ name: 'created_at', type: 'datetime', precision: 3 })
  createdAt: Date;

  @Column({ name: 'updated_at', type: 'datetime', precision: 3 })
  updatedAt: Date;
}

/** A part after a message's first that went out (`outboundParts`), with the id the platform gave it. */
@Entity('message_delivery_parts')
@Index('idx_message_delivery_parts_external', ['channelId', 'externalMessageId'])
export class MessageDeliveryPartEntity {
  /** The delivery's (= the message's) id. */
  @PrimaryColumn({ type: 'varchar', length: 36 })
  id: string;

  /** The part's index, from 1 (part 0's id is the delivery's `externalMessageId`). */
  @PrimaryColumn({ type: 'int' })
  part: number;

  @Column({ name: 'tenant_id', type: 'varchar', length: 64 })
  tenantId: string;

  @Column({ name: 'channel_id', type: 'varchar', length: 36 })
  channelId: string;

  @Column({ name: 'external_message_id', type: 'varchar', length: 191 })
  externalMessageId: string;

  @Column({ name: 'sent_at', type: 'datetime', precision: 3 })
  sentAt: Date;
}

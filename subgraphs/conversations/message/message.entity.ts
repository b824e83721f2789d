import { Column, Entity, Index, PrimaryColumn } from 'typeorm';

export enum MessageSenderType {
  CUSTOMER = 'CUSTOMER',
  AGENT = 'AGENT',
  BOT = 'BOT',
  SYSTEM = 'SYSTEM',
}

/** A JSON object as stored in a json column (kept shallow for typeorm's deep-partial types). */
export type JsonObject = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

@Entity('messages')
@Index('idx_messages_conversation_created', ['conversationId', 'createdAt'])
export class MessageEntity {
  @PrimaryColumn({ type: 'varchar', length: 36 })
  id: string;

  @Column({ name: 'tenant_id', type: 'varchar', length: 64 })
  tenantId: string;

  @Column({ name: 'conversation_id', type: 'varchar', length: 36 })
  conversationId: string;

  @Column({ name: 'sender_type', type: 'varchar', length: 20 })
  senderType: MessageSenderType;

  /** The agent's token subject for AGENT messages; null for the customer, bots and the system. */
  @Column({ name: 'sender_id', type: 'varchar', length: 191, nullable: true })
  senderId: string | null;

  /** text, image, voice, video, file, location, link, card, event, order */
  @Column({ name: 'kind', type: 'varchar', length: 20 })
  kind: string;

  @Column({ name: 'text', type: 'text' })
  text: string;

  /** Kind-specific data (media URL, coordinates, order number...). */
  @Column({ name: 'payload', type: 'json', nullable: true })
  payload: JsonObject | null;

  /** An internal note: visible to staff only, never sent to the channel. */
  @Column({ name: 'internal', type: 'boolean', default: false })
  internal: boolean;

  @Column({ name: 'created_at', type: 'datetime', precision: 3 })
  createdAt: Date;
}

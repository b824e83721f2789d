import { Column, Entity, Index, PrimaryColumn } from 'typeorm';

export enum MessageSenderType {
  CUSTOMER = 'CUSTOMER',
  AGENT = 'AGENT',
  BOT = 'BOT',
  SYSTEM = 'SYSTEM',
}

/** A JSON object as stored in a json column (kept shallow for typeorm's deep-partial types). */
export type JsonObject = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

/** Attachment kinds that are media of their own (others, like stickers, are kept but not sent). */
export const MEDIA_KINDS: readonly string[] = ['image', 'voice', 'video', 'file'];

/** A file, image, voice or video sent with a message: metadata and the channel's own media reference. */
export interface Attachment {
  /** image, voice, video, file, sticker, ... */
  kind: string;
  /** The channel's reference: a WeChat media_id, a CDN URL, a Taobao picture path... */
  mediaRef: string;
  name?: string | null;
  size?: number | null;
  mime?: string | null;
}

@Entity('messages')
@Index('idx_messages_conversation_created', ['conversationId', 'createdAt'])
// The customer timeline: one range scan in time order across all of a customer's conversations.
@Index('idx_messages_tenant_customer_created', ['tenantId', 'customerId', 'createdAt', 'id'])
export class MessageEntity {
  @PrimaryColumn({ type: 'varchar', length: 36 })
  id: string;

  @Column({ name: 'tenant_id', type: 'varchar', length: 64 })
  tenantId: string;

  @Column({ name: 'conversation_id', type: 'varchar', length: 36 })
  conversationId: string;

  /** Copied from the conversation (which never changes customer or channel) for the customer timeline. */
  @Column({ name: 'customer_id', type: 'varchar', length: 36 })
  customerId: string;

  @Column({ name: 'channel_type', type: 'varchar', length: 40 })
  channelType: string;

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

  @Column({ name: 'attachments', type: 'json', nullable: true })
  attachments: Attachment[] | null;

  /** An internal note: visible to staff only, never sent to the channel. */
  @Column({ name: 'internal', type: 'boolean', default: false })
  internal: boolean;

  @Column({ name: 'created_at', type: 'datetime', precision: 3 })
  createdAt: Date;
}

/** The ticket vocabulary, shared by services and the GraphQL layer (which re-exports it). */

export const TICKET_TYPES = ['order', 'logistics', 'quality', 'refund', 'complaint', 'other'] as const;
export const TICKET_PRIORITIES = ['LOW', 'NORMAL', 'HIGH', 'URGENT'] as const;
export const TICKET_STATUSES = ['NEW', 'OPEN', 'PENDING', 'ON_HOLD', 'SOLVED', 'CLOSED'] as const;
export type TicketStatus = (typeof TICKET_STATUSES)[number];
export const CUSTOMER_LEVELS = ['NORMAL', 'VIP', 'SVIP'] as const;
export const TICKET_SOURCES = ['AGENT', 'CONVERSATION', 'RULE', 'API'] as const;
export type TicketSource = (typeof TICKET_SOURCES)[number];
export const LINK_RELATIONS = ['duplicate', 'related', 'caused_by'] as const;
export type LinkRelation = (typeof LINK_RELATIONS)[number];
/** Relations that read the same both ways: one row, found from either ticket. */
export const SYMMETRIC_RELATIONS: ReadonlySet<string> = new Set<LinkRelation>(['duplicate', 'related']);

/** Bodies are `text`: 64 KB on MariaDB, so at most 16,000 characters of 4 bytes. */
export const MAX_BODY = 16_000;
export const MAX_SUMMARY = 4_000;
export const MAX_TAGS = 20;
export const MAX_ORDERS = 20;
export const MAX_ATTACHMENTS = 10;
/** Custom fields are a JSON object of at most this many bytes. */
export const MAX_CUSTOM_FIELDS_BYTES = 8_192;
/** Order ids: Taobao/Tmall tids (up to 64-bit numbers), JD and Douyin order numbers; kept as strings. */
export const ORDER_ID = /^[A-Za-z0-9_-]{1,64}$/;

/** Who did something to a ticket: a person of the brand, an integration's token, or the system (rules, SLA). */
export interface TicketActor {
  id: string;
  kind: 'AGENT' | 'SERVICE' | 'SYSTEM';
}

export const SYSTEM_ACTOR: TicketActor = { id: 'system', kind: 'SYSTEM' };

import { randomUUID } from 'node:crypto';
import { createClient, type Client } from 'graphql-ws';
import WebSocket from 'ws';
import type { DomainEvent, EventBus } from '../_shared/events.js';
import { gqlOk } from '../../test/helpers/graphql-client.js';
import type { TicketsServices } from './tickets.services.js';

/** Test support for the tickets integration tests (not a test itself). */

export const TICKET_FIELDS = `id subject description summary type priority status customerLevel source createdAt updatedAt solvedAt firstResponseAt
  customer { id } conversation { id } assignee { id } group { id } tags orderIds customFields mergedInto { id } mergedFrom { id }
  comments { id authorId authorType body public attachments { name size mediaRef contentType } }
  links { relation direction ticket { id } createdBy }
  history { actorId action field oldValue newValue }
  sla { policy { id name } firstResponseDueAt resolutionDueAt firstResponseBreached resolutionBreached remainingBusinessMinutes
        firstResponseRemainingBusinessMinutes resolutionRemainingBusinessMinutes paused }`;

export const CREATE = `mutation($input: CreateTicketInput!) { createTicket(input: $input) { ticket { ${TICKET_FIELDS} } } }`;
export const UPDATE = `mutation($input: UpdateTicketInput!) { updateTicket(input: $input) { ticket { ${TICKET_FIELDS} } } }`;
export const ASSIGN = `mutation($input: AssignTicketInput!) { assignTicket(input: $input) { ticket { ${TICKET_FIELDS} } } }`;
export const STATUS = `mutation($input: UpdateTicketStatusInput!) { updateTicketStatus(input: $input) { ticket { ${TICKET_FIELDS} } } }`;
export const COMMENT = `mutation($input: AddTicketCommentInput!) { addTicketComment(input: $input) { ticket { ${TICKET_FIELDS} } comment { id public authorType attachments { name size mediaRef contentType } } } }`;
export const MERGE = `mutation($input: MergeTicketsInput!) { mergeTickets(input: $input) { source { ${TICKET_FIELDS} } target { ${TICKET_FIELDS} } } }`;
export const LINK = `mutation($input: LinkTicketsInput!) { linkTickets(input: $input) { ticket { ${TICKET_FIELDS} } linkedTicket { ${TICKET_FIELDS} } } }`;
export const UNLINK = `mutation($input: LinkTicketsInput!) { unlinkTickets(input: $input) { ticket { ${TICKET_FIELDS} } linkedTicket { ${TICKET_FIELDS} } } }`;
export const BY_ID = `query($id: ID!) { ticket(id: $id) { ${TICKET_FIELDS} } }`;
export const CREATE_POLICY = `mutation($input: CreateSlaPolicyInput!) { createSlaPolicy(input: $input) { policy { id name ticketType customerLevel firstResponseMinutes resolutionMinutes warnPercent calendar { id } } } }`;
export const UPDATE_POLICY = `mutation($input: UpdateSlaPolicyInput!) { updateSlaPolicy(input: $input) { policy { id name ticketType customerLevel firstResponseMinutes resolutionMinutes warnPercent calendar { id } } } }`;
export const DELETE_POLICY = `mutation($input: DeleteSlaPolicyInput!) { deleteSlaPolicy(input: $input) { deletedPolicyId } }`;
export const CREATE_CALENDAR = `mutation($input: CreateBusinessCalendarInput!) { createBusinessCalendar(input: $input) { calendar { id name timeZone hours { day start end } holidaySet extraHolidays extraWorkdays isDefault } } }`;
export const UPDATE_CALENDAR = `mutation($input: UpdateBusinessCalendarInput!) { updateBusinessCalendar(input: $input) { calendar { id name timeZone hours { day start end } holidaySet extraHolidays extraWorkdays isDefault } } }`;

export const OFFICE_HOURS = (['mon', 'tue', 'wed', 'thu', 'fri'] as const).map((day) => ({ day, start: '09:00', end: '18:00' }));

/** Shanghai wall-clock time → Date, and back to 'YYYY-MM-DDTHH:MM' for readable expectations. */
export const cst = (s: string) => new Date(`${s}+08:00`);
export const cstOf = (iso: string | null) => (iso ? new Date(new Date(iso).getTime() + 8 * 3600_000).toISOString().slice(0, 16) : null);

export async function newTicket(url: string, token: string, input: Record<string, unknown> = {}): Promise<any> {
  const d = await gqlOk(url, CREATE, { input: { customerId: randomUUID(), subject: '物流三天没更新', type: 'logistics', ...input } }, token);
  return d.createTicket.ticket;
}

/** Pins the subgraph's clock (the server runs in this process) to a Shanghai wall-clock time. */
export function setClock(services: TicketsServices, wall: string): void {
  const at = cst(wall);
  jest.spyOn(services.clock, 'now').mockImplementation(() => new Date(at.getTime()));
}

/** Collects one tenant's domain events from the subgraph's bus (a fresh consumer group sees the whole stream). */
export async function collectEvents(events: EventBus, tenantId: string): Promise<{ seen: DomainEvent[]; stop(): Promise<void> }> {
  const seen: DomainEvent[] = [];
  const consumer = await events.consume(`test-${randomUUID()}`, async (e) => {
    if (e.tenantId === tenantId) seen.push(e);
  });
  return { seen, stop: () => consumer.stop() };
}

// 15 s: events cross a Redis stream and a consumer group, which a full suite on two cores can hold up for seconds.
export async function eventually<T>(probe: () => T | undefined | false | null | Promise<T | undefined | false | null>, timeoutMs = 15_000): Promise<T> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const v = await probe();
    if (v) return v;
    if (Date.now() > until) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 50));
  }
}

export interface LiveSubscription<T> {
  received: T[];
  errors: unknown[];
  dispose(): Promise<void>;
}

/** A graphql-ws subscription against a subgraph's /graphql, recording what arrives. */
export function subscribe<T = Record<string, any>>(httpUrl: string, token: string | undefined, query: string, variables: Record<string, unknown> = {}): LiveSubscription<T> {
  const client: Client = createClient({
    url: httpUrl.replace(/^http/, 'ws'),
    webSocketImpl: WebSocket,
    connectionParams: token ? { authorization: `Bearer ${token}` } : {},
    retryAttempts: 0,
    lazy: false,
  });
  const sub: LiveSubscription<T> = {
    received: [],
    errors: [],
    async dispose() {
      unsubscribe();
      await client.dispose();
    },
  };
  const unsubscribe = client.subscribe<T>(
    { query, variables },
    {
      next: (r) => (r.errors ? sub.errors.push(...r.errors) : sub.received.push(r.data as T)),
      error: (e) => void sub.errors.push(e),
      complete: () => undefined,
    },
  );
  return sub;
}

/** Repeats `act` until `done` (the subscriber's SUBSCRIBE may not have reached Redis yet). */
export async function repeatUntil(act: () => Promise<unknown>, done: () => boolean, timeoutMs = 10_000): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (!done()) {
    if (Date.now() > until) throw new Error('no event in time');
    await act();
    const wait = Date.now() + 250;
    while (!done() && Date.now() < wait) await new Promise((r) => setTimeout(r, 10));
  }
}

import { createClient, type Client } from 'graphql-ws';
import WebSocket from 'ws';
import type { DomainEvent, EventBus } from '../_shared/events.js';
import { newId } from '../_shared/ids.js';
import { gqlOk } from '../../test/helpers/graphql-client.js';

/** Test support for the conversations integration tests (not a test itself). */

export const OPEN = `mutation($input: CreateConversationInput!) { createConversation(input: $input) { conversation { id status subject channelType firstResponseAt lastMessageAt customer { id } } } }`;
export const SEND = `mutation($input: SendMessageInput!) { sendMessage(input: $input) { message { id senderType senderId text internal } conversation { id status firstResponseAt } } }`;
export const CUSTOMER_SAYS = `mutation($input: AddCustomerMessageInput!) { addCustomerMessage(input: $input) { message { id senderType text } conversation { id status } } }`;
export const ASSIGN = `mutation($input: AssignConversationInput!) { assignConversation(input: $input) { conversation { id status assignee { id name } } } }`;
export const RESOLVE = `mutation($input: ResolveConversationInput!) { resolveConversation(input: $input) { conversation { id status } } }`;
export const CREATE_AGENT = `mutation($input: CreateAgentInput!) { createAgent(input: $input) { agent { id name email status maxChats groups { id name } } } }`;

export async function openConversation(url: string, token: string, input: Record<string, unknown> = {}): Promise<{ id: string; status: string; customer: { id: string } }> {
  const d = await gqlOk(url, OPEN, { input: { customerId: newId(), channelType: 'wechat-oa', subject: '大米什么时候发货', ...input } }, token);
  return d.createConversation.conversation;
}

export async function createAgent(url: string, adminToken: string, name = '李娜'): Promise<{ id: string; name: string }> {
  const d = await gqlOk(url, CREATE_AGENT, { input: { name, email: `${newId()}@example.com` } }, adminToken);
  return d.createAgent.agent;
}

/** Collects one tenant's domain events from the subgraph's bus (a fresh consumer group sees the whole stream). */
export async function collectEvents(events: EventBus, tenantId: string): Promise<{ seen: DomainEvent[]; stop(): Promise<void> }> {
  const seen: DomainEvent[] = [];
  const consumer = await events.consume(`test-${newId()}`, async (e) => {
    if (e.tenantId === tenantId) seen.push(e);
  });
  return { seen, stop: () => consumer.stop() };
}

export async function eventually<T>(probe: () => T | undefined | false | Promise<T | undefined | false>, timeoutMs = 5000): Promise<T> {
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
  completed: boolean;
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
    completed: false,
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
      complete: () => void (sub.completed = true),
    },
  );
  return sub;
}

/** Repeats `act` every 250 ms until `done` (the subscriber's SUBSCRIBE may not have reached Redis yet). */
export async function repeatUntil(act: () => Promise<unknown>, done: () => boolean, timeoutMs = 10_000): Promise<number> {
  const until = Date.now() + timeoutMs;
  let times = 0;
  while (!done()) {
    if (Date.now() > until) throw new Error(`no event after ${times} attempts`);
    await act();
    times++;
    const wait = Date.now() + 250;
    while (!done() && Date.now() < wait) await new Promise((r) => setTimeout(r, 10));
  }
  return times;
}

// Lifecycle, read state, timeline and handoff (issue 5).
export const ESCALATE = `mutation($input: EscalateConversationInput!) { escalateConversation(input: $input) { conversation { id status group { id } } } }`;
export const PENDING = `mutation($input: SetConversationPendingInput!) { setConversationPending(input: $input) { conversation { id status } } }`;
export const CLOSE = `mutation($input: CloseConversationInput!) { closeConversation(input: $input) { conversation { id status closedAt } } }`;
export const REOPEN = `mutation($input: ReopenConversationInput!) { reopenConversation(input: $input) { conversation { id status } } }`;
export const RECEIVE = `mutation($input: ReceiveCustomerMessageInput!) { receiveCustomerMessage(input: $input) { message { id text channelType attachments { kind mediaRef name size mime } } conversation { id status channelType } } }`;
export const BOT_SAYS = `mutation($input: AddBotMessageInput!) { addBotMessage(input: $input) { message { id senderType text } conversation { id status } } }`;
export const MARK_READ = `mutation($input: MarkConversationReadInput!) { markConversationRead(input: $input) { lastReadAt conversation { id unreadCount } } }`;
export const SETTINGS = `mutation($input: UpdateConversationSettingsInput!) { updateConversationSettings(input: $input) { settings { reopenWindowHours customized } } }`;
export const TIMELINE = `query($r: [_Any!]!, $first: Int, $after: String, $channels: [String!], $newestFirst: Boolean) { _entities(representations: $r) { ... on Customer { id
  timeline(first: $first, after: $after, channels: $channels, newestFirst: $newestFirst) {
    nodes { __typename ... on Message { id text senderType internal channelType createdAt conversation { id } } ... on ConversationEvent { id type fromStatus toStatus actorType actorId channelType at data conversation { id } } }
    pageInfo { hasNextPage endCursor } } } } }`;

/** Customer.timeline of one customer, as the gateway asks for it. */
export async function timelineOf(url: string, token: string, customerId: string, vars: Record<string, unknown> = {}): Promise<{ nodes: any[]; pageInfo: { hasNextPage: boolean; endCursor: string | null } }> {
  const d = await gqlOk(url, TIMELINE, { r: [{ __typename: 'Customer', id: customerId }], ...vars }, token);
  return d._entities[0].timeline;
}

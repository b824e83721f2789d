import { gqlOk } from '../../../test/helpers/graphql-client.js';
import { newTenant, tokenFor } from '../../../test/helpers/env.js';
import { newId } from '../../_shared/ids.js';
import { eventually } from '../conversations.testing.js';

/** Test support for the routing integration tests (not a test itself). */

export const SET_STATUS = `mutation($i: SetAgentStatusInput!) { setAgentStatus(input: $i) { presence { agentId status since lastHeartbeatAt } } }`;
export const HEARTBEAT = `mutation($i: SendHeartbeatInput!) { sendHeartbeat(input: $i) { presence { agentId status lastHeartbeatAt } } }`;
export const UPDATE_RULES = `mutation($i: UpdateRoutingRulesInput!) { updateRoutingRules(input: $i) { ruleSet { version rules effective updatedBy } } }`;
export const AGENT_ROUTING = `mutation($i: UpdateAgentRoutingInput!) { updateAgentRouting(input: $i) { routing { skills loads { channelClass active capacity } } } }`;
export const ACCEPT = `mutation($i: AcceptOfferInput!) { acceptOffer(input: $i) { offer { id status kind } conversation { id status assignee { id } } } }`;
export const DECLINE = `mutation($i: DeclineOfferInput!) { declineOffer(input: $i) { offer { id status reason } } }`;
export const TRANSFER = `mutation($i: TransferConversationInput!) { transferConversation(input: $i) { conversation { id status assignee { id } } routing { state groupId agentId reassignFrom } } }`;
export const ROUTE = `mutation($i: RouteConversationInput!) { routeConversation(input: $i) { conversation { id status } routing { state groupId agentId priority hints } } }`;
export const BOT_TURN = `mutation($i: ReportBotTurnInput!) { reportBotTurn(input: $i) { escalated reason } }`;
export const MY_OFFERS = `{ myOffers { id status kind conversation { id } } }`;
export const ROUTING_OF = `query($id: ID!) { conversation(id: $id) { id status assignee { id }
  routing { state groupId agentId offerId position priority reassignFrom hints group { name } agent { id } offer { id status } }
  routingTrace { outcome businessType businessTypeSource priority groupId chosenAgentId reason group { name } chosenAgent { id }
    levels { level ruleId matched detail groupIds candidates { agentId eligible reason rank tier status active capacity } } } } }`;
export const MY_ASSIGNMENTS = `subscription { myAssignments { type at offer { id status kind conversation { id status } agent { id } } } }`;
export const OPEN_AS = `mutation($input: CreateConversationInput!) { createConversation(input: $input) { conversation { id status } } }`;

export interface TestAgent {
  id: string;
  name: string;
  token: string;
}

export interface RoutingTenant {
  tenant: string;
  admin: string;
  service: string;
  groups: Record<string, string>;
  agents: Record<string, TestAgent>;
}

/** A tenant with groups and agents (optionally with skills and capacities); nobody is ONLINE yet. */
export async function routingTenant(
  url: string,
  spec: { groups: string[]; agents: Array<{ name: string; groups?: string[]; chat?: number; call?: number; skills?: string[] }> },
): Promise<RoutingTenant> {
  const tenant = newTenant('r');
  const admin = await tokenFor(tenant, ['admin']);
  const service = await tokenFor(tenant, ['service']);
  const groups: Record<string, string> = {};
  for (const name of spec.groups) {
    groups[name] = (await gqlOk(url, `mutation($n: String!) { createAgentGroup(input: { name: $n }) { group { id } } }`, { n: name }, admin)).createAgentGroup.group.id;
  }
  const agents: Record<string, TestAgent> = {};
  for (const a of spec.agents) {
    const input = { name: a.name, email: `${newId()}@example.com`, groupIds: (a.groups ?? []).map((g) => groups[g]), ...(a.chat ? { maxChats: a.chat } : {}) };
    const id = (await gqlOk(url, `mutation($i: CreateAgentInput!) { createAgent(input: $i) { agent { id } } }`, { i: input }, admin)).createAgent.agent.id;
    if (a.skills || a.call !== undefined) await gqlOk(url, AGENT_ROUTING, { i: { agentId: id, skills: a.skills, callCapacity: a.call } }, admin);
    agents[a.name] = { id, name: a.name, token: await tokenFor(tenant, ['agent'], id) };
  }
  return { tenant, admin, service, groups, agents };
}

export async function setStatus(url: string, agent: TestAgent, status = 'ONLINE'): Promise<void> {
  await gqlOk(url, SET_STATUS, { i: { status } }, agent.token);
}

export async function rules(url: string, t: RoutingTenant, doc: Record<string, unknown>): Promise<void> {
  await gqlOk(url, UPDATE_RULES, { i: { rules: doc } }, t.admin);
}

export async function open(url: string, t: RoutingTenant, input: Record<string, unknown> = {}): Promise<string> {
  const d = await gqlOk(url, OPEN_AS, { input: { customerId: newId(), channelType: 'app', subject: '咨询', ...input } }, t.admin);
  return d.createConversation.conversation.id;
}

export interface OfferRow {
  id: string;
  status: string;
  kind: string;
  conversation: { id: string };
}

/** Waits until the agent has an offer (or assignment) for the conversation. */
export async function offerFor(url: string, agent: TestAgent, conversationId: string, status = 'OFFERED', timeoutMs = 8000): Promise<OfferRow> {
  return eventually(async () => {
    const offers: OfferRow[] = (await gqlOk(url, MY_OFFERS, {}, agent.token)).myOffers;
    return offers.find((o) => o.conversation.id === conversationId && o.status === status);
  }, timeoutMs);
}

export async function routingOf(url: string, t: RoutingTenant, conversationId: string): Promise<any> {
  return (await gqlOk(url, ROUTING_OF, { id: conversationId }, t.admin)).conversation;
}

/** Waits until the conversation's routing state satisfies `ok`. */
export async function routedUntil(url: string, t: RoutingTenant, conversationId: string, ok: (c: any) => boolean, timeoutMs = 8000): Promise<any> {
  return eventually(async () => {
    const c = await routingOf(url, t, conversationId);
    return ok(c) ? c : undefined;
  }, timeoutMs);
}

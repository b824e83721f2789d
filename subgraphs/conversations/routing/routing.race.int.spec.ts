import { gql, gqlOk, type GqlResult } from '../../../test/helpers/graphql-client.js';
import { startTestSubgraph, type TestSubgraph } from '../../../test/helpers/subgraph-harness.js';
import { newId } from '../../_shared/ids.js';
import type { ConversationsServices } from '../conversations.services.js';
import { ASSIGN } from '../conversations.testing.js';
import { conversationsSubgraph } from '../index.js';
import { ACCEPT, offerFor, open, routedUntil, routingOf, routingTenant, rules, setStatus, TRANSFER, type RoutingTenant, type TestAgent } from './routing.testing.js';

const LOADS = `query($id: ID!) { agent(id: $id) { routing { loads { channelClass active capacity } } } }`;

/**
 * Two routing steps on the same conversation whose assignments reach the conversation in the other order (found by
 * routing.concurrency.int.spec.ts under load: an agent ended over capacity). The slow step is held at a gate in
 * front of ConversationService.assign, the way a busy replica holds it, so the order is forced every run.
 */
describe.each([
  ['MariaDB', { db: 'conversations_routing_race' }],
  ['SQLite', { databaseUrl: 'sqlite::memory:' }],
])('routing when a conversation lags behind its routing steps (%s)', (_db, where) => {
  let sg: TestSubgraph;
  let services: ConversationsServices;
  beforeAll(async () => {
    sg = await startTestSubgraph(conversationsSubgraph, { ...where, stream: `routing-race-${newId().slice(0, 8)}` });
    services = sg.services as ConversationsServices;
  });
  afterAll(() => sg.close());

  /** Holds the assignments of one conversation to one agent until released. */
  function gateAssignment(conversationId: string, agentId: string): { release(): void; restore(): void } {
    const conversations = services.conversations;
    const original = conversations.assign;
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    conversations.assign = async function (this: unknown, ...args: Parameters<typeof original>) {
      if (args[1] === conversationId && args[2] === agentId) await gate;
      return original.apply(conversations, args);
    };
    return { release, restore: () => void (conversations.assign = original) };
  }

  async function tenant(): Promise<RoutingTenant> {
    const t = await routingTenant(sg.url, {
      groups: ['订单组', '夜班组'],
      agents: [{ name: 'W', groups: ['订单组'], chat: 1 }, { name: 'X', groups: ['订单组'], chat: 1 }, { name: 'Y', groups: ['订单组'], chat: 1 }, { name: 'Z', groups: ['夜班组'], chat: 1 }],
    });
    await rules(sg.url, t, { defaultGroupId: t.groups['订单组'], offers: { timeoutSeconds: 60, noReplyMinutes: 0 } });
    return t;
  }
  const chat = async (t: RoutingTenant, agentId: string) =>
    (await gqlOk(sg.url, LOADS, { id: agentId }, t.admin)).agent.routing.loads.find((l: { channelClass: string }) => l.channelClass === 'chat');
  /** Who has the conversation, and routing's view of it. */
  const conversation = async (t: RoutingTenant, id: string) => {
    const { assignee, routing: { state, agentId, reassignFrom } } = await routingOf(sg.url, t, id);
    return { assignee: assignee && { id: assignee.id }, routing: { state, agentId, reassignFrom } };
  };

  /** A new conversation, offered to the agent (the only one online) and accepted. */
  async function acceptedBy(t: RoutingTenant, agent: TestAgent): Promise<string> {
    const c = await open(sg.url, t, { text: '你好' });
    await gqlOk(sg.url, ACCEPT, { i: { offerId: (await offerFor(sg.url, agent, c)).id } }, agent.token);
    return c;
  }


  /**
   * Transfers the conversation to `slow`, whose assignment of it is held back at a gate while `meanwhile` runs (the
   * steps that overtake it); then lets it through and returns the transfer's answer.
   */
  async function heldTransfer(t: RoutingTenant, c: string, slow: TestAgent, meanwhile: () => Promise<void>): Promise<GqlResult> {
    const gate = gateAssignment(c, slow.id);
    try {
      const transfer = gql(sg.url, TRANSFER, { i: { conversationId: c, toAgentId: slow.id } }, t.admin);
      await routedUntil(sg.url, t, c, (x) => x.routing.state === 'ASSIGNED' && x.routing.agentId === slow.id);
      await meanwhile();
      gate.release();
      return await transfer;
    } finally {
      gate.release();
      gate.restore();
    }
  }
  /** To a group where nobody is online: whoever has the conversation keeps it while it waits there. */
  const toNightShift = (t: RoutingTenant, c: string) => gqlOk(sg.url, TRANSFER, { i: { conversationId: c, toGroupId: t.groups['夜班组'] } }, t.admin);
  /** After routing looked at the conversation again (what its event does): it is `keeper`'s, and X has only its own. */
  async function expectKeptBy(t: RoutingTenant, c: string, keeper: TestAgent): Promise<void> {
    await services.routing.sync(t.tenant, c);
    expect(await conversation(t, c)).toEqual({ assignee: { id: keeper.id }, routing: { state: 'WAITING', agentId: null, reassignFrom: keeper.id } });
    expect(await chat(t, t.agents.X.id)).toEqual({ channelClass: 'chat', active: 1, capacity: 1 });
    expect(await chat(t, keeper.id)).toEqual({ channelClass: 'chat', active: 1, capacity: 1 });
  }

  it('an overtaken transfer leaves the conversation with the agent routing gave it to, and nobody over capacity', async () => {
    const t = await tenant();
    const { W, X, Y } = t.agents;
    await setStatus(sg.url, W);
    const c = await acceptedBy(t, W);
    await setStatus(sg.url, W, 'AWAY');
    await setStatus(sg.url, X);
    await setStatus(sg.url, Y);
    // The transfer to X commits in routing; before its assignment of the conversation arrives, a transfer to Y
    // overtakes it, Y passes it on to a group (keeping it), and X takes a conversation of its own.
    const toX = await heldTransfer(t, c, X, async () => {
      await gqlOk(sg.url, TRANSFER, { i: { conversationId: c, toAgentId: Y.id } }, t.admin);
      await toNightShift(t, c);
      await acceptedBy(t, X); // a conversation of X's own: X is at capacity
    });
    expect(toX.errors).toBeUndefined();
    await expectKeptBy(t, c, Y);
  });

  it('a conversation whose new assignment is still on its way is not counted for its previous agent', async () => {
    const t = await tenant();
    const { X, Y } = t.agents;
    await setStatus(sg.url, Y);
    const c = await open(sg.url, t, { text: '你好' });
    await routedUntil(sg.url, t, c, (x) => x.routing.state === 'OFFERED');
    await gqlOk(sg.url, ASSIGN, { input: { conversationId: c, agentId: X.id } }, t.admin);
    expect(await conversation(t, c)).toEqual({ assignee: { id: X.id }, routing: { state: 'ASSIGNED', agentId: X.id, reassignFrom: null } });
    await heldTransfer(t, c, Y, async () => {
      await toNightShift(t, c);
      await setStatus(sg.url, X);
      await acceptedBy(t, X); // a conversation of X's own: X is at capacity
      // The conversation still names X: its assignment to Y has not arrived. Routing must wait for it.
      expect((await conversation(t, c)).assignee).toEqual({ id: X.id });
      await services.routing.sync(t.tenant, c);
      expect(await chat(t, X.id)).toEqual({ channelClass: 'chat', active: 1, capacity: 1 });
    });
    await expectKeptBy(t, c, Y);
  });

  it('a supervisor\'s assignment is counted at once, also right after routing moved the conversation', async () => {
    const t = await tenant();
    const { W, X, Y } = t.agents;
    await setStatus(sg.url, W);
    const c = await acceptedBy(t, W);
    // W passes it to a group: W keeps it while it waits. A moment later a supervisor gives it to X.
    await gqlOk(sg.url, TRANSFER, { i: { conversationId: c, toGroupId: t.groups['夜班组'] } }, W.token);
    const r = await gqlOk(sg.url, ASSIGN, { input: { conversationId: c, agentId: X.id } }, t.admin);
    expect(r.assignConversation.conversation.assignee.id).toBe(X.id);
    expect(await conversation(t, c)).toEqual({ assignee: { id: X.id }, routing: { state: 'ASSIGNED', agentId: X.id, reassignFrom: null } });
    expect(await chat(t, X.id)).toEqual({ channelClass: 'chat', active: 1, capacity: 1 });
    expect(await chat(t, W.id)).toEqual({ channelClass: 'chat', active: 0, capacity: 1 });
    // Routing does not take it away from X afterwards: Y comes online with room, and nothing is offered.
    await setStatus(sg.url, Y);
    await services.routing.sync(t.tenant, c);
    expect((await conversation(t, c)).assignee).toEqual({ id: X.id });
    expect(await chat(t, Y.id)).toEqual({ channelClass: 'chat', active: 0, capacity: 1 });
    // Bad input keeps its codes on this path.
    expect((await gql(sg.url, ASSIGN, { input: { conversationId: c, agentId: newId() } }, t.admin)).errors?.[0].extensions?.code).toBe('NOT_FOUND');
    expect((await gql(sg.url, ASSIGN, { input: { conversationId: newId(), agentId: X.id } }, t.admin)).errors?.[0].extensions?.code).toBe('NOT_FOUND');
  });
});

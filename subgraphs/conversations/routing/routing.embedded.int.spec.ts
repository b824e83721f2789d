import { createTokenVerifier } from '../../_shared/auth.js';
import { createMemoryCache } from '../../_shared/cache.js';
import { createInProcessEventBus } from '../../_shared/events.js';
import { createLogger } from '../../_shared/logger.js';
import { createMemoryPubSub } from '../../_shared/pubsub.js';
import { runSubgraph, type RunningSubgraph } from '../../_shared/run-subgraph.js';
import { gqlOk } from '../../../test/helpers/graphql-client.js';
import { TEST_SECRET } from '../../../test/helpers/env.js';
import { RESOLVE } from '../conversations.testing.js';
import { conversationsSubgraph } from '../index.js';
import { ACCEPT, offerFor, open, routedUntil, routingTenant, rules, setStatus } from './routing.testing.js';

/** Embedded mode: no Redis at all. Presence, leases and timers live in memory behind the same interfaces. */
describe('routing in embedded mode (SQLite, in-process bus, in-memory presence)', () => {
  let sg: RunningSubgraph;
  const pubsub = createMemoryPubSub();
  const events = createInProcessEventBus(createLogger('test', 'silent'));
  const cache = createMemoryCache();
  beforeAll(async () => {
    sg = await runSubgraph({
      module: conversationsSubgraph, databaseUrl: 'sqlite::memory:', migrate: true, pubsub, events, cache,
      verifier: createTokenVerifier({ secret: TEST_SECRET }), log: createLogger('test', 'silent'), port: 0, host: '127.0.0.1',
    });
  });
  afterAll(async () => {
    await sg.stop();
    await events.close();
  });

  it('offers, accepts, times out and pulls the next conversation without Redis', async () => {
    const t = await routingTenant(sg.url, { groups: ['订单组'], agents: [{ name: 'A', groups: ['订单组'], chat: 1 }, { name: 'B', groups: ['订单组'], chat: 1 }] });
    await rules(sg.url, t, { defaultGroupId: t.groups['订单组'], offers: { timeoutSeconds: 1 } });
    await setStatus(sg.url, t.agents.A);
    const first = await open(sg.url, t, { text: '一' });
    await offerFor(sg.url, t.agents.A, first);
    await setStatus(sg.url, t.agents.B); // A lets the offer expire: B gets it
    const o = await offerFor(sg.url, t.agents.B, first, 'OFFERED', 6000);
    await gqlOk(sg.url, ACCEPT, { i: { offerId: o.id } }, t.agents.B.token);
    const second = await open(sg.url, t, { text: '二' });
    const third = await open(sg.url, t, { text: '三' }); // B is full, A is excluded from `first` only
    const oa = await offerFor(sg.url, t.agents.A, second);
    await gqlOk(sg.url, ACCEPT, { i: { offerId: oa.id } }, t.agents.A.token);
    expect((await routedUntil(sg.url, t, third, (x) => x.routingTrace?.outcome === 'QUEUED')).routing.state).toBe('WAITING');
    await gqlOk(sg.url, RESOLVE, { input: { conversationId: first } }, t.agents.B.token);
    await offerFor(sg.url, t.agents.B, third);
    const presence = await gqlOk(sg.url, `{ agentPresences { agentId status } }`, {}, t.admin);
    expect(presence.agentPresences).toHaveLength(2);
  });
});

import { composeServices } from '@theguild/federation-composition';
import { parse } from 'graphql';
import { buildFederatedSchema } from '../_shared/build-subgraph.js';
import { conversationsSubgraph } from '../conversations/index.js';
import { customersSubgraph } from '../customers/index.js';
import { ticketsSubgraph } from './index.js';

describe('tickets subgraph schema', () => {
  it('keys Ticket, points at agents without resolving them, has both subscriptions, and composes', async () => {
    const tickets = await buildFederatedSchema(ticketsSubgraph.definition);
    expect(tickets.sdl).toContain('type Ticket @key(fields: "id")');
    expect(tickets.sdl).toContain('type Agent @key(fields: "id", resolvable: false)');
    expect(tickets.sdl).toMatch(/ticketUpdated\(id: ID!\): Ticket!/);
    expect(tickets.sdl).toMatch(/myTickets: Ticket!/);
    for (const m of ['mergeTickets', 'linkTickets', 'unlinkTickets', 'createSlaPolicy', 'createBusinessCalendar']) expect(tickets.sdl).toContain(`${m}(input:`);
    const services = await Promise.all([customersSubgraph, conversationsSubgraph].map((m) => buildFederatedSchema(m.definition)));
    const result = composeServices(
      [tickets, ...services].map((s) => ({ name: s.name, typeDefs: parse(s.sdl), url: `http://${s.name}/graphql` })),
    );
    expect(result.errors ?? []).toEqual([]);
    const supergraph = (result as { supergraphSdl: string }).supergraphSdl;
    expect(supergraph).toMatch(/type Subscription[^{]*\{[^}]*ticketUpdated/);
    expect(supergraph).toMatch(/type Agent[^{]*@join__type\(graph: TICKETS, key: "id", resolvable: false\)/);
  });
});

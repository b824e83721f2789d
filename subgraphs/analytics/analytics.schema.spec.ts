import { composeServices } from '@theguild/federation-composition';
import { parse } from 'graphql';
import { buildFederatedSchema } from '../_shared/build-subgraph.js';
import { customersSubgraph } from '../customers/index.js';
import { analyticsSubgraph } from './index.js';

describe('analytics subgraph schema', () => {
  it('extends Tenant under the same key as the customers subgraph and composes with it', async () => {
    const analytics = await buildFederatedSchema(analyticsSubgraph.definition);
    expect(analytics.sdl).toContain('type Tenant @key(fields: "id")');
    expect(analytics.sdl).toMatch(/metrics\(from: DateTimeISO, to: DateTimeISO\): MetricSummary!/);
    const customers = await buildFederatedSchema(customersSubgraph.definition);
    const result = composeServices([
      { name: 'customers', typeDefs: parse(customers.sdl), url: 'http://customers/graphql' },
      { name: 'analytics', typeDefs: parse(analytics.sdl), url: 'http://analytics/graphql' },
    ]);
    expect(result.errors ?? []).toEqual([]);
    const supergraph = (result as { supergraphSdl: string }).supergraphSdl;
    expect(supergraph).toMatch(/type Tenant[^{]*@join__type\(graph: ANALYTICS, key: "id"\)/);
    expect(supergraph).toMatch(/type Tenant[^{]*@join__type\(graph: CUSTOMERS, key: "id"\)/);
  });
});

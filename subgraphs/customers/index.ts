import type { SubgraphModule } from '../_shared/subgraph-module.js';
import { CustomersInitial1764100000000 } from '../../migrations/customers/1764100000000-initial.js';
import { CustomersIdentityGraph1764600000000 } from '../../migrations/customers/1764600000000-identity-graph.js';
import { developmentCustomersConfig, type CustomersConfig } from './config.js';
import { ChannelIdentityEntity, CustomerEntity, CustomerTagEntity } from './customer/customer.entity.js';
import { createCustomerLoaders, type CustomerLoaders } from './customer/customer.loaders.js';
import { ChannelIdentityResolver, CustomerResolver } from './customer/customer.resolver.js';
import { createCustomersServices, startCustomersWorkers, type CustomersServices } from './customers.services.js';
import { seedCustomersDemo } from './customers.seed.js';
import { IdentityResolver } from './identity/identity.resolver.js';
import { CustomerMergeEntity, MergeSuggestionEntity } from './merge/merge.entity.js';
import { CustomerMergeResolver, MergeSuggestionResolver } from './merge/merge.resolver.js';
import { PiiResolver } from './pii/pii.resolver.js';
import { TenantEntity } from './tenant/tenant.entity.js';
import { TenantResolver } from './tenant/tenant.resolver.js';

/** The customers subgraph with its own configuration (PII keys); main.ts builds it from the environment. */
export function createCustomersSubgraph(config: CustomersConfig): SubgraphModule<CustomersServices, CustomerLoaders> {
  return {
    name: 'customers',
    defaultPort: 4001,
    definition: {
      name: 'customers',
      resolvers: [CustomerResolver, ChannelIdentityResolver, TenantResolver, IdentityResolver, CustomerMergeResolver, MergeSuggestionResolver, PiiResolver],
      references: {
        Customer: (ref, ctx) => (ctx.loaders as CustomerLoaders).customerById.load(ref.id),
        Tenant: (ref, ctx) => (ctx.viewer?.tenant === ref.id ? (ctx.services as CustomersServices).tenants.get(ref.id) : null),
      },
    },
    entities: [TenantEntity, CustomerEntity, ChannelIdentityEntity, CustomerTagEntity, CustomerMergeEntity, MergeSuggestionEntity],
    migrations: [CustomersInitial1764100000000, CustomersIdentityGraph1764600000000],
    createServices: (deps) => createCustomersServices(deps, config),
    createLoaders: (s, viewer) => createCustomerLoaders(s, viewer),
    seedDemo: seedCustomersDemo,
    startWorkers: startCustomersWorkers,
  };
}

/** With the fixed development PII keys: the embedded mode, the registry and the tests. */
export const customersSubgraph = createCustomersSubgraph(developmentCustomersConfig());

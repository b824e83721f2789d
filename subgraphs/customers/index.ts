import type { SubgraphModule } from '../_shared/subgraph-module.js';
import { CustomersInitial1764100000000 } from '../../migrations/customers/1764100000000-initial.js';
import { ChannelIdentityEntity, CustomerEntity, CustomerTagEntity } from './customer/customer.entity.js';
import { createCustomerLoaders, type CustomerLoaders } from './customer/customer.loaders.js';
import { CustomerResolver } from './customer/customer.resolver.js';
import { createCustomersServices, type CustomersServices } from './customers.services.js';
import { seedCustomersDemo } from './customers.seed.js';
import { TenantEntity } from './tenant/tenant.entity.js';
import { TenantResolver } from './tenant/tenant.resolver.js';

export const customersSubgraph: SubgraphModule<CustomersServices, CustomerLoaders> = {
  name: 'customers',
  defaultPort: 4001,
  definition: {
    name: 'customers',
    resolvers: [CustomerResolver, TenantResolver],
    references: {
      Customer: (ref, ctx) => (ctx.loaders as CustomerLoaders).customerById.load(ref.id),
      Tenant: (ref, ctx) => (ctx.viewer?.tenant === ref.id ? (ctx.services as CustomersServices).tenants.get(ref.id) : null),
    },
  },
  entities: [TenantEntity, CustomerEntity, ChannelIdentityEntity, CustomerTagEntity],
  migrations: [CustomersInitial1764100000000],
  createServices: createCustomersServices,
  createLoaders: (s, viewer) => createCustomerLoaders(s.customers, viewer),
  seedDemo: seedCustomersDemo,
};

import type { SubgraphDeps } from '../_shared/subgraph-module.js';
import { CustomerService } from './customer/customer.service.js';
import { TenantService } from './tenant/tenant.service.js';

export interface CustomersServices {
  customers: CustomerService;
  tenants: TenantService;
}

export function createCustomersServices(deps: SubgraphDeps): CustomersServices {
  return { customers: new CustomerService(deps.dataSource, deps.events), tenants: new TenantService(deps.dataSource) };
}

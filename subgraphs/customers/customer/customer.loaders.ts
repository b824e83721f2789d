import type DataLoader from 'dataloader';
import type { Viewer } from '../../_shared/auth.js';
import { byIdLoader, emptyLoader, groupLoader } from '../../_shared/loaders.js';
import type { ChannelIdentityEntity, CustomerEntity, CustomerTagEntity } from './customer.entity.js';
import type { CustomerService } from './customer.service.js';

export interface CustomerLoaders {
  customerById: DataLoader<string, CustomerEntity | null>;
  identitiesByCustomer: DataLoader<string, ChannelIdentityEntity[]>;
  tagsByCustomer: DataLoader<string, CustomerTagEntity[]>;
}

/** Tenant-scoped by construction: the viewer's tenant is baked into every loader of the request. */
export function createCustomerLoaders(service: CustomerService, viewer: Viewer | null): CustomerLoaders {
  if (!viewer) return { customerById: emptyLoader(null), identitiesByCustomer: emptyLoader([]), tagsByCustomer: emptyLoader([]) };
  const t = viewer.tenant;
  return {
    customerById: byIdLoader((ids) => service.byIds(t, ids)),
    identitiesByCustomer: groupLoader((ids) => service.identitiesOf(t, ids), (r) => r.customerId),
    tagsByCustomer: groupLoader((ids) => service.tagsOf(t, ids), (r) => r.customerId),
  };
}

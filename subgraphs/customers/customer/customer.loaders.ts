import type DataLoader from 'dataloader';
import type { Viewer } from '../../_shared/auth.js';
import { byIdLoader, emptyLoader, groupLoader } from '../../_shared/loaders.js';
import type { CustomersServices } from '../customers.services.js';
import type { CustomerMergeEntity } from '../merge/merge.entity.js';
import type { ChannelIdentityEntity, CustomerEntity, CustomerTagEntity } from './customer.entity.js';

export interface CustomerLoaders {
  customerById: DataLoader<string, CustomerEntity | null>;
  identitiesByCustomer: DataLoader<string, ChannelIdentityEntity[]>;
  tagsByCustomer: DataLoader<string, CustomerTagEntity[]>;
  mergeById: DataLoader<string, CustomerMergeEntity | null>;
}

/** Tenant-scoped by construction: the viewer's tenant is baked into every loader of the request. */
export function createCustomerLoaders(s: CustomersServices, viewer: Viewer | null): CustomerLoaders {
  if (!viewer) return { customerById: emptyLoader(null), identitiesByCustomer: emptyLoader([]), tagsByCustomer: emptyLoader([]), mergeById: emptyLoader(null) };
  const t = viewer.tenant;
  return {
    customerById: byIdLoader((ids) => s.customers.byIds(t, ids)),
    identitiesByCustomer: groupLoader((ids) => s.customers.identitiesOf(t, ids), (r) => r.customerId),
    tagsByCustomer: groupLoader((ids) => s.customers.tagsOf(t, ids), (r) => r.customerId),
    mergeById: byIdLoader((ids) => s.merges.byIds(t, ids)),
  };
}

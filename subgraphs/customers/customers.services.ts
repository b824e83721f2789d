import type { SubgraphDeps, Worker } from '../_shared/subgraph-module.js';
import type { CustomersConfig } from './config.js';
import { CustomerService } from './customer/customer.service.js';
import { IdentityService } from './identity/identity.service.js';
import { MergeService } from './merge/merge.service.js';
import { MergeSuggestionService } from './merge/suggestion.service.js';
import { PiiRotation } from './pii/pii.rotation.js';
import { PiiVault } from './pii/pii.vault.js';
import { TenantService } from './tenant/tenant.service.js';

export interface CustomersServices {
  customers: CustomerService;
  identities: IdentityService;
  merges: MergeService;
  suggestions: MergeSuggestionService;
  pii: PiiVault;
  rotation: PiiRotation;
  tenants: TenantService;
}

export function createCustomersServices(deps: SubgraphDeps, config: CustomersConfig): CustomersServices {
  const { dataSource: ds, events, log } = deps;
  const pii = new PiiVault(config.pii);
  const suggestions = new MergeSuggestionService(ds, events);
  const customers = new CustomerService(ds, events, pii, suggestions);
  return {
    customers,
    identities: new IdentityService(ds, events, pii, customers, suggestions, log.child({ component: 'identity' })),
    merges: new MergeService(ds, events, pii, suggestions),
    suggestions,
    pii,
    rotation: new PiiRotation(ds, pii, log.child({ component: 'pii-rotation' })),
    tenants: new TenantService(ds),
  };
}

/**
 * At boot, in the background: re-encrypt what an earlier key wrote and protect phone identities from before
 * encryption. Replicas may all run it; stopping ends it between batches and the next boot resumes.
 */
export async function startCustomersWorkers(s: CustomersServices, deps: SubgraphDeps): Promise<Worker[]> {
  let stopping = false;
  const sweep = s.rotation.sweep({ shouldStop: () => stopping }).catch((err) => deps.log.error({ err }, 'PII sweep failed; it runs again at the next boot'));
  return [
    {
      async stop() {
        stopping = true;
        await sweep;
      },
    },
  ];
}

import { Arg, Authorized, Ctx, Mutation, Resolver } from 'type-graphql';
import { requireViewer, type SubgraphContext } from '../../_shared/context.js';
import type { CustomerLoaders } from '../customer/customer.loaders.js';
import type { CustomersServices } from '../customers.services.js';
import { ResolveIdentityInput, ResolveIdentityPayload, type IdentityLinkedBy } from './identity.type.js';
import type { MergeSuggestion } from '../merge/merge.type.js';

type Ctx = SubgraphContext<CustomersServices, CustomerLoaders>;

@Resolver()
export class IdentityResolver {
  // admin too: an operator can try resolution out (in their own tenant only, like everything else).
  @Authorized('service', 'admin')
  @Mutation(() => ResolveIdentityPayload, {
    description:
      'Which customer sent an inbound message (called by ingest with the `service` role; `admin` may call it too): an exact identity match, else a strong key (UnionID, verified phone, logged-in app user) links the identity to a known customer, else a new customer. Weak signals only raise merge suggestions.',
  })
  async resolveIdentity(@Arg('input') input: ResolveIdentityInput, @Ctx() ctx: Ctx): Promise<ResolveIdentityPayload> {
    const r = await ctx.services.identities.resolve(requireViewer(ctx).tenant, input);
    return { customer: r.customer, created: r.created, linkedBy: r.linkedBy as IdentityLinkedBy, suggestions: r.suggestions as unknown as MergeSuggestion[] };
  }
}

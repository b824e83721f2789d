import { Arg, Authorized, Ctx, Mutation, Resolver } from 'type-graphql';
import { requireViewer, type SubgraphContext } from '../../_shared/context.js';
import { ADMINS } from '../../_shared/roles.js';
import type { CustomersServices } from '../customers.services.js';
import { ReencryptCustomerPiiInput, ReencryptCustomerPiiPayload } from './pii.type.js';

@Resolver()
export class PiiResolver {
  @Authorized(...ADMINS)
  @Mutation(() => ReencryptCustomerPiiPayload, {
    description:
      "Key rotation: re-encrypts the tenant's phone numbers and addresses with the active key (PII_ACTIVE_KEY_ID). Each replica also does this for every tenant at boot.",
  })
  async reencryptCustomerPii(@Arg('input') input: ReencryptCustomerPiiInput, @Ctx() ctx: SubgraphContext<CustomersServices>): Promise<ReencryptCustomerPiiPayload> {
    const tenantId = requireViewer(ctx).tenant;
    const done = await ctx.services.rotation.sweep({ tenantId, batchSize: input.batchSize ?? undefined });
    return { ...done, remaining: await ctx.services.rotation.remaining(tenantId) };
  }
}

import { Authorized, Ctx, Query, Resolver } from 'type-graphql';
import { requireViewer, type SubgraphContext } from '../../_shared/context.js';
import type { CustomersServices } from '../customers.services.js';
import { Tenant } from './tenant.type.js';

@Resolver(() => Tenant)
export class TenantResolver {
  @Authorized()
  @Query(() => Tenant, { nullable: true, description: "The caller's tenant." })
  tenant(@Ctx() ctx: SubgraphContext<CustomersServices>) {
    return ctx.services.tenants.get(requireViewer(ctx).tenant);
  }
}

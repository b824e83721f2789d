import { Arg, Authorized, Ctx, FieldResolver, ID, Int, Mutation, Query, Resolver, Root } from 'type-graphql';
import { requireViewer, type SubgraphContext } from '../../_shared/context.js';
import { STAFF } from '../../_shared/roles.js';
import type { CustomersServices } from '../customers.services.js';
import { present, reveal, seesPiiInFull } from '../pii/pii.view.js';
import type { ChannelIdentityEntity, CustomerEntity } from './customer.entity.js';
import type { CustomerLoaders } from './customer.loaders.js';
import {
  ChannelIdentity, CreateCustomerInput, Customer, CustomerPage, CustomerPayload, LinkChannelIdentityInput, TagCustomerInput, UpdateCustomerInput,
} from './customer.type.js';

type Ctx = SubgraphContext<CustomersServices, CustomerLoaders>;

@Resolver(() => Customer)
export class CustomerResolver {
  @Authorized(...STAFF)
  @Query(() => Customer, {
    nullable: true,
    description: "A customer of the caller's tenant; null when there is none with that id. A merged customer is returned with `mergedInto` set.",
  })
  customer(@Arg('id', () => ID) id: string, @Ctx() ctx: Ctx) {
    return ctx.loaders.customerById.load(id);
  }

  @Authorized(...STAFF)
  @Query(() => CustomerPage, { description: 'Newest first; `search` matches the name. Merged customers are not listed.' })
  customers(
    @Ctx() ctx: Ctx,
    @Arg('first', () => Int, { nullable: true }) first?: number,
    @Arg('after', () => String, { nullable: true }) after?: string,
    @Arg('search', () => String, { nullable: true }) search?: string,
  ) {
    return ctx.services.customers.list(requireViewer(ctx).tenant, { first, after, search });
  }

  @FieldResolver(() => [String])
  async tags(@Root() c: Customer, @Ctx() ctx: Ctx): Promise<string[]> {
    return (await ctx.loaders.tagsByCustomer.load(c.id)).map((t) => t.tag);
  }

  @FieldResolver(() => [ChannelIdentity])
  identities(@Root() c: Customer, @Ctx() ctx: Ctx) {
    return ctx.loaders.identitiesByCustomer.load(c.id);
  }

  @FieldResolver(() => String, { nullable: true, description: 'The profile phone number: masked (138****5678) unless the caller is an admin or supervisor.' })
  phone(@Root() c: CustomerEntity, @Ctx() ctx: Ctx): string | null {
    return reveal(ctx.services.pii, ctx.viewer, c.phoneEnc, 'phone', ctx.log, { customerId: c.id });
  }

  @FieldResolver(() => String, { nullable: true, description: 'Masked after the district unless the caller is an admin or supervisor.' })
  address(@Root() c: CustomerEntity, @Ctx() ctx: Ctx): string | null {
    return reveal(ctx.services.pii, ctx.viewer, c.addressEnc, 'address', ctx.log, { customerId: c.id });
  }

  @FieldResolver(() => Customer, { nullable: true, description: 'The customer this one was merged into (its survivor), while merged.' })
  mergedInto(@Root() c: CustomerEntity, @Ctx() ctx: Ctx) {
    return c.mergedInto ? ctx.loaders.customerById.load(c.mergedInto) : null;
  }

  @Authorized(...STAFF)
  @Mutation(() => CustomerPayload)
  async createCustomer(@Arg('input') input: CreateCustomerInput, @Ctx() ctx: Ctx): Promise<CustomerPayload> {
    return { customer: await ctx.services.customers.create(requireViewer(ctx).tenant, input) };
  }

  @Authorized(...STAFF)
  @Mutation(() => CustomerPayload)
  async updateCustomer(@Arg('input') input: UpdateCustomerInput, @Ctx() ctx: Ctx): Promise<CustomerPayload> {
    return { customer: await ctx.services.customers.update(requireViewer(ctx).tenant, input) };
  }

  @Authorized(...STAFF)
  @Mutation(() => CustomerPayload, { description: 'Adds and removes tags in one step.' })
  async tagCustomer(@Arg('input') input: TagCustomerInput, @Ctx() ctx: Ctx): Promise<CustomerPayload> {
    return { customer: await ctx.services.customers.tag(requireViewer(ctx).tenant, input.customerId, input.add ?? [], input.remove ?? []) };
  }

  @Authorized(...STAFF)
  @Mutation(() => CustomerPayload, { description: 'Attaches a channel identity; CONFLICT when it belongs to another customer.' })
  async linkChannelIdentity(@Arg('input') input: LinkChannelIdentityInput, @Ctx() ctx: Ctx): Promise<CustomerPayload> {
    return { customer: await ctx.services.customers.linkIdentity(requireViewer(ctx).tenant, input) };
  }
}

@Resolver(() => ChannelIdentity)
export class ChannelIdentityResolver {
  @FieldResolver(() => String, { nullable: true, description: 'The app id that scopes the id (OpenIDs, open_uid); null for global ids.' })
  appId(@Root() i: ChannelIdentityEntity): string | null {
    return i.appId || null;
  }

  @FieldResolver(() => String, { description: 'The id on the channel. For phone identities the number, masked unless the caller is an admin or supervisor.' })
  externalId(@Root() i: ChannelIdentityEntity, @Ctx() ctx: Ctx): string {
    if (i.kind !== 'phone') return i.externalId;
    // A phone identity from before encryption (the PII sweep has not reached it yet) still holds the number.
    if (!i.valueEnc) return present(i.externalId, 'phone', seesPiiInFull(ctx.viewer));
    return reveal(ctx.services.pii, ctx.viewer, i.valueEnc, 'phone', ctx.log, { identityId: i.id }) ?? '';
  }
}

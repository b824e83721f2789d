import { Arg, Authorized, Ctx, FieldResolver, ID, Int, Mutation, Query, Resolver, Root } from 'type-graphql';
import { requireViewer, type SubgraphContext } from '../../_shared/context.js';
import { STAFF } from '../../_shared/roles.js';
import type { CustomersServices } from '../customers.services.js';
import type { CustomerLoaders } from './customer.loaders.js';
import {
  ChannelIdentity, CreateCustomerInput, Customer, CustomerPage, CustomerPayload, LinkChannelIdentityInput, TagCustomerInput, UpdateCustomerInput,
} from './customer.type.js';

type Ctx = SubgraphContext<CustomersServices, CustomerLoaders>;

@Resolver(() => Customer)
export class CustomerResolver {
  @Authorized(...STAFF)
  @Query(() => Customer, { nullable: true, description: "A customer of the caller's tenant; null when there is none with that id." })
  customer(@Arg('id', () => ID) id: string, @Ctx() ctx: Ctx) {
    return ctx.loaders.customerById.load(id);
  }

  @Authorized(...STAFF)
  @Query(() => CustomerPage, { description: 'Newest first; `search` matches the name.' })
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

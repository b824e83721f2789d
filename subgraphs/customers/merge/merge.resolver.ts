import { Arg, Authorized, Ctx, FieldResolver, ID, Int, Mutation, Query, Resolver, Root } from 'type-graphql';
import type { Role } from '../../_shared/auth.js';
import { requireViewer, type SubgraphContext } from '../../_shared/context.js';
import { STAFF } from '../../_shared/roles.js';
import type { CustomerLoaders } from '../customer/customer.loaders.js';
import { Customer } from '../customer/customer.type.js';
import type { CustomersServices } from '../customers.services.js';
import type { CustomerMergeEntity, MergeSuggestionEntity } from './merge.entity.js';
import type { MergeResult } from './merge.service.js';
import {
  AcceptMergeSuggestionInput, CustomerMerge, CustomerMergePage, MergeCustomersInput, MergeCustomersPayload, MergeSuggestion, MergeSuggestionPage,
  MergeSuggestionPayload, MergeSuggestionStatus, MovedIdentity, RejectMergeSuggestionInput,
  UnmergeCustomersInput,
} from './merge.type.js';

type Ctx = SubgraphContext<CustomersServices, CustomerLoaders>;

/** People who decide about merges: the service role (ingest) only resolves identities, it never merges. */
const DECIDERS: Role[] = ['admin', 'supervisor', 'agent'];

const payload = (r: MergeResult) => ({ merge: r.merge, survivor: r.survivor, merged: r.merged }) as unknown as MergeCustomersPayload;

@Resolver(() => CustomerMerge)
export class CustomerMergeResolver {
  @Authorized(...STAFF)
  @Query(() => CustomerMergePage, { description: 'The merge audit trail, newest first; optionally only the merges a customer took part in.' })
  customerMerges(
    @Ctx() ctx: Ctx,
    @Arg('customerId', () => ID, { nullable: true }) customerId?: string,
    @Arg('first', () => Int, { nullable: true }) first?: number,
    @Arg('after', () => String, { nullable: true }) after?: string,
  ) {
    return ctx.services.merges.list(requireViewer(ctx).tenant, { first, after, customerId });
  }

  @Authorized(...DECIDERS)
  @Mutation(() => MergeCustomersPayload, {
    description:
      "Merges a customer into another of the same tenant: identities, tags and missing profile fields move to the survivor; conversations and tickets follow. Audited and reversible (unmergeCustomers).",
  })
  async mergeCustomers(@Arg('input') input: MergeCustomersInput, @Ctx() ctx: Ctx): Promise<MergeCustomersPayload> {
    const v = requireViewer(ctx);
    return payload(await ctx.services.merges.merge(v.tenant, v.sub, input));
  }

  @Authorized(...DECIDERS)
  @Mutation(() => MergeCustomersPayload, { description: 'Undoes a merge: exactly what it moved goes back. Later merges of the survivor must be undone first.' })
  async unmergeCustomers(@Arg('input') input: UnmergeCustomersInput, @Ctx() ctx: Ctx): Promise<MergeCustomersPayload> {
    const v = requireViewer(ctx);
    return payload(await ctx.services.merges.unmerge(v.tenant, v.sub, input));
  }

  @FieldResolver(() => Customer, { nullable: true })
  survivor(@Root() m: CustomerMergeEntity, @Ctx() ctx: Ctx) {
    return ctx.loaders.customerById.load(m.survivorId);
  }

  @FieldResolver(() => Customer, { nullable: true })
  merged(@Root() m: CustomerMergeEntity, @Ctx() ctx: Ctx) {
    return ctx.loaders.customerById.load(m.mergedId);
  }

  @FieldResolver(() => [MovedIdentity])
  movedIdentities(@Root() m: CustomerMergeEntity): MovedIdentity[] {
    return m.moved.identities;
  }

  @FieldResolver(() => [String], { description: 'Tags the survivor got from the merged customer (and tags both had).' })
  movedTags(@Root() m: CustomerMergeEntity): string[] {
    return [...m.moved.tagsMoved, ...m.moved.tagsShared].sort();
  }

  @FieldResolver(() => [String], { description: "Profile fields of the survivor the merge filled or raised: phone, address, level." })
  profileFields(@Root() m: CustomerMergeEntity): string[] {
    return m.moved.profile.map((p) => p.field);
  }
}

@Resolver(() => MergeSuggestion)
export class MergeSuggestionResolver {
  @Authorized(...STAFF)
  @Query(() => MergeSuggestionPage, { description: 'Merge suggestions, newest first: PENDING by default (without pairs where either side was merged meanwhile).' })
  mergeSuggestions(
    @Ctx() ctx: Ctx,
    @Arg('status', () => MergeSuggestionStatus, { nullable: true }) status?: MergeSuggestionStatus,
    @Arg('customerId', () => ID, { nullable: true }) customerId?: string,
    @Arg('first', () => Int, { nullable: true }) first?: number,
    @Arg('after', () => String, { nullable: true }) after?: string,
  ) {
    return ctx.services.suggestions.list(requireViewer(ctx).tenant, { first, after, status, customerId });
  }

  @Authorized(...DECIDERS)
  @Mutation(() => MergeCustomersPayload, { description: 'Accepts a suggestion: merges its two customers (the older survives unless survivorId says otherwise).' })
  async acceptMergeSuggestion(@Arg('input') input: AcceptMergeSuggestionInput, @Ctx() ctx: Ctx): Promise<MergeCustomersPayload> {
    const v = requireViewer(ctx);
    return payload(await ctx.services.merges.acceptSuggestion(v.tenant, v.sub, input));
  }

  @Authorized(...DECIDERS)
  @Mutation(() => MergeSuggestionPayload, { description: 'Rejects a suggestion: the pair is not suggested again for that reason.' })
  async rejectMergeSuggestion(@Arg('input') input: RejectMergeSuggestionInput, @Ctx() ctx: Ctx): Promise<MergeSuggestionPayload> {
    const v = requireViewer(ctx);
    return { suggestion: (await ctx.services.suggestions.reject(v.tenant, v.sub, input.suggestionId)) as unknown as MergeSuggestion };
  }

  @FieldResolver(() => Customer, { nullable: true, description: 'The customer whose new data raised the suggestion.' })
  customer(@Root() s: MergeSuggestionEntity, @Ctx() ctx: Ctx) {
    return ctx.loaders.customerById.load(s.customerId);
  }

  @FieldResolver(() => Customer, { nullable: true, description: 'The known customer it may be.' })
  candidate(@Root() s: MergeSuggestionEntity, @Ctx() ctx: Ctx) {
    return ctx.loaders.customerById.load(s.candidateId);
  }

  @FieldResolver(() => CustomerMerge, { nullable: true, description: 'The merge that accepted it.' })
  merge(@Root() s: MergeSuggestionEntity, @Ctx() ctx: Ctx) {
    return s.mergeId ? ctx.loaders.mergeById.load(s.mergeId) : null;
  }
}

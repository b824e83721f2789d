import { Arg, Authorized, Ctx, Mutation, Query, Resolver } from 'type-graphql';
import { requireViewer, type SubgraphContext } from '../../_shared/context.js';
import { MANAGERS, STAFF } from '../../_shared/roles.js';
import type { KnowledgeLoaders } from '../knowledge.loaders.js';
import type { KnowledgeServices } from '../knowledge.services.js';
import { CreateSynonymGroupInput, DeleteSynonymGroupInput, DeleteSynonymGroupPayload, SynonymGroup, SynonymGroupPayload } from './synonym.type.js';

type Ctx = SubgraphContext<KnowledgeServices, KnowledgeLoaders>;

@Resolver(() => SynonymGroup)
export class SynonymResolver {
  @Authorized(...STAFF)
  @Query(() => [SynonymGroup], { description: "The tenant's synonym groups, then the built-in ones." })
  knowledgeSynonyms(@Ctx() ctx: Ctx) {
    return ctx.services.synonyms.list(requireViewer(ctx).tenant);
  }

  @Authorized(...MANAGERS)
  @Mutation(() => SynonymGroupPayload, { description: 'Search treats the words as one from now on, on every replica.' })
  async createSynonymGroup(@Arg('input') input: CreateSynonymGroupInput, @Ctx() ctx: Ctx): Promise<SynonymGroupPayload> {
    const v = requireViewer(ctx);
    return { group: await ctx.services.synonyms.create(v.tenant, input.terms, v.sub) };
  }

  @Authorized(...MANAGERS)
  @Mutation(() => DeleteSynonymGroupPayload)
  async deleteSynonymGroup(@Arg('input') input: DeleteSynonymGroupInput, @Ctx() ctx: Ctx): Promise<DeleteSynonymGroupPayload> {
    return { deletedId: await ctx.services.synonyms.delete(requireViewer(ctx).tenant, input.groupId) };
  }
}

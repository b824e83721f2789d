import { Arg, Authorized, Ctx, FieldResolver, Mutation, Query, Resolver, Root } from 'type-graphql';
import { requireViewer, type SubgraphContext } from '../../_shared/context.js';
import { MANAGERS, STAFF } from '../../_shared/roles.js';
import type { KnowledgeLoaders } from '../knowledge.loaders.js';
import type { KnowledgeServices } from '../knowledge.services.js';
import type { CategoryEntity } from './category.entity.js';
import { Category, CategoryPayload, CreateCategoryInput } from './category.type.js';

type Ctx = SubgraphContext<KnowledgeServices, KnowledgeLoaders>;

@Resolver(() => Category)
export class CategoryResolver {
  @Authorized(...STAFF)
  @Query(() => [Category], { description: "Every category of the caller's tenant, by name." })
  categories(@Ctx() ctx: Ctx) {
    return ctx.services.categories.list(requireViewer(ctx).tenant);
  }

  @FieldResolver(() => Category, { nullable: true })
  parent(@Root() c: CategoryEntity, @Ctx() ctx: Ctx) {
    return c.parentId ? ctx.loaders.categoryById.load(c.parentId) : null;
  }

  @Authorized(...MANAGERS)
  @Mutation(() => CategoryPayload, { description: 'CONFLICT when a sibling has the same name.' })
  async createCategory(@Arg('input') input: CreateCategoryInput, @Ctx() ctx: Ctx): Promise<CategoryPayload> {
    return { category: await ctx.services.categories.create(requireViewer(ctx).tenant, input) };
  }
}

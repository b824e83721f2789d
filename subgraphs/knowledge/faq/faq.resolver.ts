import { Arg, Authorized, Ctx, FieldResolver, ID, Int, Mutation, Query, Resolver, Root } from 'type-graphql';
import { requireViewer, type SubgraphContext } from '../../_shared/context.js';
import { MANAGERS, STAFF } from '../../_shared/roles.js';
import { Category } from '../category/category.type.js';
import { isValidAt } from '../knowledge.changes.js';
import type { KnowledgeLoaders } from '../knowledge.loaders.js';
import type { KnowledgeServices } from '../knowledge.services.js';
import type { FaqEntity } from './faq.entity.js';
import { CreateFaqInput, Faq, FaqIdInput, FaqPage, FaqPayload, UpdateFaqInput } from './faq.type.js';

type Ctx = SubgraphContext<KnowledgeServices, KnowledgeLoaders>;

@Resolver(() => Faq)
export class FaqResolver {
  @Authorized(...STAFF)
  @Query(() => Faq, { nullable: true, description: "An FAQ of the caller's tenant, in any status; null when there is none." })
  faq(@Arg('id', () => ID) id: string, @Ctx() ctx: Ctx) {
    return ctx.loaders.faqById.load(id);
  }

  @Authorized(...STAFF)
  @Query(() => FaqPage, { description: 'Newest first; optionally one status or one category.' })
  faqs(
    @Ctx() ctx: Ctx,
    @Arg('first', () => Int, { nullable: true }) first?: number,
    @Arg('after', () => String, { nullable: true }) after?: string,
    @Arg('status', () => String, { nullable: true, description: 'DRAFT, PUBLISHED or ARCHIVED' }) status?: string,
    @Arg('categoryId', () => ID, { nullable: true }) categoryId?: string,
  ) {
    return ctx.services.faqs.list(requireViewer(ctx).tenant, { first, after, status, categoryId });
  }

  @FieldResolver(() => String, { description: 'The first phrasing.' })
  async question(@Root() f: FaqEntity, @Ctx() ctx: Ctx): Promise<string> {
    return (await ctx.loaders.questionsByFaq.load(f.id))[0]?.question ?? '';
  }

  @FieldResolver(() => [String], { description: 'Every phrasing of the question, in order.' })
  async questions(@Root() f: FaqEntity, @Ctx() ctx: Ctx): Promise<string[]> {
    return (await ctx.loaders.questionsByFaq.load(f.id)).map((q) => q.question);
  }

  @FieldResolver(() => [String])
  tags(@Root() f: FaqEntity): string[] {
    return f.tags ?? [];
  }

  @FieldResolver(() => Boolean, { description: 'Within its validity dates right now.' })
  valid(@Root() f: FaqEntity): boolean {
    return isValidAt(f);
  }

  @FieldResolver(() => Category, { nullable: true })
  category(@Root() f: FaqEntity, @Ctx() ctx: Ctx) {
    return f.categoryId ? ctx.loaders.categoryById.load(f.categoryId) : null;
  }

  @Authorized(...STAFF)
  @Mutation(() => FaqPayload, { description: 'A DRAFT FAQ with one answer and its phrasings.' })
  async createFaq(@Arg('input') input: CreateFaqInput, @Ctx() ctx: Ctx): Promise<FaqPayload> {
    const v = requireViewer(ctx);
    return { faq: await ctx.services.faqs.create(v.tenant, input, v.sub) };
  }

  @Authorized(...STAFF)
  @Mutation(() => FaqPayload, { description: 'Changes the given parts; questions replaces every phrasing.' })
  async updateFaq(@Arg('input') input: UpdateFaqInput, @Ctx() ctx: Ctx): Promise<FaqPayload> {
    const v = requireViewer(ctx);
    return { faq: await ctx.services.faqs.update(v.tenant, input, v.sub) };
  }

  @Authorized(...MANAGERS)
  @Mutation(() => FaqPayload, { description: 'Makes the FAQ visible to the bot; publishing twice is harmless.' })
  async publishFaq(@Arg('input') input: FaqIdInput, @Ctx() ctx: Ctx): Promise<FaqPayload> {
    const v = requireViewer(ctx);
    return { faq: await ctx.services.faqs.publish(v.tenant, input.faqId, v.sub) };
  }

  @Authorized(...MANAGERS)
  @Mutation(() => FaqPayload, { description: 'Takes the FAQ out of search; publishing it brings it back.' })
  async archiveFaq(@Arg('input') input: FaqIdInput, @Ctx() ctx: Ctx): Promise<FaqPayload> {
    const v = requireViewer(ctx);
    return { faq: await ctx.services.faqs.archive(v.tenant, input.faqId, v.sub) };
  }
}

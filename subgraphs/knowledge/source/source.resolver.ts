import { Arg, Authorized, Ctx, FieldResolver, ID, Mutation, Query, Resolver, Root } from 'type-graphql';
import { requireViewer, type SubgraphContext } from '../../_shared/context.js';
import { MANAGERS } from '../../_shared/roles.js';
import { Category } from '../category/category.type.js';
import type { KnowledgeLoaders } from '../knowledge.loaders.js';
import type { KnowledgeServices } from '../knowledge.services.js';
import type { KnowledgeSourceEntity } from './source.entity.js';
import type { CrawlReport as Report } from './source.service.js';
import {
  CrawlReport, CreateKnowledgeSourceInput, KnowledgeSource, KnowledgeSourcePayload, RunKnowledgeSourceInput, RunKnowledgeSourcePayload, UpdateKnowledgeSourceInput,
} from './source.type.js';

type Ctx = SubgraphContext<KnowledgeServices, KnowledgeLoaders>;

@Resolver(() => KnowledgeSource)
export class KnowledgeSourceResolver {
  @Authorized(...MANAGERS)
  @Query(() => KnowledgeSource, { nullable: true })
  knowledgeSource(@Arg('id', () => ID) id: string, @Ctx() ctx: Ctx) {
    return ctx.loaders.sourceById.load(id);
  }

  @Authorized(...MANAGERS)
  @Query(() => [KnowledgeSource], { description: "The tenant's crawled sources, oldest first." })
  knowledgeSources(@Ctx() ctx: Ctx) {
    return ctx.services.sources.list(requireViewer(ctx).tenant);
  }

  @FieldResolver(() => CrawlReport, { nullable: true, description: 'What the last crawl found and did.' })
  lastReport(@Root() s: KnowledgeSourceEntity): Report | null {
    const r = s.lastReport as (Omit<Report, 'startedAt' | 'finishedAt'> & { startedAt: string; finishedAt: string }) | null;
    return r ? { ...r, startedAt: new Date(r.startedAt), finishedAt: new Date(r.finishedAt) } : null;
  }

  @FieldResolver(() => Category, { nullable: true })
  category(@Root() s: KnowledgeSourceEntity, @Ctx() ctx: Ctx) {
    return s.categoryId ? ctx.loaders.categoryById.load(s.categoryId) : null;
  }

  @Authorized(...MANAGERS)
  @Mutation(() => KnowledgeSourcePayload, { description: 'Product page URLs or a JSON/CSV feed, crawled on the schedule (robots.txt respected).' })
  async createKnowledgeSource(@Arg('input') input: CreateKnowledgeSourceInput, @Ctx() ctx: Ctx): Promise<KnowledgeSourcePayload> {
    const v = requireViewer(ctx);
    return { source: await ctx.services.sources.create(v.tenant, input, v.sub) };
  }

  @Authorized(...MANAGERS)
  @Mutation(() => KnowledgeSourcePayload)
  async updateKnowledgeSource(@Arg('input') input: UpdateKnowledgeSourceInput, @Ctx() ctx: Ctx): Promise<KnowledgeSourcePayload> {
    return { source: await ctx.services.sources.update(requireViewer(ctx).tenant, input) };
  }

  @Authorized(...MANAGERS)
  @Mutation(() => RunKnowledgeSourcePayload, { description: 'Crawls the source now and answers with what changed; CONFLICT while a crawl of it runs.' })
  async runKnowledgeSource(@Arg('input') input: RunKnowledgeSourceInput, @Ctx() ctx: Ctx): Promise<RunKnowledgeSourcePayload> {
    return ctx.services.sources.runNow(requireViewer(ctx).tenant, input.sourceId);
  }
}

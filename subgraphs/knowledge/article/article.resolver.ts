import { Arg, Authorized, Ctx, FieldResolver, ID, Int, Mutation, Query, Resolver, Root } from 'type-graphql';
import { requireViewer, type SubgraphContext } from '../../_shared/context.js';
import { MANAGERS, STAFF } from '../../_shared/roles.js';
import { Category } from '../category/category.type.js';
import { isValidAt } from '../knowledge.changes.js';
import { versionKey, type KnowledgeLoaders } from '../knowledge.loaders.js';
import type { KnowledgeServices } from '../knowledge.services.js';
import { KnowledgeSource } from '../source/source.type.js';
import type { ArticleEntity, ArticleVersionEntity } from './article.entity.js';
import {
  ArchiveArticleInput, Article, ArticlePage, ArticlePayload, ArticleVersion, CreateArticleInput, PublishArticleInput, RollbackArticleInput, UpdateArticleInput,
} from './article.type.js';

type Ctx = SubgraphContext<KnowledgeServices, KnowledgeLoaders>;

@Resolver(() => Article)
export class ArticleResolver {
  @Authorized(...STAFF)
  @Query(() => Article, { nullable: true, description: "An article of the caller's tenant, in any status; null when there is none." })
  article(@Arg('id', () => ID) id: string, @Ctx() ctx: Ctx) {
    return ctx.loaders.articleById.load(id);
  }

  @Authorized(...STAFF)
  @Query(() => ArticlePage, { description: 'Newest first; optionally one status, one category, or only stale (or only fresh) articles.' })
  articles(
    @Ctx() ctx: Ctx,
    @Arg('first', () => Int, { nullable: true }) first?: number,
    @Arg('after', () => String, { nullable: true }) after?: string,
    @Arg('status', () => String, { nullable: true, description: 'DRAFT, PUBLISHED or ARCHIVED' }) status?: string,
    @Arg('categoryId', () => ID, { nullable: true }) categoryId?: string,
    @Arg('stale', () => Boolean, { nullable: true, description: 'true: only articles whose source no longer lists the product.' }) stale?: boolean,
  ) {
    return ctx.services.articles.list(requireViewer(ctx).tenant, { first, after, status, categoryId, stale });
  }

  @Authorized(...STAFF)
  @Query(() => [Article], { description: 'Published articles whose title or body contains the text (at most 20, recently updated first). For ranked search use searchKnowledge.' })
  searchArticles(@Arg('query') query: string, @Ctx() ctx: Ctx) {
    return ctx.services.articles.search(requireViewer(ctx).tenant, query);
  }

  @FieldResolver(() => Int, { description: 'The current version number.' })
  version(@Root() a: ArticleEntity): number {
    return a.currentVersion;
  }

  @FieldResolver(() => String, { description: "The current version's body." })
  async body(@Root() a: ArticleEntity, @Ctx() ctx: Ctx): Promise<string> {
    return (await ctx.loaders.versionAt.load(versionKey(a.id, a.currentVersion)))?.body ?? '';
  }

  @FieldResolver(() => [String])
  tags(@Root() a: ArticleEntity): string[] {
    return a.tags ?? [];
  }

  @FieldResolver(() => Boolean, { description: 'Within its validity dates right now.' })
  valid(@Root() a: ArticleEntity): boolean {
    return isValidAt(a);
  }

  @FieldResolver(() => Category, { nullable: true })
  category(@Root() a: ArticleEntity, @Ctx() ctx: Ctx) {
    return a.categoryId ? ctx.loaders.categoryById.load(a.categoryId) : null;
  }

  @FieldResolver(() => KnowledgeSource, { nullable: true, description: 'The crawled source that keeps this article current.' })
  source(@Root() a: ArticleEntity, @Ctx() ctx: Ctx) {
    return a.sourceId ? ctx.loaders.sourceById.load(a.sourceId) : null;
  }

  @FieldResolver(() => [ArticleVersion], { description: 'Every version, newest first.' })
  versions(@Root() a: ArticleEntity, @Ctx() ctx: Ctx) {
    return ctx.loaders.versionsByArticle.load(a.id);
  }

  @Authorized(...STAFF)
  @Mutation(() => ArticlePayload, { description: 'A DRAFT at version 1.' })
  async createArticle(@Arg('input') input: CreateArticleInput, @Ctx() ctx: Ctx): Promise<ArticlePayload> {
    const v = requireViewer(ctx);
    return { article: await ctx.services.articles.create(v.tenant, input, v.sub) };
  }

  @Authorized(...STAFF)
  @Mutation(() => ArticlePayload, { description: 'Saves a new version (text, tags, validity); a published article stays published with the new version.' })
  async updateArticle(@Arg('input') input: UpdateArticleInput, @Ctx() ctx: Ctx): Promise<ArticlePayload> {
    const v = requireViewer(ctx);
    return { article: await ctx.services.articles.update(v.tenant, input, v.sub) };
  }

  @Authorized(...MANAGERS)
  @Mutation(() => ArticlePayload, { description: 'Makes the article visible to search and the bot; publishing twice is harmless.' })
  async publishArticle(@Arg('input') input: PublishArticleInput, @Ctx() ctx: Ctx): Promise<ArticlePayload> {
    return { article: await ctx.services.articles.publish(requireViewer(ctx).tenant, input.articleId) };
  }

  @Authorized(...MANAGERS)
  @Mutation(() => ArticlePayload, { description: 'Takes the article out of search; publishing it brings it back.' })
  async archiveArticle(@Arg('input') input: ArchiveArticleInput, @Ctx() ctx: Ctx): Promise<ArticlePayload> {
    return { article: await ctx.services.articles.archive(requireViewer(ctx).tenant, input.articleId) };
  }

  @Authorized(...MANAGERS)
  @Mutation(() => ArticlePayload, { description: 'Copies an old version into a new current version.' })
  async rollbackArticle(@Arg('input') input: RollbackArticleInput, @Ctx() ctx: Ctx): Promise<ArticlePayload> {
    const v = requireViewer(ctx);
    return { article: await ctx.services.articles.rollback(v.tenant, input, v.sub) };
  }
}

@Resolver(() => ArticleVersion)
export class ArticleVersionResolver {
  @FieldResolver(() => [String])
  tags(@Root() v: ArticleVersionEntity): string[] {
    return v.tags ?? [];
  }
}

import { Arg, Authorized, Ctx, FieldResolver, Int, Query, Resolver, Root } from 'type-graphql';
import { hasRole } from '../../_shared/auth.js';
import { requireViewer, type SubgraphContext } from '../../_shared/context.js';
import { badInput } from '../../_shared/errors.js';
import { STAFF } from '../../_shared/roles.js';
import { Article } from '../article/article.type.js';
import { Faq } from '../faq/faq.type.js';
import type { KnowledgeLoaders } from '../knowledge.loaders.js';
import type { KnowledgeServices } from '../knowledge.services.js';
import type { KnowledgeHitView } from './search.index.js';
import { KnowledgeHit, KnowledgeKindEnum } from './search.type.js';

type Ctx = SubgraphContext<KnowledgeServices, KnowledgeLoaders>;

export const MAX_HITS = 50;

@Resolver(() => KnowledgeHit)
export class SearchResolver {
  @Authorized(...STAFF)
  @Query(() => [KnowledgeHit], {
    description:
      'Ranked search over articles and FAQs (Chinese word segmentation, synonyms, BM25), best first. The bot (role service only) sees published, currently valid, not stale knowledge; staff also see drafts.',
  })
  async searchKnowledge(
    @Arg('query') query: string,
    @Ctx() ctx: Ctx,
    @Arg('first', () => Int, { defaultValue: 10 }) first: number,
    @Arg('kinds', () => [KnowledgeKindEnum], { nullable: true, description: 'Only these kinds; all when omitted.' }) kinds?: KnowledgeKindEnum[],
  ): Promise<KnowledgeHitView[]> {
    const v = requireViewer(ctx);
    const q = query.trim();
    if (q.length < 1 || q.length > 200) throw badInput('query must be 1 to 200 characters', 'query');
    if (!Number.isInteger(first) || first < 1 || first > MAX_HITS) throw badInput(`first must be between 1 and ${MAX_HITS}`, 'first');
    const audience = hasRole(v, 'admin', 'supervisor', 'agent') ? 'staff' : 'bot';
    return ctx.services.index.search(v.tenant, q, { first, kinds, audience });
  }

  @FieldResolver(() => Article, { nullable: true })
  article(@Root() h: KnowledgeHitView, @Ctx() ctx: Ctx) {
    return h.kind === 'ARTICLE' ? ctx.loaders.articleById.load(h.id) : null;
  }

  @FieldResolver(() => Faq, { nullable: true })
  faq(@Root() h: KnowledgeHitView, @Ctx() ctx: Ctx) {
    return h.kind === 'FAQ' ? ctx.loaders.faqById.load(h.id) : null;
  }
}

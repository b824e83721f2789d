import type { SubgraphModule } from '../_shared/subgraph-module.js';
import { KnowledgeInitial1764400000000 } from '../../migrations/knowledge/1764400000000-initial.js';
import { KnowledgeBase1765400000000 } from '../../migrations/knowledge/1765400000000-knowledge-base.js';
import { ArticleEntity, ArticleVersionEntity } from './article/article.entity.js';
import { ArticleResolver, ArticleVersionResolver } from './article/article.resolver.js';
import { CategoryEntity } from './category/category.entity.js';
import { CategoryResolver } from './category/category.resolver.js';
import { FaqEntity, FaqQuestionEntity } from './faq/faq.entity.js';
import { FaqResolver } from './faq/faq.resolver.js';
import { createKnowledgeLoaders, type KnowledgeLoaders } from './knowledge.loaders.js';
import { seedKnowledgeDemo } from './knowledge.seed.js';
import { createKnowledgeServices, startKnowledgeWorkers, type KnowledgeOptions, type KnowledgeServices } from './knowledge.services.js';
import { SearchResolver } from './search/search.resolver.js';
import { KnowledgeSourceEntity, KnowledgeSourceItemEntity } from './source/source.entity.js';
import { KnowledgeSourceResolver } from './source/source.resolver.js';
import { SynonymGroupEntity } from './synonym/synonym.entity.js';
import { SynonymResolver } from './synonym/synonym.resolver.js';
import { ReplyTemplateEntity } from './template/template.entity.js';
import { ReplyTemplateResolver } from './template/template.resolver.js';

/** The knowledge subgraph with the given options (main.ts reads them from the environment). */
export function createKnowledgeSubgraph(opts: KnowledgeOptions = {}): SubgraphModule<KnowledgeServices, KnowledgeLoaders> {
  return {
    name: 'knowledge',
    defaultPort: 4004,
    definition: {
      name: 'knowledge',
      resolvers: [ArticleResolver, ArticleVersionResolver, CategoryResolver, FaqResolver, ReplyTemplateResolver, SynonymResolver, KnowledgeSourceResolver, SearchResolver],
      references: {
        Article: (ref, ctx) => (ctx.loaders as KnowledgeLoaders).articleById.load(ref.id),
        Category: (ref, ctx) => (ctx.loaders as KnowledgeLoaders).categoryById.load(ref.id),
        Faq: (ref, ctx) => (ctx.loaders as KnowledgeLoaders).faqById.load(ref.id),
        ReplyTemplate: (ref, ctx) => (ctx.loaders as KnowledgeLoaders).templateById.load(ref.id),
        KnowledgeSource: (ref, ctx) => (ctx.loaders as KnowledgeLoaders).sourceById.load(ref.id),
      },
    },
    entities: [
      CategoryEntity, ArticleEntity, ArticleVersionEntity, FaqEntity, FaqQuestionEntity, ReplyTemplateEntity, SynonymGroupEntity, KnowledgeSourceEntity,
      KnowledgeSourceItemEntity,
    ],
    migrations: [KnowledgeInitial1764400000000, KnowledgeBase1765400000000],
    createServices: (deps) => createKnowledgeServices(deps, opts),
    createLoaders: createKnowledgeLoaders,
    seedDemo: seedKnowledgeDemo,
    startWorkers: (services, deps) => startKnowledgeWorkers(services, deps, opts),
  };
}

/** With the defaults: embedded mode, the registry and the tests use this one. */
export const knowledgeSubgraph = createKnowledgeSubgraph();

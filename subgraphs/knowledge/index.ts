import type { SubgraphModule } from '../_shared/subgraph-module.js';
import { KnowledgeInitial1764400000000 } from '../../migrations/knowledge/1764400000000-initial.js';
import { ArticleEntity, ArticleVersionEntity } from './article/article.entity.js';
import { ArticleResolver } from './article/article.resolver.js';
import { CategoryEntity } from './category/category.entity.js';
import { CategoryResolver } from './category/category.resolver.js';
import { createKnowledgeLoaders, type KnowledgeLoaders } from './knowledge.loaders.js';
import { seedKnowledgeDemo } from './knowledge.seed.js';
import { createKnowledgeServices, type KnowledgeServices } from './knowledge.services.js';

export const knowledgeSubgraph: SubgraphModule<KnowledgeServices, KnowledgeLoaders> = {
  name: 'knowledge',
  defaultPort: 4004,
  definition: {
    name: 'knowledge',
    resolvers: [ArticleResolver, CategoryResolver],
    references: {
      Article: (ref, ctx) => (ctx.loaders as KnowledgeLoaders).articleById.load(ref.id),
      Category: (ref, ctx) => (ctx.loaders as KnowledgeLoaders).categoryById.load(ref.id),
    },
  },
  entities: [CategoryEntity, ArticleEntity, ArticleVersionEntity],
  migrations: [KnowledgeInitial1764400000000],
  createServices: createKnowledgeServices,
  createLoaders: createKnowledgeLoaders,
  seedDemo: seedKnowledgeDemo,
};

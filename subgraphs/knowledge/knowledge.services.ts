import type { SubgraphDeps } from '../_shared/subgraph-module.js';
import { ArticleService } from './article/article.service.js';
import { CategoryService } from './category/category.service.js';

export interface KnowledgeServices {
  articles: ArticleService;
  categories: CategoryService;
}

export function createKnowledgeServices(deps: SubgraphDeps): KnowledgeServices {
  const categories = new CategoryService(deps.dataSource);
  return { articles: new ArticleService(deps.dataSource, deps.events, categories), categories };
}

import DataLoader from 'dataloader';
import type { Viewer } from '../_shared/auth.js';
import { byIdLoader, emptyLoader, groupLoader } from '../_shared/loaders.js';
import type { ArticleEntity, ArticleVersionEntity } from './article/article.entity.js';
import type { CategoryEntity } from './category/category.entity.js';
import type { FaqEntity, FaqQuestionEntity } from './faq/faq.entity.js';
import type { KnowledgeServices } from './knowledge.services.js';
import type { KnowledgeSourceEntity } from './source/source.entity.js';
import type { ReplyTemplateEntity } from './template/template.entity.js';

export interface KnowledgeLoaders {
  articleById: DataLoader<string, ArticleEntity | null>;
  categoryById: DataLoader<string, CategoryEntity | null>;
  versionsByArticle: DataLoader<string, ArticleVersionEntity[]>;
  /** Keyed by versionKey(articleId, version). */
  versionAt: DataLoader<string, ArticleVersionEntity | null>;
  faqById: DataLoader<string, FaqEntity | null>;
  questionsByFaq: DataLoader<string, FaqQuestionEntity[]>;
  templateById: DataLoader<string, ReplyTemplateEntity | null>;
  sourceById: DataLoader<string, KnowledgeSourceEntity | null>;
}

export const versionKey = (articleId: string, version: number) => `${articleId}@${version}`;

/** Tenant-scoped by construction: the viewer's tenant is baked into every loader of the request. */
export function createKnowledgeLoaders(s: KnowledgeServices, viewer: Viewer | null): KnowledgeLoaders {
  if (!viewer) {
    return {
      articleById: emptyLoader(null), categoryById: emptyLoader(null), versionsByArticle: emptyLoader([]), versionAt: emptyLoader(null),
      faqById: emptyLoader(null), questionsByFaq: emptyLoader([]), templateById: emptyLoader(null), sourceById: emptyLoader(null),
    };
  }
  const t = viewer.tenant;
  return {
    articleById: byIdLoader((ids) => s.articles.byIds(t, ids)),
    categoryById: byIdLoader((ids) => s.categories.byIds(t, ids)),
    versionsByArticle: groupLoader((ids) => s.articles.versionsOf(t, ids), (r) => r.articleId),
    versionAt: new DataLoader(async (keys) => {
      const pairs = keys.map((k) => {
        const at = k.lastIndexOf('@');
        return { articleId: k.slice(0, at), version: Number(k.slice(at + 1)) };
      });
      const rows = await s.articles.versionsAt(t, pairs);
      const map = new Map(rows.map((r) => [versionKey(r.articleId, r.version), r]));
      return keys.map((k) => map.get(k) ?? null);
    }),
    faqById: byIdLoader((ids) => s.faqs.byIds(t, ids)),
    questionsByFaq: groupLoader((ids) => s.faqs.questionsOf(t, ids), (r) => r.faqId),
    templateById: byIdLoader((ids) => s.templates.byIds(t, ids)),
    sourceById: byIdLoader((ids) => s.sources.byIds(t, ids)),
  };
}

import type { Core } from '@strapi/strapi';
import type { ArticleView } from '../representations/article-view';
import { ARTICLE_POPULATE, ARTICLE_UID } from './constants';

/** One article with its figures and credits, as the representations take it. */
export async function loadArticle(
  strapi: Core.Strapi,
  where: { documentId: string } | { slug: string },
  locale: string,
  status: 'published' | 'draft'
): Promise<ArticleView | null> {
  const documents = strapi.documents(ARTICLE_UID);
  const params = { locale, status, populate: ARTICLE_POPULATE };
  const found =
    'documentId' in where
      ? await documents.findOne({ documentId: where.documentId, ...params } as never)
      : await documents.findFirst({ filters: { slug: { $eq: where.slug } }, ...params } as never);
  return (found as unknown as ArticleView | null) ?? null;
}

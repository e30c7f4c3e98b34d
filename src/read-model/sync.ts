import type { Core, Modules } from '@strapi/strapi';
import { ARTICLE_UID, CREDIT_UID } from '../articles/constants';
import { invalidate } from '../cache/invalidation';
import { documentTag, TAG_ARTICLE_LISTS } from '../cache/tags';
import { refreshArticle, removeArticle } from './projection';

type Middleware = Modules.Documents.Middleware.Middleware;

/**
 * Keeps the read model in step with every write that changes what the public sees. Inside a
 * caller's transaction the rows are rebuilt once it commits (never from uncommitted data); the
 * rebuild ends by purging the response cache again, so nothing cached in between survives.
 */
export function readModelSync(strapi: Core.Strapi): Middleware {
  return async (ctx, next) => {
    const articleChange = ctx.uid === ARTICLE_UID && ['publish', 'unpublish', 'delete'].includes(ctx.action);
    const creditChange = ctx.uid === CREDIT_UID && ['update', 'delete'].includes(ctx.action);
    if (!articleChange && !creditChange) return next();

    const params = ctx.params as { documentId?: string; locale?: string };
    // Which published articles show this credit, read before a delete removes the links.
    const affected = creditChange && params.documentId ? await articlesShowingCredit(strapi, params.documentId) : [];
    const result = await next();

    const locale = params.locale === '*' ? undefined : (params.locale ?? (await strapi.plugin('i18n').service('locales').getDefaultLocale()));
    const documentId = params.documentId ?? (result as { documentId?: string } | null)?.documentId;
    const work = async () => {
      if (articleChange && documentId) {
        if (ctx.action === 'delete') await removeArticle(strapi, documentId, locale);
        else await refreshArticle(strapi, documentId, locale);
        invalidate([documentTag(documentId), TAG_ARTICLE_LISTS]);
      }
      for (const row of affected) {
        await refreshArticle(strapi, row.documentId, row.locale);
        invalidate([documentTag(row.documentId)]);
      }
    };
    if (strapi.db.inTransaction()) {
      await strapi.db.transaction(async ({ onCommit }) =>
        onCommit(() => void work().catch((error: Error) => strapi.log.error(`read model: ${error.message}`)))
      );
    } else {
      await work();
    }
    return result;
  };
}

async function articlesShowingCredit(strapi: Core.Strapi, creditDocumentId: string): Promise<Array<{ documentId: string; locale: string }>> {
  const credit = (await strapi.db.query(CREDIT_UID).findOne({ where: { documentId: creditDocumentId }, select: ['id'] })) as { id: number } | null;
  if (!credit) return [];
  return (await strapi.db.query(ARTICLE_UID).findMany({
    where: { credits: { id: credit.id }, publishedAt: { $notNull: true } },
    select: ['documentId', 'locale'],
  })) as Array<{ documentId: string; locale: string }>;
}

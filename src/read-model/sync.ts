import type { Core, Modules } from '@strapi/strapi';
import { ARTICLE_UID, CREDIT_UID } from '../articles/constants';
import type { Knex } from 'knex';
import { refreshArticle, removeArticle } from './projection';

type Middleware = Modules.Documents.Middleware.Middleware;

/**
 * Keeps the read model in step with every write that changes what the public sees. Inside a
 * caller's transaction (the importer, the admin's publish) the rows are rebuilt in that same
 * transaction: they commit or roll back with the write. The response cache is purged after
 * this, by the cache middleware around it.
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
    const work = async (trx?: Knex.Transaction) => {
      if (articleChange && documentId) {
        if (ctx.action === 'delete') await removeArticle(strapi, documentId, locale, trx);
        else await refreshArticle(strapi, documentId, locale, trx);
      }
      for (const row of affected) await refreshArticle(strapi, row.documentId, row.locale, trx);
    };
    if (strapi.db.inTransaction()) {
      await strapi.db.transaction(async ({ trx }) => work(trx));
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

import type { Core, Modules } from '@strapi/strapi';
import type { Knex } from 'knex';
import { ARTICLE_POPULATE, ARTICLE_UID } from '../articles/constants';
import { asWriter } from '../public-view/scope';
import type { ArticleView } from '../representations/article-view';
import { DRAFT_SEARCH_TABLE, searchVector } from './columns';

/**
 * Editors' index: the search vector of each article's draft version, rewritten after every
 * Document Service write to the article (a draft saved, created, discarded, published, deleted),
 * in the write's transaction when there is one, and by the importer's fast path.
 */
const WRITES = new Set(['create', 'update', 'delete', 'publish', 'unpublish', 'discardDraft', 'clone']);

export function draftIndexer(strapi: Core.Strapi): Modules.Documents.Middleware.Middleware {
  return async (ctx, next) => {
    const result = await next();
    if (ctx.uid !== ARTICLE_UID || !WRITES.has(ctx.action)) return result;
    const params = ctx.params as { documentId?: unknown };
    const written = result as { documentId?: unknown; entries?: Array<{ documentId?: unknown }> } | null | undefined;
    const documentId = typeof params.documentId === 'string' ? params.documentId : typeof written?.documentId === 'string' ? written.documentId : written?.entries?.[0]?.documentId;
    if (typeof documentId === 'string') await strapi.db.transaction(({ trx }) => refreshDraftSearch(strapi, documentId, trx));
    return result;
  };
}

export async function refreshDraftSearch(strapi: Core.Strapi, documentId: string, trx: Knex.Transaction): Promise<void> {
  const knex = strapi.db.connection;
  const drafts = (await knex('articles').transacting(trx).select('locale').where({ document_id: documentId }).whereNull('published_at')) as Array<{ locale: string }>;
  const locales = [...new Set(drafts.map((row) => row.locale))];
  await knex(DRAFT_SEARCH_TABLE).transacting(trx).where({ document_id: documentId }).whereNotIn('locale', locales).delete();
  for (const locale of locales) {
    // Read as the service, not as the request that wrote (whose query, say `status=draft` from a
    // token that may write but not read drafts, the draft guard would refuse): outside it.
    let draft: ArticleView | null = null;
    await strapi.requestContext.run(undefined as never, async () => {
      draft = (await asWriter(() => strapi.documents(ARTICLE_UID).findOne({ documentId, locale, status: 'draft', populate: ARTICLE_POPULATE } as never))) as unknown as ArticleView | null;
    });
    if (!draft) continue;
    await writeDraftSearch(knex, trx, draft, locale);
  }
}

/** Writes one draft's vector (the importer calls it with the article it wrote). */
export async function writeDraftSearch(knex: Knex, trx: Knex.Transaction, draft: ArticleView, locale: string): Promise<void> {
  await knex(DRAFT_SEARCH_TABLE)
    .transacting(trx)
    .insert({ document_id: draft.documentId, locale, search: searchVector(knex, draft, locale), updated_at: new Date() })
    .onConflict(['document_id', 'locale'])
    .merge();
}

/** Drafts with no vector yet (an installation from before search): written in the background. */
export async function backfillDraftSearch(strapi: Core.Strapi, limit = 100_000): Promise<number> {
  const missing = (await strapi.db.connection.raw(
    `SELECT DISTINCT a.document_id FROM articles a
       LEFT JOIN ${DRAFT_SEARCH_TABLE} s ON s.document_id = a.document_id AND s.locale = a.locale
      WHERE a.published_at IS NULL AND s.document_id IS NULL LIMIT ?`,
    [limit]
  )) as { rows: Array<{ document_id: string }> };
  for (const row of missing.rows) {
    await strapi.db.transaction(({ trx }) => refreshDraftSearch(strapi, row.document_id, trx));
  }
  return missing.rows.length;
}

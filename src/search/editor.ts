import type { Core, Modules } from '@strapi/strapi';
import { ARTICLE_UID } from '../articles/constants';
import type { RequestState } from '../public-view/scope';
import { READ_MODEL_TABLE } from '../read-model/projection';
import { DRAFT_SEARCH_TABLE } from './columns';
import { MAX_QUERY_LENGTH, tsquerySql } from './query';
import { cleanText } from './text';

type Middleware = Modules.Documents.Middleware.Middleware;

/** At most this many documents match an editor's search (the list shows pages of them). */
const EDITOR_MATCHES = 5000;

/**
 * The content manager's search box on the Article list (`_q`), for admin users: Strapi's own
 * search is an ILIKE over the article's own string columns (headline, slug…). Here it also finds
 * by body text, captions, credits, byline and tags, stemmed and accent-folded, in drafts and
 * published versions alike, from the search index (the last word matches as a prefix, as one
 * types). The headline and slug still match as substrings, as before.
 */
export function editorSearch(strapi: Core.Strapi): Middleware {
  return async (ctx, next) => {
    if (ctx.uid !== ARTICLE_UID || (ctx.action !== 'findMany' && ctx.action !== 'count')) return next();
    const params = ctx.params as { _q?: unknown; locale?: unknown; filters?: unknown };
    if (typeof params._q !== 'string' || params._q.trim() === '') return next();
    const request = strapi.requestContext.get() as { state?: RequestState } | undefined;
    if (request?.state?.auth?.strategy?.name !== 'admin') return next();
    const q = cleanText(params._q).slice(0, MAX_QUERY_LENGTH);
    const locale = typeof params.locale === 'string' ? params.locale : ((await strapi.plugin('i18n').service('locales').getDefaultLocale()) as string);
    const ids = await editorMatches(strapi, q, locale);
    delete params._q;
    const own = { documentId: { $in: ids } };
    params.filters = params.filters ? { $and: [params.filters, own] } : own;
    return next();
  };
}

async function editorMatches(strapi: Core.Strapi, q: string, locale: string): Promise<string[]> {
  const query = tsquerySql({ q, locale, prefix: true });
  const like = `%${q.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
  const rows = (
    (await strapi.db.connection.raw(
      `SELECT document_id FROM ${DRAFT_SEARCH_TABLE} WHERE locale = ? AND search @@ ${query.sql}
       UNION SELECT document_id FROM ${READ_MODEL_TABLE} WHERE locale = ? AND search @@ ${query.sql}
       UNION SELECT document_id FROM articles WHERE locale = ? AND (headline ILIKE ? OR slug ILIKE ?)
       LIMIT ?`,
      [locale, ...query.bindings, locale, ...query.bindings, locale, like, like, EDITOR_MATCHES]
    )) as { rows: Array<{ document_id: string }> }
  ).rows;
  return rows.map((row) => row.document_id);
}

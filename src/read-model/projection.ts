import type { Core } from '@strapi/strapi';
import type { Knex } from 'knex';
import { ARTICLE_POPULATE, ARTICLE_UID } from '../articles/constants';
import { ReadTags, recordReads } from '../public-view/scope';
import type { ArticleView } from '../representations/article-view';
import { searchColumns } from '../search/columns';

/**
 * The read model: each published article (per locale) as the public REST API shows it, written
 * into `article_read_model` in the transaction of any write that changes it, so reading one
 * article is one indexed query instead of the Document Service's dozens. It is design, not
 * cache: each row keeps the tags of every document read to build it (the article, its credits,
 * its image files), and the public view's change capture (src/public-view/changes.ts) rewrites
 * the rows whose tags a committed write touches. A read that finds no row falls back to the
 * Document Service.
 */
export const READ_MODEL_TABLE = 'article_read_model';

// Its table: database/migrations/2026.12.02T00.00.00.service-tables.js.

type Auth = Record<string, unknown>;
let publicAuth: Promise<Auth> | null = null;

/**
 * The auth of an anonymous request (the users-permissions Public role), so the projection is
 * sanitized exactly as a public response is: Strapi's own content-API authentication, run for a
 * request that carries no credentials.
 */
function anonymousAuth(strapi: Core.Strapi): Promise<Auth> {
  publicAuth ??= (async () => {
    const ctx = {
      request: { header: {}, headers: {} },
      state: { route: { info: { type: 'content-api' } } } as { route: unknown; auth?: Auth },
      unauthorized: (message: string) => {
        throw new Error(`the Public role cannot read: ${message}`);
      },
    };
    await strapi.auth.authenticate(ctx as never, async () => undefined);
    if (!ctx.state.auth) throw new Error('no content-API authentication for anonymous requests');
    return ctx.state.auth;
  })();
  publicAuth.catch(() => {
    publicAuth = null;
  });
  return publicAuth;
}

/** Forget the anonymous auth (the Public role's permissions changed). */
export function resetAnonymousAuth(): void {
  publicAuth = null;
}

/** Rebuilds the rows of one article (all locales, or one): published → row, else none. */
export async function refreshArticle(strapi: Core.Strapi, documentId: string, locale?: string, trx?: Knex.Transaction): Promise<void> {
  const table = () => (trx ? strapi.db.connection(READ_MODEL_TABLE).transacting(trx) : strapi.db.connection(READ_MODEL_TABLE));
  const locales = locale
    ? [locale]
    : ((await strapi.db.query(ARTICLE_UID).findMany({ where: { documentId }, select: ['locale'] })) as Array<{ locale: string }>).map((r) => r.locale);
  // Locales that no longer have a row of this document at all (deleted) lose theirs too.
  if (!locale) await table().where({ document_id: documentId }).whereNotIn('locale', [...new Set(locales)]).delete();
  for (const code of new Set(locales)) {
    const row = await buildRow(strapi, documentId, code);
    if (!row) {
      await table().where({ document_id: documentId, locale: code }).delete();
      continue;
    }
    await table()
      .insert({
        document_id: documentId,
        locale: code,
        slug: row.slug,
        json: row.json,
        tags: row.tags,
        unpublish_at: row.unpublishAt,
        updated_at: new Date(),
        stale: false,
        ...searchColumns(strapi.db.connection, row.article, code),
      })
      .onConflict(['document_id', 'locale'])
      .merge();
  }
}

export interface ReadModelRow {
  json: string;
  tags: string[];
  unpublishAt: Date | null;
}

/**
 * One published article as the public REST API shows it (sanitized for the Public role), with
 * the tags of every document read to build it; undefined when it has no published version.
 */
export async function buildRow(
  strapi: Core.Strapi,
  documentId: string,
  locale: string
): Promise<(ReadModelRow & { slug: string | null; article: ArticleView }) | undefined> {
  const read = new ReadTags();
  const article = await recordReads(read, () =>
    strapi.documents(ARTICLE_UID).findOne({ documentId, locale, status: 'published', populate: ARTICLE_POPULATE } as never)
  );
  if (!article) return undefined;
  const sanitized = await strapi.contentAPI.sanitize.output(article, strapi.contentType(ARTICLE_UID), { auth: await anonymousAuth(strapi) });
  const unpublishAt = (article as { unpublishAt?: string | null }).unpublishAt;
  return {
    json: JSON.stringify(sanitized),
    tags: read.list(),
    slug: (article as { slug?: string }).slug ?? null,
    article: sanitized as ArticleView,
    unpublishAt: unpublishAt ? new Date(unpublishAt) : null,
  };
}

/** The rows built from any of these documents (say, every article showing a renamed credit). */
export async function rowsShowing(strapi: Core.Strapi, tags: string[], trx?: Knex.Transaction): Promise<Array<{ documentId: string; locale: string }>> {
  if (tags.length === 0) return [];
  const query = strapi.db.connection(READ_MODEL_TABLE).select('document_id', 'locale').whereRaw('tags && ?::text[]', [tags]);
  const rows = (await (trx ? query.transacting(trx) : query)) as Array<{ document_id: string; locale: string }>;
  return rows.map((row) => ({ documentId: row.document_id, locale: row.locale }));
}

/**
 * Marks rows stale (a change shown by too many rows to rewrite in the write's transaction): they
 * are rebuilt after the commit (backfill); reads meanwhile use the Document Service, and search
 * the stale row (see READ_MODEL_STATEMENTS). `all` (the permissions changed) deletes every row.
 */
export async function dropRows(strapi: Core.Strapi, rows: Array<{ documentId: string; locale: string }> | 'all', trx?: Knex.Transaction): Promise<void> {
  const query = strapi.db.connection(READ_MODEL_TABLE);
  const scoped = trx ? query.transacting(trx) : query;
  if (rows === 'all') {
    // What the public may read changed: no row built under the old permissions is kept, not even
    // for search (its vector, filters and facets hold what may no longer be public).
    await scoped.delete();
    return;
  }
  for (let i = 0; i < rows.length; i += 500) {
    const chunk = rows.slice(i, i + 500);
    await (trx ? strapi.db.connection(READ_MODEL_TABLE).transacting(trx) : strapi.db.connection(READ_MODEL_TABLE))
      .whereIn(['document_id', 'locale'], chunk.map((row) => [row.documentId, row.locale]))
      .update({ stale: true });
  }
}

/**
 * One writer of a document's rows at a time (a publish and a background rebuild of the same
 * article): held to the end of the transaction, taken in one order so two writers never deadlock.
 */
export async function lockDocuments(strapi: Core.Strapi, documentIds: string[], trx: Knex.Transaction): Promise<void> {
  for (const id of [...new Set(documentIds)].sort()) {
    await strapi.db.connection.raw('SELECT pg_advisory_xact_lock(hashtext(?))', [`news-read-model:${id}`]).transacting(trx);
  }
}

/** Published articles with no row yet, or a stale one (a wide change, an upgrade, a permission change). */
export async function backfill(strapi: Core.Strapi, limit = 100_000): Promise<number> {
  // A stale row whose article is no longer published (unpublished or deleted in SQL by a
  // migration) has nothing to be rebuilt from: it goes.
  await strapi.db.connection.raw(
    `DELETE FROM ${READ_MODEL_TABLE} r WHERE r.stale AND NOT EXISTS
       (SELECT 1 FROM articles a WHERE a.document_id = r.document_id AND a.locale = r.locale AND a.published_at IS NOT NULL)`
  );
  // Missing, stale, or written without search's columns (by an instance of an older release
  // during a rolling deploy).
  const missing = (await strapi.db.connection.raw(
    `SELECT DISTINCT a.document_id, a.locale FROM articles a
       LEFT JOIN ${READ_MODEL_TABLE} r ON r.document_id = a.document_id AND r.locale = a.locale
      WHERE a.published_at IS NOT NULL AND (r.document_id IS NULL OR r.stale OR r.search IS NULL) LIMIT ?`,
    [limit]
  )) as { rows: Array<{ document_id: string; locale: string }> };
  for (const row of missing.rows) {
    // The same lock as a publish takes: a rebuild never writes over a newer row.
    await strapi.db.transaction(async ({ trx }) => {
      await lockDocuments(strapi, [row.document_id], trx);
      await refreshArticle(strapi, row.document_id, row.locale, trx);
    });
  }
  return missing.rows.length;
}

/** One article's public JSON by slug or documentId, with the tags it was built from. */
export async function readArticle(
  strapi: Core.Strapi,
  where: { slug: string } | { documentId: string },
  locale: string
): Promise<ReadModelRow | undefined> {
  const row = (await strapi.db
    .connection(READ_MODEL_TABLE)
    .select('json', 'tags', 'unpublish_at')
    .where('slug' in where ? { locale, slug: where.slug, stale: false } : { locale, document_id: where.documentId, stale: false })
    .andWhere((q) => q.whereNull('unpublish_at').orWhere('unpublish_at', '>', new Date()))
    .first()) as { json: string; tags: string[]; unpublish_at: Date | null } | undefined;
  return row && { json: row.json, tags: row.tags, unpublishAt: row.unpublish_at };
}

/**
 * The rows of several articles of one locale, in one query, by documentId. An article without a
 * row (dropped by a wide change and not yet rebuilt) is built as the row would be, without
 * writing it; one no longer published is left out.
 */
export async function readArticles(strapi: Core.Strapi, documentIds: string[], locale: string): Promise<Map<string, ReadModelRow>> {
  const found = new Map<string, ReadModelRow>();
  if (documentIds.length === 0) return found;
  const rows = (await strapi.db
    .connection(READ_MODEL_TABLE)
    .select('document_id', 'json', 'tags', 'unpublish_at')
    .where({ locale, stale: false })
    .whereIn('document_id', documentIds)
    .andWhere((q) => q.whereNull('unpublish_at').orWhere('unpublish_at', '>', new Date()))) as Array<{
    document_id: string;
    json: string;
    tags: string[];
    unpublish_at: Date | null;
  }>;
  for (const row of rows) found.set(row.document_id, { json: row.json, tags: row.tags, unpublishAt: row.unpublish_at });
  for (const documentId of documentIds) {
    if (found.has(documentId)) continue;
    const built = await buildRow(strapi, documentId, locale);
    if (built) found.set(documentId, built);
  }
  return found;
}

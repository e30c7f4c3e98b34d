import { dirname, join } from 'node:path';
import type { Core } from '@strapi/strapi';
import type { Knex } from 'knex';
import { ARTICLE_POPULATE, ARTICLE_UID } from '../articles/constants';

/**
 * The read model: each published article (per locale) as the public REST API shows it, written
 * at publish time into `article_read_model`, so reading one article is one indexed query
 * instead of the Document Service's dozens. It is design, not cache: kept in step by the
 * Document Service middleware (publish, unpublish, delete of articles; update and delete of
 * credits), and a read that finds no row falls back to the Document Service.
 */
export const READ_MODEL_TABLE = 'article_read_model';

export const READ_MODEL_STATEMENTS: readonly string[] = [
  `CREATE TABLE IF NOT EXISTS ${READ_MODEL_TABLE} (
     document_id varchar(255) NOT NULL,
     locale varchar(32) NOT NULL,
     slug varchar(255),
     json text NOT NULL,
     updated_at timestamptz NOT NULL DEFAULT now(),
     PRIMARY KEY (document_id, locale)
   )`,
  `CREATE INDEX IF NOT EXISTS ${READ_MODEL_TABLE}_slug_idx ON ${READ_MODEL_TABLE} (locale, slug)`,
];

type Auth = Record<string, unknown>;
let publicAuth: Promise<Auth> | null = null;

/**
 * The auth of an anonymous request (the users-permissions Public role), so the projection is
 * sanitized exactly as a public response is.
 */
function anonymousAuth(): Promise<Auth> {
  publicAuth ??= (async () => {
    // The plugin exports no entry for its strategy: load the file beside its server entry.
    const serverEntry = require.resolve('@strapi/plugin-users-permissions/strapi-server');
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const strategies = require(join(dirname(serverEntry), 'strategies', 'users-permissions.js')) as {
      __require(): { authenticate(ctx: unknown): Promise<Auth>; name: string };
    };
    const strategy = strategies.__require();
    const result = await strategy.authenticate({ request: { header: {} }, state: {} });
    return { strategy, credentials: null, ability: result.ability ?? null };
  })();
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
  for (const code of new Set(locales)) {
    const article = await strapi.documents(ARTICLE_UID).findOne({ documentId, locale: code, status: 'published', populate: ARTICLE_POPULATE } as never);
    if (!article) {
      await table().where({ document_id: documentId, locale: code }).delete();
      continue;
    }
    const sanitized = await strapi.contentAPI.sanitize.output(article, strapi.contentType(ARTICLE_UID), { auth: await anonymousAuth() });
    const json = JSON.stringify(sanitized);
    await table()
      .insert({ document_id: documentId, locale: code, slug: (article as { slug?: string }).slug ?? null, json, updated_at: new Date() })
      .onConflict(['document_id', 'locale'])
      .merge();
  }
}

export async function removeArticle(strapi: Core.Strapi, documentId: string, locale?: string, trx?: Knex.Transaction): Promise<void> {
  const table = trx ? strapi.db.connection(READ_MODEL_TABLE).transacting(trx) : strapi.db.connection(READ_MODEL_TABLE);
  await table.where({ document_id: documentId, ...(locale ? { locale } : {}) }).delete();
}

/** Published articles with no row yet (data from before the read model): built in the background. */
export async function backfill(strapi: Core.Strapi, limit = 100_000): Promise<number> {
  const missing = (await strapi.db.connection.raw(
    `SELECT DISTINCT a.document_id, a.locale FROM articles a
       LEFT JOIN ${READ_MODEL_TABLE} r ON r.document_id = a.document_id AND r.locale = a.locale
      WHERE a.published_at IS NOT NULL AND r.document_id IS NULL LIMIT ?`,
    [limit]
  )) as { rows: Array<{ document_id: string; locale: string }> };
  for (const row of missing.rows) await refreshArticle(strapi, row.document_id, row.locale);
  return missing.rows.length;
}

/** One article's public JSON by slug or documentId, or undefined when the read model has none. */
export async function readArticle(
  strapi: Core.Strapi,
  where: { slug: string } | { documentId: string },
  locale: string
): Promise<string | undefined> {
  const row = (await strapi.db
    .connection(READ_MODEL_TABLE)
    .select('json')
    .where('slug' in where ? { locale, slug: where.slug } : { locale, document_id: where.documentId })
    .first()) as { json: string } | undefined;
  return row?.json;
}

import type { Core } from '@strapi/strapi';
import type { Knex } from 'knex';
import { ARTICLE_UID } from './constants';

/**
 * Links that survive a headline rewrite: when a published article's slug changes, the old slug is
 * kept (per locale) and points at the document, whose current slug it then redirects to. A slug an
 * article uses now is that article's: the history only answers for slugs nobody uses.
 */
export const SLUG_HISTORY_TABLE = 'article_slug_history';

// Its table: database/migrations/2026.12.02T00.00.00.service-tables.js.

/** The published slug of a document's locale, before a publish changes it. */
export async function publishedSlug(strapi: Core.Strapi, documentId: string, locale: string): Promise<string | null> {
  const row = (await strapi.db.query(ARTICLE_UID).findOne({
    where: { documentId, locale, publishedAt: { $notNull: true } },
    select: ['slug'],
  })) as { slug: string | null } | null;
  return row?.slug ?? null;
}

/** After a publish: the slug it replaced now leads to this document. */
export async function rememberReplacedSlug(strapi: Core.Strapi, documentId: string, locale: string, before: string | null, trx: Knex.Transaction): Promise<void> {
  const after = await publishedSlug(strapi, documentId, locale);
  if (!before || !after || before === after) return;
  await strapi.db
    .connection(SLUG_HISTORY_TABLE)
    .transacting(trx)
    .insert({ locale, slug: before, document_id: documentId, replaced_at: new Date() })
    .onConflict(['locale', 'slug'])
    .merge();
}

/**
 * Where an old slug leads: the document's current published slug, unless some published
 * article uses that slug now (it is that article's), or it leads back to itself (no loops).
 */
export async function redirectFor(strapi: Core.Strapi, slug: string, locale: string): Promise<{ documentId: string; slug: string } | null> {
  const documents = strapi.documents(ARTICLE_UID);
  const owner = await documents.findFirst({ filters: { slug: { $eq: slug } }, locale, status: 'published', fields: ['slug'] } as never);
  if (owner) return null;
  const entry = (await strapi.db.connection(SLUG_HISTORY_TABLE).where({ locale, slug }).first()) as { document_id: string } | undefined;
  if (!entry) return null;
  // Read through the Document Service: the public view's rules (published, not expired) apply.
  const current = (await documents.findOne({ documentId: entry.document_id, locale, status: 'published', fields: ['slug'] } as never)) as { slug: string | null } | null;
  if (!current?.slug || current.slug === slug) return null;
  return { documentId: entry.document_id, slug: current.slug };
}

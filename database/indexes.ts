/**
 * Indexes and constraints Strapi does not make itself, on Strapi's own tables. Strapi runs
 * database/migrations/ before it syncs its schema, so on a fresh database these tables do not
 * exist yet when migrations run: bootstrap runs these after the sync. Every statement is
 * idempotent. The service's own tables are migrations (database/migrations/).
 */
export const POST_SYNC_STATEMENTS: readonly string[] = [
  // One record per credit name ("AP"): Strapi's `unique` is checked only by the application.
  `CREATE UNIQUE INDEX IF NOT EXISTS image_credits_name_unique ON image_credits (name)`,
  // A slug names one story per locale; a document's draft and published rows share it.
  `CREATE UNIQUE INDEX IF NOT EXISTS articles_locale_slug_state_unique
     ON articles (locale, slug, (published_at IS NULL)) WHERE slug IS NOT NULL`,
  // The importer finds a story by its source file name.
  `CREATE INDEX IF NOT EXISTS articles_import_source_idx ON articles (import_source, locale)`,
  // Lists are sorted by first publication, newest first.
  `CREATE INDEX IF NOT EXISTS articles_listing_date_idx
     ON articles (locale, first_publish_date DESC, id DESC) WHERE published_at IS NOT NULL`,
  `CREATE INDEX IF NOT EXISTS articles_document_locale_idx ON articles (document_id, locale, published_at)`,
];

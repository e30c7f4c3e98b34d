/**
 * Indexes and constraints Strapi does not make itself. Strapi runs database/migrations/ before
 * it syncs its schema, so on a fresh database these cannot live there: bootstrap runs them after
 * the sync. Every statement is idempotent.
 */
import { EDGE_OUTBOX_STATEMENTS } from '../src/edge/outbox';
import { READ_MODEL_STATEMENTS } from '../src/read-model/projection';
import { SEARCH_STATEMENTS } from '../src/search/schema';
import { SCHEDULE_STATEMENTS } from '../src/scheduling/schedules';
import { SLUG_HISTORY_STATEMENTS } from '../src/articles/slug-history';
import { PRESENCE_STATEMENTS } from '../src/presence/store';

export const POST_SYNC_STATEMENTS: readonly string[] = [
  ...READ_MODEL_STATEMENTS,
  ...SEARCH_STATEMENTS,
  ...SCHEDULE_STATEMENTS,
  ...SLUG_HISTORY_STATEMENTS,
  ...EDGE_OUTBOX_STATEMENTS,
  ...PRESENCE_STATEMENTS,
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

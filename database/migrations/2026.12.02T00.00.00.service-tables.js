'use strict';

/**
 * The service's own tables (none of them Strapi's: Strapi's schema sync does not track them and
 * leaves them alone), as they stand when they became migrations. Until then every boot ran this
 * DDL; on such a database each statement finds its work done (IF NOT EXISTS, guarded DO blocks).
 * Strapi runs database/migrations before its schema sync, once per database (strapi_migrations),
 * inside the boot lock (src/runtime/boot-lock.ts). A later change of these tables is a new file.
 */
const STEPS = [
  // The read model: one row per published article and locale, served as it is (src/read-model).
  // `stale`: built under what no longer holds; never served until the background rebuild
  // rewrites it. Rows are read far more often than written: `json` is kept uncompressed.
  `CREATE TABLE IF NOT EXISTS article_read_model (
     document_id varchar(255) NOT NULL,
     locale varchar(32) NOT NULL,
     slug varchar(255),
     json text NOT NULL,
     tags text[] NOT NULL DEFAULT '{}',
     updated_at timestamptz NOT NULL DEFAULT now(),
     PRIMARY KEY (document_id, locale)
   )`,
  `CREATE INDEX IF NOT EXISTS article_read_model_slug_idx ON article_read_model (locale, slug)`,
  `ALTER TABLE article_read_model ADD COLUMN IF NOT EXISTS tags text[] NOT NULL DEFAULT '{}'`,
  `ALTER TABLE article_read_model ADD COLUMN IF NOT EXISTS unpublish_at timestamptz`,
  `DELETE FROM article_read_model WHERE tags = '{}'`,
  `ALTER TABLE article_read_model ADD COLUMN IF NOT EXISTS stale boolean NOT NULL DEFAULT false`,
  `CREATE INDEX IF NOT EXISTS article_read_model_tags_idx ON article_read_model USING gin (tags)`,
  `DO $$ BEGIN
     IF (SELECT attstorage FROM pg_attribute WHERE attrelid = 'article_read_model'::regclass AND attname = 'json') <> 'e' THEN
       ALTER TABLE article_read_model ALTER COLUMN json SET STORAGE EXTERNAL;
     END IF;
   END $$`,
  `CREATE TABLE IF NOT EXISTS article_read_model_state (key varchar(64) PRIMARY KEY, value text NOT NULL)`,
  // Search (src/search). The public index is the read model itself: each published article's row
  // carries its weighted tsvector, the text highlights are cut from, the hit it shows, and what
  // filters and facets need, so search holds exactly what the public view publishes. Editors'
  // drafts have their own vectors (article_search_drafts). Text search configurations per locale:
  // Snowball stemming, accents folded by the `unaccent` extension (trusted: the database owner
  // may create it); without it, search works unfolded. Rows up to a page stay whole (a vector is
  // read in place, not fetched from TOAST); the text highlights are cut from is never compressed.
  `DO $$ BEGIN
     BEGIN
       CREATE EXTENSION IF NOT EXISTS unaccent;
     EXCEPTION WHEN OTHERS THEN
       RAISE WARNING 'search: the unaccent extension could not be created (%): accents are not folded', SQLERRM;
     END;
     
  IF NOT EXISTS (SELECT 1 FROM pg_ts_config WHERE cfgname = 'news_en' AND cfgnamespace = current_schema()::regnamespace) THEN
    CREATE TEXT SEARCH CONFIGURATION news_en (COPY = pg_catalog.english);
    IF EXISTS (SELECT 1 FROM pg_extension WHERE extname = 'unaccent') THEN
      ALTER TEXT SEARCH CONFIGURATION news_en ALTER MAPPING FOR hword, hword_part, word WITH unaccent, english_stem;
    END IF;
  END IF;
     
  IF NOT EXISTS (SELECT 1 FROM pg_ts_config WHERE cfgname = 'news_ru' AND cfgnamespace = current_schema()::regnamespace) THEN
    CREATE TEXT SEARCH CONFIGURATION news_ru (COPY = pg_catalog.russian);
    IF EXISTS (SELECT 1 FROM pg_extension WHERE extname = 'unaccent') THEN
      ALTER TEXT SEARCH CONFIGURATION news_ru ALTER MAPPING FOR hword, hword_part, word WITH unaccent, russian_stem;
    END IF;
  END IF;
     
  IF NOT EXISTS (SELECT 1 FROM pg_ts_config WHERE cfgname = 'news_cjk' AND cfgnamespace = current_schema()::regnamespace) THEN
    CREATE TEXT SEARCH CONFIGURATION news_cjk (COPY = pg_catalog.simple);
    IF EXISTS (SELECT 1 FROM pg_extension WHERE extname = 'unaccent') THEN
      ALTER TEXT SEARCH CONFIGURATION news_cjk ALTER MAPPING FOR hword, hword_part, word WITH unaccent, simple;
    END IF;
  END IF;
     
  IF NOT EXISTS (SELECT 1 FROM pg_ts_config WHERE cfgname = 'news_simple' AND cfgnamespace = current_schema()::regnamespace) THEN
    CREATE TEXT SEARCH CONFIGURATION news_simple (COPY = pg_catalog.simple);
    IF EXISTS (SELECT 1 FROM pg_extension WHERE extname = 'unaccent') THEN
      ALTER TEXT SEARCH CONFIGURATION news_simple ALTER MAPPING FOR hword, hword_part, word WITH unaccent, simple;
    END IF;
  END IF;
   END $$`,
  `ALTER TABLE article_read_model
     ADD COLUMN IF NOT EXISTS first_publish_date timestamptz,
     ADD COLUMN IF NOT EXISTS search tsvector,
     ADD COLUMN IF NOT EXISTS search_text text,
     ADD COLUMN IF NOT EXISTS search_hit text,
     ADD COLUMN IF NOT EXISTS section_slug text,
     ADD COLUMN IF NOT EXISTS section_name text,
     ADD COLUMN IF NOT EXISTS tag_slugs text[] NOT NULL DEFAULT '{}',
     ADD COLUMN IF NOT EXISTS tag_names text[] NOT NULL DEFAULT '{}',
     ADD COLUMN IF NOT EXISTS author_slugs text[] NOT NULL DEFAULT '{}'`,
  `DO $$ BEGIN
     IF NOT coalesce((SELECT reloptions FROM pg_class WHERE oid = 'article_read_model'::regclass) @> ARRAY['toast_tuple_target=8160'], false) THEN
       ALTER TABLE article_read_model SET (toast_tuple_target = 8160);
     END IF;
     IF (SELECT attstorage FROM pg_attribute WHERE attrelid = 'article_read_model'::regclass AND attname = 'search_text') <> 'e' THEN
       ALTER TABLE article_read_model ALTER COLUMN search_text SET STORAGE EXTERNAL;
     END IF;
   END $$`,
  `CREATE INDEX IF NOT EXISTS article_read_model_search_idx ON article_read_model USING gin (search)`,
  `CREATE INDEX IF NOT EXISTS article_read_model_recent_idx ON article_read_model (locale, first_publish_date DESC NULLS LAST, document_id)`,
  `DROP INDEX IF EXISTS article_read_model_date_idx`,
  `CREATE TABLE IF NOT EXISTS article_search_drafts (
     document_id varchar(255) NOT NULL,
     locale varchar(32) NOT NULL,
     search tsvector NOT NULL,
     updated_at timestamptz NOT NULL DEFAULT now(),
     PRIMARY KEY (document_id, locale)
   )`,
  `CREATE INDEX IF NOT EXISTS article_search_drafts_search_idx ON article_search_drafts USING gin (search)`,
  // Scheduled publishing: one row per pending publish or unpublish, with its pg-boss job (src/scheduling).
  `CREATE TABLE IF NOT EXISTS article_schedules (
     document_id varchar(255) NOT NULL,
     locale varchar(32) NOT NULL,
     action varchar(16) NOT NULL CHECK (action IN ('publish', 'unpublish')),
     due_at timestamptz NOT NULL,
     job_id uuid NOT NULL,
     created_at timestamptz NOT NULL DEFAULT now(),
     PRIMARY KEY (document_id, locale, action)
   )`,
  // Old slugs that redirect to where a story is now (src/articles/slug-history.ts).
  `CREATE TABLE IF NOT EXISTS article_slug_history (
     locale varchar(32) NOT NULL,
     slug varchar(255) NOT NULL,
     document_id varchar(255) NOT NULL,
     replaced_at timestamptz NOT NULL DEFAULT now(),
     PRIMARY KEY (locale, slug)
   )`,
  // The edge's durable purge outbox (src/edge/outbox.ts).
  `CREATE TABLE IF NOT EXISTS edge_purge_outbox (
     id bigserial PRIMARY KEY,
     target text NOT NULL,
     keys text[] NOT NULL,
     hard boolean NOT NULL,
     created_at timestamptz NOT NULL DEFAULT now(),
     -- the first delivery's acknowledgement; the row goes after the second
     sent_at timestamptz
   )`,
  `CREATE INDEX IF NOT EXISTS edge_purge_outbox_target_idx ON edge_purge_outbox (target, id)`,
  // Presence and edit leases (src/presence).
  `CREATE TABLE IF NOT EXISTS article_edit_presence (
     document_id varchar(255) NOT NULL,
     locale varchar(32) NOT NULL,
     session_id varchar(64) NOT NULL,
     user_id integer NOT NULL,
     user_name varchar(255) NOT NULL,
     leave_token varchar(64) NOT NULL,
     opened_at timestamptz NOT NULL DEFAULT now(),
     seen_at timestamptz NOT NULL DEFAULT now(),
     PRIMARY KEY (document_id, locale, session_id)
   )`,
  `CREATE INDEX IF NOT EXISTS article_edit_presence_seen_idx ON article_edit_presence (seen_at)`,
  `CREATE TABLE IF NOT EXISTS article_edit_leases (
     document_id varchar(255) NOT NULL,
     locale varchar(32) NOT NULL,
     user_id integer NOT NULL,
     user_name varchar(255) NOT NULL,
     session_id varchar(64) NOT NULL,
     since timestamptz NOT NULL DEFAULT now(),
     expires_at timestamptz NOT NULL,
     taken_from_user_id integer,
     taken_from_name varchar(255),
     taken_from_session varchar(64),
     taken_at timestamptz,
     PRIMARY KEY (document_id, locale)
   )`,
];

module.exports = {
  async up(knex) {
    for (const statement of STEPS) await knex.raw(statement);
  },
};

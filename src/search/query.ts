import type { Core } from '@strapi/strapi';
import { z } from 'zod';
import { ARTICLE_UID, AUTHOR_UID, CREDIT_UID, SECTION_UID, TAG_UID } from '../articles/constants';
import { LocaleCode } from '../bootstrap/locales';
import { listTag } from '../public-view/models';
import { currentReadTags } from '../public-view/scope';
import { buildRow, READ_MODEL_TABLE } from '../read-model/projection';
import { cjkHighlights, highlightHtml, MARK_START, MARK_STOP, searchConfig, searchHit, searchTexts, websearchText, SearchHit } from './text';

/**
 * Search over the public index (the read model's rows, src/search/schema.ts).
 *
 * Ranking never ranks every match: the candidates are the newest CANDIDATES matches (a word in
 * every article walks the date index and stops there; a rare one comes from the GIN index), and
 * only they are ranked, by `ts_rank` blended with recency. Totals and facets count the
 * candidates, so a common word costs what a rare one does at any size of archive.
 */
export const CANDIDATES = 500;
export const MAX_QUERY_LENGTH = 256;
export const MAX_PAGE_SIZE = 50;
export const DEFAULT_PAGE_SIZE = 10;
// Relevance halves for a story this many days older than an equally relevant one, down to half.
const RECENCY_HALF_LIFE_DAYS = 30;

const Slug = z.string().regex(/^[a-z0-9]+(?:-[a-z0-9]+)*$/, 'must be a slug').max(200);
const DateBound = z
  .string()
  .max(40)
  .refine((value) => /^\d{4}-\d{2}-\d{2}([T ][0-9:.]+(Z|[+-]\d{2}:?\d{2})?)?$/.test(value) && !Number.isNaN(Date.parse(value)), 'must be a date (YYYY-MM-DD) or an ISO date-time');
/** `from`: that instant (a date: its start, UTC). */
const FromBound = DateBound.transform((value) => new Date(value));
/** `to`, as the instant just past it: a date covers its whole day (UTC), a date-time itself. */
const ToBound = DateBound.transform((value) => new Date(Date.parse(value) + (value.length === 10 ? 86_400_000 : 1)));
const Bool = z.enum(['true', 'false']).transform((value) => value === 'true');
const PageNumber = z.coerce.number().int().min(1).max(10_000);
const PageSize = z.coerce.number().int().min(1).transform((size) => Math.min(size, MAX_PAGE_SIZE));

export const SearchParams = z.object({
  q: z
    .string({ required_error: 'q is required' })
    .transform((q) => q.replace(/\u0000/g, ''))
    .refine((q) => q.trim() !== '', 'q is required')
    .refine((q) => q.length <= MAX_QUERY_LENGTH, `q is longer than ${MAX_QUERY_LENGTH} characters`),
  locale: LocaleCode.default('en'),
  prefix: z.boolean().default(false),
  section: Slug.optional(),
  tag: Slug.optional(),
  author: Slug.optional(),
  from: z.date().optional(),
  /** Exclusive: the first instant past the range. */
  to: z.date().optional(),
  sort: z.enum(['relevance', 'newest']).default('relevance'),
  page: PageNumber.default(1),
  pageSize: PageSize.default(DEFAULT_PAGE_SIZE),
});
export type SearchParams = z.infer<typeof SearchParams>;

/** The REST query string: `q`, `locale`, `prefix`, filters, `sort`, and `page`/`pageSize` (or `pagination[…]`). */
export const RestQuery = z
  .object({
    q: z.string({ required_error: 'q is required', invalid_type_error: 'q must be given once' }),
    locale: z.string().optional(),
    prefix: Bool.optional(),
    section: Slug.optional(),
    tag: Slug.optional(),
    author: Slug.optional(),
    from: FromBound.optional(),
    to: ToBound.optional(),
    sort: z.string().optional(),
    page: z.string().optional(),
    pageSize: z.string().optional(),
    pagination: z.object({ page: z.string().optional(), pageSize: z.string().optional() }).strict().optional(),
  })
  .strict();

/** The parameters of a REST query string, or the message of a 400. */
export function parseRestQuery(query: Record<string, unknown>): { params: SearchParams } | { error: string } {
  const raw = RestQuery.safeParse(query);
  if (!raw.success) return { error: issueText(raw.error) };
  const { pagination, page, pageSize, ...rest } = raw.data;
  const parsed = SearchParams.safeParse({ ...rest, page: page ?? pagination?.page, pageSize: pageSize ?? pagination?.pageSize });
  if (!parsed.success) return { error: issueText(parsed.error) };
  return { params: parsed.data };
}

export function issueText(error: z.ZodError): string {
  const issue = error.issues[0];
  const where = issue.path.join('.');
  if (issue.code === 'unrecognized_keys') return `Invalid query: unknown parameter ${issue.keys.join(', ')}`;
  return `Invalid query: ${where ? `${where}: ` : ''}${issue.message}`;
}

export const SearchFacet = z.object({ slug: z.string(), name: z.string(), count: z.number().int().min(0) }).strict();
export type SearchFacet = z.infer<typeof SearchFacet>;

/** The answer of GET /api/search (its schema is the OpenAPI document's). */
export const SearchAnswer = z
  .object({
    data: z.array(SearchHit.extend({ highlights: z.array(z.string()).describe('Passages with the matched words in <mark>, HTML-escaped') })),
    meta: z
      .object({
        pagination: z
          .object({ page: z.number().int().min(1), pageSize: z.number().int().min(1).max(MAX_PAGE_SIZE), pageCount: z.number().int().min(0), total: z.number().int().min(0) })
          .strict(),
        facets: z.object({ sections: z.array(SearchFacet), tags: z.array(SearchFacet) }).strict(),
        capped: z.boolean().describe(`Whether more matched than are ranked and counted (the newest ${CANDIDATES} are)`),
      })
      .strict(),
  })
  .strict();
export type SearchAnswer = z.infer<typeof SearchAnswer>;

/** The tsquery of a search as SQL, with its bindings (websearch syntax; the prefix word `:*`). */
export function tsquerySql(params: Pick<SearchParams, 'q' | 'locale' | 'prefix'>): { sql: string; bindings: string[] } {
  const config = searchConfig(params.locale);
  const { text, prefixWords } = websearchText(params.q, params.prefix);
  const parts: string[] = [];
  const bindings: string[] = [];
  if (text.trim() !== '') {
    parts.push('websearch_to_tsquery(?::regconfig, ?)');
    bindings.push(config, text);
  }
  for (const word of prefixWords) {
    // Letters and digits only: nothing of it is tsquery syntax.
    parts.push(`to_tsquery(?::regconfig, ?)`);
    bindings.push(config, `'${word}':*`);
  }
  return { sql: parts.length > 0 ? `(${parts.join(' && ')})` : `''::tsquery`, bindings };
}

let searchedTags: string[] | undefined;

const HEADLINE_OPTIONS = `StartSel=${MARK_START}, StopSel=${MARK_STOP}, MaxWords=35, MinWords=15, ShortWord=2`;

interface SearchRow {
  total: number;
  expires_at: Date | null;
  sections: SearchFacet[];
  tags: SearchFacet[];
  hits: Array<{ hit: SearchHit; tags: string[]; highlighted: string | null; stale: boolean }>;
}

/**
 * Runs a search for the public: published articles only, as the read model holds them. One
 * statement: the candidates (the newest matches), ranked, counted, faceted, and the page's hits
 * with their highlights, so that little more than a page crosses to Node.
 */
export async function runSearch(strapi: Core.Strapi, params: SearchParams): Promise<SearchAnswer> {
  const query = tsquerySql(params);
  const filters: string[] = [];
  const filterBindings: unknown[] = [];
  if (params.section) {
    filters.push('r.section_slug = ?');
    filterBindings.push(params.section);
  }
  if (params.tag) {
    filters.push('r.tag_slugs @> ARRAY[?]::text[]');
    filterBindings.push(params.tag);
  }
  if (params.author) {
    filters.push('r.author_slugs @> ARRAY[?]::text[]');
    filterBindings.push(params.author);
  }
  if (params.from) {
    filters.push('r.first_publish_date >= ?');
    filterBindings.push(params.from);
  }
  if (params.to) {
    filters.push('r.first_publish_date < ?');
    filterBindings.push(params.to);
  }
  const now = new Date();
  const cjk = searchConfig(params.locale) === 'news_cjk';
  // Chinese and Japanese are highlighted in Node (the index holds bigrams), from the text itself.
  const highlight = cjk ? { sql: 'r.search_text', bindings: [] as unknown[] } : { sql: `ts_headline(?::regconfig, r.search_text, ${query.sql}, ?)`, bindings: [searchConfig(params.locale), ...query.bindings, HEADLINE_OPTIONS] };
  // document_id last: equal scores and dates page the same way every time.
  const order = params.sort === 'newest' ? 'first_publish_date DESC NULLS LAST, document_id' : 'score DESC, first_publish_date DESC NULLS LAST, document_id';
  const sql = `
    WITH c AS (
      SELECT r.document_id, r.first_publish_date, r.section_slug, r.section_name, r.tag_slugs, r.tag_names, r.unpublish_at, r.search
        FROM ${READ_MODEL_TABLE} r
       WHERE r.locale = ? AND r.search @@ ${query.sql}
         AND (r.unpublish_at IS NULL OR r.unpublish_at > ?)
         ${filters.map((f) => `AND ${f}`).join(' ')}
       ORDER BY r.first_publish_date DESC NULLS LAST, r.document_id
       LIMIT ?
    ), s AS (
      SELECT c.document_id, c.first_publish_date, c.section_slug, c.section_name, c.tag_slugs, c.tag_names, c.unpublish_at,
             row_number() OVER (ORDER BY c.first_publish_date DESC NULLS LAST, c.document_id) AS n,
             ts_rank(c.search, ${query.sql}, 32)
               -- float8 throughout (extract() is numeric, whose power() costs ~6 µs a row)
               * (0.5 + 0.5 * power(0.5::float8, greatest(0::float8, date_part('epoch', ?::timestamptz - coalesce(c.first_publish_date, 'epoch')) / ${86_400 * RECENCY_HALF_LIFE_DAYS}::float8))) AS score
        FROM c
    ), k AS (
      -- The candidates: one more than CANDIDATES was fetched only to tell whether it was capped.
      SELECT * FROM s WHERE n <= ${CANDIDATES}
    ), p AS (
      SELECT k.document_id, k.score, k.first_publish_date FROM k ORDER BY ${order} LIMIT ? OFFSET ?
    )
    SELECT (SELECT count(*) FROM s)::int AS total,
           (SELECT min(unpublish_at) FROM k) AS expires_at,
           (SELECT coalesce(json_agg(json_build_object('slug', f.slug, 'name', f.name, 'count', f.count) ORDER BY f.count DESC, f.slug), '[]')
              FROM (SELECT section_slug AS slug, min(section_name) AS name, count(*)::int AS count FROM k WHERE section_slug IS NOT NULL GROUP BY section_slug) f) AS sections,
           (SELECT coalesce(json_agg(json_build_object('slug', f.slug, 'name', f.name, 'count', f.count) ORDER BY f.count DESC, f.slug), '[]')
              FROM (SELECT t.slug, min(t.name) AS name, count(*)::int AS count FROM k, unnest(k.tag_slugs, k.tag_names) AS t(slug, name) GROUP BY t.slug) f) AS tags,
           (SELECT coalesce(json_agg(json_build_object('hit', r.search_hit::json, 'tags', r.tags, 'highlighted', ${highlight.sql}, 'stale', r.stale) ORDER BY ${order.replace(/(score|first_publish_date|document_id)/g, 'p.$1')}), '[]')
              FROM p JOIN ${READ_MODEL_TABLE} r ON r.document_id = p.document_id AND r.locale = ?) AS hits`;
  const bindings = [
    params.locale,
    ...query.bindings,
    now,
    ...filterBindings,
    CANDIDATES + 1,
    ...query.bindings,
    now,
    params.pageSize,
    (params.page - 1) * params.pageSize,
    ...highlight.bindings,
    params.locale,
  ];
  const [row] = ((await strapi.db.connection.raw(sql, bindings as never[])) as { rows: SearchRow[] }).rows;
  // One more than CANDIDATES was asked for: its presence says the set was capped.
  const capped = row.total > CANDIDATES;
  const total = Math.min(row.total, CANDIDATES);

  // What the answer was made from: every match can change with any article (list tags), facet
  // names with their section or tag, and a hit's text with whatever its row was built from.
  const read = currentReadTags();
  searchedTags ??= [ARTICLE_UID, SECTION_UID, TAG_UID, AUTHOR_UID, CREDIT_UID].map((uid) => listTag((strapi.getModel(uid as never) as { info: { singularName: string } }).info.singularName));
  read?.addAll(searchedTags);
  if (row.expires_at) read?.expireAt(new Date(row.expires_at).getTime());
  const data: SearchAnswer['data'] = [];
  for (const found of row.hits) {
    // A stale row (src/read-model/projection.ts) found the article; what the hit shows is built
    // now, as the public may read it now.
    const { hit, tags, highlighted } = found.stale ? ((await rebuiltHit(strapi, found.hit, params, query)) ?? { hit: null, tags: [], highlighted: null }) : found;
    if (!hit) continue;
    read?.addAll(tags);
    const text = highlighted ?? '';
    data.push({ ...hit, highlights: cjk ? cjkHighlights(text, params.q) : highlightHtml(text) });
  }
  return {
    data,
    meta: {
      pagination: { page: params.page, pageSize: params.pageSize, pageCount: Math.ceil(total / params.pageSize), total },
      facets: { sections: row.sections, tags: row.tags },
      capped,
    },
  };
}


/** A hit whose row is stale, built from the article as the public reads it now (one article). */
async function rebuiltHit(
  strapi: Core.Strapi,
  stale: SearchHit,
  params: SearchParams,
  query: { sql: string; bindings: string[] }
): Promise<{ hit: SearchHit; tags: string[]; highlighted: string | null } | undefined> {
  const built = await buildRow(strapi, stale.documentId, params.locale);
  if (!built) return undefined;
  const text = searchTexts(built.article).all;
  if (searchConfig(params.locale) === 'news_cjk') return { hit: searchHit(built.article), tags: built.tags, highlighted: text };
  const [headline] = ((await strapi.db.connection.raw(`SELECT ts_headline(?::regconfig, ?, ${query.sql}, ?) AS h`, [searchConfig(params.locale), text, ...query.bindings, HEADLINE_OPTIONS])) as {
    rows: Array<{ h: string }>;
  }).rows;
  return { hit: searchHit(built.article), tags: built.tags, highlighted: headline?.h ?? null };
}

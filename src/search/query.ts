import type { Core } from '@strapi/strapi';
import { z } from 'zod';
import { ARTICLE_UID, AUTHOR_UID, CREDIT_UID, SECTION_UID, TAG_UID } from '../articles/constants';
import { LocaleCode } from '../bootstrap/locales';
import { listTag } from '../public-view/models';
import { currentReadTags } from '../public-view/scope';
import { READ_MODEL_TABLE } from '../read-model/projection';
import { cjkHighlights, FRAGMENT_SEPARATOR, highlightHtml, MARK_START, MARK_STOP, searchConfig, websearchText, type SearchHit } from './text';

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
  .refine((value) => /^\d{4}-\d{2}-\d{2}([T ][0-9:.]+(Z|[+-]\d{2}:?\d{2})?)?$/.test(value) && !Number.isNaN(Date.parse(value)), 'must be a date (YYYY-MM-DD) or an ISO date-time')
  .transform((value) => new Date(value));
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
  to: z.date().optional(),
  sort: z.enum(['relevance', 'newest']).default('relevance'),
  page: PageNumber.default(1),
  pageSize: PageSize.default(DEFAULT_PAGE_SIZE),
});
export type SearchParams = z.infer<typeof SearchParams>;

/** The REST query string: `q`, `locale`, `prefix`, filters, `sort`, and `page`/`pageSize` (or `pagination[…]`). */
const RestQuery = z
  .object({
    q: z.string({ required_error: 'q is required', invalid_type_error: 'q must be given once' }),
    locale: z.string().optional(),
    prefix: Bool.optional(),
    section: Slug.optional(),
    tag: Slug.optional(),
    author: Slug.optional(),
    from: DateBound.optional(),
    to: DateBound.optional(),
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

export interface SearchFacet {
  slug: string;
  name: string;
  count: number;
}

export interface SearchAnswer {
  data: Array<SearchHit & { highlights: string[] }>;
  meta: {
    pagination: { page: number; pageSize: number; pageCount: number; total: number };
    facets: { sections: SearchFacet[]; tags: SearchFacet[] };
    /** Whether more matched than are ranked and counted (the newest CANDIDATES are). */
    capped: boolean;
  };
}

interface Candidate {
  document_id: string;
  first_publish_date: Date | null;
  section_slug: string | null;
  section_name: string | null;
  tag_slugs: string[];
  tag_names: string[];
  unpublish_at: Date | null;
  rank: number;
}

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

/** Runs a search for the public: published articles only, as the read model holds them. */
export async function runSearch(strapi: Core.Strapi, params: SearchParams): Promise<SearchAnswer> {
  const knex = strapi.db.connection;
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
    // A date alone means the whole day.
    filters.push('r.first_publish_date < ?');
    filterBindings.push(new Date(params.to.getTime() + (isDateOnly(params.to) ? 86_400_000 : 1)));
  }
  const now = new Date();
  const candidates = (
    (await knex.raw(
      `SELECT c.document_id, c.first_publish_date, c.section_slug, c.section_name, c.tag_slugs, c.tag_names, c.unpublish_at,
              ts_rank(c.search, ${query.sql}, 32) AS rank
         FROM (SELECT r.document_id, r.first_publish_date, r.section_slug, r.section_name, r.tag_slugs, r.tag_names, r.unpublish_at, r.search
                 FROM ${READ_MODEL_TABLE} r
                WHERE r.locale = ? AND r.search @@ ${query.sql}
                  AND (r.unpublish_at IS NULL OR r.unpublish_at > ?)
                  ${filters.map((f) => `AND ${f}`).join(' ')}
                ORDER BY r.first_publish_date DESC NULLS LAST
                LIMIT ?) c`,
      [...query.bindings, params.locale, ...query.bindings, now, ...filterBindings, CANDIDATES + 1]
    )) as { rows: Candidate[] }
  ).rows;
  const capped = candidates.length > CANDIDATES;
  if (capped) candidates.pop();

  // What the answer was made from: every match can change with any article (list tags), facet
  // names with their section or tag, and a hit's text with whatever its row was built from.
  const read = currentReadTags();
  searchedTags ??= [ARTICLE_UID, SECTION_UID, TAG_UID, AUTHOR_UID, CREDIT_UID].map((uid) => listTag((strapi.getModel(uid as never) as { info: { singularName: string } }).info.singularName));
  read?.addAll(searchedTags);
  for (const candidate of candidates) if (candidate.unpublish_at) read?.expireAt(new Date(candidate.unpublish_at).getTime());

  const ordered = params.sort === 'newest' ? candidates : [...candidates].sort((a, b) => score(b, now) - score(a, now) || time(b) - time(a));
  const page = ordered.slice((params.page - 1) * params.pageSize, params.page * params.pageSize);
  const total = candidates.length;
  const answer: SearchAnswer = {
    data: await hits(strapi, params, query, page.map((c) => c.document_id)),
    meta: {
      pagination: { page: params.page, pageSize: params.pageSize, pageCount: Math.ceil(total / params.pageSize), total },
      facets: facets(candidates),
      capped,
    },
  };
  return answer;
}

function time(candidate: Candidate): number {
  return candidate.first_publish_date ? new Date(candidate.first_publish_date).getTime() : 0;
}

/** Relevance (0..1), blended with recency: an equally relevant older story ranks lower, down to half. */
function score(candidate: Candidate, now: Date): number {
  const ageDays = Math.max(0, (now.getTime() - time(candidate)) / 86_400_000);
  return Number(candidate.rank) * (0.5 + 0.5 * Math.pow(0.5, ageDays / RECENCY_HALF_LIFE_DAYS));
}

function isDateOnly(date: Date): boolean {
  return date.getUTCHours() === 0 && date.getUTCMinutes() === 0 && date.getUTCSeconds() === 0 && date.getUTCMilliseconds() === 0;
}

function facets(candidates: Candidate[]): SearchAnswer['meta']['facets'] {
  const sections = new Map<string, SearchFacet>();
  const tags = new Map<string, SearchFacet>();
  const count = (into: Map<string, SearchFacet>, slug: string, name: string) => {
    const facet = into.get(slug) ?? { slug, name, count: 0 };
    facet.count += 1;
    into.set(slug, facet);
  };
  for (const candidate of candidates) {
    if (candidate.section_slug) count(sections, candidate.section_slug, candidate.section_name ?? candidate.section_slug);
    candidate.tag_slugs.forEach((slug, i) => count(tags, slug, candidate.tag_names[i] ?? slug));
  }
  const sorted = (into: Map<string, SearchFacet>) => [...into.values()].sort((a, b) => b.count - a.count || a.slug.localeCompare(b.slug));
  return { sections: sorted(sections), tags: sorted(tags) };
}

const HEADLINE_OPTIONS = `StartSel=${MARK_START}, StopSel=${MARK_STOP}, MaxWords=30, MinWords=12, ShortWord=2, MaxFragments=2, FragmentDelimiter=${FRAGMENT_SEPARATOR}`;

/** The page's hits, in order, with their highlights; their rows' tags go to the answer's. */
async function hits(
  strapi: Core.Strapi,
  params: SearchParams,
  query: { sql: string; bindings: string[] },
  documentIds: string[]
): Promise<SearchAnswer['data']> {
  if (documentIds.length === 0) return [];
  const cjk = searchConfig(params.locale) === 'news_cjk';
  const highlight = cjk ? 'r.search_text' : `ts_headline(?::regconfig, r.search_text, ${query.sql}, ?)`;
  const rows = (
    (await strapi.db.connection.raw(
      `SELECT r.document_id, r.search_hit, r.tags, ${highlight} AS highlighted
         FROM ${READ_MODEL_TABLE} r WHERE r.locale = ? AND r.document_id = ANY(?)`,
      [...(cjk ? [] : [searchConfig(params.locale), ...query.bindings, HEADLINE_OPTIONS]), params.locale, documentIds]
    )) as { rows: Array<{ document_id: string; search_hit: string; tags: string[]; highlighted: string | null }> }
  ).rows;
  const read = currentReadTags();
  const byId = new Map(rows.map((row) => [row.document_id, row]));
  return documentIds.flatMap((id) => {
    const row = byId.get(id);
    if (!row) return [];
    read?.addAll(row.tags);
    const text = row.highlighted ?? '';
    return [{ ...(JSON.parse(row.search_hit) as SearchHit), highlights: cjk ? cjkHighlights(text, params.q) : highlightHtml(text) }];
  });
}

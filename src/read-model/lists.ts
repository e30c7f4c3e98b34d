import type { Core } from '@strapi/strapi';
import { z } from 'zod';
import { ARTICLE_UID } from '../articles/constants';
import { LocaleCode } from '../bootstrap/locales';
import { rememberTotal } from '../cache/count-memo';
import { listTag } from '../public-view/models';
import { buildRow, READ_MODEL_TABLE, type ReadModelRow } from './projection';

/**
 * The lists a front page asks for, newest first, answered with one query: the articles' rows in
 * the read model, picked and ordered in SQL exactly as the core controller picks them (published
 * rows of the locale, not past their unpublishAt, through published relations only, sorted by
 * firstPublishDate then id, both descending), and the total remembered as the core path does.
 * Any other list goes through the core controller (see the route middleware).
 */

/** The relation filters a list may take here: `filters[<relation>][<field>][$eq]=<value>`. */
const FILTERS = { credits: 'name', section: 'slug', tags: 'slug', authors: 'slug' } as const;
type Relation = keyof typeof FILTERS;

const MAX_PAGE_SIZE = 100; // config/api.ts maxLimit
const DEFAULT_PAGE_SIZE = 25; // config/api.ts defaultLimit

const ListQuery = z
  .object({
    locale: LocaleCode.optional(),
    pagination: z
      .object({
        page: z.coerce.number().int().min(1).max(1_000_000).optional(),
        pageSize: z.coerce.number().int().min(1).optional(),
        withCount: z.literal('true').optional(),
      })
      .strict()
      .optional(),
    filters: z.record(z.string(), z.record(z.string(), z.object({ $eq: z.string() }).strict())).optional(),
  })
  .strict();

export interface ListPlan {
  locale?: string;
  page: number;
  pageSize: number;
  filter?: { relation: Relation; value: string };
}

/** The list this module answers, or null when the core controller must. */
export function planList(query: Record<string, unknown>): ListPlan | null {
  const parsed = ListQuery.safeParse(query);
  if (!parsed.success) return null;
  const { locale, pagination, filters } = parsed.data;
  const plan: ListPlan = {
    locale,
    page: pagination?.page ?? 1,
    pageSize: Math.min(pagination?.pageSize ?? DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE),
  };
  if (filters) {
    const entries = Object.entries(filters);
    if (entries.length !== 1) return null;
    const [relation, condition] = entries[0];
    if (!(relation in FILTERS)) return null;
    const fields = Object.entries(condition);
    if (fields.length !== 1 || fields[0][0] !== FILTERS[relation as Relation]) return null;
    plan.filter = { relation: relation as Relation, value: fields[0][1].$eq };
  }
  return plan;
}

interface JoinTable {
  name: string;
  joinColumn: { name: string };
  inverseJoinColumn: { name: string };
}

let knownDefault: { code: string; until: number } | null = null;

/** The locale a read without `locale` gets (i18n's default), asked for at most every few seconds. */
export async function defaultLocale(strapi: Core.Strapi): Promise<string> {
  if (knownDefault && Date.now() < knownDefault.until) return knownDefault.code;
  const code = (await strapi.plugin('i18n').service('locales').getDefaultLocale()) as string;
  knownDefault = { code, until: Date.now() + 5000 };
  return code;
}

export interface ListAnswer {
  /** The response's bytes. */
  body: Buffer;
  /** The tags of what the answer's articles were built from. */
  tags: string[];
  /** The earliest unpublishAt among them: no copy of the answer outlives it. */
  expiresAt: Date | null;
  /** Cache tags beyond the rows': the lists the answer was picked from. */
  listTags: string[];
}

/** Answers the list from the read model: the core controller's JSON, byte for byte. */
export async function readList(strapi: Core.Strapi, plan: ListPlan): Promise<ListAnswer> {
  const knex = strapi.db.connection;
  const locale = plan.locale ?? (await defaultLocale(strapi));
  const articles = strapi.db.metadata.get(ARTICLE_UID);
  const now = new Date();
  const where = (qb: ReturnType<typeof knex>) => {
    qb.where('a.locale', locale).whereNotNull('a.published_at').andWhere((q) => q.whereNull('a.unpublish_at').orWhere('a.unpublish_at', '>', now));
    if (plan.filter) {
      const attribute = articles.attributes[plan.filter.relation] as unknown as { joinTable: JoinTable; target: string };
      const target = strapi.db.metadata.get(attribute.target);
      const link = attribute.joinTable;
      const field = FILTERS[plan.filter.relation];
      const column = (target.attributes[field] as { columnName?: string }).columnName ?? field;
      const value = plan.filter.value;
      qb.whereExists(function (this: ReturnType<typeof knex>) {
        this.select(knex.raw('1'))
          .from(`${link.name} as l`)
          .join(`${target.tableName} as t`, 't.id', `l.${link.inverseJoinColumn.name}`)
          .whereRaw(`l.${link.joinColumn.name} = a.id`)
          .whereNotNull('t.published_at')
          .where(`t.${column}`, value);
      });
    }
    return qb;
  };

  const relationTarget = plan.filter && (articles.attributes[plan.filter.relation] as unknown as { target: string }).target;
  const relationTag = relationTarget ? listTag((strapi.getModel(relationTarget as never) as { info: { singularName: string } }).info.singularName) : undefined;
  const key = `read-model-list ${locale} ${plan.filter ? `${plan.filter.relation}=${JSON.stringify(plan.filter.value)}` : ''}`;
  const total = await rememberTotal(key, async () => {
    const row = (await where(knex(`${articles.tableName} as a`)).count<{ count: string }[]>({ count: '*' }))[0];
    return Number(row.count);
  });

  const pagination = { page: plan.page, pageSize: plan.pageSize, pageCount: Math.ceil(total / plan.pageSize), total };
  const meta = JSON.stringify({ pagination });
  const listTags = [listTag('article'), ...(relationTag ? [relationTag] : [])];

  // The page's rows, in order. The unfiltered list (the front page) by a statement written once:
  // no query building per request.
  const picked = (
    plan.filter
      ? await where(knex(`${articles.tableName} as a`))
          .leftJoin(`${READ_MODEL_TABLE} as r`, function () {
            this.on('r.document_id', 'a.document_id').andOn('r.locale', 'a.locale').andOnVal('r.stale', false);
          })
          .select('a.document_id', 'r.json', 'r.tags', 'r.unpublish_at')
          .orderBy([
            { column: 'a.first_publish_date', order: 'desc' },
            { column: 'a.id', order: 'desc' },
          ])
          .limit(plan.pageSize)
          .offset((plan.page - 1) * plan.pageSize)
      : ((await knex.raw(pageSql(articles.tableName), [locale, now, plan.pageSize, (plan.page - 1) * plan.pageSize])) as { rows: unknown[] }).rows
  ) as Array<{ document_id: string; json: string | null; tags: string[] | null; unpublish_at: Date | null }>;
  const rows: ReadModelRow[] = [];
  for (const row of picked) {
    // A row dropped by a wide change and not rebuilt yet: built as it would be, not written.
    const built = row.json !== null ? { json: row.json, tags: row.tags ?? [], unpublishAt: row.unpublish_at } : await buildRow(strapi, row.document_id, locale);
    if (built) rows.push(built);
  }
  // A list filtered through a relation comes from a SELECT DISTINCT naming the sort column first:
  // Strapi's JSON then starts with firstPublishDate.
  const items = plan.filter ? rows.map((row) => withLeadingKeys(row.json, ['firstPublishDate'])) : rows.map((row) => row.json);
  const expiries = rows.flatMap((row) => (row.unpublishAt ? [new Date(row.unpublishAt).getTime()] : []));
  return {
    body: listBody(items, meta),
    tags: [...new Set(rows.flatMap((row) => row.tags))],
    expiresAt: expiries.length > 0 ? new Date(Math.min(...expiries)) : null,
    listTags,
  };
}

const LIST_HEAD = Buffer.from('{"data":[');

/**
 * `{"data":[<items>],"meta":<meta>}` as UTF-8 bytes, encoded item by item. A page of articles
 * is ~100 KB: as one JavaScript string (a join, then Koa's byte count and the socket's encoding)
 * it costs V8 about ten times what twenty article-sized strings cost (~1 ms against ~0.1 ms here,
 * once the text has any non-ASCII character), and node-postgres decoding it as one value the same.
 */
export function listBody(items: readonly string[], meta: string): Buffer {
  const tail = `],"meta":${meta}}`;
  const lengths = items.map((item) => Buffer.byteLength(item));
  const size = LIST_HEAD.length + lengths.reduce((sum, n) => sum + n, 0) + Math.max(items.length - 1, 0) + Buffer.byteLength(tail);
  const body = Buffer.allocUnsafe(size);
  let at = LIST_HEAD.copy(body, 0);
  items.forEach((item, i) => {
    if (i > 0) at = body.writeUInt8(0x2c, at); // ','
    at += body.write(item, at, lengths[i], 'utf8');
  });
  at += body.write(tail, at, 'utf8');
  if (at !== size) throw new Error(`listBody: wrote ${at} of ${size} bytes`);
  return body;
}

const pageSqlByTable = new Map<string, string>();

/**
 * A page of the unfiltered list: the articles picked as `where` picks them, each with its
 * read-model row (null where it has none), in order. Each row is looked up by its key (LATERAL,
 * LIMIT 1: never a hash join over the whole read model, which PostgreSQL picks for small tables).
 */
function pageSql(articlesTable: string): string {
  let sql = pageSqlByTable.get(articlesTable);
  if (!sql) {
    sql = `SELECT a.document_id, r.json, r.tags, r.unpublish_at
             FROM (SELECT a.id, a.first_publish_date, a.document_id, a.locale
                     FROM "${articlesTable}" AS a
                    WHERE a.locale = ? AND a.published_at IS NOT NULL AND (a.unpublish_at IS NULL OR a.unpublish_at > ?)
                    ORDER BY a.first_publish_date DESC, a.id DESC
                    LIMIT ? OFFSET ?) AS a
             LEFT JOIN LATERAL (SELECT r.json, r.tags, r.unpublish_at FROM ${READ_MODEL_TABLE} AS r
                                 WHERE r.document_id = a.document_id AND r.locale = a.locale AND NOT r.stale LIMIT 1) AS r ON true
            ORDER BY a.first_publish_date DESC, a.id DESC`;
    pageSqlByTable.set(articlesTable, sql);
  }
  return sql;
}

/** The article's JSON with these attributes moved to the front, in this order (see readList). */
export function withLeadingKeys(json: string, leading: string[]): string {
  if (leading.length === 0) return json;
  const article = JSON.parse(json) as Record<string, unknown>;
  const ordered: Record<string, unknown> = {};
  for (const key of leading) if (key in article) ordered[key] = article[key];
  for (const [key, value] of Object.entries(article)) if (!(key in ordered)) ordered[key] = value;
  return JSON.stringify(ordered);
}

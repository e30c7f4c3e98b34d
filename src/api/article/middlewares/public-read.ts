import type { Core } from '@strapi/strapi';
import { narrowPopulate } from '../../../articles/populate';
import { checkListQuery } from '../../../articles/query-rules';
import { LocaleCode } from '../../../bootstrap/locales';
import { hasShapeHeader } from '../../../cache/policy';
import { listTag } from '../../../public-view/models';
import { currentReadTags } from '../../../public-view/scope';
import { defaultLocale, listBody, planList, readList, withLeadingKeys } from '../../../read-model/lists';
import { servesFromReadModel } from '../../../read-model/serving';
import { readArticle, readArticles, type ReadModelRow } from '../../../read-model/projection';

const ARTICLE_LIST_TAG = listTag('article');

interface RouteContext {
  query: Record<string, unknown>;
  params: Record<string, string>;
  request: { headers: Record<string, string | string[] | undefined> };
  status: number;
  body: unknown;
  type: string;
}


/** Credentials or a header that changes the response's shape: the core path answers. */
function plainRequest(ctx: RouteContext): boolean {
  if (ctx.request.headers.authorization !== undefined || hasShapeHeader(ctx.request.headers)) return false;
  return ctx.query.locale === undefined || LocaleCode.safeParse(ctx.query.locale).success;
}

/** The requests the read model answers as the core controller would: one article by slug or id. */
function readModelQuery(ctx: RouteContext, list: boolean): { slug: string } | { documentId: string } | null {
  if (!plainRequest(ctx)) return null;
  const keys = Object.keys(ctx.query).filter((key) => key !== 'locale');
  if (!list) return keys.length === 0 && ctx.params.id ? { documentId: ctx.params.id } : null;
  if (keys.length !== 1 || keys[0] !== 'filters') return null;
  const filters = ctx.query.filters as Record<string, unknown> | undefined;
  if (!filters || Object.keys(filters).length !== 1) return null;
  // `filters[slug][$eq]=…`, or its short form `filters[slug]=…` (what openapi-fetch sends).
  const condition = filters.slug;
  if (typeof condition === 'string') return { slug: condition };
  if (!condition || typeof condition !== 'object' || Object.keys(condition).length !== 1) return null;
  const slug = (condition as Record<string, unknown>).$eq;
  return typeof slug === 'string' ? { slug } : null;
}

/** A list's parameters that leave each item whole: which items, in which order, how many. */
const LIST_KEYS = new Set(['locale', 'filters', 'pagination', 'sort']);

/** A list of whole articles, which the core controller selects and the read model fills. */
function wholeArticleList(ctx: RouteContext): boolean {
  return plainRequest(ctx) && Object.keys(ctx.query).every((key) => LIST_KEYS.has(key));
}

interface ListBody {
  data: Array<{ documentId?: unknown; locale?: unknown }>;
  meta: unknown;
}

const isListBody = (body: unknown): body is ListBody =>
  typeof body === 'object' && body !== null && Array.isArray((body as ListBody).data) && 'meta' in body;

const SELECTED = ['documentId', 'locale'];

/** Records what the rows were built from, so a cached answer is purged (or expires) with them. */
function recordRows(rows: Iterable<ReadModelRow>): void {
  const read = currentReadTags();
  if (!read) return;
  for (const row of rows) {
    read.addAll(row.tags);
    if (row.unpublishAt) read.expireAt(new Date(row.unpublishAt).getTime());
  }
}

/**
 * Route middleware for the public article reads: the whole article in one request with no
 * populate parameters, the server's tree as the ceiling, newest first by default, list
 * parameters checked. One article by slug or id comes from the read model when it has it.
 */
export default (config: { list?: boolean } | undefined, { strapi }: { strapi: Core.Strapi }) => {
  const list = config?.list === true;
  return async (ctx: RouteContext, next: () => Promise<void>) => {
    checkListQuery(ctx.query);
    const serve = servesFromReadModel();
    const fromReadModel = serve ? readModelQuery(ctx, list) : null;
    if (fromReadModel) {
      const locale = typeof ctx.query.locale === 'string' ? ctx.query.locale : await defaultLocale(strapi);
      const row = await readArticle(strapi, fromReadModel, locale);
      if (row) {
        const { json } = row;
        // What the row was built from; a list by slug could also gain another article.
        const read = currentReadTags();
        recordRows([row]);
        if (list) read?.add(ARTICLE_LIST_TAG);
        ctx.status = 200;
        ctx.type = 'application/json';
        ctx.body = list
          ? `{"data":[${json}],"meta":{"pagination":{"page":1,"pageSize":25,"pageCount":1,"total":1}}}`
          : `{"data":${json},"meta":{}}`;
        return;
      }
    }
    if (serve && list && ctx.query.sort === undefined && plainRequest(ctx)) {
      // The front page's lists: one query for the page's rows.
      const plan = planList(ctx.query);
      if (plan) {
        const answer = await readList(strapi, plan);
        const read = currentReadTags();
        read?.addAll([...answer.tags, ...answer.listTags]);
        if (answer.expiresAt) read?.expireAt(answer.expiresAt.getTime());
        ctx.status = 200;
        ctx.type = 'application/json';
        ctx.body = answer.body;
        return;
      }
    }
    if (list && ctx.query.sort === undefined) ctx.query.sort = ['firstPublishDate:desc', 'id:desc'];
    if (serve && list && wholeArticleList(ctx)) {
      // The core controller picks the articles (its filters, sort, pagination and total, under
      // the public view's rules) reading no more than their ids; the read model gives each
      // whole article in one query. Same bytes as the core controller's answer.
      ctx.query.fields = SELECTED;
      await next();
      if (ctx.status !== 200 || !isListBody(ctx.body)) return;
      const { data, meta } = ctx.body;
      if (data.some((item) => typeof item.documentId !== 'string' || typeof item.locale !== 'string')) throw new Error('a list item without documentId or locale');
      // One read per locale in the page (`locale=*` mixes them).
      const byLocale = new Map<string, string[]>();
      for (const item of data) byLocale.set(item.locale as string, [...(byLocale.get(item.locale as string) ?? []), item.documentId as string]);
      const rows = new Map<string, ReadModelRow>();
      for (const [locale, ids] of byLocale) {
        for (const [documentId, row] of await readArticles(strapi, ids, locale)) rows.set(`${locale} ${documentId}`, row);
      }
      recordRows(rows.values());
      const items: string[] = [];
      data.forEach((item) => {
        const json = rows.get(`${item.locale as string} ${item.documentId as string}`)?.json;
        const leading = Object.keys(item).filter((key) => key !== 'id' && !SELECTED.includes(key));
        if (json !== undefined) items.push(withLeadingKeys(json, leading));
      });
      ctx.type = 'application/json';
      ctx.body = listBody(items, JSON.stringify(meta));
      return;
    }
    ctx.query.populate = narrowPopulate(ctx.query.populate);
    await next();
  };
};

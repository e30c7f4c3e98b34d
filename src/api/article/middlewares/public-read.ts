import type { Core } from '@strapi/strapi';
import { narrowPopulate } from '../../../articles/populate';
import { checkListQuery } from '../../../articles/query-rules';
import { LocaleCode } from '../../../bootstrap/locales';
import { hasShapeHeader } from '../../../cache/policy';
import { listTag } from '../../../public-view/models';
import { currentReadTags } from '../../../public-view/scope';
import { readArticle } from '../../../read-model/projection';

const ARTICLE_LIST_TAG = listTag('article');

interface RouteContext {
  query: Record<string, unknown>;
  params: Record<string, string>;
  request: { headers: Record<string, string | string[] | undefined> };
  status: number;
  body: unknown;
  type: string;
}


/** The requests the read model answers as the core controller would: one article by slug or id. */
function readModelQuery(ctx: RouteContext, list: boolean): { slug: string } | { documentId: string } | null {
  // Credentials or a header that changes the response's shape: the core path answers.
  if (ctx.request.headers.authorization !== undefined || hasShapeHeader(ctx.request.headers)) return null;
  const keys = Object.keys(ctx.query).filter((key) => key !== 'locale');
  if (ctx.query.locale !== undefined && !LocaleCode.safeParse(ctx.query.locale).success) return null;
  if (!list) return keys.length === 0 && ctx.params.id ? { documentId: ctx.params.id } : null;
  if (keys.length !== 1 || keys[0] !== 'filters') return null;
  const filters = ctx.query.filters as Record<string, unknown> | undefined;
  const slug = (filters?.slug as Record<string, unknown> | undefined)?.$eq;
  if (!filters || Object.keys(filters).length !== 1 || typeof slug !== 'string') return null;
  if (Object.keys(filters.slug as object).length !== 1) return null;
  return { slug };
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
    const fromReadModel = readModelQuery(ctx, list);
    if (fromReadModel) {
      const locale = typeof ctx.query.locale === 'string' ? ctx.query.locale : 'en';
      const row = await readArticle(strapi, fromReadModel, locale);
      if (row) {
        const { json } = row;
        // What the row was built from; a list by slug could also gain another article.
        const read = currentReadTags();
        read?.addAll(row.tags);
        if (row.unpublishAt) read?.expireAt(new Date(row.unpublishAt).getTime());
        if (list) read?.add(ARTICLE_LIST_TAG);
        ctx.status = 200;
        ctx.type = 'application/json';
        ctx.body = list
          ? `{"data":[${json}],"meta":{"pagination":{"page":1,"pageSize":25,"pageCount":1,"total":1}}}`
          : `{"data":${json},"meta":{}}`;
        return;
      }
    }
    ctx.query.populate = narrowPopulate(ctx.query.populate);
    if (list && ctx.query.sort === undefined) ctx.query.sort = ['firstPublishDate:desc', 'id:desc'];
    await next();
  };
};

import type { Core } from '@strapi/strapi';
import { narrowPopulate } from '../../../articles/populate';
import { checkListQuery } from '../../../articles/query-rules';

/**
 * Route middleware for the public article reads: the whole article in one request with no
 * populate parameters, the server's tree as the ceiling, newest first by default, and list
 * parameters checked.
 */
export default (config: { list?: boolean } | undefined, _ctx: { strapi: Core.Strapi }) => {
  return async (ctx: { query: Record<string, unknown> }, next: () => Promise<void>) => {
    checkListQuery(ctx.query);
    ctx.query.populate = narrowPopulate(ctx.query.populate);
    if (config?.list && ctx.query.sort === undefined) ctx.query.sort = ['firstPublishedAt:desc', 'id:desc'];
    await next();
  };
};

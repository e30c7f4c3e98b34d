import type { Core } from '@strapi/strapi';
import { narrowPopulate } from '../../../articles/populate';

/**
 * Route middleware for the public article reads: the whole article in one request with no
 * populate parameters, the server's tree as the ceiling, newest first by default.
 */
export default (config: { list?: boolean } | undefined, _ctx: { strapi: Core.Strapi }) => {
  return async (ctx: { query: Record<string, unknown> }, next: () => Promise<void>) => {
    ctx.query.populate = narrowPopulate(ctx.query.populate);
    if (config?.list && ctx.query.sort === undefined) ctx.query.sort = ['firstPublishedAt:desc', 'id:desc'];
    await next();
  };
};

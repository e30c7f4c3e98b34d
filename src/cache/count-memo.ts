import type { Modules } from '@strapi/strapi';
import { ARTICLE_UID } from '../articles/constants';
import { onAnyInvalidation } from './invalidation';

type Middleware = Modules.Documents.Middleware.Middleware;

const MAX_ENTRIES = 1000;
const counts = new Map<string, number>();
let generation = 0;

onAnyInvalidation(() => {
  generation += 1;
  counts.clear();
});

/**
 * List totals without a full count per request: a published list's `total` counts every
 * matching row (O(articles) at 100,000 of them). Totals are remembered per query until any
 * article or credit changes here or on another instance (the same purge as the response cache).
 */
export function countMemo(): Middleware {
  return async (ctx, next) => {
    if (ctx.action !== 'count' || ctx.uid !== ARTICLE_UID) return next();
    const params = ctx.params as { status?: string };
    if (params.status !== 'published') return next();
    const key = JSON.stringify(ctx.params);
    const known = counts.get(key);
    if (known !== undefined) return known;
    const started = generation;
    const result = await next();
    if (typeof result === 'number' && started === generation) {
      if (counts.size >= MAX_ENTRIES) counts.clear();
      counts.set(key, result);
    }
    return result;
  };
}

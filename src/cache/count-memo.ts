import { AsyncLocalStorage } from 'node:async_hooks';
import type { Core, Modules } from '@strapi/strapi';
import { ARTICLE_UID } from '../articles/constants';
import { listTag } from '../public-view/models';
import { currentReadTags, publishedOnly } from '../public-view/scope';
import { onAnyInvalidation } from './invalidation';
import { cacheSettings } from './policy';

const ARTICLE_LIST_TAG = listTag('article');

type Middleware = Modules.Documents.Middleware.Middleware;

const MAX_ENTRIES = 1000;
const counts = new Map<string, { total: number; expiresAt: number }>();
const TTL_MS = cacheSettings().CACHE_TTL * 1000;
let generation = 0;
// Read at the first count (the process's settings are known by then), not at every count.
let enabled: boolean | undefined;
const cacheEnabled = () => (enabled ??= cacheSettings().CACHE_ENABLED);

onAnyInvalidation(() => {
  generation += 1;
  counts.clear();
});

const unremembered = new AsyncLocalStorage<true>();

/**
 * Runs `work` (an edge's fetch, see EDGE_FETCH_HEADER) without this process's memories of list
 * totals and permissions: from the database as committed now.
 */
export function withoutMemories<T>(work: () => T): T {
  return unremembered.run(true, work);
}

export function memoriesSkipped(): boolean {
  return unremembered.getStore() === true;
}

/**
 * A list's total, remembered under `key` until any article or credit changes (here or on another
 * instance) and for CACHE_TTL at most: `count` runs when it is not known.
 */
export async function rememberTotal(key: string, count: () => Promise<number>): Promise<number> {
  // CACHE_ENABLED=false: every answer computed afresh, its totals included.
  if (memoriesSkipped() || !cacheEnabled()) return count();
  const known = counts.get(key);
  if (known !== undefined && Date.now() < known.expiresAt) return known.total;
  const started = generation;
  const total = await count();
  if (started === generation) {
    if (counts.size >= MAX_ENTRIES) counts.clear();
    counts.set(key, { total, expiresAt: Date.now() + TTL_MS });
  }
  return total;
}

/**
 * List totals without a full count per request: a published list's `total` counts every
 * matching row (O(articles) at 100,000 of them). Totals are remembered per query until any
 * article or credit changes here or on another instance (the same purge as the response cache),
 * and for CACHE_TTL at most.
 */
export function countMemo(strapi: Core.Strapi): Middleware {
  return async (ctx, next) => {
    if (ctx.action !== 'count' || ctx.uid !== ARTICLE_UID) return next();
    const params = ctx.params as { status?: string };
    if (params.status !== 'published') return next();
    // A public count sees published relations only (the query guard): not the admin's count.
    const key = `${publishedOnly(strapi)} ${JSON.stringify(ctx.params)}`;
    let counted = false;
    const total = await rememberTotal(key, async () => {
      counted = true;
      const result = await next();
      if (typeof result !== 'number') throw new Error('count did not answer a number');
      return result;
    });
    if (!counted) currentReadTags()?.add(ARTICLE_LIST_TAG); // what the count would have recorded
    return total;
  };
}

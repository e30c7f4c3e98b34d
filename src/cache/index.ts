import { cacheSettings } from './policy';
import { ResponseCache } from './response-cache';

/** The process's response cache: the HTTP fast path and the Koa middleware share it. */
export const responseCache = new ResponseCache(cacheSettings().CACHE_MAX_ENTRIES);

/** Whether cached responses may be served and stored now (the cluster bus pauses it). */
export const cacheGate = { usable: (): boolean => true };

export { ResponseCache, strongEtag, etagMatches } from './response-cache';
export * from './policy';
export * from './tags';

import { cacheSettings } from './policy';
import { ResponseCache } from './response-cache';

/** The process's response cache: the HTTP fast path and the Koa middleware share it. */
const settings = cacheSettings();
export const responseCache = new ResponseCache({ maxEntries: settings.CACHE_MAX_ENTRIES, maxBytes: settings.CACHE_MAX_BYTES, ttlMs: settings.CACHE_TTL * 1000 });

/** Whether cached responses may be served and stored now (the cluster bus pauses it). */
export const cacheGate = { usable: (): boolean => true };

export { ResponseCache, strongEtag, etagMatches } from './response-cache';
export * from './policy';

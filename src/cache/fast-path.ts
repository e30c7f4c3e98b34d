import type { IncomingMessage, RequestListener, ServerResponse } from 'node:http';
import { cacheKey, isCacheableGet, PUBLIC_CACHE_CONTROL } from './policy';
import { etagMatches, type ResponseCache } from './response-cache';

export type Gate = { usable(): boolean };

/**
 * Answers cache hits for public GET/HEAD reads before Koa runs (no session, logger, helmet or
 * router work): the stored headers are those Koa wrote for the same URL and Origin, so CORS and
 * security headers are the same as a miss. A request carrying credentials always goes to Koa.
 */
export function withFastPath(cache: ResponseCache, gate: Gate, next: RequestListener): RequestListener {
  return (req: IncomingMessage, res: ServerResponse) => {
    const url = req.url ?? '/';
    if ((req.method === 'GET' || req.method === 'HEAD') && !req.headers.authorization && isCacheableGet(url)) {
      const origin = typeof req.headers.origin === 'string' ? req.headers.origin : undefined;
      const entry = gate.usable() ? cache.get(cacheKey('GET', url, origin)) : undefined;
      if (entry) {
        if (etagMatches(req.headers['if-none-match'], entry.etag)) {
          res.writeHead(304, notModifiedHeaders(entry.headers));
          res.end();
          return;
        }
        res.writeHead(entry.status, entry.headers);
        res.end(req.method === 'HEAD' ? undefined : entry.body);
        return;
      }
    }
    next(req, res);
  };
}

const KEEP_ON_304 = ['etag', 'cache-control', 'surrogate-control', 'surrogate-key', 'cache-tag', 'vary', 'access-control-allow-origin', 'access-control-allow-credentials', 'access-control-expose-headers'];

export function notModifiedHeaders(headers: Record<string, string | string[]>): Record<string, string | string[]> {
  const kept: Record<string, string | string[]> = {};
  for (const name of KEEP_ON_304) if (headers[name] !== undefined) kept[name] = headers[name];
  kept['cache-control'] ??= PUBLIC_CACHE_CONTROL;
  return kept;
}

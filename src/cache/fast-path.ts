import type { IncomingMessage, RequestListener, ServerResponse } from 'node:http';
import { cacheKey, GRAPHQL_BODY_LIMIT, graphqlCacheKey, hasShapeHeader, isCacheableGet, isEdgeFetch, RAW_BODY } from './policy';
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
    if ((req.method === 'GET' || req.method === 'HEAD') && !req.headers.authorization && !hasShapeHeader(req.headers) && !isEdgeFetch(req.headers) && isCacheableGet(url)) {
      const origin = typeof req.headers.origin === 'string' ? req.headers.origin : undefined;
      const entry = gate.usable() ? cache.get(cacheKey('GET', url, origin)) : undefined;
      if (entry) {
        if (etagMatches(req.headers['if-none-match'], entry.etag)) {
          res.writeHead(304, entry.notModifiedHeaders);
          res.end();
          return;
        }
        res.writeHead(entry.status, entry.hitHeaders);
        res.end(req.method === 'HEAD' ? undefined : entry.body);
        return;
      }
    }
    if (req.method === 'POST' && url === '/graphql' && !req.headers.authorization && !hasShapeHeader(req.headers) && !isEdgeFetch(req.headers) && gate.usable() && isSmallJson(req)) {
      readBody(req).then(
        (raw) => {
          const origin = typeof req.headers.origin === 'string' ? req.headers.origin : undefined;
          let entry: ReturnType<ResponseCache['get']>;
          try {
            entry = cache.get(graphqlCacheKey(url, origin, JSON.parse(raw.toString('utf8'))));
          } catch {
            entry = undefined; // not JSON: Koa answers it
          }
          if (entry) return answer(req, res, entry);
          (req as IncomingMessage & { [RAW_BODY]?: Buffer })[RAW_BODY] = raw;
          next(req, res);
        },
        () => res.destroy()
      );
      return;
    }
    next(req, res);
  };
}

function answer(req: IncomingMessage, res: ServerResponse, entry: NonNullable<ReturnType<ResponseCache['get']>>): void {
  if (etagMatches(req.headers['if-none-match'], entry.etag)) {
    res.writeHead(304, entry.notModifiedHeaders);
    res.end();
    return;
  }
  res.writeHead(entry.status, entry.hitHeaders);
  res.end(entry.body);
}

function isSmallJson(req: IncomingMessage): boolean {
  const length = Number(req.headers['content-length']);
  return /^application\/json\b/i.test(req.headers['content-type'] ?? '') && Number.isInteger(length) && length > 0 && length <= GRAPHQL_BODY_LIMIT;
}

function readBody(req: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

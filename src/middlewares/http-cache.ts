import type { Core } from '@strapi/strapi';
import {
  cacheGate,
  cacheKey,
  GRAPHQL_BODY_LIMIT,
  graphqlCacheKey,
  hasShapeHeader,
  RAW_BODY,
  cacheSettings,
  etagMatches,
  isCacheableGet,
  isEdgeFetch,
  PRIVATE_CACHE_CONTROL,
  PUBLIC_CACHE_CONTROL,
  responseCache,
  strongEtag,
  surrogateControl,
} from '../cache';
import { withoutMemories } from '../cache/count-memo';
import { scrubGraphqlErrors } from '../graphql/limits';
import { graphqlGetRequest, operationType, type GraphqlRequest } from '../graphql/operation';
import { edgeKeys } from '../edge/keys';
import { everyListTag } from '../public-view/models';
import { ReadTags, recordReads } from '../public-view/scope';

interface KoaContext {
  req: NodeJS.ReadableStream;
  method: string;
  url: string;
  query: Record<string, unknown>;
  path: string;
  status: number;
  body: unknown;
  request: { headers: Record<string, string | string[] | undefined>; body?: unknown; is(type: string): string | false | null };
  response: { headers: Record<string, string | string[] | number | undefined> };
  state: { allowDrafts?: boolean; auth?: { credentials?: unknown } };
  set(name: string, value: string): void;
  remove(name: string): void;
  type: string;
}

// Response headers that belong to one answer, not to a stored copy.
const NOT_STORED = new Set(['set-cookie', 'date', 'connection', 'keep-alive', 'transfer-encoding', 'x-cache']);

/**
 * HTTP caching for public reads (REST articles and credits, formats, reader pages, GraphQL
 * queries over POST and GET): a strong ETag with 304s, Cache-Control for browsers,
 * Surrogate-Control and Surrogate-Key/Cache-Tag for a CDN, and the server-side response cache
 * (filled here, answered by the fast path ahead of Koa). The tags are those of the documents and
 * lists whose rows were read to make the answer (recorded by the public view's query guard as
 * the rows are read). Authenticated or draft answers are `private, no-store`; mutations and
 * answers with errors are never stored.
 */
export default (_config: unknown, { strapi }: { strapi: Core.Strapi }) => {
  const settings = cacheSettings();
  let listTags: string[] | undefined;
  const fills = new Map<string, Promise<void>>();
  return async (ctx: KoaContext, next: () => Promise<void>) => {
    const isGraphqlPost = ctx.path === '/graphql' && ctx.method === 'POST';
    const isRead = (ctx.method === 'GET' || ctx.method === 'HEAD') && isCacheableGet(ctx.url);
    if (!isRead && !isGraphqlPost) return next();
    const isGraphql = isGraphqlPost || ctx.path === '/graphql';

    if (isGraphqlPost) {
      // The GraphQL route parses its body after the global middlewares: parse it here so the
      // query can be the cache key (its parser skips a body that is already parsed).
      const parsed = await readJsonBody(ctx);
      if (parsed === 'too-large' || parsed === 'invalid') {
        ctx.status = parsed === 'too-large' ? 413 : 400;
        ctx.body = { errors: [{ message: parsed === 'too-large' ? 'Request body too large' : 'Request body is not valid JSON' }] };
        return;
      }
    }
    const credentials = Boolean(ctx.request.headers.authorization);
    const origin = typeof ctx.request.headers.origin === 'string' ? ctx.request.headers.origin : undefined;
    const key = isGraphqlPost ? graphqlCacheKey(ctx.url, origin, ctx.request.body) : cacheKey('GET', ctx.url, origin);
    // Only a query is shared: a mutation runs every time (Apollo refuses mutations over GET).
    const sharable = !isGraphql || operationType(isGraphqlPost ? (ctx.request.body as GraphqlRequest | undefined) : graphqlGetRequest(ctx.query)) === 'query';
    const usesCache = settings.CACHE_ENABLED && cacheGate.usable() && !credentials && !hasShapeHeader(ctx.request.headers) && !isEdgeFetch(ctx.request.headers) && sharable;

    if (usesCache) {
      // Right after a purge, many readers miss at once: they wait for the first one's answer
      // instead of each asking the database (bounded wait; then they compute their own).
      const pending = fills.get(key);
      if (pending) await Promise.race([pending, new Promise((r) => setTimeout(r, 2000))]);
      const hit = responseCache.get(key);
      if (hit) {
        if (etagMatches(header(ctx, 'if-none-match'), hit.etag)) {
          for (const [name, value] of Object.entries(hit.notModifiedHeaders)) ctx.set(name, String(value));
          ctx.status = 304;
          ctx.body = null;
          return;
        }
        for (const [name, value] of Object.entries(hit.hitHeaders)) if (name !== 'content-length') ctx.set(name, String(value));
        ctx.status = hit.status;
        ctx.body = hit.body;
        return;
      }
    }

    const generation = responseCache.generation;
    let filled: () => void = () => undefined;
    if (usesCache && !fills.has(key)) {
      fills.set(key, new Promise<void>((resolve) => (filled = resolve)));
    }
    const read = new ReadTags();
    try {
      await recordReads(read, isEdgeFetch(ctx.request.headers) ? () => withoutMemories(next) : next);
    } finally {
      if (fills.has(key)) {
        // released after this response is stored (below) or on any early return
        setImmediate(() => {
          fills.delete(key);
          filled();
        });
      }
    }

    if (isGraphql && ctx.body !== null && ctx.body !== undefined) {
      const answer = typeof ctx.body === 'string' || Buffer.isBuffer(ctx.body) ? safeJson(Buffer.from(ctx.body)) : ctx.body;
      if (answer && typeof answer === 'object' && scrubGraphqlErrors(answer as { errors?: [] })) {
        ctx.body = JSON.stringify(answer);
        ctx.type = 'application/json';
      }
    }

    const isPrivate = credentials || ctx.state.allowDrafts === true;
    if (isPrivate) {
      ctx.set('Cache-Control', PRIVATE_CACHE_CONTROL);
      return;
    }
    if (ctx.status !== 200 || ctx.body === null || ctx.body === undefined) return;
    if (isGraphql && (!sharable || hasGraphqlErrors(ctx.body))) {
      ctx.set('Cache-Control', 'no-store');
      return;
    }

    const parsed = typeof ctx.body === 'string' || Buffer.isBuffer(ctx.body) ? undefined : ctx.body;
    if (parsed !== undefined && typeof (parsed as { pipe?: unknown }).pipe === 'function') return; // a stream
    const text = parsed !== undefined ? JSON.stringify(parsed) : ctx.body;
    const body = Buffer.isBuffer(text) ? text : Buffer.from(String(text));
    const etag = strongEtag(body);
    const tags = read.list();
    // An article in the answer stops being public at its unpublishAt: no copy outlives that.
    const lifeMs = read.expiresAt === undefined ? undefined : read.expiresAt - Date.now();
    if (parsed !== undefined) ctx.type = ctx.type || 'application/json';
    ctx.set('ETag', etag);
    ctx.set('Cache-Control', PUBLIC_CACHE_CONTROL);
    ctx.set('Surrogate-Control', surrogateControl(settings, lifeMs));
    const keys = edgeKeys(tags, (listTags ??= everyListTag(strapi)));
    ctx.set('Surrogate-Key', keys.join(' '));
    ctx.set('Cache-Tag', keys.join(','));
    ctx.set('Vary', 'Origin, Strapi-Response-Format, Strapi-Encode-Source-Maps');
    ctx.body = body;

    if (usesCache && !ctx.response.headers['set-cookie']) {
      const headers: Record<string, string | string[]> = {};
      for (const [name, value] of Object.entries(ctx.response.headers)) {
        if (value === undefined || NOT_STORED.has(name)) continue;
        headers[name] = Array.isArray(value) ? value : String(value);
      }
      headers['content-length'] = String(body.length);
      responseCache.set(key, { status: 200, headers, body, etag, tags }, generation, lifeMs);
      ctx.set('X-Cache', 'miss');
    }

    if (etagMatches(header(ctx, 'if-none-match'), etag)) {
      ctx.status = 304;
      ctx.body = null;
    }
  };
};

async function readJsonBody(ctx: KoaContext): Promise<'ok' | 'too-large' | 'invalid'> {
  // Strapi's body parser handles /graphql?… itself (up to 1 MB): the limit holds either way.
  if (Number(header(ctx, 'content-length') ?? 0) > GRAPHQL_BODY_LIMIT) return 'too-large';
  if (ctx.request.body !== undefined) return isGraphqlBody(ctx.request.body) ? 'ok' : 'invalid';
  if (!ctx.request.is('application/json')) return 'ok'; // let Apollo answer other content types
  const early = (ctx.req as NodeJS.ReadableStream & { [RAW_BODY]?: Buffer })[RAW_BODY];
  const chunks: Buffer[] = early ? [early] : [];
  let size = 0;
  for await (const chunk of early ? [] : ctx.req) {
    const buffer = Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk);
    size += buffer.length;
    if (size > GRAPHQL_BODY_LIMIT) return 'too-large';
    chunks.push(buffer);
  }
  try {
    const parsed: unknown = JSON.parse(Buffer.concat(chunks).toString('utf8'));
    if (!isGraphqlBody(parsed)) return 'invalid';
    ctx.request.body = parsed;
    return 'ok';
  } catch {
    return 'invalid';
  }
}

/** A GraphQL request is an object (or a batch, an array): `null`, `false` or `3` are not. */
function isGraphqlBody(body: unknown): boolean {
  return typeof body === 'object' && body !== null;
}

function header(ctx: KoaContext, name: string): string | undefined {
  const value = ctx.request.headers[name];
  return Array.isArray(value) ? value[0] : value;
}

function hasGraphqlErrors(body: unknown): boolean {
  const parsed = typeof body === 'string' || Buffer.isBuffer(body) ? safeJson(Buffer.from(body)) : body;
  return Boolean(parsed && typeof parsed === 'object' && 'errors' in parsed);
}

function safeJson(body: Buffer): unknown {
  try {
    return JSON.parse(body.toString('utf8'));
  } catch {
    return undefined;
  }
}

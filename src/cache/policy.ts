import { createHash } from 'node:crypto';
import { readEnv, type Env } from '../env';

export type CacheSettings = Pick<
  Env,
  'CACHE_ENABLED' | 'CACHE_MAX_ENTRIES' | 'CACHE_MAX_BYTES' | 'CACHE_TTL' | 'SURROGATE_MAX_AGE' | 'SURROGATE_STALE_WHILE_REVALIDATE' | 'SURROGATE_STALE_IF_ERROR'
>;

export function cacheSettings(env: NodeJS.ProcessEnv = process.env): CacheSettings {
  return readEnv(env);
}

/** Browsers revalidate cheaply with the ETag; a CDN that purges by key may keep it longer. */
export const PUBLIC_CACHE_CONTROL = 'public, max-age=0, must-revalidate';
export const PRIVATE_CACHE_CONTROL = 'private, no-store';

/**
 * What an edge may keep: fresh for max-age, then served stale while one refetch runs, and kept
 * for stale-if-error while the origin fails. Never past `lifeMs` (the moment something shown
 * stops being public), not even stale.
 */
export function surrogateControl(settings: CacheSettings, lifeMs?: number): string {
  if (lifeMs === undefined) {
    const onError = settings.SURROGATE_STALE_IF_ERROR > 0 ? `, stale-if-error=${settings.SURROGATE_STALE_IF_ERROR}` : '';
    return `max-age=${settings.SURROGATE_MAX_AGE}, stale-while-revalidate=${settings.SURROGATE_STALE_WHILE_REVALIDATE}${onError}`;
  }
  const seconds = Math.max(0, Math.floor(lifeMs / 1000));
  return `max-age=${Math.min(settings.SURROGATE_MAX_AGE, seconds)}`;
}

const CACHEABLE_GET = /^\/(api\/(articles|image-credits|authors|sections|tags|slug-redirects|search|openapi\.json$|openapi\.json\?)|news\/|graphql\?|rss\.xml|atom\.xml|sections\/|sitemap|news-sitemap\.xml|corrections\.rss)/;

/** GET/HEAD paths whose public answers are shared by every reader. */
export function isCacheableGet(url: string): boolean {
  return CACHEABLE_GET.test(url);
}

/** Origins CORS answers (CORS_ORIGINS, comma-separated; by default PUBLIC_URL's origin). */
export function corsOrigins(env: Env = readEnv()): string[] {
  return (env.CORS_ORIGINS ?? new URL(env.PUBLIC_URL ?? 'http://localhost:1337').origin)
    .split(',')
    .map((origin) => origin.trim())
    .filter(Boolean);
}

let allowedOrigins: Set<string> | undefined;

/**
 * The Origin part of a cache key: an origin CORS allows gets its own entry (its answer carries
 * its Access-Control-Allow-Origin); every other origin gets the same answer as the others (no
 * origin allowed) and shares one entry, so random Origin values cannot multiply entries.
 */
export function cacheOrigin(origin: string | undefined): string {
  if (origin === undefined) return '';
  allowedOrigins ??= new Set(corsOrigins());
  // With `*` configured, Strapi echoes every origin back: each answer is that origin's own (the
  // cache's probation segment keeps such one-off entries from evicting hot ones).
  return allowedOrigins.has('*') || allowedOrigins.has(origin) ? origin : '!';
}

const normalized = new Map<string, string>();
const NORMALIZED_MEMO = 10_000;

/**
 * One form per request URL, as Strapi reads it: path segments and query parameters percent-
 * decoded, parameters ordered by name (repeated names keep their order), so `?b=1&a=2` and
 * `?a=2&b=1`, or `%5B` and `[`, share one entry.
 */
export function normalizeUrl(url: string): string {
  const known = normalized.get(url);
  if (known !== undefined) return known;
  const mark = url.indexOf('?');
  const path = (mark < 0 ? url : url.slice(0, mark))
    .split('/')
    .map((segment) => encodeURIComponent(safeDecode(segment)))
    .join('/');
  let query = '';
  if (mark >= 0) {
    const params = [...new URLSearchParams(url.slice(mark + 1))].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    query = params.map(([k, v]) => `${encodeURIComponent(k)}=${encodeURIComponent(v)}`).join('&');
  }
  const result = query ? `${path}?${query}` : path;
  if (normalized.size >= NORMALIZED_MEMO) normalized.clear();
  normalized.set(url, result);
  return result;
}

function safeDecode(text: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    return text;
  }
}

/** One cache entry per normalised URL and Origin (CORS answers differ by allowed Origin). */
export function cacheKey(method: 'GET' | 'POST', url: string, origin: string | undefined, bodyHash = ''): string {
  return `${method} ${normalizeUrl(url)}\n${cacheOrigin(origin)}\n${bodyHash}`;
}

/** A GraphQL POST is keyed on its parsed body, so both cache layers compute the same key. */
export function graphqlCacheKey(url: string, origin: string | undefined, body: unknown): string {
  return cacheKey('POST', url, origin, createHash('sha1').update(JSON.stringify(body ?? null)).digest('base64url'));
}

export const GRAPHQL_BODY_LIMIT = 100 * 1024;

/** Where the fast path leaves a GraphQL body it has read, for the Koa middleware to reuse. */
export const RAW_BODY = Symbol('news.rawBody');

/** Request headers that change a response's shape: such requests never use the shared cache. */
export const SHAPE_HEADERS = ['strapi-response-format', 'strapi-encode-source-maps'] as const;

export function hasShapeHeader(headers: Record<string, string | string[] | undefined>): boolean {
  return SHAPE_HEADERS.some((name) => headers[name] !== undefined);
}

/**
 * Set by the edge (deploy/varnish/default.vcl) on every fetch: such a request skips this
 * process's memories (response cache, list totals, the Public role's permissions). The edge
 * fetches right after a purge, which is sent once the write commits; another instance may hear
 * of the write on the bus a moment later, and must not hand the edge the copy the purge was
 * meant to replace.
 */
export const EDGE_FETCH_HEADER = 'x-edge-fetch';

export function isEdgeFetch(headers: Record<string, string | string[] | undefined>): boolean {
  return headers[EDGE_FETCH_HEADER] !== undefined;
}

import { createHash } from 'node:crypto';
import { z } from 'zod';

const CacheEnv = z.object({
  CACHE_ENABLED: z.enum(['true', 'false']).default('true').transform((v) => v === 'true'),
  CACHE_MAX_ENTRIES: z.coerce.number().int().min(1).default(5000),
  SURROGATE_MAX_AGE: z.coerce.number().int().min(0).default(60),
  SURROGATE_STALE_WHILE_REVALIDATE: z.coerce.number().int().min(0).default(30),
});
export type CacheSettings = z.infer<typeof CacheEnv>;

export function cacheSettings(env: NodeJS.ProcessEnv = process.env): CacheSettings {
  const present = Object.fromEntries(Object.entries(env).filter(([, v]) => v !== undefined && v !== ''));
  const parsed = CacheEnv.safeParse(present);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new Error(`invalid environment: ${issue.path.join('.')} ${issue.message}`);
  }
  return parsed.data;
}

/** Browsers revalidate cheaply with the ETag; a CDN that purges by key may keep it longer. */
export const PUBLIC_CACHE_CONTROL = 'public, max-age=0, must-revalidate';
export const PRIVATE_CACHE_CONTROL = 'private, no-store';

export function surrogateControl(settings: CacheSettings): string {
  return `max-age=${settings.SURROGATE_MAX_AGE}, stale-while-revalidate=${settings.SURROGATE_STALE_WHILE_REVALIDATE}`;
}

const CACHEABLE_GET = /^\/(api\/articles|api\/image-credits|news\/)/;

/** GET/HEAD paths whose public answers are shared by every reader. */
export function isCacheableGet(url: string): boolean {
  return CACHEABLE_GET.test(url);
}

/** One cache entry per URL and Origin (CORS answers differ by Origin). */
export function cacheKey(method: 'GET' | 'POST', url: string, origin: string | undefined, bodyHash = ''): string {
  return `${method} ${url}\n${origin ?? ''}\n${bodyHash}`;
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

/**
 * Hostile requests against the public API of a booted app: malformed and private-field filters,
 * SQL-ish strings, huge pagination, deep populate, draft probing, bad locales, bad bodies, writes
 * without auth, path traversal, oversized URLs, hostile GraphQL, reader and format routes.
 *
 * Every answer is checked for the same invariants (see `checkInvariants`): never 5xx, never the
 * draft's headline, never a private field name, Strapi's error shape on JSON errors.
 */
import { publishBundledStory, publishStory } from '../helpers/stories';
import { request as httpRequest, type IncomingHttpHeaders } from 'node:http';
import { join } from 'node:path';
import { startApp, type TestApp } from '../helpers/strapi';
import type { Json } from '../helpers/http';

const ARTICLE = 'api::article.article';
const SLUG = 'putin-visits-chinas-little-moscow-as-allies-continue-to-discuss-trade';
/** The unpublished draft: its headline (and the marker in its slug) must never reach the public. */
const DRAFT_HEADLINE = 'Embargoed4711 minister resigns over secret deal';
const DRAFT_MARKER = 'embargoed4711';
/** Private names that must never appear in an answer (case-sensitive, as the brief lists them). */
const FORBIDDEN = [
  'password',
  'resetPasswordToken',
  'importSource',
  'importHash',
  'importVersion',
  '"version"',
  'createdBy',
  'updatedBy',
  'registrationToken',
];
/** What a public article may carry, at the top level and in its figures, paragraphs and credits. */
const ARTICLE_KEYS = ['id', 'documentId', 'headline', 'slug', 'standfirst', 'firstPublishDate', 'byline', 'dateline', 'lead', 'body', 'credits', 'authors', 'section', 'tags', 'corrections', 'locale', 'createdAt', 'updatedAt', 'publishedAt'];
const FIGURE_KEYS = ['id', '__component', 'caption', 'alt', 'credit', 'image', 'photographer', 'copyright'];
const PARAGRAPH_KEYS = ['id', '__component', 'text'];
const CREDIT_KEYS = ['id', 'documentId', 'name', 'fullName', 'url', 'createdAt', 'updatedAt', 'publishedAt', 'locale'];
const SYSTEM_KEYS = ['id', 'documentId', 'createdAt', 'updatedAt', 'publishedAt', 'locale'];
const AUTHOR_KEYS = [...SYSTEM_KEYS, 'name', 'slug', 'title', 'url', 'bio'];
const SECTION_KEYS = [...SYSTEM_KEYS, 'name', 'slug'];
const TAG_KEYS = [...SYSTEM_KEYS, 'name', 'slug', 'mediaTopic'];
const CORRECTION_KEYS = ['id', 'kind', 'text', 'date'];

let app: TestApp;
const ids: Record<string, string> = {};

interface Reply {
  status: number;
  headers: IncomingHttpHeaders;
  text: string;
  json: Json | undefined;
  isJson: boolean;
}

interface Case {
  name: string;
  method?: string;
  /** Raw request target, sent as is (no URL normalisation); `{id}`, `{draftId}`, `{creditId}`, `{draftSlug}` are filled in. */
  path: string | (() => string);
  headers?: Record<string, string>;
  body?: string | Buffer | (() => string | Buffer);
  /** Expected status, or the allowed set. */
  status: number | number[];
  /** Extra assertions for this case. */
  check?: (reply: Reply) => void;
}

function fill(text: string): string {
  return text.replace(/\{(id|draftId|creditId|draftSlug)\}/g, (_m, key: string) => ids[key]);
}

/** One raw HTTP request (node:http, so `..`, `%2f` and long targets are sent exactly as written). */
function send(method: string, path: string, headers: Record<string, string> = {}, body?: string | Buffer): Promise<Reply> {
  const url = new URL(app.baseUrl);
  return new Promise((resolve, reject) => {
    let answered = false;
    const req = httpRequest(
      { host: url.hostname, port: url.port, method, path, headers: { connection: 'close', ...headers }, agent: false },
      (res) => {
        answered = true;
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('error', reject);
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          const isJson = /json/i.test(String(res.headers['content-type'] ?? ''));
          let json: Json | undefined;
          if (text) {
            try {
              json = JSON.parse(text);
            } catch {
              json = undefined;
            }
          }
          resolve({ status: res.statusCode ?? 0, headers: res.headers, text, json, isJson });
        });
      }
    );
    // The server may answer (413, 431) and close before a large body is written: that answer counts.
    req.on('error', (error) => {
      if (!answered) reject(error);
    });
    req.setTimeout(60_000, () => req.destroy(new Error(`timeout: ${method} ${path.slice(0, 200)}`)));
    if (body !== undefined) req.end(body);
    else req.end();
  });
}

const gqlBody = (query: string, variables?: Record<string, unknown>, operationName?: string) =>
  JSON.stringify({ query, ...(variables ? { variables } : {}), ...(operationName ? { operationName } : {}) });
const JSON_CT = { 'content-type': 'application/json' };

function gql(name: string, query: string | (() => string), opts: { variables?: Record<string, unknown>; operationName?: string; status?: number | number[]; check?: (r: Reply) => void } = {}): Case {
  return {
    name: `GraphQL: ${name}`,
    method: 'POST',
    path: '/graphql',
    headers: JSON_CT,
    body: () => gqlBody(fill(typeof query === 'function' ? query() : query), opts.variables, opts.operationName),
    status: opts.status ?? [200, 400],
    check: opts.check,
  };
}

/** GraphQL refusals: an `errors` list. */
const hasGraphqlErrors = (r: Reply) => {
  expect(Array.isArray(r.json?.errors)).toBe(true);
  expect(r.json.errors.length).toBeGreaterThan(0);
};
/** A mutation's answer never carries data. */
const noMutationData = (field: string) => (r: Reply) => {
  hasGraphqlErrors(r);
  expect(r.json?.data?.[field] ?? null).toBeNull();
};
const emptyList = (r: Reply) => {
  expect(r.json?.data).toEqual([]);
};
const pageSizeAtMost100 = (r: Reply) => {
  expect(r.json.meta.pagination.pageSize).toBeLessThanOrEqual(100);
  expect(r.json.data.length).toBeLessThanOrEqual(100);
};
const notContains = (needle: string) => (r: Reply) => expect(r.text).not.toContain(needle);

/** Removes the parts of an answer that echo the request back (error messages). */
function withoutErrors(reply: Reply): string {
  if (!reply.json || typeof reply.json !== 'object') return reply.isJson ? reply.text : '';
  const { error: _e, errors: _es, ...rest } = reply.json as Record<string, unknown>;
  return JSON.stringify(rest);
}

/** Keys an article, figure, paragraph or credit in a public answer may have: the server's tree only. */
function checkArticleTree(article: Json): void {
  if (!article || typeof article !== 'object') return;
  for (const key of Object.keys(article)) expect(ARTICLE_KEYS).toContain(key);
  const figure = (f: Json) => {
    if (!f) return;
    for (const key of Object.keys(f)) expect(FIGURE_KEYS).toContain(key);
    if (f.credit) for (const key of Object.keys(f.credit)) expect(CREDIT_KEYS).toContain(key);
  };
  figure(article.lead);
  for (const block of article.body ?? []) {
    if (block.__component === 'content.paragraph') for (const key of Object.keys(block)) expect(PARAGRAPH_KEYS).toContain(key);
    else figure(block);
  }
  for (const credit of article.credits ?? []) for (const key of Object.keys(credit)) expect(CREDIT_KEYS).toContain(key);
  for (const author of article.authors ?? []) for (const key of Object.keys(author)) expect(AUTHOR_KEYS).toContain(key);
  for (const key of Object.keys(article.section ?? {})) expect(SECTION_KEYS).toContain(key);
  for (const tag of article.tags ?? []) for (const key of Object.keys(tag)) expect(TAG_KEYS).toContain(key);
  for (const correction of article.corrections ?? []) for (const key of Object.keys(correction)) expect(CORRECTION_KEYS).toContain(key);
}

/** The invariants every answer must keep, whatever was asked. */
function checkInvariants(c: Case, reply: Reply, sent: { path: string; body: string }): void {
  expect(reply.status).toBeLessThan(500);
  const requestText = `${safeDecode(sent.path)}\n${sent.body}`;
  // The draft never leaks. If the request itself names the draft (its slug), only the non-error
  // part of the answer is checked: echoing the caller's own input is not a leak.
  expect(reply.text).not.toContain(DRAFT_HEADLINE);
  const markerScope = requestText.toLowerCase().includes(DRAFT_MARKER) ? withoutErrors(reply) : reply.text;
  expect(markerScope.toLowerCase()).not.toContain(DRAFT_MARKER);
  // Private names: anywhere in the answer, except an error message repeating what the caller sent.
  for (const word of FORBIDDEN) {
    const scope = requestText.includes(word.replace(/"/g, '')) ? withoutErrors(reply) : reply.text;
    expect({ word, found: scope.includes(word) }).toEqual({ word, found: false });
  }
  // Internals never reach the caller: no SQL, no database error text.
  expect(reply.text).not.toMatch(/select\s+\\?"t0\\?"|\\?"public\\?"\.|invalid byte sequence|invalid input syntax|koa-bodyparser/i);
  const path = typeof c.path === 'function' ? c.path() : c.path;
  const isGraphql = path.startsWith('/graphql');
  if (reply.isJson && reply.status >= 400 && !isGraphql) {
    // Strapi's error shape.
    expect(reply.json).toMatchObject({ data: null, error: { status: reply.status, name: expect.any(String), message: expect.any(String) } });
  }
  if (isGraphql && reply.isJson && reply.status >= 400) {
    // GraphQL refusals: the GraphQL shape, or Strapi's for an authentication refusal.
    const graphqlShape = Array.isArray(reply.json?.errors);
    const strapiShape = reply.json?.data === null && typeof reply.json?.error?.message === 'string';
    expect({ shape: graphqlShape || strapiShape, body: reply.text.slice(0, 300) }).toEqual({ shape: true, body: expect.any(String) });
  }
  // A GraphQL "internal server error" inside a 200 is a 5xx in disguise.
  if (isGraphql && Array.isArray(reply.json?.errors)) {
    const codes = reply.json.errors.map((e: Json) => e?.extensions?.code);
    expect(codes).not.toContain('INTERNAL_SERVER_ERROR');
  }
  // A public read of articles: only the server's tree, never private relations.
  if (reply.status === 200 && reply.json && /^\/api\/articles(\/[^/?]+)?(\?|$)/.test(path) && !/\/(jsonld|ninjs)/.test(path)) {
    const data = reply.json.data;
    for (const article of Array.isArray(data) ? data : [data]) checkArticleTree(article);
  }
}

function safeDecode(text: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    return text;
  }
}

const nested = (levels: number, unit: string, leaf: string) => `${unit.repeat(levels)}${leaf}`;

// ---------------------------------------------------------------------------------------------
// The table.
// ---------------------------------------------------------------------------------------------

const CASES: Case[] = [
  // Malformed filters
  { name: 'unknown operator $foo', path: '/api/articles?filters[headline][$foo]=x', status: 400 },
  { name: '$or given a string', path: '/api/articles?filters[$or]=x', status: 400 },
  { name: 'filters as a plain string', path: '/api/articles?filters=notanobject', status: 400 },
  { name: 'filters nested 50 levels', path: `/api/articles?filters${nested(50, '[a]', '=x')}`, status: 400 },
  { name: 'operator nested 50 levels on a real field', path: `/api/articles?filters[headline]${nested(50, '[$and][0]', '[$eq]=x')}`, status: [200, 400], check: (r) => r.status === 200 && emptyList(r) },
  { name: '$in as an object past the array limit (must not drop the filter)', path: '/api/articles?filters[slug][$in][150]=x', status: [200, 400], check: (r) => r.status === 200 && emptyList(r) },
  { name: 'logical $and nested 50 levels', path: `/api/articles?filters${nested(50, '[$and][0]', '[slug][$eq]=x')}`, status: [200, 400], check: (r) => r.status === 200 && emptyList(r) },
  { name: 'integer filter on id with a word', path: '/api/articles?filters[id][$eq]=abc', status: [200, 400] },
  { name: 'integer filter with 1e309', path: '/api/articles?filters[id][$gt]=1e309', status: [200, 400] },
  { name: 'date filter with a word', path: '/api/articles?filters[firstPublishDate][$lt]=yesterday', status: [200, 400] },
  { name: 'relation id filter with a word', path: '/api/articles?filters[credits][id][$in][0]=x', status: [200, 400] },
  { name: 'publishedAt $null (drafts)', path: '/api/articles?filters[publishedAt][$null]=true', status: [200, 400], check: (r) => r.status === 200 && emptyList(r) },
  { name: 'prototype keys in filters', path: '/api/articles?filters[__proto__][polluted]=1&filters[constructor][prototype][polluted]=1', status: [200, 400] },

  // Operators on private fields
  { name: 'filter $eq on importSource', path: '/api/articles?filters[importSource][$eq]=x', status: 400 },
  { name: 'filter $null on importHash', path: '/api/articles?filters[importHash][$null]=true', status: 400 },
  { name: 'filter $gt on version', path: '/api/articles?filters[version][$gt]=0', status: 400 },
  { name: 'filter $notNull on importVersion', path: '/api/articles?filters[importVersion][$notNull]=true', status: 400 },
  { name: 'filter on createdBy.email', path: '/api/articles?filters[createdBy][email][$contains]=a', status: 400 },
  { name: 'filter on updatedBy.password', path: '/api/articles?filters[updatedBy][password][$startsWith]=$', status: 400 },
  { name: 'filter private field inside $or', path: '/api/articles?filters[$or][0][importSource][$eq]=x&filters[$or][1][headline][$eq]=y', status: 400 },
  { name: 'filter private field inside $not', path: '/api/articles?filters[$not][importHash][$null]=true', status: 400 },
  { name: 'filter through credits to createdBy.email', path: '/api/articles?filters[credits][createdBy][email][$contains]=a', status: 400 },
  { name: 'filter through credits to updatedBy.password', path: '/api/articles?filters[credits][updatedBy][password][$startsWith]=$', status: 400 },
  { name: 'filter through lead.credit to createdBy', path: '/api/articles?filters[lead][credit][createdBy][id][$gt]=0', status: 400 },
  { name: 'filter through localizations to importSource', path: '/api/articles?filters[localizations][importSource][$eq]=x', status: 400 },
  { name: 'credits: filter on createdBy.password', path: '/api/image-credits?filters[createdBy][password][$startsWith]=$', status: 400 },
  { name: 'sort by importSource', path: '/api/articles?sort=importSource', status: 400 },
  { name: 'sort by version:desc', path: '/api/articles?sort[0]=version:desc', status: 400 },
  { name: 'sort by createdBy.email', path: '/api/articles?sort=createdBy.email', status: 400 },
  { name: 'sort with SQL', path: `/api/articles?sort=${encodeURIComponent('headline;DROP TABLE articles')}`, status: 400 },
  { name: 'sort with a bad direction', path: '/api/articles?sort=headline:sideways', status: 400 },
  { name: 'fields importSource', path: '/api/articles?fields[0]=importSource', status: 400 },
  { name: 'fields version', path: '/api/articles?fields[0]=version', status: 400 },
  { name: 'credits: fields createdBy', path: '/api/image-credits?fields[0]=createdBy', status: 400 },

  // SQL-like and NUL strings
  { name: "slug filter ' OR 1=1 --", path: `/api/articles?filters[slug][$eq]=${encodeURIComponent("' OR 1=1 --")}`, status: 200, check: emptyList },
  { name: 'headline filter 1;DROP TABLE articles', path: `/api/articles?filters[headline][$contains]=${encodeURIComponent('1;DROP TABLE articles')}`, status: 200, check: emptyList },
  { name: 'slug filter %00', path: '/api/articles?filters[slug][$eq]=%00', status: [200, 400], check: (r) => r.status === 200 && emptyList(r) },
  { name: 'headline filter with unicode NUL inside', path: `/api/articles?filters[headline][$containsi]=${encodeURIComponent('Putin\u0000')}`, status: [200, 400], check: (r) => r.status === 200 && emptyList(r) },
  { name: "documentId ' OR 1=1 --", path: `/api/articles/${encodeURIComponent("' OR 1=1 --")}`, status: 404 },
  { name: 'documentId 1;DROP TABLE articles', path: `/api/articles/${encodeURIComponent('1;DROP TABLE articles')}`, status: 404 },
  { name: 'documentId %00', path: '/api/articles/%00', status: [400, 404] },
  { name: 'credit documentId %00', path: '/api/image-credits/%00', status: [400, 404] },
  { name: 'documentId overlong-UTF-8 NUL %C0%80', path: '/api/articles/%C0%80', status: [400, 404] },

  // Pagination
  { name: 'pageSize 100000 is capped', path: '/api/articles?pagination[pageSize]=100000', status: 200, check: pageSizeAtMost100 },
  { name: 'limit 100000 is capped', path: '/api/articles?pagination[limit]=100000', status: 200, check: (r) => expect(r.json.meta.pagination.limit).toBeLessThanOrEqual(100) },
  { name: 'page -1', path: '/api/articles?pagination[page]=-1', status: 400 },
  { name: 'start -5', path: '/api/articles?pagination[start]=-5', status: 400 },
  { name: 'limit abc', path: '/api/articles?pagination[limit]=abc', status: 400 },
  { name: 'page 1e309', path: '/api/articles?pagination[page]=1e309', status: 400 },
  { name: 'page and start mixed', path: '/api/articles?pagination[page]=1&pagination[start]=0', status: 400 },
  { name: 'limit -1 is capped', path: '/api/articles?pagination[limit]=-1', status: 200, check: (r) => expect(r.json.data.length).toBeLessThanOrEqual(100) },
  { name: 'pageSize 0', path: '/api/articles?pagination[pageSize]=0', status: [200, 400], check: (r) => r.status === 200 && pageSizeAtMost100(r) },
  { name: 'pageSize twice (array)', path: '/api/articles?pagination[pageSize]=10&pagination[pageSize]=20', status: [200, 400] },

  // Populate
  { name: 'populate lead.credit.articles.*', path: '/api/articles?populate[lead][populate][credit][populate][articles][populate]=*', status: [200, 400] },
  { name: 'populate * nested 30 levels', path: `/api/articles?populate${nested(30, '[lead][populate]', '=*')}`, status: [200, 400] },
  { name: 'populate createdBy', path: '/api/articles?populate=createdBy', status: 400 },
  { name: 'populate[0]=updatedBy', path: '/api/articles?populate[0]=updatedBy', status: 400 },
  { name: 'populate localizations', path: '/api/articles?populate=localizations', status: 400 },
  { name: 'populate credits.createdBy', path: '/api/articles?populate[credits][populate][0]=createdBy', status: [200, 400] },
  { name: 'populate * with a second key createdBy', path: '/api/articles/{id}?populate[0]=*&populate[1]=createdBy', status: [200, 400] },
  { name: 'populate through the body dynamic zone to createdBy', path: '/api/articles?populate[body][on][media.figure][populate][credit][populate][createdBy]=true', status: [200, 400] },
  { name: 'credits: populate createdBy', path: '/api/image-credits?populate=createdBy', status: 400 },
  { name: 'credits: populate *', path: '/api/image-credits?populate=*', status: [200, 400] },

  // Drafts
  { name: 'status=draft (list)', path: '/api/articles?status=draft', status: 400 },
  { name: 'status=DRAFT (list)', path: '/api/articles?status=DRAFT', status: 400 },
  { name: 'publicationState=preview (v4 key)', path: '/api/articles?publicationState=preview', status: 400 },
  { name: 'hasPublishedVersion=false', path: '/api/articles?hasPublishedVersion=false', status: 400 },
  { name: 'publicationFilter', path: '/api/articles?publicationFilter=never-published-document', status: 400 },
  { name: 'draft by documentId', path: '/api/articles/{draftId}', status: 404 },
  { name: 'draft by documentId, status=draft', path: '/api/articles/{draftId}?status=draft', status: 400 },
  { name: 'draft by slug filter, status=draft', path: '/api/articles?status=draft&filters[slug][$eq]={draftSlug}', status: 400 },
  { name: 'draft by slug filter', path: '/api/articles?filters[slug][$eq]={draftSlug}', status: 200, check: emptyList },
  { name: 'draft by headline prefix, locale=*', path: '/api/articles?status=draft&locale=*&filters[headline][$startsWith]=Embargo', status: 400 },
  { name: 'draft by headline prefix', path: '/api/articles?locale=*&filters[headline][$startsWith]=Embargo', status: [200, 400], check: (r) => r.status !== 200 || emptyList(r) },
  { name: 'draft as JSON-LD', path: '/api/articles/{draftId}/jsonld', status: 404 },
  { name: 'draft reader page by slug', path: '/news/{draftSlug}', status: 404 },

  // Locales
  { name: 'locale=xx', path: '/api/articles?locale=xx', status: [200, 400], check: (r) => r.status === 200 && emptyList(r) },
  { name: 'locale=../../etc', path: `/api/articles?locale=${encodeURIComponent('../../etc')}`, status: [200, 400], check: (r) => r.status === 200 && emptyList(r) },
  { name: 'locale[]=en', path: '/api/articles?locale[]=en', status: [200, 400] },
  { name: 'locale twice', path: '/api/articles/{id}?locale=en&locale=ru', status: [200, 400, 404] },
  { name: 'locale=*', path: '/api/articles?locale=*', status: [200, 400] },
  { name: 'locale=all', path: '/api/articles?locale=all', status: [200, 400], check: (r) => r.status === 200 && emptyList(r) },

  // Unknown query keys (strictParams)
  { name: 'unknown key bogus', path: '/api/articles?bogus=1', status: 400 },
  { name: 'v3 key _limit', path: '/api/articles?_limit=-1', status: 400 },
  { name: 'v3 key _where', path: '/api/articles?_where[importSource]=x', status: 400 },
  { name: 'plugin key pLevel', path: '/api/articles?populate=*&pLevel=10', status: 400 },
  { name: 'credits: unknown key', path: '/api/image-credits?bogus=1', status: 400 },

  // Bad bodies
  { name: 'POST articles, invalid JSON', method: 'POST', path: '/api/articles', headers: JSON_CT, body: '{"data": {"headline": ', status: [400, 401, 403] },
  { name: 'PUT article, invalid JSON', method: 'PUT', path: '/api/articles/{id}', headers: JSON_CT, body: '{data:}', status: [400, 401, 403] },
  { name: 'POST articles, text/plain body', method: 'POST', path: '/api/articles', headers: { 'content-type': 'text/plain' }, body: '{"data":{"headline":"x"}}', status: [400, 401, 403, 415] },
  { name: 'POST articles, 5 MB JSON', method: 'POST', path: '/api/articles', headers: JSON_CT, body: () => JSON.stringify({ data: { headline: 'x'.repeat(5 * 1024 * 1024) } }), status: [400, 401, 403, 413] },
  { name: 'PUT article, 5 MB JSON', method: 'PUT', path: '/api/articles/{id}', headers: JSON_CT, body: () => JSON.stringify({ data: { standfirst: 'y'.repeat(5 * 1024 * 1024) } }), status: [400, 401, 403, 413] },
  { name: 'POST graphql, invalid JSON', method: 'POST', path: '/graphql', headers: JSON_CT, body: '{"query": "{ articles { headline } "', status: 400, check: hasGraphqlErrors },
  { name: 'POST graphql, text/plain', method: 'POST', path: '/graphql', headers: { 'content-type': 'text/plain' }, body: gqlBody('{ __typename }'), status: [400, 415] },
  { name: 'POST graphql, 5 MB JSON', method: 'POST', path: '/graphql', headers: JSON_CT, body: () => gqlBody(`{ __typename } # ${'z'.repeat(5 * 1024 * 1024)}`), status: [400, 413] },
  { name: 'POST graphql?x=1, 5 MB JSON', method: 'POST', path: '/graphql?x=1', headers: JSON_CT, body: () => gqlBody(`{ __typename } # ${'z'.repeat(5 * 1024 * 1024)}`), status: [400, 413] },
  { name: 'POST graphql, 500 KB JSON', method: 'POST', path: '/graphql', headers: JSON_CT, body: () => gqlBody(`{ __typename } # ${'z'.repeat(500 * 1024)}`), status: 413 },
  { name: 'POST graphql?x=1, 500 KB JSON (same 100 KB limit)', method: 'POST', path: '/graphql?x=1', headers: JSON_CT, body: () => gqlBody(`{ __typename } # ${'z'.repeat(500 * 1024)}`), status: 413 },
  { name: 'POST graphql, empty body', method: 'POST', path: '/graphql', headers: JSON_CT, body: '', status: 400 },
  { name: 'POST graphql, JSON null', method: 'POST', path: '/graphql', headers: JSON_CT, body: 'null', status: 400 },
  { name: 'POST graphql, JSON false', method: 'POST', path: '/graphql', headers: JSON_CT, body: 'false', status: 400 },
  { name: 'POST graphql, JSON string', method: 'POST', path: '/graphql', headers: JSON_CT, body: '"{ __typename }"', status: 400 },

  // Writes without auth
  { name: 'POST article without auth', method: 'POST', path: '/api/articles', headers: JSON_CT, body: JSON.stringify({ data: { headline: 'Injected story' } }), status: [401, 403] },
  { name: 'PUT article without auth', method: 'PUT', path: '/api/articles/{id}', headers: JSON_CT, body: JSON.stringify({ data: { headline: 'Defaced' } }), status: [401, 403] },
  { name: 'DELETE article without auth', method: 'DELETE', path: '/api/articles/{id}', status: [401, 403] },
  { name: 'POST article with method override header', method: 'POST', path: '/api/articles/{id}', headers: { ...JSON_CT, 'x-http-method-override': 'DELETE' }, body: '{}', status: [401, 403, 404, 405] },
  { name: 'POST image-credit without auth', method: 'POST', path: '/api/image-credits', headers: JSON_CT, body: JSON.stringify({ data: { name: 'Evil Corp' } }), status: [401, 403] },
  { name: 'PUT image-credit without auth', method: 'PUT', path: '/api/image-credits/{creditId}', headers: JSON_CT, body: JSON.stringify({ data: { name: 'Evil Corp' } }), status: [401, 403] },
  { name: 'DELETE image-credit without auth', method: 'DELETE', path: '/api/image-credits/{creditId}', status: [401, 403] },
  { name: 'POST article with Bearer x', method: 'POST', path: '/api/articles', headers: { ...JSON_CT, authorization: 'Bearer x' }, body: JSON.stringify({ data: { headline: 'Injected' } }), status: 401 },
  { name: 'users-permissions register (registration off)', method: 'POST', path: '/api/auth/local/register', headers: JSON_CT, body: JSON.stringify({ username: 'eve', email: 'eve@evil.example', password: 'Passw0rd-eve!' }), status: [400, 403] },
  { name: 'list users', path: '/api/users', status: [401, 403] },
  { name: 'upload files list', path: '/api/upload/files', status: [401, 403, 404] },
  { name: 'content-type-builder (schema with private names)', path: '/api/content-type-builder/content-types', status: [401, 403, 404] },
  { name: 'revisions have no public API', path: '/api/article-revisions', status: [403, 404] },

  // Authorization headers
  { name: 'GET with Bearer x', path: '/api/articles', headers: { authorization: 'Bearer x' }, status: 401 },
  { name: 'GET status=draft with Bearer x', path: '/api/articles?status=draft', headers: { authorization: 'Bearer x' }, status: 401 },
  { name: 'GET with Basic credentials', path: '/api/articles?status=draft', headers: { authorization: 'Basic YWRtaW5AbmV3cy50ZXN0OkFkbWluLXBhc3MtMTIzNA==' }, status: [400, 401], check: (r) => expect(r.headers['cache-control'] ?? '').not.toMatch(/public/) },
  { name: 'GraphQL with Bearer x', method: 'POST', path: '/graphql', headers: { ...JSON_CT, authorization: 'Bearer x' }, body: gqlBody('{ articles(status: DRAFT) { headline } }'), status: [200, 400, 401] },

  // Path traversal, methods, hosts
  { name: 'traversal in documentId', path: '/api/articles/..%2f..%2fadmin', status: 404 },
  { name: 'raw ../ in the path', path: '/api/articles/../../admin/users', status: [400, 401, 403, 404] },
  { name: 'reader page traversal', path: '/news/..%2F..%2Fetc%2Fpasswd', status: 404 },
  { name: 'format traversal', path: '/api/articles/..%2F..%2F/jsonld', status: [400, 404] },
  { name: 'TRACE', method: 'TRACE', path: '/api/articles', status: [404, 405, 501] },
  { name: 'PATCH article', method: 'PATCH', path: '/api/articles/{id}', headers: JSON_CT, body: '{}', status: [401, 403, 404, 405] },
  { name: 'Host and X-Forwarded-Host spoofed, JSON-LD links stay on PUBLIC_URL', path: '/api/articles/{id}/jsonld', headers: { host: 'evil.example', 'x-forwarded-host': 'evil.example', 'x-forwarded-proto': 'https' }, status: 200, check: notContains('evil.example') },
  { name: 'Host spoofed, reader page links stay on PUBLIC_URL', path: `/news/${SLUG}`, headers: { host: 'evil.example', 'x-forwarded-host': 'evil.example' }, status: 200, check: notContains('evil.example') },
  { name: 'HEAD list', method: 'HEAD', path: '/api/articles', status: 200, check: (r) => expect(r.text).toBe('') },
  { name: '16 KB query string', path: `/api/articles?filters[headline][$eq]=${'a'.repeat(16 * 1024)}`, status: [400, 414, 431] },
  { name: '16 KB reader slug', path: `/news/${'a'.repeat(16 * 1024)}`, status: [400, 404, 414, 431] },

  // Reader pages and formats
  { name: 'reader page, malformed percent-encoding', path: '/news/%E0%A4%A', status: [400, 404] },
  { name: 'reader page, 500-char slug', path: `/news/${'a'.repeat(500)}`, status: 404 },
  { name: 'reader page, locale=xx', path: '/news/x?locale=xx', status: 400 },
  { name: 'reader page, unknown key', path: `/news/${SLUG}?foo=1`, status: 400 },
  { name: 'reader page, %00 slug', path: '/news/%00', status: [400, 404] },
  { name: 'preview without secret', path: '/news/preview/{draftId}', status: [400, 401] },
  { name: 'preview with the old shared secret', path: '/news/preview/{draftId}?secret=test-preview-secret-0123456789', status: 400 },
  { name: 'preview with a wrong token', path: '/news/preview/{draftId}?token=wrong', status: 401 },
  { name: 'preview with a token signed by another key', path: '/news/preview/{draftId}?token=eyJkIjoieCIsImwiOiJlbiIsInMiOiJkcmFmdCIsImUiOjk5OTk5OTk5OTl9.AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA', status: 401 },
  { name: 'preview with an array token', path: '/news/preview/{draftId}?token[]=x', status: [400, 401] },
  { name: 'preview with an array secret', path: '/news/preview/{draftId}?secret[]=test-preview-secret-0123456789', status: [400, 401] },
  { name: 'preview with a 1000-char secret', path: `/news/preview/{draftId}?secret=${'s'.repeat(1000)}`, status: [400, 401] },
  { name: 'preview with a traversal id', path: '/news/preview/..%2F..?secret=wrong', status: [400, 401, 404] },
  { name: 'JSON-LD, locale=../x', path: '/api/articles/{id}/jsonld?locale=../x', status: 400 },
  { name: 'ninjs, unknown key', path: '/api/articles/{id}/ninjs?foo=1', status: 400 },
  { name: 'ninjs, locale array', path: '/api/articles/{id}/ninjs?locale[]=en', status: 400 },
  { name: 'ninjs, documentId %00', path: '/api/articles/%00/ninjs', status: [400, 404] },

  // GraphQL
  gql('syntax error', '{ articles { headline ', { status: 400, check: hasGraphqlErrors }),
  gql('introspection of UsersPermissionsUser', '{ __type(name: "UsersPermissionsUser") { name fields { name } } }', { status: 200 }),
  gql('introspection of User', '{ __type(name: "User") { name fields { name } } }', { status: 200, check: (r) => expect(r.json.data.__type).toBeNull() }),
  gql('introspection of Article fields', '{ __type(name: "Article") { fields { name } } }', { status: 200 }),
  gql('introspection of ArticleFiltersInput', '{ __type(name: "ArticleFiltersInput") { inputFields { name } } }', { status: 200 }),
  gql('querying password on users', '{ usersPermissionsUsers { username email password } }', { status: [200, 400], check: hasGraphqlErrors }),
  gql('listing users', '{ usersPermissionsUsers { username email } }', { status: [200, 400], check: (r) => { hasGraphqlErrors(r); expect(r.json?.data?.usersPermissionsUsers ?? null).toBeNull(); } }),
  gql('query depth 20', () => `{ articles { ${nested(19, 'localizations { ', 'documentId')}${' }'.repeat(19)} } }`, { status: [200, 400], check: hasGraphqlErrors }),
  gql('pagination limit 100000', '{ articles(pagination: { limit: 100000 }) { documentId } }', { status: 200, check: (r) => { expect(r.json.errors).toBeUndefined(); expect(r.json.data.articles.length).toBeLessThanOrEqual(100); } }),
  gql('connection pageSize 100000', '{ articles_connection(pagination: { pageSize: 100000 }) { pageInfo { pageSize } } }', { status: 200, check: (r) => expect(r.json.data.articles_connection.pageInfo.pageSize).toBeLessThanOrEqual(100) }),
  gql('200 aliases of the same field', () => `{ ${Array.from({ length: 200 }, (_, i) => `a${i}: articles { documentId }`).join(' ')} }`, { status: [200, 400] }),
  gql('createArticle', 'mutation { createArticle(data: { headline: "Injected by GraphQL" }) { documentId headline } }', { status: [200, 400, 401, 403], check: noMutationData('createArticle') }),
  gql('deleteArticle', 'mutation { deleteArticle(documentId: "{id}") { documentId } }', { status: [200, 400, 401, 403], check: noMutationData('deleteArticle') }),
  gql('updateImageCredit', 'mutation { updateImageCredit(documentId: "{creditId}", data: { name: "Evil" }) { name } }', { status: [200, 400, 401, 403], check: noMutationData('updateImageCredit') }),
  gql('register mutation (registration off)', 'mutation { register(input: { username: "eve", email: "eve@evil.example", password: "Passw0rd-eve!" }) { jwt } }', { status: [200, 400, 401, 403], check: noMutationData('register') }),
  gql('__typename only', '{ __typename }', { status: 200, check: (r) => expect(r.json.data).toEqual({ __typename: 'Query' }) }),
  {
    name: 'GraphQL: batched array body',
    method: 'POST',
    path: '/graphql',
    headers: JSON_CT,
    body: JSON.stringify([{ query: '{ __typename }' }, { query: '{ articles(status: DRAFT) { headline } }' }]),
    status: [200, 400],
  },
  gql('variables of the wrong type', 'query ($id: ID!) { article(documentId: $id) { headline } }', { variables: { id: { $ne: null } }, status: [200, 400], check: hasGraphqlErrors }),
  gql('filter variables naming a private field', 'query ($f: ArticleFiltersInput) { articles(filters: $f) { headline } }', { variables: { f: { importSource: { eq: 'x' } } }, status: [200, 400], check: hasGraphqlErrors }),
  gql('private field in filters literal', '{ articles(filters: { version: { gt: 0 } }) { headline } }', { status: [200, 400], check: hasGraphqlErrors }),
  gql('operationName mismatch', 'query A { __typename }', { operationName: 'B', status: [200, 400], check: hasGraphqlErrors }),
  gql('draft via status DRAFT', '{ articles(status: DRAFT) { headline slug } article(documentId: "{draftId}", status: DRAFT) { headline } }', { status: 400 }),
  gql('NUL in a documentId variable', 'query ($id: ID!) { article(documentId: $id) { headline } }', { variables: { id: 'x\u0000y' }, status: [200, 400] }),
  gql('NUL in a filter literal', '{ articles(filters: { slug: { eq: "a\\u0000b" } }) { headline } }', { status: [200, 400] }),
  gql("SQL in a slug filter", `{ articles(filters: { slug: { eq: "' OR 1=1 --" } }) { headline } }`, { status: 200, check: (r) => expect(r.json.data.articles).toEqual([]) }),
  {
    name: 'GraphQL: GET mutation (CSRF-style)',
    path: `/graphql?query=${encodeURIComponent('mutation { deleteArticle(documentId: "x") { documentId } }')}`,
    headers: { 'apollo-require-preflight': 'true' },
    status: [400, 405],
  },
];

beforeAll(async () => {
  app = await startApp();
  await publishBundledStory(app.strapi);
  await publishStory(app.strapi, 'Later story\n\nA caption. Credit: Getty Images\n\nBody text.\n', 'later.txt');
  // One unpublished draft with a recognisable headline.
  const draft = (await app.strapi.documents(ARTICLE).create({ locale: 'en', data: { headline: DRAFT_HEADLINE, standfirst: 'Not for readers yet.' } } as never)) as unknown as {
    documentId: string;
    slug: string;
  };
  ids.draftId = draft.documentId;
  ids.draftSlug = draft.slug;
  const list = await send('GET', `/api/articles?filters[slug][$eq]=${SLUG}`);
  ids.id = list.json.data[0].documentId;
  const credits = await send('GET', '/api/image-credits');
  ids.creditId = credits.json.data[0].documentId;
});

afterAll(async () => {
  await app?.stop();
});

describe('hostile requests: every answer keeps the invariants', () => {
  it('the draft exists (as a draft only) and carries the marker', () => {
    expect(ids.draftId).toMatch(/^[a-z0-9]+$/);
    expect(ids.draftSlug.toLowerCase()).toContain(DRAFT_MARKER);
  });

  it('has at least 60 cases', () => {
    expect(CASES.length).toBeGreaterThanOrEqual(60);
  });

  it.each(CASES.map((c) => [`${c.method ?? 'GET'} ${c.name}`, c] as const))('%s', async (_label, c) => {
    const method = c.method ?? 'GET';
    const path = fill(typeof c.path === 'function' ? c.path() : c.path);
    const raw = typeof c.body === 'function' ? c.body() : c.body;
    const body = typeof raw === 'string' ? fill(raw) : raw;
    const reply = await send(method, path, c.headers, body);
    const allowed = Array.isArray(c.status) ? c.status : [c.status];
    const sentBody = body === undefined ? '' : Buffer.isBuffer(body) ? '' : body.length > 100_000 ? body.slice(0, 1000) : body;
    if (process.env.HOSTILE_LOG) {
      // eslint-disable-next-line no-console
      console.log(`${method} ${path.slice(0, 160)} -> ${reply.status} ${String(reply.headers['content-type'] ?? '')}\n${reply.text.slice(0, 400)}${reply.json?.meta ? `\nmeta ${JSON.stringify(reply.json.meta)}` : ''}`);
    }
    if (!allowed.includes(reply.status)) {
      throw new Error(`${method} ${path.slice(0, 300)}: expected status ${allowed.join(' or ')}, got ${reply.status}: ${reply.text.slice(0, 600)}`);
    }
    checkInvariants(c, reply, { path, body: sentBody });
    c.check?.(reply);
  });
});

describe('headers and CORS', () => {
  it('security headers on a normal answer, from Koa (miss) and from the response cache (hit)', async () => {
    for (const attempt of ['miss', 'hit']) {
      const reply = await send('GET', '/api/articles?pagination[pageSize]=1');
      expect({ attempt, status: reply.status }).toEqual({ attempt, status: 200 });
      expect(reply.headers['x-content-type-options']).toBe('nosniff');
      expect(Boolean(reply.headers['content-security-policy'] || reply.headers['x-frame-options'])).toBe(true);
      const poweredBy = String(reply.headers['x-powered-by'] ?? '');
      if (process.env.HOSTILE_LOG) {
        const shown = ['x-powered-by', 'x-content-type-options', 'x-frame-options', 'content-security-policy', 'strict-transport-security', 'referrer-policy', 'cache-control', 'etag'];
        // eslint-disable-next-line no-console
        console.log(`headers (${attempt}): ${JSON.stringify(Object.fromEntries(shown.map((n) => [n, reply.headers[n]])))}`);
      }
      expect(poweredBy).not.toMatch(/express|koa/i);
      expect(poweredBy).not.toMatch(/\d+\.\d+/);
    }
  });

  it('security headers on an error and on a reader page', async () => {
    for (const path of ['/api/articles?bogus=1', `/news/${SLUG}`]) {
      const reply = await send('GET', path);
      expect(reply.status).toBeLessThan(500);
      expect(reply.headers['x-content-type-options']).toBe('nosniff');
      expect(String(reply.headers['x-powered-by'] ?? '')).not.toMatch(/express|koa/i);
    }
  });

  it('CORS preflight from a foreign origin (behaviour recorded, not 5xx)', async () => {
    const reply = await send('OPTIONS', '/api/articles', { origin: 'http://evil.example', 'access-control-request-method': 'GET' });
    const cors = Object.fromEntries(Object.entries(reply.headers).filter(([name]) => name.startsWith('access-control-') || name === 'vary'));
    // eslint-disable-next-line no-console
    console.log(`CORS preflight from http://evil.example: ${reply.status} ${JSON.stringify(cors)}`);
    expect(reply.status).toBeLessThan(500);
    const simple = await send('GET', '/api/articles?pagination[pageSize]=1', { origin: 'http://evil.example' });
    const simpleCors = Object.fromEntries(Object.entries(simple.headers).filter(([name]) => name.startsWith('access-control-') || name === 'vary'));
    // eslint-disable-next-line no-console
    console.log(`CORS GET from http://evil.example: ${simple.status} ${JSON.stringify(simpleCors)}`);
    expect(simple.status).toBeLessThan(500);
  });
});

describe('after the barrage', () => {
  it('nothing was written, deleted or polluted', async () => {
    const article = await send('GET', `/api/articles/${ids.id}`);
    expect(article.status).toBe(200);
    expect(article.json.data.headline).toBe("Putin visits China's 'Little Moscow' as allies continue to discuss trade");
    const credits = await send('GET', '/api/image-credits');
    expect(credits.json.data.map((c: { name: string }) => c.name).sort()).toEqual(['AP', 'Getty Images']);
    const list = await send('GET', '/api/articles');
    expect(list.json.data.map((a: { headline: string }) => a.headline)).not.toContain('Injected story');
    expect(list.json.meta.pagination.total).toBe(2);
    const draft = await app.strapi.documents(ARTICLE).findOne({ documentId: ids.draftId, locale: 'en', status: 'draft' } as never);
    expect((draft as unknown as { headline: string }).headline).toBe(DRAFT_HEADLINE);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });
});

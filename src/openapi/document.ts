import type { Core } from '@strapi/strapi';
import { z, type ZodTypeAny } from 'zod';
import { ARTICLE_POPULATE, ARTICLE_UID } from '../articles/constants';
import { FormatQuery, Pagination } from '../articles/query-rules';
import { LocaleCode } from '../bootstrap/locales';
import { PageQuery } from '../reader/routes';
import { Readiness } from '../runtime/health';
import { JsonLdNewsArticle, NinjsArticle } from '../representations/schemas';
import { RestQuery, SearchAnswer } from '../search/query';
import { LocaleQuery, NoQuery, SlugRedirect } from '../syndication/routes';
import { ModelSchemas, ref } from './model-json';
import { zodToJsonSchema, type JsonSchema } from './zod-json';

/**
 * The OpenAPI 3.1 document of the public API, generated from what the service runs: the content
 * API's routes from Strapi's route table, the records from the content types (src/openapi/
 * model-json.ts), the query parameters and the other answers from the zod schemas the handlers
 * check and type them with. A content-API GET route with no contract here throws, so a route
 * cannot be added without the document saying what it answers.
 */

export interface OpenApiDocument {
  openapi: '3.1.0';
  info: Record<string, unknown>;
  servers: Array<{ url: string }>;
  paths: Record<string, Record<string, Operation>>;
  components: { schemas: Record<string, JsonSchema>; responses: Record<string, unknown>; headers: Record<string, unknown>; parameters: Record<string, unknown> };
  tags: Array<{ name: string; description: string }>;
}

interface Operation {
  operationId: string;
  summary: string;
  description?: string;
  tags: string[];
  parameters?: unknown[];
  requestBody?: unknown;
  responses: Record<string, unknown>;
}

/** Every error of the JSON API (Strapi's shape). */
const ErrorBody = z
  .object({
    data: z.null(),
    error: z
      .object({
        status: z.number().int().min(400).max(599),
        name: z.string().describe('ValidationError, UnauthorizedError, ForbiddenError, NotFoundError, MethodNotAllowedError, ServiceUnavailableError…'),
        message: z.string(),
        details: z.record(z.string(), z.unknown()).describe('More about the error (for a ValidationError, which parameter)'),
      })
      .strict(),
  })
  .strict()
  .describe('An error: the status, a name and a message people can read');

const GraphqlRequestBody = z
  .object({
    query: z.string().describe('A GraphQL query (the schema is GraphQL\'s own: introspect it, or see /graphql in a browser)'),
    operationName: z.string().nullable().optional(),
    variables: z.record(z.string(), z.unknown()).nullable().optional(),
  })
  .strict();

const GraphqlAnswer = z
  .object({
    data: z.record(z.string(), z.unknown()).nullable().optional(),
    errors: z
      .array(
        z
          .object({
            message: z.string(),
            locations: z.array(z.object({ line: z.number().int(), column: z.number().int() }).strict()).optional(),
            path: z.array(z.union([z.string(), z.number().int()])).optional(),
            extensions: z.record(z.string(), z.unknown()).optional(),
          })
          .strict()
      )
      .optional(),
  })
  .strict()
  .describe("A GraphQL answer: `data`, and `errors` when something was refused (the status is 400 for a refused query, as Strapi's Apollo answers it)");

const json = (schema: JsonSchema) => ({ 'application/json': { schema } });
const text = (type: string, description: string) => ({ [type]: { schema: { type: 'string', description } } });
const errorResponse = (name: string) => ({ $ref: `#/components/responses/${name}` });

/** The responses every public read may give besides its 200. */
const API_ERRORS = { '304': errorResponse('NotModified'), '400': errorResponse('BadRequest'), '401': errorResponse('Unauthorized'), '403': errorResponse('Forbidden'), '404': errorResponse('NotFound'), '503': errorResponse('Unavailable') };

/** Caching headers of every public 200 (src/middlewares/http-cache.ts). */
const CACHE_HEADERS = {
  ETag: { $ref: '#/components/headers/ETag' },
  'Cache-Control': { $ref: '#/components/headers/CacheControl' },
  'Surrogate-Control': { $ref: '#/components/headers/SurrogateControl' },
  'Surrogate-Key': { $ref: '#/components/headers/SurrogateKey' },
  'Cache-Tag': { $ref: '#/components/headers/CacheTag' },
};

function ok(description: string, content: Record<string, unknown>) {
  return { description, headers: CACHE_HEADERS, content };
}

/** `/news/:slug` → `/news/{slug}`; `/sitemaps/:part.xml` → `/sitemaps/{part}.xml`. */
export function openApiPath(koaPath: string): string {
  return koaPath.replace(/:(\w+)/g, '{$1}');
}

function pathParameters(path: string, describe: Record<string, string> = {}): unknown[] {
  return [...path.matchAll(/\{(\w+)\}/g)].map(([, name]) => ({
    name,
    in: 'path',
    required: true,
    schema: name === 'part' ? { type: 'integer', minimum: 1 } : { type: 'string', minLength: 1 },
    ...(describe[name] ? { description: describe[name] } : {}),
  }));
}

/** One parameter per key of a query schema; an object (`pagination`) as a deep object. */
export function queryParameters(schema: ZodTypeAny): unknown[] {
  const object = zodToJsonSchema(schema, 'input');
  const required = new Set((object.required as string[] | undefined) ?? []);
  return Object.entries((object.properties as Record<string, JsonSchema>) ?? {}).map(([name, property]) => ({
    name,
    in: 'query',
    required: required.has(name),
    schema: property,
    ...(property.type === 'object' ? { style: 'deepObject', explode: true } : {}),
    ...(typeof property.description === 'string' ? { description: property.description } : {}),
  }));
}

interface CustomContract {
  summary: string;
  description?: string;
  query: ZodTypeAny;
  contentType: string;
  answer: ZodTypeAny;
}

/** The content API's own handlers beyond find and findOne (src/api/*). */
const HANDLER_CONTRACTS: Record<string, CustomContract> = {
  'api::article.article.jsonld': {
    summary: 'A published article as schema.org JSON-LD (NewsArticle)',
    query: FormatQuery,
    contentType: 'application/ld+json',
    answer: JsonLdNewsArticle,
  },
  'api::article.article.ninjs': {
    summary: 'A published article as IPTC ninjs 3.1',
    query: FormatQuery,
    contentType: 'application/json',
    answer: NinjsArticle,
  },
  'api::article.article.search': {
    summary: 'Search published articles',
    description:
      'Full-text search (websearch syntax: "quoted phrases", -excluded, OR) over headline, standfirst, tags, body, byline and captions, in the locale\'s language. ' +
      'Ranked by relevance blended with recency, or newest first. `pageSize` above 50 is capped at 50. Totals and facets count the newest 500 matches (`meta.capped` says when more matched).',
    query: RestQuery,
    contentType: 'application/json',
    answer: SearchAnswer,
  },
};

interface ApiRoute {
  method: string;
  path: string;
  handler: string;
}

/** The content API's GET routes of the project's own APIs, from Strapi's route table. */
function contentApiRoutes(strapi: Core.Strapi): ApiRoute[] {
  const routes: ApiRoute[] = [];
  for (const api of Object.values(strapi.apis as unknown as Record<string, { routes?: Record<string, { routes?: ApiRoute[] } | ApiRoute[]> }>)) {
    for (const router of Object.values(api.routes ?? {})) {
      const list = Array.isArray(router) ? router : router.routes ?? [];
      for (const route of list) if (route.method === 'GET' && typeof route.handler === 'string') routes.push(route);
    }
  }
  return routes;
}

export interface DocumentOptions {
  /** PUBLIC_URL: where the document says the API is. */
  serverUrl: string;
  version: string;
}

export function buildPublicApiDocument(strapi: Core.Strapi, options: DocumentOptions): OpenApiDocument {
  const models = new ModelSchemas(strapi, { [ARTICLE_UID]: Object.keys(ARTICLE_POPULATE) });
  const prefix = (strapi.config.get('api.rest.prefix', '/api') as string) || '/api';
  const maxLimit = strapi.config.get('api.rest.maxLimit', 100) as number;
  const defaultLimit = strapi.config.get('api.rest.defaultLimit', 25) as number;
  const paths: OpenApiDocument['paths'] = {};
  const tags = new Map<string, string>();
  const add = (path: string, method: string, operation: Operation) => {
    paths[path] ??= {};
    paths[path][method] = operation;
  };

  const locale = zodToJsonSchema(LocaleCode);
  const localeParameter = (list: boolean) => ({
    name: 'locale',
    in: 'query',
    required: false,
    description: list ? "The locale (default: the default locale); `*` lists every locale's published versions" : 'The locale (default: the default locale)',
    schema: list ? { anyOf: [locale, { const: '*' }] } : locale,
  });
  const statusParameter = { name: 'status', in: 'query', required: false, description: 'Only `published`: drafts are never public (`draft` answers 400)', schema: { const: 'published' } };
  const populateParameter = (uid: string) => {
    const keys = models.populateKeys(uid);
    return {
      name: 'populate',
      in: 'query',
      required: false,
      description:
        uid === ARTICLE_UID
          ? `Leave it out for the whole article (${keys.join(', ')} are all populated). Naming some narrows the answer to them; nothing else can be populated (400).`
          : `Relations to include: ${keys.join(', ') || 'none'}, or *.`,
      schema: { anyOf: [{ const: '*' }, { type: 'string', description: 'Comma-separated keys' }, { type: 'array', items: { type: 'string', enum: keys } }, { type: 'object', propertyNames: { enum: [...keys, '*'] } }] },
      style: 'deepObject',
      explode: true,
    };
  };

  const paginationMeta = z
    .object({
      pagination: z.union([
        z
          .object({
            page: z.number().int().min(1),
            pageSize: z.number().int().min(1).max(maxLimit),
            pageCount: z.number().int().min(0).optional().describe('Absent with pagination[withCount]=false'),
            total: z.number().int().min(0).optional().describe('Absent with pagination[withCount]=false'),
          })
          .strict(),
        z
          .object({ start: z.number().int().min(0), limit: z.number().int().min(-1).max(maxLimit), total: z.number().int().min(0).optional().describe('Absent with pagination[withCount]=false') })
          .strict(),
      ]),
    })
    .strict();

  for (const route of contentApiRoutes(strapi)) {
    const path = `${prefix}${openApiPath(route.path)}`;
    const match = /^(api::[\w-]+\.[\w-]+)\.(find|findOne)$/.exec(route.handler);
    if (match) {
      const uid = match[1];
      const about = models.describe(uid);
      const tag = about.singular;
      tags.set(tag, about.description ?? tag);
      const record = models.record(uid);
      if (match[2] === 'find') {
        const sortable = models.sortable(uid);
        const sortItem = { type: 'string', pattern: `^(${sortable.join('|')})(:(asc|desc|ASC|DESC))?$` };
        add(path, 'get', {
          operationId: `list${models.nameOf(uid)}s`,
          summary: `List ${about.plural}`,
          description:
            `${uid === ARTICLE_UID ? 'Published articles, newest first (by firstPublishDate), each whole: lead, body, credits, authors, section, tags and corrections. ' : ''}` +
            `Pages of ${defaultLimit} by default; \`pageSize\` (or \`limit\`) above ${maxLimit} is capped at ${maxLimit}. \`pagination[withCount]=false\` leaves the total out.`,
          tags: [tag],
          parameters: [
            ...(models.isLocalized(uid) ? [localeParameter(true)] : []),
            { name: 'filters', in: 'query', required: false, style: 'deepObject', explode: true, description: 'Filters on the attributes, through relations and components: `filters[slug][$eq]=…`, `filters[section][slug][$eq]=world`', schema: models.filterSchema(uid) },
            { name: 'pagination', in: 'query', required: false, style: 'deepObject', explode: true, schema: zodToJsonSchema(Pagination, 'input') },
            { name: 'sort', in: 'query', required: false, description: 'Sort by attributes: `headline:asc`, or several', schema: { anyOf: [sortItem, { type: 'array', items: sortItem }] } },
            populateParameter(uid),
            statusParameter,
            { name: '_q', in: 'query', required: false, description: "Strapi's substring search over the text attributes (see /api/search for ranked full-text search)", schema: { type: 'string' } },
          ],
          responses: { '200': ok(`A page of ${about.plural}`, json({ type: 'object', properties: { data: { type: 'array', items: record }, meta: zodToJsonSchema(paginationMeta) }, required: ['data', 'meta'], additionalProperties: false })), ...API_ERRORS },
        });
      } else {
        add(path, 'get', {
          operationId: `get${models.nameOf(uid)}`,
          summary: `One ${about.singular.toLowerCase()} by documentId`,
          tags: [tag],
          parameters: [...pathParameters(path, { id: 'The documentId' }), ...(models.isLocalized(uid) ? [localeParameter(false)] : []), populateParameter(uid), statusParameter],
          responses: { '200': ok(`The ${about.singular.toLowerCase()}`, json({ type: 'object', properties: { data: record, meta: { type: 'object', additionalProperties: false } }, required: ['data', 'meta'], additionalProperties: false })), ...API_ERRORS },
        });
      }
      continue;
    }
    const contract = HANDLER_CONTRACTS[route.handler];
    if (!contract) throw new Error(`OpenAPI: the route GET ${path} (${route.handler}) has no contract in src/openapi/document.ts`);
    add(path, 'get', {
      operationId: route.handler.split('.').pop() as string,
      summary: contract.summary,
      ...(contract.description ? { description: contract.description } : {}),
      tags: ['Article'],
      parameters: [...pathParameters(path, { id: "The article's documentId" }), ...queryParameters(contract.query)],
      responses: { '200': ok(contract.summary, { [contract.contentType]: { schema: zodToJsonSchema(contract.answer) } }), ...API_ERRORS },
    });
  }

  // The routes the service adds beside the content API (src/syndication, src/reader, GraphQL).
  tags.set('Reader', 'Pages, feeds and sitemaps: what readers and crawlers fetch');
  tags.set('GraphQL', "The public GraphQL endpoint: the same content and rules; its schema is GraphQL's own (introspection)");
  tags.set('Contract', 'This document and its human-readable page');
  add(`${prefix}/slug-redirects/{slug}`, 'get', {
    operationId: 'slugRedirect',
    summary: 'Where an article with a replaced slug is now',
    description: 'An article whose slug was rewritten keeps its old links: this answers the slug it has now (the reader page answers 301 itself).',
    tags: ['Article'],
    parameters: [...pathParameters('/{slug}', { slug: 'An old slug' }), ...queryParameters(LocaleQuery)],
    responses: { '200': ok('The article the old slug names', json(zodToJsonSchema(SlugRedirect))), ...API_ERRORS },
  });
  const htmlErrors = (badType: string, extra: Record<string, unknown> = {}) => ({
    '304': errorResponse('NotModified'),
    '400': { description: 'A query it does not take', content: text(badType, 'What was wrong') },
    '403': errorResponse('Forbidden'),
    '404': { description: 'No such published article', content: text('text/html', 'A page saying so') },
    '503': errorResponse('Unavailable'),
    ...extra,
  });
  add('/news/{slug}', 'get', {
    operationId: 'articlePage',
    summary: 'The reader page of a published article',
    tags: ['Reader'],
    parameters: [...pathParameters('/news/{slug}'), ...queryParameters(PageQuery)],
    responses: {
      '200': ok('The article page', text('text/html', 'HTML with the article, its photos, captions and credits, JSON-LD and links to its formats')),
      ...htmlErrors('text/html', { '301': { description: "An old slug: the article's page now", headers: { Location: { schema: { type: 'string' } } } } }),
    },
  });
  add('/news/corrections', 'get', {
    operationId: 'correctionsPage',
    summary: 'Corrections and clarifications, most recent first',
    tags: ['Reader'],
    parameters: queryParameters(LocaleQuery),
    responses: { '200': ok('The corrections page', text('text/html', 'HTML')), ...htmlErrors('text/plain') },
  });
  const xml = (type: string, path: string, operationId: string, summary: string, query: ZodTypeAny) =>
    add(path, 'get', {
      operationId,
      summary,
      tags: ['Reader'],
      parameters: [...pathParameters(path), ...queryParameters(query)],
      responses: {
        '200': ok(summary, text(type, summary)),
        '304': errorResponse('NotModified'),
        '400': { description: 'A query it does not take', content: text('text/plain', 'What was wrong') },
        '403': errorResponse('Forbidden'),
        ...(path.includes('{') ? { '404': { description: 'No such section or part', content: text('text/plain', 'What was not found') } } : {}),
        '503': errorResponse('Unavailable'),
      },
    });
  xml('application/rss+xml', '/rss.xml', 'rssFeed', 'The newest published articles as RSS 2.0', LocaleQuery);
  xml('application/atom+xml', '/atom.xml', 'atomFeed', 'The newest published articles as Atom', LocaleQuery);
  xml('application/rss+xml', '/corrections.rss', 'correctionsFeed', 'Corrections as RSS 2.0', LocaleQuery);
  xml('application/rss+xml', '/sections/{slug}/rss.xml', 'sectionFeed', "A section's newest articles as RSS 2.0", LocaleQuery);
  xml('application/xml', '/sitemap.xml', 'sitemapIndex', 'The sitemap index', NoQuery);
  xml('application/xml', '/sitemaps/{part}.xml', 'sitemapPart', 'One part of the sitemap', NoQuery);
  xml('application/xml', '/news-sitemap.xml', 'newsSitemap', "Google News sitemap: the last two days' articles", NoQuery);

  const graphqlResponses = {
    '200': { description: 'An answer (queries over GET are cached and tagged like REST)', headers: CACHE_HEADERS, content: json(zodToJsonSchema(GraphqlAnswer)) },
    '400': { description: 'A refused query: invalid, too costly or too deep, asking for drafts', content: json(zodToJsonSchema(GraphqlAnswer)) },
    '413': { description: 'A request body over 1 MB', content: json(zodToJsonSchema(GraphqlAnswer)) },
    '503': errorResponse('Unavailable'),
  };
  add('/graphql', 'post', {
    operationId: 'graphql',
    summary: 'GraphQL',
    description: 'Published articles, credits, authors, sections and tags, under the same rules as REST. Queries are limited in cost and depth.',
    tags: ['GraphQL'],
    requestBody: { required: true, content: json(zodToJsonSchema(GraphqlRequestBody)) },
    responses: graphqlResponses,
  });
  add('/graphql', 'get', {
    operationId: 'graphqlGet',
    summary: 'GraphQL over GET (cacheable)',
    tags: ['GraphQL'],
    parameters: [
      { name: 'query', in: 'query', required: true, schema: { type: 'string' } },
      { name: 'variables', in: 'query', required: false, description: 'JSON', schema: { type: 'string' } },
      { name: 'operationName', in: 'query', required: false, schema: { type: 'string' } },
    ],
    responses: graphqlResponses,
  });
  add(`${prefix}/openapi.json`, 'get', {
    operationId: 'openApiDocument',
    summary: 'This document',
    tags: ['Contract'],
    responses: { '200': ok('The OpenAPI 3.1 document of the public API', json({ type: 'object', required: ['openapi', 'info', 'paths'] })), '304': errorResponse('NotModified') },
  });
  add(`${prefix}/docs`, 'get', {
    operationId: 'apiDocs',
    summary: 'This document as a page people can read',
    tags: ['Contract'],
    responses: { '200': { description: 'The API reference page (its scripts are served by the service: no CDN)', content: text('text/html', 'HTML') } },
  });

  tags.set('Operations', 'For load balancers and orchestrators');
  add('/_health', 'get', { operationId: 'health', summary: 'Whether the process serves', tags: ['Operations'], responses: { '204': { description: 'It does' } } });
  add('/_ready', 'get', {
    operationId: 'ready',
    summary: 'Whether this instance should get traffic: the database answers, the invalidation bus is linked, it is not shutting down',
    tags: ['Operations'],
    responses: { '200': { description: 'Ready', content: json(zodToJsonSchema(Readiness)) }, '503': { description: 'Not ready (draining, or a dependency is down)', content: json(zodToJsonSchema(Readiness)) } },
  });

  return {
    openapi: '3.1.0',
    info: {
      title: 'News service: public API',
      version: options.version,
      description:
        'Published news over REST and GraphQL. Every answer is public and cacheable: it carries an `ETag` (send `If-None-Match` for a 304), ' +
        '`Surrogate-Key`/`Cache-Tag` with the documents it was built from (an edge purges by them when one changes) and `Surrogate-Control` for the edge. ' +
        'Drafts are never public. Errors are JSON: `{ "data": null, "error": { "status", "name", "message", "details" } }`.',
    },
    servers: [{ url: options.serverUrl.replace(/\/+$/, '') }],
    tags: [...tags].map(([name, description]) => ({ name, description })),
    paths,
    components: {
      schemas: { ...models.schemas, Error: zodToJsonSchema(ErrorBody) },
      parameters: {},
      responses: {
        NotModified: { description: 'Not Modified: the copy whose ETag was sent in If-None-Match is current', headers: { ETag: { $ref: '#/components/headers/ETag' } } },
        BadRequest: { description: 'A parameter it does not take, or a value out of range', content: json(ref('Error')) },
        Unauthorized: { description: 'An Authorization header with a token that is not valid', content: json(ref('Error')) },
        Forbidden: { description: 'The public may not read this (the Public role lacks the permission)', content: json(ref('Error')) },
        NotFound: { description: 'Nothing published by this id or slug in this locale', content: json(ref('Error')) },
        Unavailable: {
          description: 'The database cannot be reached for now: try again (Retry-After says when)',
          headers: { 'Retry-After': { schema: { type: 'integer' } } },
          content: json(ref('Error')),
        },
      },
      headers: {
        ETag: { description: 'A strong validator of the body: send it back in If-None-Match', schema: { type: 'string' } },
        CacheControl: { description: '`public, max-age=0, must-revalidate` for public answers; `private, no-store` with credentials', schema: { type: 'string' } },
        SurrogateControl: { description: 'How long an edge may keep it (max-age, stale-while-revalidate, stale-if-error); never past an article\'s unpublishAt', schema: { type: 'string' } },
        SurrogateKey: { description: 'Space-separated cache keys (documents, lists, `permissions`) to purge it by (Fastly, Varnish xkey)', schema: { type: 'string' } },
        CacheTag: { description: 'The same keys, comma-separated (Cloudflare)', schema: { type: 'string' } },
      },
    },
  };
}

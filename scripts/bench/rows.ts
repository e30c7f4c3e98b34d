/** What is measured: the rows, each a request sent to one of the servers. */

export const SLUG = 'putin-visits-chinas-little-moscow-as-allies-continue-to-discuss-trade';
export const CONNECTIONS = [10, 50] as const;

/**
 * The processes: the bare server; the app with its response cache on; the app with it off
 * (CACHE_ENABLED=false); and the app stock (CACHE_ENABLED=false, READ_MODEL_SERVE=false: every
 * REST and GraphQL read through Strapi's core controller and GraphQL resolvers, never the read
 * model). The three apps share one database.
 */
export type Server = 'bare' | 'cache-on' | 'cache-off' | 'stock';

export const SERVER_ENV: Record<Exclude<Server, 'bare'>, Record<string, string>> = {
  'cache-on': { CACHE_ENABLED: 'true' },
  'cache-off': { CACHE_ENABLED: 'false' },
  stock: { CACHE_ENABLED: 'false', READ_MODEL_SERVE: 'false' },
};

export interface Row {
  id: number;
  label: string;
  server: Server;
  method: 'GET' | 'POST';
  path: string;
  headers?: Record<string, string>;
  body?: string;
  expectStatus: number;
  /** The bare row answering the same request with the same status, headers and bytes: the limit for this row. */
  bare?: number;
}

export const ARTICLE_PATH = `/api/articles?filters[slug][$eq]=${SLUG}`;
export const STOCK_PATH =
  `${ARTICLE_PATH}&populate[lead][populate][credit]=true&populate[body][on][content.paragraph]=true` +
  '&populate[body][on][media.figure][populate][credit]=true&populate[credits]=true';
export const LIST_PATH = '/api/articles?pagination[pageSize]=20';

/**
 * Search (rows 14–16): a rare word (in one article of every 1,000: the generator adds it), a word
 * of the story (so in every article) and a two-word phrase of it.
 */
export const SEARCH_RARE_WORD = 'saxophonist';
export const SEARCH_RARE_EVERY = 1000;
/** Clones g = 1…count carry the rare word when g ≡ 500 (mod 1,000): this many of them. */
export const rareArticles = (clones: number) => Math.floor((clones + SEARCH_RARE_EVERY / 2) / SEARCH_RARE_EVERY);
export const SEARCH_PATHS = {
  14: `/api/search?q=${SEARCH_RARE_WORD}`,
  15: '/api/search?q=trade',
  16: `/api/search?q=${encodeURIComponent('"joint statement"')}`,
} as const;
export const GRAPHQL_QUERY = `query Article($slug: String!) {
  articles(filters: { slug: { eq: $slug } }) {
    headline slug
    lead { caption credit { name } }
    body {
      ... on ComponentContentParagraph { text }
      ... on ComponentMediaFigure { caption credit { name } }
    }
    credits { name }
  }
}`;
export const GRAPHQL_BODY = JSON.stringify({ query: GRAPHQL_QUERY, variables: { slug: SLUG } });

/** The GraphQL request of (5), (12) and the other GraphQL rows. */
const GRAPHQL = { method: 'POST', path: '/graphql', headers: { 'content-type': 'application/json' }, body: GRAPHQL_BODY } as const;

/** The rows, in the order they are measured and reported: each bare row just above the row it is the limit of. */
export function rowsFor(articles: number, etag: string, generatedSlug: string | undefined): Row[] {
  const rows: Row[] = [
    { id: 1, label: 'bare Node `http`, same bytes and headers as (2)', server: 'bare', method: 'GET', path: ARTICLE_PATH, expectStatus: 200 },
    { id: 2, label: 'article by slug, warm (response cache, fast path)', server: 'cache-on', method: 'GET', path: ARTICLE_PATH, expectStatus: 200, bare: 1 },
    { id: 11, label: 'bare Node `http`, `If-None-Match` → 304 with the headers of (3)', server: 'bare', method: 'GET', path: ARTICLE_PATH, headers: { 'if-none-match': etag }, expectStatus: 304 },
    { id: 3, label: 'same, `If-None-Match` → 304', server: 'cache-on', method: 'GET', path: ARTICLE_PATH, headers: { 'if-none-match': etag }, expectStatus: 304, bare: 11 },
    { id: 12, label: 'bare Node `http`, the POST of (5) → same bytes and headers as (5)', server: 'bare', ...GRAPHQL, expectStatus: 200 },
    { id: 5, label: 'GraphQL query for the article (cache on)', server: 'cache-on', ...GRAPHQL, expectStatus: 200, bare: 12 },
    { id: 9, label: 'GraphQL query for the article, cache off', server: 'cache-off', ...GRAPHQL, expectStatus: 200, bare: 12 },
    { id: 10, label: 'stock GraphQL (resolvers, no read model): same query, cache off', server: 'stock', ...GRAPHQL, expectStatus: 200, bare: 12 },
    { id: 4, label: 'article by slug, response cache off', server: 'cache-off', method: 'GET', path: ARTICLE_PATH, expectStatus: 200, bare: 1 },
    { id: 6, label: 'stock Strapi: core controller, explicit populate, cache off', server: 'cache-off', method: 'GET', path: STOCK_PATH, expectStatus: 200, bare: 1 },
  ];
  if (articles > 1 && generatedSlug) {
    rows.push({
      id: 8,
      label: `a generated article by slug, cache off (${articles.toLocaleString('en-US')} articles)`,
      server: 'cache-off',
      method: 'GET',
      path: `/api/articles?filters[slug][$eq]=${generatedSlug}`,
      expectStatus: 200,
      bare: 1,
    });
  }
  const articlesText = `${articles.toLocaleString('en-US')} article${articles === 1 ? '' : 's'}`;
  rows.push(
    { id: 14, label: `search, a rare word, cache off (${articlesText})`, server: 'cache-off', method: 'GET', path: SEARCH_PATHS[14], expectStatus: 200 },
    { id: 15, label: `search, a word in every article, cache off (${articlesText})`, server: 'cache-off', method: 'GET', path: SEARCH_PATHS[15], expectStatus: 200 },
    { id: 16, label: `search, a two-word phrase, cache off (${articlesText})`, server: 'cache-off', method: 'GET', path: SEARCH_PATHS[16], expectStatus: 200 }
  );
  rows.push(
    { id: 7, label: `list of 20, cache off (${articlesText})`, server: 'cache-off', method: 'GET', path: LIST_PATH, expectStatus: 200 },
    { id: 13, label: `stock list of 20 (core controller, no read model), cache off (${articlesText})`, server: 'stock', method: 'GET', path: LIST_PATH, expectStatus: 200 }
  );
  return rows;
}

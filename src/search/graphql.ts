import type { Core } from '@strapi/strapi';
import { GraphQLError } from 'graphql';
import { issueText, runSearch, SearchParams } from './query';

/**
 * `search(query:, locale:, filters:, pagination:, sort:, prefix:)` in the public GraphQL schema:
 * the same hits as GET /api/search, under the same permission (the article list's `find`) and
 * the operation cost limit, cached and purged like every GraphQL query.
 */
const TYPE_DEFS = `
  type SearchSection { name: String! slug: String! }
  type SearchAuthor { name: String! slug: String! }
  type SearchThumbnail { url: String! width: Int height: Int alt: String }
  type SearchHit {
    documentId: ID!
    slug: String!
    locale: String!
    headline: String!
    standfirst: String
    firstPublishDate: DateTime
    section: SearchSection
    authors: [SearchAuthor!]!
    thumbnail: SearchThumbnail
    "Fragments of the matched text: each match in <mark>…</mark>, everything else HTML-escaped."
    highlights: [String!]!
  }
  type SearchFacet { slug: String! name: String! count: Int! }
  type SearchFacets { sections: [SearchFacet!]! tags: [SearchFacet!]! }
  type SearchPagination { page: Int! pageSize: Int! pageCount: Int! total: Int! }
  type SearchResult {
    hits: [SearchHit!]!
    pagination: SearchPagination!
    facets: SearchFacets!
    "More matched than are ranked and counted (the newest 500 are)."
    capped: Boolean!
  }
  input SearchFiltersInput { section: String tag: String author: String from: DateTime to: DateTime }
  enum SearchSort { relevance newest }
  extend type Query {
    "Published articles by what they say (websearch syntax: words, \\"phrases\\", OR, -excluded)."
    search(query: String!, locale: I18NLocaleCode, filters: SearchFiltersInput, pagination: PaginationArg, sort: SearchSort, prefix: Boolean): SearchResult!
  }
`;

interface SearchArgs {
  query: string;
  locale?: string | null;
  filters?: { section?: string | null; tag?: string | null; author?: string | null; from?: Date | string | null; to?: Date | string | null } | null;
  pagination?: { page?: number | null; pageSize?: number | null; limit?: number | null; start?: number | null } | null;
  sort?: 'relevance' | 'newest' | null;
  prefix?: boolean | null;
}

const defined = <T>(value: T | null | undefined): T | undefined => (value === null ? undefined : value);
const asDate = (value: Date | string | null | undefined): Date | undefined => (value === null || value === undefined ? undefined : new Date(value));

export function registerSearchGraphql(strapi: Core.Strapi): void {
  strapi.plugin('graphql').service('extension').use(() => ({
    typeDefs: TYPE_DEFS,
    resolvers: {
      Query: {
        async search(_parent: unknown, args: SearchArgs) {
          const size = defined(args.pagination?.pageSize) ?? defined(args.pagination?.limit);
          const parsed = SearchParams.safeParse({
            q: args.query,
            locale: defined(args.locale),
            prefix: defined(args.prefix),
            section: defined(args.filters?.section),
            tag: defined(args.filters?.tag),
            author: defined(args.filters?.author),
            from: asDate(args.filters?.from),
            // Exclusive in SearchParams: the instant just past the one given.
            to: ((to) => (to ? new Date(to.getTime() + 1) : undefined))(asDate(args.filters?.to)),
            sort: defined(args.sort),
            page: defined(args.pagination?.page) ?? (args.pagination?.start && size ? Math.floor(args.pagination.start / size) + 1 : undefined),
            pageSize: size,
          });
          if (!parsed.success) throw new GraphQLError(issueText(parsed.error), { extensions: { code: 'BAD_USER_INPUT', http: { status: 400 } } });
          const answer = await runSearch(strapi, parsed.data);
          return { hits: answer.data, pagination: answer.meta.pagination, facets: answer.meta.facets, capped: answer.meta.capped };
        },
      },
    },
    resolversConfig: { 'Query.search': { auth: { scope: ['api::article.article.find'] } } },
  }));
}

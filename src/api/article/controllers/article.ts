import { factories } from '@strapi/strapi';
import type { Context } from 'koa';
import { loadArticle } from '../../../articles/load';
import { FormatQuery } from '../../../articles/query-rules';
import { publicUrl, readEnv } from '../../../env';
import { toJsonLd } from '../../../representations/jsonld';
import { toNinjs } from '../../../representations/ninjs';
import { parseRestQuery, runSearch } from '../../../search/query';

export default factories.createCoreController('api::article.article', ({ strapi }) => {
  const base = publicUrl(readEnv());
  /** The published article in a standard format; query keys other than `locale` answer 400. */
  const format = (render: (article: NonNullable<Awaited<ReturnType<typeof loadArticle>>>) => unknown, type: string) =>
    async (ctx: Context) => {
      const query = FormatQuery.safeParse(ctx.query);
      if (!query.success) return ctx.badRequest(`Invalid query: ${query.error.issues[0].message}`);
      const article = await loadArticle(strapi, { documentId: String(ctx.params.id) }, query.data.locale, 'published');
      if (!article) return ctx.notFound('No published article with this id in this locale');
      ctx.body = render(article);
      ctx.type = type; // after the body: Koa types an object body as JSON

    };
  return {
    jsonld: format((article) => toJsonLd(article, base), 'application/ld+json; charset=utf-8'),
    ninjs: format((article) => toNinjs(article, base), 'application/json; charset=utf-8'),
    /** GET /api/search (src/search): published articles by what they say. */
    async search(ctx: Context) {
      const parsed = parseRestQuery(ctx.query as Record<string, unknown>);
      if ('error' in parsed) return ctx.badRequest(parsed.error);
      ctx.body = await runSearch(strapi, parsed.params);
    },
  };
});

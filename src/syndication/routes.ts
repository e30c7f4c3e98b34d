import type { Context } from 'koa';
import type { Core } from '@strapi/strapi';
import { z } from 'zod';
import { ARTICLE_POPULATE, ARTICLE_UID, SECTION_UID } from '../articles/constants';
import { redirectFor } from '../articles/slug-history';
import { LocaleCode } from '../bootstrap/locales';
import { publicUrl, readEnv } from '../env';
import { asContentApi, LIST_ACTION, ONE_ACTION } from '../public-view/public-access';
import { currentReadTags } from '../public-view/scope';
import { articlePageUrl, publishedCorrections, type ArticleView } from '../representations/article-view';
import { escapeHtml } from '../representations/html';
import { articleFeed, correctionsFeed } from './feeds';
import { NEWS_LIMIT, NEWS_WINDOW_MS, newsSitemap, SITEMAP_LIMIT, sitemapIndex, sitemapParts, urlset } from './sitemaps';

/**
 * Feeds, sitemaps, the corrections page and slug redirects: public routes like the reader page,
 * read through the Document Service in a public request (so drafts are never in them and their
 * cache tags come from what they read), cached and purged like every public answer.
 */
const FEED_SIZE = 50;
export const LocaleQuery = z.object({ locale: LocaleCode.default('en') }).strict();
export const NoQuery = z.object({}).strict();
/** The answer of GET /api/slug-redirects/{slug}: the article an old slug names, by its slug now. */
export const SlugRedirect = z.object({ data: z.object({ slug: z.string(), documentId: z.string() }).strict() }).strict();

const Slug = z.string().regex(/^[a-z0-9]+(?:-[a-z0-9]+)*$/).max(80);
const Part = z.coerce.number().int().min(1).max(10_000);

interface SitemapRow {
  slug: string;
  locale: string;
  updatedAt: string;
}

export function registerSyndicationRoutes(strapi: Core.Strapi): void {
  const env = readEnv();
  const base = publicUrl(env);
  const documents = strapi.documents(ARTICLE_UID);

  const newest = async (locale: string, limit: number, filters?: Record<string, unknown>) =>
    (await documents.findMany({
      locale,
      status: 'published',
      sort: ['firstPublishDate:desc', 'id:desc'],
      limit,
      populate: ARTICLE_POPULATE,
      ...(filters ? { filters } : {}),
    } as never)) as unknown as ArticleView[];

  const send = (ctx: Context, type: string, body: string) => {
    ctx.status = 200;
    ctx.type = type;
    ctx.body = body;
  };
  const bad = (ctx: Context, message: string) => {
    ctx.status = 400;
    ctx.type = 'text/plain; charset=utf-8';
    ctx.body = message;
  };
  const localeOf = (ctx: Context): string | undefined => {
    const query = LocaleQuery.safeParse(ctx.query);
    if (!query.success) bad(ctx, `Invalid query: ${query.error.issues[0].message}`);
    return query.success ? query.data.locale : undefined;
  };
  const channel = (title: string, path: string, locale: string) => ({
    title,
    description: `${title}: the newest stories`,
    self: `${base}${path}${locale === 'en' ? '' : `?locale=${locale}`}`,
    locale,
    publicUrl: base,
  });

  const feed = (format: 'rss' | 'atom') => async (ctx: Context) => {
    const locale = localeOf(ctx);
    if (!locale) return;
    const articles = await newest(locale, FEED_SIZE);
    const path = format === 'rss' ? '/rss.xml' : '/atom.xml';
    send(ctx, format === 'rss' ? 'application/rss+xml; charset=utf-8' : 'application/atom+xml; charset=utf-8', articleFeed(articles, channel(env.PUBLICATION_NAME, path, locale), format));
  };

  const allPublished = (offset: number, limit: number) =>
    strapi.db.query(ARTICLE_UID).findMany({
      where: { publishedAt: { $notNull: true } },
      select: ['slug', 'locale', 'updatedAt'],
      orderBy: [{ id: 'asc' }],
      offset,
      limit,
    }) as Promise<SitemapRow[]>;
  const entry = (row: SitemapRow) => ({ url: articlePageUrl({ slug: row.slug, locale: row.locale } as ArticleView, base), lastmod: new Date(row.updatedAt).toISOString() });

  // Shown only to whom /api/articles shows them (the Public role, or a token), as the content API decides.
  const articleList = { auth: false as const, middlewares: [asContentApi(strapi, LIST_ACTION)] };
  const oneArticle = { auth: false as const, middlewares: [asContentApi(strapi, ONE_ACTION)] };

  strapi.server.routes([
    { method: 'GET', path: '/rss.xml', handler: feed('rss'), config: articleList },
    { method: 'GET', path: '/atom.xml', handler: feed('atom'), config: articleList },
    {
      method: 'GET',
      path: '/sections/:slug/rss.xml',
      handler: async (ctx: Context) => {
        const locale = localeOf(ctx);
        if (!locale) return;
        const slug = Slug.safeParse(ctx.params.slug);
        const section = slug.success
          ? ((await strapi.documents(SECTION_UID).findFirst({ filters: { slug: { $eq: slug.data } }, locale, fields: ['name', 'slug'] } as never)) as { name: string; slug: string } | null)
          : null;
        if (!section) {
          ctx.status = 404;
          ctx.type = 'text/plain; charset=utf-8';
          ctx.body = 'No such section';
          return;
        }
        const articles = await newest(locale, FEED_SIZE, { section: { slug: { $eq: section.slug } } });
        send(ctx, 'application/rss+xml; charset=utf-8', articleFeed(articles, channel(`${env.PUBLICATION_NAME}: ${section.name}`, `/sections/${section.slug}/rss.xml`, locale), 'rss'));
      },
      config: articleList,
    },
    {
      method: 'GET',
      path: '/sitemap.xml',
      handler: async (ctx: Context) => {
        if (!NoQuery.safeParse(ctx.query).success) return bad(ctx, 'Invalid query: the sitemap takes none');
        const total = (await strapi.db.query(ARTICLE_UID).count({ where: { publishedAt: { $notNull: true } } })) as number;
        const parts = sitemapParts(total);
        if (parts === 0) return send(ctx, 'application/xml; charset=utf-8', await urlset((await allPublished(0, SITEMAP_LIMIT)).map(entry)));
        // Past the protocol's 50,000 URLs: an index of parts.
        send(ctx, 'application/xml; charset=utf-8', await sitemapIndex(Array.from({ length: parts }, (_, i) => ({ url: `${base}/sitemaps/${i + 1}.xml` }))));
      },
      config: articleList,
    },
    {
      method: 'GET',
      path: '/sitemaps/:part.xml',
      handler: async (ctx: Context) => {
        const part = Part.safeParse(ctx.params.part);
        if (!part.success || !NoQuery.safeParse(ctx.query).success) return bad(ctx, 'Invalid sitemap part');
        const rows = await allPublished((part.data - 1) * SITEMAP_LIMIT, SITEMAP_LIMIT);
        if (rows.length === 0) {
          ctx.status = 404;
          ctx.body = 'No such sitemap part';
          return;
        }
        send(ctx, 'application/xml; charset=utf-8', await urlset(rows.map(entry)));
      },
      config: articleList,
    },
    {
      method: 'GET',
      path: '/news-sitemap.xml',
      handler: async (ctx: Context) => {
        if (!NoQuery.safeParse(ctx.query).success) return bad(ctx, 'Invalid query: the news sitemap takes none');
        // Minute granularity: one answer (and one cached copy) per minute, not per request.
        const since = new Date(Math.floor((Date.now() - NEWS_WINDOW_MS) / 60_000) * 60_000);
        const rows = (await strapi.db.query(ARTICLE_UID).findMany({
          where: { publishedAt: { $notNull: true }, firstPublishDate: { $gte: since } },
          select: ['slug', 'locale', 'headline', 'firstPublishDate'],
          orderBy: [{ firstPublishDate: 'desc' }, { id: 'desc' }],
          limit: NEWS_LIMIT,
        })) as Array<{ slug: string; locale: string; headline: string; firstPublishDate: string }>;
        const entries = rows.map((row) => ({
          url: articlePageUrl({ slug: row.slug, locale: row.locale } as ArticleView, base),
          title: row.headline,
          language: row.locale,
          firstPublished: new Date(row.firstPublishDate).toISOString(),
        }));
        // The window moves: no copy of this answer outlives its oldest item's stay in it.
        const oldest = rows[rows.length - 1];
        if (oldest) currentReadTags()?.expireAt(new Date(oldest.firstPublishDate).getTime() + NEWS_WINDOW_MS);
        send(ctx, 'application/xml; charset=utf-8', await newsSitemap(entries, env.PUBLICATION_NAME));
      },
      config: articleList,
    },
    {
      method: 'GET',
      path: '/corrections.rss',
      handler: async (ctx: Context) => {
        const locale = localeOf(ctx);
        if (!locale) return;
        send(ctx, 'application/rss+xml; charset=utf-8', correctionsFeed(await corrected(locale), channel(`${env.PUBLICATION_NAME}: corrections`, '/corrections.rss', locale)));
      },
      config: articleList,
    },
    {
      method: 'GET',
      path: '/news/corrections',
      handler: async (ctx: Context) => {
        const locale = localeOf(ctx);
        if (!locale) return;
        const articles = await corrected(locale);
        const items = articles
          .map((article) => {
            const list = publishedCorrections(article)
              .map((c) => `<li><strong>${c.kind === 'clarification' ? 'Clarification' : 'Correction'}</strong> <time datetime="${escapeHtml(c.date)}">${escapeHtml(new Date(c.date).toUTCString())}</time>: ${escapeHtml(c.text)}</li>`)
              .join('');
            return `<article><h2><a href="${escapeHtml(articlePageUrl(article, base))}">${escapeHtml(article.headline)}</a></h2><ul>${list}</ul></article>`;
          })
          .join('\n');
        send(
          ctx,
          'text/html; charset=utf-8',
          `<!doctype html>\n<html lang="${escapeHtml(locale)}">\n<head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1"><title>Corrections</title><link rel="alternate" type="application/rss+xml" href="${escapeHtml(`${base}/corrections.rss`)}"></head>\n<body><main><h1>Corrections</h1>\n${items || '<p>No corrections.</p>'}\n</main></body>\n</html>\n`
        );
      },
      config: articleList,
    },
    {
      method: 'GET',
      path: '/api/slug-redirects/:slug',
      handler: async (ctx: Context) => {
        // An API route: its errors are JSON, as the content API's are.
        const query = LocaleQuery.safeParse(ctx.query);
        if (!query.success) {
          ctx.status = 400;
          ctx.body = { data: null, error: { status: 400, name: 'ValidationError', message: `Invalid query: ${query.error.issues[0].message}`, details: {} } };
          return;
        }
        const locale = query.data.locale;
        const slug = Slug.safeParse(ctx.params.slug);
        const target = slug.success ? await redirectFor(strapi, slug.data, locale) : null;
        if (!target) {
          ctx.status = 404;
          ctx.body = { data: null, error: { status: 404, name: 'NotFoundError', message: 'No redirect for this slug', details: {} } };
          return;
        }
        const answer: z.infer<typeof SlugRedirect> = { data: { slug: target.slug, documentId: target.documentId } };
        ctx.body = answer;
      },
      config: oneArticle,
    },
  ]);

  /**
   * Articles with corrections that are out, the most recently corrected first. A correction is
   * dated by the publish that put it out, so the recently corrected are among the recently updated.
   */
  async function corrected(locale: string): Promise<ArticleView[]> {
    const articles = (await documents.findMany({
      locale,
      status: 'published',
      filters: { corrections: { date: { $notNull: true } } },
      sort: ['updatedAt:desc', 'id:desc'],
      limit: 200,
      populate: ARTICLE_POPULATE,
    } as never)) as unknown as ArticleView[];
    const latest = (a: ArticleView) => publishedCorrections(a)[0]?.date ?? '';
    return articles.filter((a) => latest(a) !== '').sort((a, b) => latest(b).localeCompare(latest(a)));
  }
}

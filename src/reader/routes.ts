import type { Context } from 'koa';
import type { Core } from '@strapi/strapi';
import { asContentApi, ONE_ACTION } from '../public-view/public-access';
import { z } from 'zod';
import { loadArticle } from '../articles/load';
import { LocaleCode } from '../bootstrap/locales';
import { publicUrl, readEnv } from '../env';
import { redirectFor } from '../articles/slug-history';
import { escapeHtml, renderArticlePage } from '../representations/html';
import { verifyPreview } from './preview-links';

export const PageQuery = z.object({ locale: LocaleCode.default('en') }).strict();
const PreviewQuery = z.object({ token: z.string().max(1000) }).strict();
const Slug = z.string().regex(/^[a-z0-9]+(?:-[a-z0-9]+)*$/).max(80);
const DocumentId = z.string().regex(/^[a-z0-9]{1,64}$/);

function page(ctx: Context, status: number, html: string): void {
  ctx.status = status;
  ctx.type = 'text/html; charset=utf-8';
  ctx.body = html;
}

function notFoundPage(ctx: Context): void {
  page(ctx, 404, '<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Not found</title></head><body><main><h1>Story not found</h1></main></body></html>');
}

/**
 * Reader pages: `/news/<slug>` renders the published article; `/news/preview/<documentId>` with
 * a signed preview token for that document renders the draft (the admin's Preview button links
 * there; see preview-links.ts).
 */
export function registerReaderRoutes(strapi: Core.Strapi): void {
  const env = readEnv();
  const base = publicUrl(env);
  strapi.server.routes([
    {
      method: 'GET',
      path: '/news/preview/:documentId',
      handler: async (ctx: Context) => {
        const query = PreviewQuery.safeParse(ctx.query);
        const id = DocumentId.safeParse(ctx.params.documentId);
        ctx.set('Cache-Control', 'private, no-store');
        ctx.set('X-Robots-Tag', 'noindex');
        // The link is a credential: it must not leave in a Referer header.
        ctx.set('Referrer-Policy', 'no-referrer');
        if (!query.success || !id.success) return page(ctx, 400, `<!doctype html><p>${escapeHtml('Bad preview link')}</p>`);
        const checked = env.PREVIEW_SECRET ? verifyPreview(env.PREVIEW_SECRET, query.data.token) : ({ ok: false, reason: 'invalid' } as const);
        if (!checked.ok || checked.grant.d !== id.data) {
          const why = !checked.ok && checked.reason === 'expired' ? 'This preview link has expired: open the preview again from the admin.' : 'This preview link is not valid.';
          return page(ctx, 401, `<!doctype html><p>${escapeHtml(why)}</p>`);
        }
        const { l: locale, s: status } = checked.grant;
        if (!LocaleCode.safeParse(locale).success) return page(ctx, 400, `<!doctype html><p>${escapeHtml('Bad preview link')}</p>`);
        ctx.state.allowDrafts = true;
        const article = await loadArticle(strapi, { documentId: id.data }, locale, status);
        if (!article) return notFoundPage(ctx);
        page(ctx, 200, renderArticlePage(article, base, { preview: status === 'draft' }));
      },
      config: { auth: false },
    },
    {
      method: 'GET',
      path: '/news/:slug',
      handler: async (ctx: Context) => {
        const query = PageQuery.safeParse(ctx.query);
        if (!query.success) return page(ctx, 400, `<!doctype html><p>${escapeHtml(query.error.issues[0].message)}</p>`);
        const slug = Slug.safeParse(ctx.params.slug);
        if (!slug.success) return notFoundPage(ctx);
        const article = await loadArticle(strapi, { slug: slug.data }, query.data.locale, 'published');
        if (!article) {
          // An old slug (the headline was rewritten): 301 to where the story is now.
          const moved = await redirectFor(strapi, slug.data, query.data.locale);
          if (!moved) return notFoundPage(ctx);
          ctx.redirect(`/news/${encodeURIComponent(moved.slug)}${query.data.locale === 'en' ? '' : `?locale=${encodeURIComponent(query.data.locale)}`}`);
          ctx.status = 301;
          return;
        }
        page(ctx, 200, renderArticlePage(article, base, { preview: false }));
      },
      config: { auth: false, middlewares: [asContentApi(strapi, ONE_ACTION)] },
    },
  ]);
}

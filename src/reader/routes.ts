import { timingSafeEqual } from 'node:crypto';
import type { Context } from 'koa';
import type { Core } from '@strapi/strapi';
import { z } from 'zod';
import { loadArticle } from '../articles/load';
import { LocaleCode } from '../bootstrap/locales';
import { publicUrl, readEnv } from '../env';
import { escapeHtml, renderArticlePage } from '../representations/html';

const PageQuery = z.object({ locale: LocaleCode.default('en') }).strict();
const PreviewQuery = z
  .object({ locale: LocaleCode.default('en'), status: z.enum(['draft', 'published']).default('draft'), secret: z.string().max(200) })
  .strict();
const Slug = z.string().regex(/^[a-z0-9]+(?:-[a-z0-9]+)*$/).max(80);
const DocumentId = z.string().regex(/^[a-z0-9]{1,64}$/);

function sameSecret(given: string, expected: string | undefined): boolean {
  if (!expected) return false;
  const a = Buffer.from(given);
  const b = Buffer.from(expected);
  return a.length === b.length && timingSafeEqual(a, b);
}

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
 * the preview secret renders the draft (the admin's Preview button links there).
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
        if (!query.success || !id.success) return page(ctx, 400, `<!doctype html><p>${escapeHtml('Bad preview link')}</p>`);
        if (!sameSecret(query.data.secret, env.PREVIEW_SECRET)) return page(ctx, 401, '<!doctype html><p>Preview link expired or wrong</p>');
        ctx.state.allowDrafts = true;
        const article = await loadArticle(strapi, { documentId: id.data }, query.data.locale, query.data.status);
        if (!article) return notFoundPage(ctx);
        page(ctx, 200, renderArticlePage(article, base, { preview: query.data.status === 'draft' }));
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
        if (!article) return notFoundPage(ctx);
        page(ctx, 200, renderArticlePage(article, base, { preview: false }));
      },
      config: { auth: false },
    },
  ]);
}

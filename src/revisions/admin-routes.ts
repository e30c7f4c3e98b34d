import type { Context } from 'koa';
import type { Core } from '@strapi/strapi';
import { z } from 'zod';
import { articleAccess, type ArticleAction } from '../articles/access';
import { ARTICLE_UID, FIGURE_COMPONENT } from '../articles/constants';
import { diffLines, formatDiff } from './diff';
import { dataOf, SnapshotSchema, textLines, withCurrentPhotoFields } from './snapshot';
import { REVISION_UID } from './store';

interface AdminContext {
  params: Record<string, string>;
  query: Record<string, unknown>;
  request: { body?: unknown };
  state: { userAbility?: unknown };
  status: number;
  body: unknown;
}

interface RevisionRow {
  id: number;
  articleDocumentId: string;
  locale: string;
  kind: 'publish' | 'conflict';
  version: number | null;
  authorName: string | null;
  createdAt: string;
  snapshot: unknown;
}

const LocaleQuery = z.object({ locale: z.string().min(1).max(20).optional() }).strict();
const DiffQuery = z.object({ from: z.coerce.number().int().positive(), to: z.coerce.number().int().positive() }).strict();
const Id = z.coerce.number().int().positive();
/** A restore says which version of the draft it replaces, as a save does: a save in between is a 409. */
const RestoreBody = z.object({ version: z.number().int().nonnegative() }).strict();

/**
 * Admin-only endpoints for an article's revisions (admin JWT, and the content-manager permission
 * to read, or update, this very article: role conditions such as the Author's "only what I
 * created" apply): list, show, diff, restore (as a new draft; publishing stays the editor's act).
 */
export function registerRevisionRoutes(strapi: Core.Strapi): void {
  const route = (method: 'GET' | 'POST', path: string, action: ArticleAction, handler: (ctx: AdminContext) => Promise<void>) => ({
    method,
    path,
    handler: async (koaContext: Context) => {
      // Koa's context, with the admin auth state the policy guarantees and the route params.
      const ctx = koaContext as unknown as AdminContext;
      const access = await articleAccess(strapi, ctx.state.userAbility, action, ctx.params.documentId);
      if (access === 'missing') {
        ctx.status = 404;
        ctx.body = error(404, 'NotFoundError', 'No such article');
        return;
      }
      if (access === 'denied') {
        ctx.status = 403;
        ctx.body = error(403, 'ForbiddenError', action === 'read' ? 'You may not read this article' : 'You may not edit this article');
        return;
      }
      await handler(ctx);
    },
    config: { policies: ['admin::isAuthenticatedAdmin'] },
    info: { type: 'admin' },
  });

  /** The draft's figures as they are now: photo, photographer, copyright. */
  const currentFigures = async (documentId: string, locale: string) => {
    type Figure = { image?: { id: number } | null; photographer?: string | null; copyright?: string | null; __component?: string };
    const draft = (await strapi.db.query(ARTICLE_UID).findOne({
      where: { documentId, locale, publishedAt: null },
      select: ['id'],
      populate: { lead: { populate: { image: { select: ['id'] } } }, body: { on: { [FIGURE_COMPONENT]: { populate: { image: { select: ['id'] } } } } } },
    })) as { lead?: Figure | null; body?: Figure[] | null } | null;
    const fields = (f: Figure) => ({ imageId: f.image?.id ?? null, photographer: f.photographer ?? null, copyright: f.copyright ?? null });
    return {
      lead: draft?.lead ? fields(draft.lead) : null,
      body: (draft?.body ?? []).filter((b) => b.__component === FIGURE_COMPONENT).map(fields),
    };
  };
  const find = (id: number) => strapi.db.query(REVISION_UID).findOne({ where: { id } }) as Promise<RevisionRow | null>;
  const notFound = (ctx: AdminContext) => {
    ctx.status = 404;
    ctx.body = error(404, 'NotFoundError', 'No such revision of this article');
  };
  const badRequest = (ctx: AdminContext, message: string) => {
    ctx.status = 400;
    ctx.body = error(400, 'ValidationError', message);
  };

  strapi.server.routes({
    type: 'admin',
    prefix: '',
    routes: [
      route('GET', '/news-admin/articles/:documentId/revisions', 'read', async (ctx) => {
        const query = LocaleQuery.safeParse(ctx.query);
        if (!query.success) return badRequest(ctx, query.error.issues[0].message);
        const rows = (await strapi.db.query(REVISION_UID).findMany({
          where: { articleDocumentId: ctx.params.documentId, ...(query.data.locale ? { locale: query.data.locale } : {}) },
          orderBy: [{ createdAt: 'desc' }, { id: 'desc' }],
          limit: 200,
        })) as RevisionRow[];
        ctx.body = {
          data: rows.map((row) => ({
            id: row.id,
            kind: row.kind,
            locale: row.locale,
            version: row.version,
            author: row.authorName,
            createdAt: row.createdAt,
            headline: SnapshotSchema.safeParse(row.snapshot).data?.headline ?? null,
          })),
        };
      }),
      route('GET', '/news-admin/articles/:documentId/revisions/diff', 'read', async (ctx) => {
        const query = DiffQuery.safeParse(ctx.query);
        if (!query.success) return badRequest(ctx, 'from and to must be revision ids');
        const [from, to] = await Promise.all([find(query.data.from), find(query.data.to)]);
        if (!from || !to || from.articleDocumentId !== ctx.params.documentId || to.articleDocumentId !== ctx.params.documentId) {
          return notFound(ctx);
        }
        const lines = diffLines(textLines(SnapshotSchema.parse(from.snapshot)), textLines(SnapshotSchema.parse(to.snapshot)));
        ctx.body = { data: { from: from.id, to: to.id, lines, text: formatDiff(lines) } };
      }),
      route('GET', '/news-admin/articles/:documentId/revisions/:id', 'read', async (ctx) => {
        const id = Id.safeParse(ctx.params.id);
        const row = id.success ? await find(id.data) : null;
        if (!row || row.articleDocumentId !== ctx.params.documentId) return notFound(ctx);
        ctx.body = { data: { ...row, text: textLines(SnapshotSchema.parse(row.snapshot)).join('\n') } };
      }),
      route('POST', '/news-admin/articles/:documentId/revisions/:id/restore', 'update', async (ctx) => {
        const id = Id.safeParse(ctx.params.id);
        const row = id.success ? await find(id.data) : null;
        if (!row || row.articleDocumentId !== ctx.params.documentId) return notFound(ctx);
        const body = RestoreBody.safeParse(ctx.request.body ?? {});
        if (!body.success) return badRequest(ctx, 'version (the draft version being replaced, a whole number) is required');
        const snapshot = withCurrentPhotoFields(SnapshotSchema.parse(row.snapshot), await currentFigures(row.articleDocumentId, row.locale));
        const restored = await strapi.documents(ARTICLE_UID).update({
          documentId: row.articleDocumentId,
          locale: row.locale,
          data: { ...dataOf(snapshot), version: body.data.version },
        } as never);
        if (!restored) return notFound(ctx);
        ctx.body = { data: { documentId: row.articleDocumentId, locale: row.locale, restoredFrom: row.id, status: 'draft' } };
      }),
    ],
  });
}

function error(status: number, name: string, message: string) {
  return { data: null, error: { status, name, message, details: {} } };
}

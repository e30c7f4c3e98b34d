import type { Context } from 'koa';
import type { Core } from '@strapi/strapi';
import { z } from 'zod';
import { articleAccess, type ArticleAction } from '../articles/access';
import { readEnv } from '../env';
import { claimLease, displayName, heartbeat, leave, presenceState, type Editor, type Place, type Ttl } from './store';

interface AdminContext {
  params: Record<string, string>;
  query: Record<string, unknown>;
  request: { body?: unknown };
  state: { userAbility?: unknown; user?: { id: number; username?: string | null; firstname?: string | null; lastname?: string | null; email?: string | null } };
  status: number;
  body: unknown;
}

const Session = z.string().regex(/^[A-Za-z0-9_-]{8,64}$/, 'session must be 8 to 64 letters, digits, - or _');
const Locale = z.string().min(1).max(32);
const BeatBody = z.object({ locale: Locale, session: Session }).strict();
const ClaimBody = z.object({ locale: Locale, session: Session, takeover: z.boolean().default(false) }).strict();
const LeaveQuery = z.object({ session: Session, token: z.string().regex(/^[0-9a-f]{32}$/) }).strict();

function error(status: number, name: string, message: string, details: unknown = {}) {
  return { data: null, error: { status, name, message, details } };
}

/**
 * The edit view's presence and lease, for admins (JWT and the content manager's permission on
 * this very article, role conditions included):
 * - POST …/presence: the tab's heartbeat; answers who else is here and who holds the lease;
 * - POST …/lease: claim the lease (first keystroke), or take it over (`takeover: true`), which
 *   needs the right to update this article: Editors and super-admins any, Authors their own;
 * - POST /news-admin/presence/leave: the tab's goodbye, sent as a beacon when it closes, with the
 *   token its heartbeat got (a beacon carries no credentials).
 */
export function registerPresenceRoutes(strapi: Core.Strapi): void {
  const env = readEnv();
  const ttl: Ttl = { lease: env.EDIT_LEASE_TTL, presence: env.EDIT_PRESENCE_TTL };
  const db = () => strapi.db.connection;

  const route = (path: string, action: ArticleAction, schema: typeof BeatBody | typeof ClaimBody, handler: (ctx: AdminContext, place: Place, me: Editor, body: z.infer<typeof ClaimBody>) => Promise<void>) => ({
    method: 'POST' as const,
    path,
    handler: async (koaContext: Context) => {
      const ctx = koaContext as unknown as AdminContext;
      const parsed = schema.safeParse(ctx.request.body ?? {});
      if (!parsed.success) {
        ctx.status = 400;
        ctx.body = error(400, 'ValidationError', parsed.error.issues[0].message);
        return;
      }
      const body = { takeover: false, ...parsed.data };
      const user = ctx.state.user;
      if (!user) {
        ctx.status = 401;
        ctx.body = error(401, 'UnauthorizedError', 'Missing or invalid credentials');
        return;
      }
      const access = await articleAccess(strapi, ctx.state.userAbility, action, ctx.params.documentId, body.locale);
      if (access !== 'allowed') {
        ctx.status = access === 'missing' ? 404 : 403;
        ctx.body =
          access === 'missing'
            ? error(404, 'NotFoundError', 'No such article in this locale')
            : error(403, 'ForbiddenError', body.takeover ? 'You may not take over this article' : action === 'read' ? 'You may not read this article' : 'You may not edit this article');
        return;
      }
      await handler(ctx, { documentId: ctx.params.documentId, locale: body.locale }, { id: user.id, name: displayName(user) }, body);
    },
    config: { policies: ['admin::isAuthenticatedAdmin'] },
    info: { type: 'admin' },
  });

  strapi.server.routes({
    type: 'admin',
    prefix: '',
    routes: [
      route('/news-admin/articles/:documentId/presence', 'read', BeatBody, async (ctx, place, me, body) => {
        // Whether this user may edit (and so claim, or take over) this very article.
        const mayEdit = (await articleAccess(strapi, ctx.state.userAbility, 'update', place.documentId, place.locale)) === 'allowed';
        const leaveToken = await heartbeat(db(), place, me, body.session, ttl, mayEdit);
        const [state, draft] = await Promise.all([
          presenceState(db(), place, me, body.session, ttl),
          db()('articles').select('version').where({ document_id: place.documentId, locale: place.locale }).whereNull('published_at').first() as Promise<{ version: number | null } | undefined>,
        ]);
        // The draft's version: a read-only page whose form is older reloads when it takes over.
        ctx.body = { data: { ...state, leaveToken, ttl, mayEdit, version: draft?.version ?? 0 } };
      }),
      route('/news-admin/articles/:documentId/lease', 'update', ClaimBody, async (ctx, place, me, body) => {
        const result = await claimLease(db(), place, me, body.session, ttl, body.takeover);
        if (!result.ok) {
          ctx.status = 409;
          ctx.body = error(409, 'ConflictError', `${result.holder.name} is editing this article (since ${result.holder.since}): take over, or keep reading.`, { lease: result.holder });
          return;
        }
        ctx.body = { data: await presenceState(db(), place, me, body.session, ttl) };
      }),
      {
        // The edit view's clock, as a worker script from this origin (the admin's CSP allows no
        // blob: workers): a hidden tab's own timers are slowed to one a minute after 5 minutes,
        // a worker's are not, so an editor with the article in a background tab stays present.
        method: 'GET',
        path: '/news-admin/presence/clock.js',
        handler: async (koaContext: Context) => {
          koaContext.type = 'application/javascript';
          koaContext.set('cache-control', 'public, max-age=3600');
          koaContext.body = `'use strict';\nlet timer;\nonmessage = (event) => {\n  clearInterval(timer);\n  timer = setInterval(() => postMessage('beat'), Number(event.data) || ${3000});\n};\n`;
        },
        config: { auth: false },
        info: { type: 'admin' },
      },
      {
        method: 'POST',
        path: '/news-admin/presence/leave',
        handler: async (koaContext: Context) => {
          const ctx = koaContext as unknown as AdminContext;
          const query = LeaveQuery.safeParse(ctx.query);
          if (!query.success) {
            ctx.status = 400;
            ctx.body = error(400, 'ValidationError', 'session and token are required');
            return;
          }
          await leave(db(), null, query.data.session, query.data.token);
          ctx.status = 204;
        },
        config: { auth: false },
        info: { type: 'admin' },
      },
    ],
  });
}

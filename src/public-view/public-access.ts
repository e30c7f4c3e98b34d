import type { Core } from '@strapi/strapi';
import { errors } from '@strapi/utils';
import type { Context, Next } from 'koa';

/** The content-API actions a public page stands for: a list of articles, or one article. */
export const LIST_ACTION = 'api::article.article.find';
export const ONE_ACTION = 'api::article.article.findOne';

type RouteState = { info?: Record<string, unknown>; config?: Record<string, unknown> } & Record<string, unknown>;
interface AuthService {
  authenticate(ctx: Context, next: Next): Promise<unknown>;
  verify(auth: unknown, config: { scope: string[] }): Promise<void>;
}

/**
 * A route middleware for the public pages outside /api (reader pages, feeds, sitemaps, slug
 * redirects): the request is authenticated and authorized exactly as the content API would
 * authenticate and authorize `action` (the Public role for anonymous readers, or an API token or
 * a user's JWT), so they show what `/api/articles` shows and are refused when it is (401/403).
 * A permission change purges every cached public answer (tag `permissions`, edge included).
 */
export function asContentApi(strapi: Core.Strapi, action: string) {
  return async (ctx: Context, next: Next): Promise<void> => {
    const auth = strapi.get('auth') as AuthService;
    const route = ctx.state.route as RouteState;
    ctx.state.route = { ...route, info: { ...route.info, type: 'content-api' }, config: { ...route.config, auth: { scope: [action] } } };
    let allowed = false;
    try {
      await auth.authenticate(ctx, async () => {
        try {
          await auth.verify(ctx.state.auth, { scope: [action] });
          allowed = true;
        } catch (error) {
          if (error instanceof errors.UnauthorizedError) return void ctx.unauthorized();
          if (error instanceof errors.ForbiddenError) return void ctx.forbidden();
          throw error;
        }
      });
    } finally {
      ctx.state.route = route;
    }
    if (allowed) await next();
  };
}

import type { Core, Modules } from '@strapi/strapi';

type Middleware = Modules.Documents.Middleware.Middleware;

const READ_ACTIONS = new Set(['findMany', 'findFirst', 'findOne', 'count']);

interface RequestState {
  auth?: { strategy?: { name?: string }; credentials?: { type?: string } };
  /** Set by a route that has checked a preview secret itself. */
  allowDrafts?: boolean;
}

/**
 * Who may read drafts: admin users (admin panel), full-access API tokens, and routes that checked
 * a preview secret. Strapi lets any role with `find` ask for `status=draft`; for everyone else
 * inside an HTTP request (REST and GraphQL alike) the Document Service reads published versions.
 * Code outside a request (importer, scripts) is not affected.
 */
export function canReadDrafts(state: RequestState | undefined): boolean {
  if (!state) return false;
  if (state.allowDrafts === true) return true;
  const strategy = state.auth?.strategy?.name;
  if (strategy === 'admin') return true;
  return strategy === 'api-token' && state.auth?.credentials?.type === 'full-access';
}

export function draftGuard(strapi: Core.Strapi): Middleware {
  return async (ctx, next) => {
    if (!READ_ACTIONS.has(ctx.action) || !ctx.contentType.options?.draftAndPublish) return next();
    const request = strapi.requestContext.get();
    if (!request) return next();
    if (!canReadDrafts(request.state as RequestState)) {
      const params = ctx.params as { status?: string; hasPublishedVersion?: unknown };
      params.status = 'published';
      delete params.hasPublishedVersion;
    }
    return next();
  };
}

import type { Core, Modules } from '@strapi/strapi';
import { errors } from '@strapi/utils';
import { asWriter, canReadDrafts, type RequestState } from '../public-view/scope';

type Middleware = Modules.Documents.Middleware.Middleware;

const READ_ACTIONS = new Set(['findMany', 'findFirst', 'findOne', 'count']);
const WRITE_ACTIONS = new Set(['create', 'update', 'delete', 'publish', 'unpublish', 'discardDraft', 'clone']);

/** Query parameters that ask for drafts or for a document's publication history. */
export const DRAFT_PARAMS = ['status', 'hasPublishedVersion', 'publicationFilter'] as const;

/** Whether a client's query asks for more than published documents. */
export function asksForDrafts(query: Record<string, unknown> | undefined): boolean {
  if (!query) return false;
  if (query.status !== undefined && query.status !== 'published') return true;
  return query.hasPublishedVersion !== undefined || query.publicationFilter !== undefined;
}

/**
 * The Document Service's part of the draft rule (the query guard below it is the rule itself):
 * a public caller who asks for drafts (`status=draft`, `hasPublishedVersion`, `publicationFilter`)
 * is answered 400, as GraphQL answers the same arguments; any other read in a public request is
 * made for published documents. Writes run as the writer (see asWriter).
 */
export function draftGuard(strapi: Core.Strapi): Middleware {
  return async (ctx, next) => {
    if (WRITE_ACTIONS.has(ctx.action)) return asWriter(next);
    if (!READ_ACTIONS.has(ctx.action) || !ctx.contentType.options?.draftAndPublish) return next();
    const request = strapi.requestContext.get() as { state?: RequestState; query?: Record<string, unknown> } | undefined;
    if (!request || canReadDrafts(request.state)) return next();
    if (asksForDrafts(request.query)) {
      throw new errors.ValidationError('Drafts are not public: status=draft, hasPublishedVersion and publicationFilter need an API token that may read drafts');
    }
    const params = ctx.params as { status?: string; hasPublishedVersion?: unknown; publicationFilter?: unknown };
    params.status = 'published';
    delete params.hasPublishedVersion;
    delete params.publicationFilter;
    return next();
  };
}

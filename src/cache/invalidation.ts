import type { Core, Modules } from '@strapi/strapi';
import { ARTICLE_UID, CREDIT_UID } from '../articles/constants';
import { responseCache } from './index';
import { documentTag, TAG_ARTICLE_LISTS, TAG_CREDIT_LISTS } from './tags';

type Middleware = Modules.Documents.Middleware.Middleware;

const WRITES = new Set(['create', 'update', 'delete', 'publish', 'unpublish', 'discardDraft']);

export type InvalidationListener = (tags: string[]) => void;
const listeners = new Set<InvalidationListener>();

/** Other processes' caches (see the cluster bus) hear of every local invalidation here. */
export function onLocalInvalidation(listener: InvalidationListener): () => void {
  listeners.add(listener);
  return () => listeners.delete(listener);
}

const anyListeners = new Set<() => void>();

/** Everything derived from articles or credits (list totals) hears of every purge, local or peer. */
export function onAnyInvalidation(listener: () => void): void {
  anyListeners.add(listener);
}

/** Who may read what changed: every cached answer goes. */
export const TAG_PERMISSIONS = 'permissions';

export function invalidate(tags: string[], fromPeer = false): void {
  if (tags.includes(TAG_PERMISSIONS)) responseCache.clear();
  else responseCache.invalidate(tags);
  for (const listener of anyListeners) listener();
  if (!fromPeer) for (const listener of listeners) listener(tags);
}

/**
 * Purges, once the write has committed, every cached response that shows the changed document
 * (an article, or a credit shown inside articles), and the lists that might now include it.
 */
export function cacheInvalidation(strapi: Core.Strapi): Middleware {
  return async (ctx, next) => {
    if (!WRITES.has(ctx.action) || (ctx.uid !== ARTICLE_UID && ctx.uid !== CREDIT_UID)) return next();
    const result = await next();
    const params = ctx.params as { documentId?: string };
    const documentId = params.documentId ?? (result as { documentId?: string } | null)?.documentId;
    const tags = [ctx.uid === ARTICLE_UID ? TAG_ARTICLE_LISTS : TAG_CREDIT_LISTS];
    if (documentId) tags.push(documentTag(documentId));
    if (strapi.db.inTransaction()) {
      // Inside a caller's transaction (the importer): purge when it commits, not before, or a
      // read in between would cache the old text again.
      await strapi.db.transaction(async ({ onCommit }) => onCommit(() => invalidate(tags)));
    } else {
      invalidate(tags);
    }
    return result;
  };
}

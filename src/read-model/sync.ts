import type { Core } from '@strapi/strapi';
import type { Knex } from 'knex';
import { ARTICLE_UID } from '../articles/constants';
import type { ChangeSet } from '../public-view/changes';
import { documentTag } from '../public-view/models';
import { backfillDraftSearch } from '../search/drafts';
import { backfill, dropRows, lockDocuments, refreshArticle, rowsShowing } from './projection';

/**
 * How many read-model rows one write rewrites in its own transaction. A change shown by more
 * (renaming the "AP" credit of 10,000 photos) drops the rest in that transaction and rebuilds
 * them after the commit: until then those reads take the Document Service path, never old text.
 */
export const SYNC_LIMIT = 200;

interface Target {
  documentId: string;
  locale?: string;
}

/**
 * Rewrites, inside the write's transaction, every read-model row the change affects: each
 * changed article (all its locales: a publish, an unpublish, a delete), and each row built from a
 * changed document (a credit renamed, an image file edited). Returns whether rows were dropped
 * and must be rebuilt after the commit.
 */
export async function rewriteReadModel(strapi: Core.Strapi, changes: ChangeSet, trx: Knex.Transaction): Promise<boolean> {
  if (changes.permissions) {
    // What the public may read changed: every row is rebuilt under the new permissions.
    await dropRows(strapi, 'all', trx);
    return true;
  }
  const articles = changes.ids(ARTICLE_UID);
  const shown = [...changes.documents].filter(([uid]) => uid !== ARTICLE_UID).flatMap(([, ids]) => [...ids].map(documentTag));
  const changedArticles = new Set(articles);
  const showing = (await rowsShowing(strapi, shown, trx)).filter((row) => !changedArticles.has(row.documentId));

  const targets: Target[] = [...articles.map((documentId) => ({ documentId })), ...showing];
  let rebuildLater = false;
  if (targets.length > SYNC_LIMIT) {
    const later = targets.splice(Math.max(SYNC_LIMIT, articles.length)) as Array<Required<Target>>;
    await dropRows(strapi, later, trx);
    rebuildLater = later.length > 0;
  }
  await lockDocuments(strapi, targets.map((t) => t.documentId), trx);
  for (const target of targets) await refreshArticle(strapi, target.documentId, target.locale, trx);
  return rebuildLater;
}

let rebuilding: Promise<void> | null = null;
let again = false;
let purgeRebuilt: (() => Promise<void>) | undefined;

/**
 * What to purge once rows were rebuilt: answers made meanwhile (search reads stale rows, and
 * rows not yet there) must not outlive the rebuild. Set by the public view (src/public-view).
 */
export function onRowsRebuilt(purge: () => Promise<void>): void {
  purgeRebuilt = purge;
}

/** Rebuilds missing rows in the background, one run at a time (a run asked for meanwhile follows). */
export function rebuildMissingRows(strapi: Core.Strapi): void {
  if (rebuilding) {
    again = true;
    return;
  }
  rebuilding = (async () => {
    do {
      again = false;
      const built = await backfill(strapi);
      if (built > 0) {
        strapi.log.info(`read model: rebuilt ${built} row(s)`);
        await purgeRebuilt?.();
      }
      const drafts = await backfillDraftSearch(strapi);
      if (drafts > 0) strapi.log.info(`search: indexed ${drafts} draft(s)`);
    } while (again);
  })()
    .catch((error: Error) => {
      strapi.log.warn(`read model rebuild: ${error.message}`);
    })
    .finally(() => {
      rebuilding = null;
    });
}

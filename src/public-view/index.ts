import type { Core } from '@strapi/strapi';
import { invalidate, TAG_PERMISSIONS } from '../cache/invalidation';
import { onRowsRebuilt, rebuildMissingRows, rewriteReadModel } from '../read-model/sync';
import { ARTICLE_UID } from '../articles/constants';
import type { PurgeOutbox } from '../edge/outbox';
import { installChangeCapture, withoutWrittenRows, type ChangeSet } from './changes';
import { PublicModels } from './models';
import { installQueryGuard } from './query-guard';

/**
 * The two public promises, kept where every path crosses (see DESIGN.md): drafts are hidden in
 * every query a public request makes; cache tags come from the rows a response read; the read
 * model and the caches follow every committed write, whatever made it: this process's and its
 * peers' (the invalidation bus), and the edge's (the purge outbox, written in the write's own
 * transaction).
 */
export function installPublicView(strapi: Core.Strapi, edge: PurgeOutbox | null): PublicModels {
  const models = new PublicModels(strapi);
  installQueryGuard(strapi, models);
  const rebuildAfterCommit = new WeakSet<ChangeSet>();
  // `permissions` is every answer's: each carries it (src/edge/keys.ts), and it empties the caches.
  const purgedTags = (changes: ChangeSet) => (changes.permissions ? [TAG_PERMISSIONS] : changes.tags(models));
  // Rows rebuilt in the background: every list and search answer made meanwhile goes (here, on
  // the peers, at the edge).
  onRowsRebuilt(async () => {
    const tags = [models.byUid.get(ARTICLE_UID)?.listTag ?? 'list:article'];
    if (edge) await strapi.db.transaction(({ trx }) => edge.enqueue(trx, tags, false));
    invalidate(tags);
    edge?.wake();
  });
  installChangeCapture(strapi, models, {
    async inTransaction(changes, trx) {
      if (await rewriteReadModel(strapi, withoutWrittenRows(changes, ARTICLE_UID), trx)) rebuildAfterCommit.add(changes);
      await edge?.enqueue(trx, purgedTags(changes), changes.takesDown);
    },
    afterCommit(changes) {
      invalidate(purgedTags(changes));
      edge?.wake();
      if (rebuildAfterCommit.has(changes)) rebuildMissingRows(strapi);
    },
  });
  return models;
}

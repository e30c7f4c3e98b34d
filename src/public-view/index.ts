import type { Core } from '@strapi/strapi';
import { invalidate, TAG_PERMISSIONS } from '../cache/invalidation';
import { rebuildMissingRows, rewriteReadModel } from '../read-model/sync';
import { ARTICLE_UID } from '../articles/constants';
import { installChangeCapture, withoutWrittenRows, type ChangeSet } from './changes';
import { PublicModels } from './models';
import { installQueryGuard } from './query-guard';

/**
 * The two public promises, kept where every path crosses (see DESIGN.md): drafts are hidden in
 * every query a public request makes; cache tags come from the rows a response read; the read
 * model and the cache follow every committed write, whatever made it.
 */
export function installPublicView(strapi: Core.Strapi): PublicModels {
  const models = new PublicModels(strapi);
  installQueryGuard(strapi, models);
  const rebuildAfterCommit = new WeakSet<ChangeSet>();
  installChangeCapture(strapi, models, {
    async inTransaction(changes, trx) {
      if (await rewriteReadModel(strapi, withoutWrittenRows(changes, ARTICLE_UID), trx)) rebuildAfterCommit.add(changes);
    },
    afterCommit(changes) {
      invalidate(changes.permissions ? [TAG_PERMISSIONS] : changes.tags(models));
      if (rebuildAfterCommit.has(changes)) rebuildMissingRows(strapi);
    },
  });
  return models;
}

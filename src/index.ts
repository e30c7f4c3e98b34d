import type { Core } from '@strapi/strapi';
import { articleDocumentRules } from './articles/document-rules';
import { draftGuard } from './articles/draft-guard';
import { ensureArticleLayout } from './bootstrap/admin-layout';
import { ensureEditor, ensureSuperAdmin } from './bootstrap/admin-user';
import { ensureIndexes } from './bootstrap/indexes';
import { ensureLocales } from './bootstrap/locales';
import { ensurePublicPermissions } from './bootstrap/permissions';
import { ensureArticleWebhook } from './bootstrap/webhooks';
import { purgeEdgeIfRestored } from './backup/after-restore';
import { startClusterBus, stopClusterBus } from './cache/cluster-bus';
import { installFastPath } from './cache/install';
import { countMemo } from './cache/count-memo';
import { rememberPublicPermissions } from './cache/public-permissions';
import { closeEdgeOutbox, openEdgeOutbox, startEdgeDelivery } from './edge';
import { databaseClientConfig, readEnv } from './env';
import { registerReaderRoutes } from './reader/routes';
import { registerOpenApiRoutes } from './openapi/routes';
import { registerSyndicationRoutes } from './syndication/routes';
import { installPublicView } from './public-view';
import { installScheduling, runningAsServer } from './scheduling';
import { startSchedulerWorkers, stopScheduler } from './scheduling/queue';
import { checkReadModelFingerprint } from './read-model/fingerprint';
import { rebuildMissingRows } from './read-model/sync';
import { registerPresenceRoutes } from './presence/routes';
import { registerRevisionRoutes } from './revisions/admin-routes';
import { draftIndexer } from './search/drafts';
import { editorSearch } from './search/editor';
import { registerSearchGraphql } from './search/graphql';
import { acquireBootLock, releaseBootLock } from './runtime/boot-lock';
import { registerReadiness } from './runtime/health';
import { installRequestTracker } from './runtime/lifecycle';

export default {
  async register({ strapi }: { strapi: Core.Strapi }) {
    // Held from here to the end of bootstrap: several instances booting at once sync the schema
    // and run the check-then-create steps one after the other.
    const connection = databaseClientConfig(readEnv());
    if (connection) {
      await acquireBootLock(
        connection,
        (line) => strapi.log.info(line)
      );
    }

    // Outermost first: the guard sets who is reading (or writing) before the article rules run.
    strapi.documents.use(draftGuard(strapi));
    strapi.documents.use(countMemo(strapi)); // inside the guard: keyed on the status it settled
    strapi.documents.use(articleDocumentRules(strapi));
    strapi.documents.use(editorSearch(strapi)); // the Article list's search box, for admins
    strapi.documents.use(draftIndexer(strapi)); // and its index of drafts
    registerRevisionRoutes(strapi);
    registerPresenceRoutes(strapi);
    registerSyndicationRoutes(strapi); // first: /news/corrections before the reader's /news/:slug
    registerReaderRoutes(strapi);
    registerOpenApiRoutes(strapi); // GET /api/openapi.json and /api/docs
    registerReadiness(strapi);
    // Revisions are for editors in the admin only: not in the public GraphQL schema.
    strapi.plugin('graphql').service('extension').shadowCRUD('api::article-revision.article-revision').disable();
    registerSearchGraphql(strapi);
  },

  async bootstrap({ strapi }: { strapi: Core.Strapi }) {
    const env = readEnv();
    try {
      await ensureIndexes(strapi);
      await ensureLocales(strapi);
      await ensurePublicPermissions(strapi);
      // After the migrations and the permissions: rows built under other ones are dropped.
      await checkReadModelFingerprint(strapi);
      await ensureSuperAdmin(strapi, env.ADMIN_EMAIL, env.ADMIN_PASSWORD);
      await ensureEditor(strapi, env.EDITOR_EMAIL, env.EDITOR_PASSWORD);
      await ensureArticleLayout(strapi);
      await ensureArticleWebhook(strapi, env.WEBHOOK_URL);
      // Its queues are made (and pg-boss's schema migrated) under the boot lock too; its workers
      // start last (below).
      await installScheduling(strapi);
    } finally {
      await releaseBootLock();
    }
    // After the boot's own writes (permissions, accounts): from here every write is captured,
    // its purges written to the edge's outbox in its own transaction.
    const edge = openEdgeOutbox(strapi, env);
    installPublicView(strapi, edge);
    installFastPath(strapi);
    rememberPublicPermissions(strapi); // after ensurePublicPermissions: starts from the settled role
    installRequestTracker(strapi.server.httpServer);
    await startClusterBus(env.REDIS_URL, databaseClientConfig(env), (line) => strapi.log.info(line));
    await purgeEdgeIfRestored(strapi, edge); // the first boot after a restore: nothing from before it
    if (runningAsServer()) startEdgeDelivery();
    // Only now can a job write (an overdue publish, at once): change capture, the bus and the
    // outbox are ready for it.
    await startSchedulerWorkers();
    // Rows missing (from before the read model, or dropped and not yet rebuilt): built without
    // holding up the boot.
    rebuildMissingRows(strapi);
  },

  async destroy() {
    await stopScheduler();
    // A command that wrote (the importer) delivers its purges before it exits; what a deadline
    // leaves is delivered by the servers.
    await closeEdgeOutbox();
    await stopClusterBus();
    await releaseBootLock();
  },
};

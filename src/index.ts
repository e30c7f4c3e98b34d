import type { Core } from '@strapi/strapi';
import { readEnv } from './env';
import { installFastPath } from './cache/install';
import { cacheInvalidation } from './cache/invalidation';
import { articleDocumentRules } from './articles/document-rules';
import { draftGuard } from './articles/draft-guard';
import { ensureEditor, ensureSuperAdmin } from './bootstrap/admin-user';
import { ensureArticleLayout } from './bootstrap/admin-layout';
import { ensureArticleWebhook } from './bootstrap/webhooks';
import { registerRevisionRoutes } from './revisions/admin-routes';
import { registerReaderRoutes } from './reader/routes';
import { ensureIndexes } from './bootstrap/indexes';
import { ensureLocales } from './bootstrap/locales';
import { ensurePublicPermissions } from './bootstrap/permissions';

export default {
  register({ strapi }: { strapi: Core.Strapi }) {
    // Outermost first: the purge runs after the article rules have finished their writes.
    strapi.documents.use(cacheInvalidation(strapi));
    strapi.documents.use(draftGuard(strapi));
    strapi.documents.use(articleDocumentRules(strapi));
    registerRevisionRoutes(strapi);
    registerReaderRoutes(strapi);
    // Revisions are for editors in the admin only: not in the public GraphQL schema.
    strapi.plugin('graphql').service('extension').shadowCRUD('api::article-revision.article-revision').disable();
  },

  async bootstrap({ strapi }: { strapi: Core.Strapi }) {
    const env = readEnv();
    await ensureIndexes(strapi);
    await ensureLocales(strapi);
    await ensurePublicPermissions(strapi);
    await ensureSuperAdmin(strapi, env.ADMIN_EMAIL, env.ADMIN_PASSWORD);
    await ensureEditor(strapi, env.EDITOR_EMAIL, env.EDITOR_PASSWORD);
    await ensureArticleLayout(strapi);
    await ensureArticleWebhook(strapi, env.WEBHOOK_URL);
    installFastPath(strapi);
  },
};

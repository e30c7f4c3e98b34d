import type { Core } from '@strapi/strapi';
import { readEnv } from './env';
import { installFastPath } from './cache/install';
import { cacheInvalidation } from './cache/invalidation';
import { articleDocumentRules } from './articles/document-rules';
import { draftGuard } from './articles/draft-guard';
import { ensureSuperAdmin } from './bootstrap/admin-user';
import { ensureIndexes } from './bootstrap/indexes';
import { ensureLocales } from './bootstrap/locales';
import { ensurePublicPermissions } from './bootstrap/permissions';

export default {
  register({ strapi }: { strapi: Core.Strapi }) {
    // Outermost first: the purge runs after the article rules have finished their writes.
    strapi.documents.use(cacheInvalidation(strapi));
    strapi.documents.use(draftGuard(strapi));
    strapi.documents.use(articleDocumentRules(strapi));
  },

  async bootstrap({ strapi }: { strapi: Core.Strapi }) {
    const env = readEnv();
    await ensureIndexes(strapi);
    await ensureLocales(strapi);
    await ensurePublicPermissions(strapi);
    await ensureSuperAdmin(strapi, env.ADMIN_EMAIL, env.ADMIN_PASSWORD);
    installFastPath(strapi);
  },
};

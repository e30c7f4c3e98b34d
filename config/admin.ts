import type { Core } from '@strapi/strapi';
import { publicUrl, readEnv } from '../src/env';
import { previewUrl } from '../src/reader/preview-links';

export default ({ strapi }: { strapi?: Core.Strapi } = {}) => {
  const env = readEnv();
  return {
    auth: { secret: env.ADMIN_JWT_SECRET },
    apiToken: { salt: env.API_TOKEN_SALT },
    transfer: { token: { salt: env.TRANSFER_TOKEN_SALT } },
    secrets: { encryptionKey: env.ENCRYPTION_KEY },
    serveAdminPanel: env.SERVE_ADMIN_PANEL,
    flags: { nps: false, promoteEE: false },
    // The Preview button opens the reader page with the draft (src/reader/routes.ts), through a
    // signed, expiring link for that one document, issued only to users who may read it.
    preview: {
      enabled: true,
      config: {
        allowedOrigins: [new URL(publicUrl(env)).origin],
        handler(uid: string, params: { documentId: string; locale?: string; status?: string }) {
          const app = strapi ?? (globalThis as unknown as { strapi: Core.Strapi }).strapi;
          return previewUrl(app, uid, params);
        },
      },
    },
  };
};

import type { Core } from '@strapi/strapi';

export default ({ env }: Core.Config.Shared.ConfigParams) => {
  const publicUrl = env('PUBLIC_URL', 'http://localhost:1337').replace(/\/+$/, '');
  return {
    auth: { secret: env('ADMIN_JWT_SECRET') },
    apiToken: { salt: env('API_TOKEN_SALT') },
    transfer: { token: { salt: env('TRANSFER_TOKEN_SALT') } },
    secrets: { encryptionKey: env('ENCRYPTION_KEY') },
    serveAdminPanel: env.bool('SERVE_ADMIN_PANEL', true),
    flags: { nps: false, promoteEE: false },
    // The Preview button opens the reader page with the draft (src/reader/routes.ts).
    preview: {
      enabled: true,
      config: {
        allowedOrigins: [new URL(publicUrl).origin],
        async handler(uid: string, { documentId, locale, status }: { documentId: string; locale?: string; status?: string }) {
          if (uid !== 'api::article.article') return null;
          const query = new URLSearchParams({ locale: locale ?? 'en', status: status ?? 'draft', secret: env('PREVIEW_SECRET', '') });
          return `${publicUrl}/news/preview/${documentId}?${query.toString()}`;
        },
      },
    },
  };
};

import type { Core } from '@strapi/strapi';

export default ({ env }: Core.Config.Shared.ConfigParams) => ({
  host: env('HOST', '0.0.0.0'),
  port: env.int('PORT', 1337),
  app: { keys: env.array('APP_KEYS') },
  // Links in API output are built on PUBLIC_URL (see src/…); the server itself stays relative.
  url: env('SERVER_URL', ''),
  proxy: env.bool('TRUST_PROXY', false),
  cron: { enabled: false },
  // No check for a newer Strapi at start-up (it calls out to the npm registry).
  logger: { updates: { enabled: false } },
});

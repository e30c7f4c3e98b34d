import { readEnv } from '../src/env';

export default () => {
  const env = readEnv();
  return {
    host: env.HOST ?? '0.0.0.0',
    port: env.PORT ?? 1337,
    app: { keys: env.APP_KEYS?.split(',').map((key) => key.trim()) },
    // Links in API output are built on PUBLIC_URL (see src/…); the server itself stays relative.
    url: env.SERVER_URL ?? '',
    proxy: env.TRUST_PROXY,
    cron: { enabled: false },
    // No check for a newer Strapi at start-up (it calls out to the npm registry).
    logger: { updates: { enabled: false } },
  };
};

import { join } from 'node:path';
import type { Core } from '@strapi/strapi';
import { destroyStrapi } from '../../src/runtime/load-strapi';
import { createTestDatabase, dropTestDatabase } from './database';

const ROOT = join(__dirname, '..', '..');

export interface TestApp {
  strapi: Core.Strapi;
  baseUrl: string;
  databaseUrl: string;
  databaseName: string;
  stop(options?: { keepDatabase?: boolean }): Promise<void>;
}

export const TEST_ADMIN = { email: 'admin@news.test', password: 'Admin-pass-1234' };

/**
 * Boots the compiled app in this process on a fresh database (or the given one) and listens on a
 * free loopback port. Each test file gets its own app and database.
 */
export async function startApp(options: { databaseUrl?: string; databaseName?: string; env?: Record<string, string> } = {}): Promise<TestApp> {
  const database = options.databaseUrl
    ? { url: options.databaseUrl, name: options.databaseName ?? '' }
    : await createTestDatabase();
  Object.assign(process.env, {
    NODE_ENV: 'test',
    STRAPI_TELEMETRY_DISABLED: 'true',
    DATABASE_URL: database.url,
    HOST: '127.0.0.1',
    PORT: '0',
    SERVE_ADMIN_PANEL: 'false',
    APP_KEYS: 'test-key-a,test-key-b',
    API_TOKEN_SALT: 'test-api-token-salt',
    ADMIN_JWT_SECRET: 'test-admin-jwt-secret',
    TRANSFER_TOKEN_SALT: 'test-transfer-salt',
    JWT_SECRET: 'test-jwt-secret',
    ENCRYPTION_KEY: 'test-encryption-key',
    ADMIN_EMAIL: TEST_ADMIN.email,
    ADMIN_PASSWORD: TEST_ADMIN.password,
    PUBLIC_URL: 'http://news.test',
    PREVIEW_SECRET: 'test-preview-secret-0123456789',
    LOG_LEVEL: 'error',
    ...options.env,
  });
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { createStrapi } = require('@strapi/strapi') as typeof import('@strapi/strapi');
  const strapi = createStrapi({ appDir: ROOT, distDir: join(ROOT, 'dist') });
  try {
    await strapi.load();
    await strapi.listen();
  } catch (error) {
    // A boot that failed leaves nothing open behind it (its pool, the boot lock's connection, the
    // bus): the test fails with the error instead of the run hanging after it.
    await strapi.destroy().catch(() => undefined);
    if (!options.databaseUrl && database.name) await dropTestDatabase(database.name).catch(() => undefined);
    throw error;
  }
  const address = strapi.server.httpServer.address();
  if (!address || typeof address === 'string') throw new Error('server did not listen');
  return {
    strapi,
    baseUrl: `http://127.0.0.1:${address.port}`,
    databaseUrl: database.url,
    databaseName: database.name,
    async stop({ keepDatabase = false } = {}) {
      await destroyStrapi(strapi);
      if (!keepDatabase && database.name) await dropTestDatabase(database.name);
    },
  };
}

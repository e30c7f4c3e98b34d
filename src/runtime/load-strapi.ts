import { join } from 'node:path';
import { createStrapi, type Core } from '@strapi/strapi';

/** Loads the compiled app in this process (bootstrap included) without opening a port. */
export async function loadStrapi(root: string): Promise<Core.Strapi> {
  const app = createStrapi({ appDir: root, distDir: join(root, 'dist') });
  return app.load();
}

interface PoolLike {
  numUsed(): number;
  numPendingAcquires(): number;
  numPendingCreates(): number;
}

/**
 * Stops a loaded app once the work Strapi started in the background (audit and metrics writes
 * fired without await) has finished: destroying the pool under a pending query rejects it, and
 * nobody catches that rejection.
 */
export async function destroyStrapi(strapi: Core.Strapi, maxWaitMs = 5000): Promise<void> {
  const pool = (strapi.db.connection.client as { pool?: PoolLike }).pool;
  const deadline = Date.now() + maxWaitMs;
  while (pool && Date.now() < deadline) {
    if (pool.numUsed() + pool.numPendingAcquires() + pool.numPendingCreates() === 0) {
      await new Promise((resolve) => setTimeout(resolve, 50));
      if (pool.numUsed() + pool.numPendingAcquires() + pool.numPendingCreates() === 0) break;
    }
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
  await strapi.destroy();
}

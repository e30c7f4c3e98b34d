import type { Core } from '@strapi/strapi';
import type { RequestListener } from 'node:http';
import { cacheGate, cacheSettings, responseCache } from './index';
import { withFastPath } from './fast-path';

/** Puts the cache-hit fast path in front of Koa's request listener. */
export function installFastPath(strapi: Core.Strapi): void {
  responseCache.clear();
  if (!cacheSettings().CACHE_ENABLED) return;
  const server = strapi.server.httpServer;
  const [koaListener] = server.listeners('request') as RequestListener[];
  if (!koaListener) throw new Error('the HTTP server has no request listener to wrap');
  server.removeListener('request', koaListener);
  server.on('request', withFastPath(responseCache, cacheGate, koaListener));
}

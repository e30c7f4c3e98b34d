import type { Context } from 'koa';
import type { Core } from '@strapi/strapi';
import { clusterBus } from '../cache/cluster-bus';
import { drain } from './lifecycle';

async function databaseAnswers(strapi: Core.Strapi): Promise<boolean> {
  try {
    await strapi.db.connection.raw('SELECT 1').timeout(1500, { cancel: true });
    return true;
  } catch {
    return false;
  }
}

/**
 * `/_ready`: whether this instance should get traffic: the database answers, Redis answers when
 * configured, and it is not shutting down. (`/_health`, Strapi's own, only says the process serves.)
 */
export function registerReadiness(strapi: Core.Strapi): void {
  strapi.server.routes([
    {
      method: 'GET',
      path: '/_ready',
      handler: async (ctx: Context) => {
        const bus = clusterBus();
        const [database, redis] = await Promise.all([databaseAnswers(strapi), bus ? bus.ping() : Promise.resolve(null)]);
        const ready = database && redis !== false && !drain.draining;
        ctx.set('Cache-Control', 'no-store');
        ctx.status = ready ? 200 : 503;
        ctx.body = {
          status: ready ? 'ready' : 'unavailable',
          database: database ? 'ok' : 'down',
          redis: redis === null ? 'not configured' : redis ? 'ok' : 'down',
          ...(drain.draining ? { shutdown: 'draining' } : {}),
        };
      },
      config: { auth: false },
    },
  ]);
}

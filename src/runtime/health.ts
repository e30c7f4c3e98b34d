import { z } from 'zod';
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

/** The answer of `/_ready` (the OpenAPI document's schema for it). */
export const Readiness = z
  .object({
    status: z.enum(['ready', 'unavailable']),
    database: z.enum(['ok', 'down']),
    redis: z.enum(['ok', 'down', 'not configured']),
    invalidation: z.string().describe('The cache invalidation bus: `redis ok`, `postgres ok`, … or `none`'),
    shutdown: z.literal('draining').optional(),
  })
  .strict();

/**
 * `/_ready`: whether this instance should get traffic: the database answers, the cache
 * invalidation bus (Redis when configured, else PostgreSQL) is linked, and it is not shutting down. (`/_health`, Strapi's own, only says the process serves.)
 */
export function registerReadiness(strapi: Core.Strapi): void {
  strapi.server.routes([
    {
      method: 'GET',
      path: '/_ready',
      handler: async (ctx: Context) => {
        const bus = clusterBus();
        const [database, linked] = await Promise.all([databaseAnswers(strapi), bus ? bus.ping() : Promise.resolve(null)]);
        const ready = database && linked !== false && !drain.draining;
        ctx.set('Cache-Control', 'no-store');
        ctx.status = ready ? 200 : 503;
        const answer: z.infer<typeof Readiness> = {
          status: ready ? 'ready' : 'unavailable',
          database: database ? 'ok' : 'down',
          redis: bus?.transport !== 'redis' ? 'not configured' : linked ? 'ok' : 'down',
          invalidation: bus ? `${bus.transport} ${linked ? 'ok' : 'down'}` : 'none',
          ...(drain.draining ? { shutdown: 'draining' as const } : {}),
        };
        ctx.body = answer;
      },
      config: { auth: false },
    },
  ]);
}

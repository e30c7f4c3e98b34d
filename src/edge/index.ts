import type { Core } from '@strapi/strapi';
import type { Env } from '../env';
import { cdnPurgers } from './cloudflare';
import { PurgeOutbox } from './outbox';
import type { Purger } from './purger';
import { VarnishPurger } from './varnish';

/** Every cache in front of the service this process is told of: Varnish endpoints and CDNs. */
export function edgePurgers(env: Env): Purger[] {
  const varnishes = (env.EDGE_PURGE_URLS ?? '')
    .split(',')
    .map((url) => url.trim())
    .filter(Boolean)
    .map((url) => new VarnishPurger(url));
  return [...varnishes, ...cdnPurgers(env)];
}

let outbox: PurgeOutbox | null = null;

/**
 * The process's purge outbox (null when no edge is configured: no rows are written). Made before
 * change capture is installed, so the first write of the process already has its purges in it.
 */
export function openEdgeOutbox(strapi: Core.Strapi, env: Env): PurgeOutbox | null {
  if (outbox) return outbox;
  const purgers = edgePurgers(env);
  if (purgers.length === 0) return null;
  // Past the longest an edge may keep a copy, a purge has nothing left to purge.
  const retentionSeconds = env.SURROGATE_MAX_AGE + env.SURROGATE_STALE_WHILE_REVALIDATE + env.SURROGATE_STALE_IF_ERROR + 3600;
  outbox = new PurgeOutbox(strapi.db.connection, purgers, (line) => strapi.log.warn(line), { retentionSeconds });
  strapi.log.info(`edge purges go to ${outbox.targets.join(', ')}`);
  return outbox;
}

/** A server polls for what others left; a command delivers its own as it stops. */
export function startEdgeDelivery(): void {
  outbox?.start();
}

export async function closeEdgeOutbox(deadlineMs = 3000): Promise<void> {
  const closing = outbox;
  outbox = null;
  await closing?.stop(deadlineMs);
}

import type { Core } from '@strapi/strapi';
import type { Client } from 'pg';
import { invalidate, TAG_PERMISSIONS } from '../cache/invalidation';
import type { PurgeOutbox } from '../edge/outbox';
import { STATE_TABLE } from '../read-model/fingerprint';

/**
 * After a restore, nothing cached from before it may be served: every copy at the edge and in
 * every instance's memory goes. `permissions` is on every answer (src/edge/keys.ts) and empties
 * the in-process caches, so one purge of it is a purge of everything.
 *
 * The restore purges the edge itself when it is told of it (EDGE_PURGE_URLS, a CDN), through the
 * durable outbox. It also leaves this mark in the restored database, so that the first server to
 * boot with an edge configured purges it too: an operator may restore with a shorter environment
 * than the servers'.
 */
export const RESTORE_MARK = 'restored: purge the edge';

/** In the restore's transaction: the mark the next server boot acts on. */
export async function markRestored(client: Pick<Client, 'query'>, at: Date): Promise<void> {
  await client.query(
    `INSERT INTO ${STATE_TABLE} (key, value) VALUES ($1, $2) ON CONFLICT (key) DO UPDATE SET value = EXCLUDED.value`,
    [RESTORE_MARK, at.toISOString()]
  );
}

/** How long a purge of everything may hold up the restore or a boot (then the outbox retries it). */
const DELIVERY_WAIT_MS = 5000;

/**
 * The restoring process (Strapi loaded after the load committed): purge now, here and at the
 * edge. Returns whether every edge acknowledged (null: no edge configured).
 */
export async function purgeEverything(strapi: Core.Strapi, outbox: PurgeOutbox | null): Promise<boolean | null> {
  invalidate([TAG_PERMISSIONS]);
  if (!outbox) return null;
  await strapi.db.transaction(({ trx }) => outbox.enqueue(trx, [TAG_PERMISSIONS], true));
  return outbox.flush(DELIVERY_WAIT_MS);
}

/**
 * A server's boot: a restore's mark becomes a purge of everything at this server's edge, once
 * (the mark goes in the purge's transaction), delivered before the server starts serving: the
 * edge may have cached, since the restore, errors or pages from the origin being down.
 */
export async function purgeEdgeIfRestored(strapi: Core.Strapi, outbox: PurgeOutbox | null): Promise<void> {
  if (!outbox) return;
  const purged = await strapi.db.transaction(async ({ trx }) => {
    const deleted = await trx(STATE_TABLE).where({ key: RESTORE_MARK }).del();
    if (deleted > 0) await outbox.enqueue(trx, [TAG_PERMISSIONS], true);
    return deleted > 0;
  });
  if (!purged) return;
  const delivered = await outbox.flush(DELIVERY_WAIT_MS);
  strapi.log.info(
    delivered
      ? 'a restore happened since the last boot: every copy at the edge is purged'
      : 'a restore happened since the last boot: the purge of every copy at the edge is queued (the edge did not answer in time); it is retried until delivered'
  );
}

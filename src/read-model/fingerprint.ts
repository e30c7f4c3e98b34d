import type { Core } from '@strapi/strapi';
import { createHash } from 'node:crypto';
import { ARTICLE_UID, AUTHOR_UID, CORRECTION_COMPONENT, CREDIT_UID, FIGURE_COMPONENT, PARAGRAPH_COMPONENT, SECTION_UID, TAG_UID } from '../articles/constants';
import { READ_MODEL_TABLE } from './projection';

/**
 * What the read model's rows were built under. A row is the article's public JSON as this code,
 * these content types and the Public role's permissions make it, from the data as the migrations
 * left it. A boot that finds any of them changed (an upgrade adding a field, a migration that
 * rewrote articles in SQL, a permission changed while no instance ran) drops or marks every
 * row stale (see checkReadModelFingerprint); the boot's rebuild makes them again, and reads
 * meanwhile build what they show on the fly.
 */
export const STATE_TABLE = `${READ_MODEL_TABLE}_state`;

/** Raised when the projection itself (src/read-model/projection.ts) changes what a row holds. */
const FORMAT = 3; // 3: rows carry their search columns (src/search)

const MODELS = [ARTICLE_UID, CREDIT_UID, AUTHOR_UID, SECTION_UID, TAG_UID, 'plugin::upload.file'];
const COMPONENTS = [PARAGRAPH_COMPONENT, FIGURE_COMPONENT, CORRECTION_COMPONENT];

interface Prints {
  /** The code, content types and migrations rows were built under. */
  build: string;
  /** The Public role's permissions. */
  permissions: string;
}

async function fingerprints(strapi: Core.Strapi): Promise<Prints> {
  const knex = strapi.db.connection;
  const migrations = (await knex.schema.hasTable('strapi_migrations'))
    ? // The time too: a migration run again (its record removed) rewrote the data again.
      ((await knex('strapi_migrations').select('name', 'time').orderBy('name')) as Array<{ name: string; time: unknown }>).map((row) => `${row.name} ${String(row.time)}`)
    : [];
  const publicRole = (await strapi.db.query('plugin::users-permissions.role').findOne({ where: { type: 'public' }, populate: ['permissions'] })) as {
    permissions?: Array<{ action: string }>;
  } | null;
  const permissions = (publicRole?.permissions ?? []).map((p) => p.action).sort();
  const schemas = [
    ...MODELS.map((uid) => [uid, (strapi.getModel(uid as never) as { attributes?: unknown } | undefined)?.attributes]),
    ...COMPONENTS.map((uid) => [uid, strapi.components[uid as keyof typeof strapi.components]?.attributes]),
  ];
  const hash = (value: unknown) => createHash('sha256').update(JSON.stringify(value)).digest('hex');
  return { build: hash({ FORMAT, migrations, schemas }), permissions: hash(permissions) };
}

/**
 * Rows built under something that has changed since: under other public permissions, deleted
 * (nothing built under them may be shown, nor searched); under other code, content types or
 * migrations, marked stale. Either way the boot's rebuild makes them again.
 */
export async function checkReadModelFingerprint(strapi: Core.Strapi): Promise<boolean> {
  const knex = strapi.db.connection;
  const now = await fingerprints(strapi);
  const stored = Object.fromEntries(((await knex(STATE_TABLE).whereIn('key', ['build', 'permissions'])) as Array<{ key: string; value: string }>).map((row) => [row.key, row.value]));
  if (stored.build === now.build && stored.permissions === now.permissions) return false;
  // Nothing stored: rows from a release before these prints, built under what is not known.
  const permissionsChanged = stored.permissions !== now.permissions;
  const changed = await knex.transaction(async (trx) => {
    const count = permissionsChanged ? await trx(READ_MODEL_TABLE).delete() : await trx(READ_MODEL_TABLE).where({ stale: false }).update({ stale: true });
    for (const [key, value] of Object.entries(now)) await trx(STATE_TABLE).insert({ key, value }).onConflict('key').merge();
    await trx(STATE_TABLE).where({ key: 'fingerprint' }).delete(); // the single print of earlier releases
    return count;
  });
  if (changed > 0) {
    const what = permissionsChanged ? 'public permissions changed' : 'content types, migrations or code changed';
    strapi.log.info(`read model: ${what} since the rows were built; ${changed} row(s) are rebuilt`);
  }
  return changed > 0;
}

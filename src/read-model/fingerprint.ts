import type { Core } from '@strapi/strapi';
import { createHash } from 'node:crypto';
import { ARTICLE_UID, AUTHOR_UID, CORRECTION_COMPONENT, CREDIT_UID, FIGURE_COMPONENT, PARAGRAPH_COMPONENT, SECTION_UID, TAG_UID } from '../articles/constants';
import { READ_MODEL_TABLE } from './projection';

/**
 * What the read model's rows were built under. A row is the article's public JSON as this code,
 * these content types and the Public role's permissions make it, from the data as the migrations
 * left it. A boot that finds any of them changed (an upgrade adding a field, a migration that
 * rewrote articles in SQL, a permission changed while no instance ran) marks every row stale;
 * the boot's rebuild makes them again, reads meanwhile build what they show on the fly, and
 * search finds articles by the stale rows.
 */
const STATE_TABLE = `${READ_MODEL_TABLE}_state`;

/** Raised when the projection itself (src/read-model/projection.ts) changes what a row holds. */
const FORMAT = 3; // 3: rows carry their search columns (src/search)

const MODELS = [ARTICLE_UID, CREDIT_UID, AUTHOR_UID, SECTION_UID, TAG_UID, 'plugin::upload.file'];
const COMPONENTS = [PARAGRAPH_COMPONENT, FIGURE_COMPONENT, CORRECTION_COMPONENT];

async function fingerprint(strapi: Core.Strapi): Promise<string> {
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
  return createHash('sha256').update(JSON.stringify({ FORMAT, migrations, permissions, schemas })).digest('hex');
}

/** Marks every row stale when what they were built under has changed since they were built. */
export async function checkReadModelFingerprint(strapi: Core.Strapi): Promise<boolean> {
  const knex = strapi.db.connection;
  await knex.raw(`CREATE TABLE IF NOT EXISTS ${STATE_TABLE} (key varchar(64) PRIMARY KEY, value text NOT NULL)`);
  const now = await fingerprint(strapi);
  const stored = (await knex(STATE_TABLE).where({ key: 'fingerprint' }).first()) as { value: string } | undefined;
  if (stored?.value === now) return false;
  // No fingerprint yet: rows from a release before it, built by older code; stale as well.
  const dropped = await knex.transaction(async (trx) => {
    const count = await trx(READ_MODEL_TABLE).where({ stale: false }).update({ stale: true });
    await trx(STATE_TABLE).insert({ key: 'fingerprint', value: now }).onConflict('key').merge();
    return count;
  });
  if (dropped > 0) strapi.log.info(`read model: content types, migrations or public permissions changed since the rows were built; ${dropped} row(s) are rebuilt`);
  return dropped > 0;
}

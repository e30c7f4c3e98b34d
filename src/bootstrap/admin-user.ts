import type { Core } from '@strapi/strapi';
import { describeRole, seedOnce } from './seed-once';
import { ARTICLE_UID, CREDIT_UID, SECTION_UID } from '../articles/constants';
import { upgradeRolesToModel } from './model-upgrades';

const EDITOR_ROLE = 'strapi-editor';
const AUTHOR_ROLE = 'strapi-author';
const CM = 'plugin::content-manager.explorer';

/** What the Editor role must be able to do here: articles in full, credits created and edited. */
export const EDITOR_NEEDS: ReadonlyArray<readonly [string, string]> = [
  [`${CM}.create`, ARTICLE_UID],
  [`${CM}.read`, ARTICLE_UID],
  [`${CM}.update`, ARTICLE_UID],
  [`${CM}.delete`, ARTICLE_UID],
  [`${CM}.publish`, ARTICLE_UID],
  [`${CM}.create`, CREDIT_UID],
  [`${CM}.read`, CREDIT_UID],
  [`${CM}.update`, CREDIT_UID],
  // Strapi's first boot gives roles no delete on a localized type (its locales are not known yet).
  [`${CM}.delete`, SECTION_UID],
];

/**
 * An admin account from the given credentials, created once with the given role. An existing
 * account is left alone (its password may have been changed in the admin since).
 */
async function ensureAdminAccount(strapi: Core.Strapi, email: string, password: string, roleId: number, firstname: string): Promise<void> {
  const normalised = email.toLowerCase();
  if (await strapi.db.query('admin::user').findOne({ where: { email: normalised } })) return;
  await strapi.service('admin::user').create({
    email: normalised,
    firstname,
    lastname: 'Newsroom',
    password,
    isActive: true,
    registrationToken: null,
    roles: [roleId],
  });
  strapi.log.info(`created admin account ${normalised}`);
}

/** The super-admin from ADMIN_EMAIL / ADMIN_PASSWORD. */
export async function ensureSuperAdmin(strapi: Core.Strapi, email?: string, password?: string): Promise<void> {
  if (!email || !password) return;
  const role = await strapi.service('admin::role').getSuperAdmin();
  if (!role) throw new Error('the super-admin role is missing');
  await ensureAdminAccount(strapi, email, password, role.id, 'Admin');
}

export const EDITOR_ROLE_DESCRIPTION =
  'Newsroom editors. Set up by the news service on its first boot: articles in every locale (create, edit, publish), credits (create, edit). What you change here is kept.';
export const AUTHOR_ROLE_DESCRIPTION =
  'Writers: the articles they created, in every locale. Set up by the news service on its first boot. What you change here is kept.';

/**
 * The editor from EDITOR_EMAIL / EDITOR_PASSWORD, with Strapi's Editor role able to do its job, and
 * the Author role able to work in our locales. The roles are set up on the first boot only: after
 * that they are the admins' (the descriptions say so in Settings → Roles).
 */
export async function ensureEditor(strapi: Core.Strapi, email?: string, password?: string): Promise<void> {
  const role = await roleByCode(strapi, EDITOR_ROLE);
  const firstBoot = await seedOnce(strapi, 'editor-role', async () => {
    await ensureEditorPermissions(strapi, role.id);
    await describeRole(strapi, 'admin::role', role.id, EDITOR_ROLE_DESCRIPTION);
  });
  await seedOnce(strapi, 'author-role', async () => {
    const author = await roleByCode(strapi, AUTHOR_ROLE);
    await grantAllLocales(strapi, author.id);
    await describeRole(strapi, 'admin::role', author.id, AUTHOR_ROLE_DESCRIPTION);
  });
  await upgradeRolesToModel(strapi, firstBoot, EDITOR_NEEDS);
  if (email && password) await ensureAdminAccount(strapi, email, password, role.id, 'Editor');
}

async function roleByCode(strapi: Core.Strapi, code: string): Promise<{ id: number }> {
  const role = (await strapi.db.query('admin::role').findOne({ where: { code } })) as { id: number } | null;
  if (!role) throw new Error(`the ${code} role is missing`);
  return role;
}

async function ensureEditorPermissions(strapi: Core.Strapi, roleId: number): Promise<void> {
  const have = (await strapi.db.query('admin::permission').findMany({
    where: { role: roleId },
    select: ['action', 'subject'],
  })) as Array<{ action: string; subject: string | null }>;
  const missing = EDITOR_NEEDS.filter(([action, subject]) => !have.some((p) => p.action === action && p.subject === subject));
  if (missing.length > 0) await addEditorPermissions(strapi, roleId, missing);
  await grantAllLocales(strapi, roleId);
}

/**
 * Permissions on a localized type name the locales they allow; roles made before our locales
 * existed allow none of them, so the editor could not open an article or a section: every locale.
 */
async function grantAllLocales(strapi: Core.Strapi, roleId: number): Promise<void> {
  const codes = ((await strapi.plugin('i18n').service('locales').find()) as Array<{ code: string }>).map((l) => l.code).sort();
  const localized = (Object.values(strapi.contentTypes) as Array<{ uid: string; pluginOptions?: { i18n?: { localized?: boolean } } }>)
    .filter((t) => t.uid.startsWith('api::') && t.pluginOptions?.i18n?.localized)
    .map((t) => t.uid);
  const permissions = (await strapi.db.query('admin::permission').findMany({
    where: { role: roleId, subject: { $in: localized } },
  })) as Array<{ id: number; properties: { locales?: string[] } | null }>;
  for (const permission of permissions) {
    const current = [...(permission.properties?.locales ?? [])].sort();
    if (current.join(',') === codes.join(',')) continue;
    await strapi.db.query('admin::permission').update({
      where: { id: permission.id },
      data: { properties: { ...(permission.properties ?? {}), locales: codes } },
    });
  }
}

async function addEditorPermissions(strapi: Core.Strapi, roleId: number, missing: ReadonlyArray<readonly [string, string]>): Promise<void> {
  const permissionService = strapi.service('admin::permission');
  const actions = (permissionService.actionProvider.values() as Array<{ actionId: string; section: string; subjects?: string[] }>)
    .filter((a) => missing.some(([action]) => action === a.actionId))
    .map((a) => ({ ...a, subjects: (a.subjects ?? []).filter((s) => missing.some(([action, subject]) => action === a.actionId && subject === s)) }));
  const permissions = strapi.service('admin::content-type').getPermissionsWithNestedFields(actions) as Array<{ action: string; subject: string }>;
  const toAdd = permissions.filter((p) => missing.some(([action, subject]) => action === p.action && subject === p.subject));
  await strapi.service('admin::role').addPermissions(roleId, toAdd);
  strapi.log.info(`granted the Editor role ${toAdd.length} missing article/credit permission(s)`);
}

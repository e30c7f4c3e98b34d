import type { Core } from '@strapi/strapi';
import { ARTICLE_UID, CREDIT_UID } from '../articles/constants';

const EDITOR_ROLE = 'strapi-editor';
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

/** The editor from EDITOR_EMAIL / EDITOR_PASSWORD, with Strapi's Editor role able to do its job. */
export async function ensureEditor(strapi: Core.Strapi, email?: string, password?: string): Promise<void> {
  const role = (await strapi.db.query('admin::role').findOne({ where: { code: EDITOR_ROLE } })) as { id: number } | null;
  if (!role) throw new Error('the Editor role is missing');
  await ensureEditorPermissions(strapi, role.id);
  if (email && password) await ensureAdminAccount(strapi, email, password, role.id, 'Editor');
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
 * existed allow none of them, so the editor could not open an article. Every locale, every boot.
 */
async function grantAllLocales(strapi: Core.Strapi, roleId: number): Promise<void> {
  const codes = ((await strapi.plugin('i18n').service('locales').find()) as Array<{ code: string }>).map((l) => l.code).sort();
  const permissions = (await strapi.db.query('admin::permission').findMany({
    where: { role: roleId, subject: ARTICLE_UID },
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

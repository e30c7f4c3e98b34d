import type { Core } from '@strapi/strapi';

/**
 * A super-admin from ADMIN_EMAIL / ADMIN_PASSWORD, created once. An existing account is left
 * alone (its password may have been changed in the admin since).
 */
export async function ensureSuperAdmin(strapi: Core.Strapi, email?: string, password?: string): Promise<void> {
  if (!email || !password) return;
  const users = strapi.db.query('admin::user');
  if (await users.findOne({ where: { email: email.toLowerCase() } })) return;
  const superAdminRole = await strapi.service('admin::role').getSuperAdmin();
  if (!superAdminRole) throw new Error('the super-admin role is missing');
  await strapi.service('admin::user').create({
    email: email.toLowerCase(),
    firstname: 'Admin',
    lastname: 'Newsroom',
    password,
    isActive: true,
    registrationToken: null,
    roles: [superAdminRole.id],
  });
  strapi.log.info(`created super-admin ${email.toLowerCase()}`);
}

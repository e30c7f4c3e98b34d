import type { Core } from '@strapi/strapi';
import { describeRole, seedOnce } from './seed-once';

/**
 * What an anonymous reader may do at first: read published articles and credits, nothing else.
 * Seeded on the first boot (anything else granted then is removed, and sign-up is closed); after
 * that the Public role is the admins' (Settings → Users & Permissions → Roles), and the role's
 * description says so.
 */
export const PUBLIC_ACTIONS = [
  'api::article.article.find',
  'api::article.article.findOne',
  'api::image-credit.image-credit.find',
  'api::image-credit.image-credit.findOne',
  ...NEWSROOM_ACTIONS(),
] as const;

/** Added with authors, sections and tags: granted once to installations set up before them too. */
function NEWSROOM_ACTIONS(): string[] {
  return ['author', 'section', 'tag'].flatMap((name) => [`api::${name}.${name}.find`, `api::${name}.${name}.findOne`]);
}

export const PUBLIC_ROLE_DESCRIPTION =
  'Anonymous readers. Set up by the news service on its first boot: read published articles and credits. What you change here is kept.';

export async function ensurePublicPermissions(strapi: Core.Strapi): Promise<void> {
  await seedOnce(strapi, 'public-permissions', () => seedPublicPermissions(strapi));
  await seedOnce(strapi, 'public-permissions-newsroom', () => grantPublic(strapi, NEWSROOM_ACTIONS()));
}

async function grantPublic(strapi: Core.Strapi, actions: string[]): Promise<void> {
  const role = (await strapi.db.query('plugin::users-permissions.role').findOne({ where: { type: 'public' }, populate: ['permissions'] })) as {
    id: number;
    permissions?: Array<{ action: string }>;
  } | null;
  if (!role) throw new Error('users-permissions public role is missing');
  const have = new Set((role.permissions ?? []).map((p) => p.action));
  for (const action of actions) {
    if (!have.has(action)) await strapi.db.query('plugin::users-permissions.permission').create({ data: { action, role: role.id } });
  }
}

async function seedPublicPermissions(strapi: Core.Strapi): Promise<void> {
  const role = await strapi.db
    .query('plugin::users-permissions.role')
    .findOne({ where: { type: 'public' }, populate: ['permissions'] });
  if (!role) throw new Error('users-permissions public role is missing');

  const granted = (role.permissions ?? []) as Array<{ id: number; action: string }>;
  const allowed = new Set<string>([...PUBLIC_ACTIONS, ...extraPublicActions(strapi)]);
  for (const permission of granted) {
    if (!allowed.has(permission.action)) {
      await strapi.db.query('plugin::users-permissions.permission').delete({ where: { id: permission.id } });
    }
  }
  const have = new Set(granted.map((p) => p.action));
  for (const action of allowed) {
    if (!have.has(action)) {
      await strapi.db
        .query('plugin::users-permissions.permission')
        .create({ data: { action, role: role.id } });
    }
  }

  const advanced = strapi.store({ type: 'plugin', name: 'users-permissions', key: 'advanced' });
  const settings = ((await advanced.get()) ?? {}) as Record<string, unknown>;
  if (settings.allow_register !== false) {
    await advanced.set({ value: { ...settings, allow_register: false } });
  }
  await describeRole(strapi, 'plugin::users-permissions.role', role.id, PUBLIC_ROLE_DESCRIPTION);
}

/** Read-only routes that other modules add to the article API (formats, reader pages). */
function extraPublicActions(strapi: Core.Strapi): string[] {
  const controller = strapi.controller('api::article.article') as unknown as Record<string, unknown>;
  return ['jsonld', 'ninjs'].filter((name) => typeof controller[name] === 'function').map(
    (name) => `api::article.article.${name}`
  );
}

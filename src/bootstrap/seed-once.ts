import type { Core } from '@strapi/strapi';

/**
 * Boot steps that set up what admins then own (roles, permissions, the edit view): each runs on
 * the first boot only, so nothing an admin changes later is undone by the next boot. Recorded in
 * Strapi's store (`plugin_news`, key `seeded`). Under the boot lock: one instance seeds.
 */
export async function seedOnce(strapi: Core.Strapi, step: string, work: () => Promise<void>): Promise<boolean> {
  const store = strapi.store({ type: 'plugin', name: 'news', key: 'seeded' });
  const done = ((await store.get()) ?? {}) as Record<string, string>;
  if (done[step]) return false;
  await work();
  await store.set({ value: { ...done, [step]: new Date().toISOString() } });
  return true;
}

/** Says on a role, where the admin sees it, what the service set up and that changes are kept. */
export async function describeRole(strapi: Core.Strapi, model: 'admin::role' | 'plugin::users-permissions.role', id: number, description: string): Promise<void> {
  await strapi.db.query(model).update({ where: { id }, data: { description } });
}

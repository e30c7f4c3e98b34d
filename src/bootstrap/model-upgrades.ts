import type { Core } from '@strapi/strapi';
import { ARTICLE_UID, AUTHOR_UID, SECTION_UID, TAG_UID } from '../articles/constants';

/**
 * What a release adds to the content model reaches the newsroom roles, once. Strapi gives its
 * Editor and Author roles every field and type that exists when they are created (the first boot);
 * a field or type added later is in no role until an admin ticks it. Here a field added since the
 * last boot is added to each Editor/Author article permission that lists fields, and a type added
 * since gets the permissions Strapi gives those roles on a first boot (Author: its own entries).
 * Only what is new since the last boot: a field an admin took from a role stays taken.
 *
 * Recorded in Strapi's store (`plugin_news`, key `content-model`: each type's attribute names).
 */
const RECORD = { type: 'plugin', name: 'news', key: 'content-model' } as const;
const ROLES = { editor: 'strapi-editor', author: 'strapi-author' } as const;
const CONTENT_TYPE_ACTIONS = 'contentTypes';
const PUBLISH = 'plugin::content-manager.explorer.publish';
const DELETE = 'plugin::content-manager.explorer.delete';

/** Installations from before the record: what the releases since added (scheduling, the newsroom). */
const ADDED_BEFORE_RECORD: Record<string, string[]> = {
  [ARTICLE_UID]: ['publishAt', 'unpublishAt', 'scheduleError', 'byline', 'dateline', 'authors', 'section', 'tags', 'corrections'],
};
const TYPES_ADDED_BEFORE_RECORD: string[] = [AUTHOR_UID, SECTION_UID, TAG_UID];

type Model = Record<string, string[]>;

interface ContentType {
  uid: string;
  attributes: Record<string, unknown>;
  options?: { draftAndPublish?: boolean };
  pluginOptions?: { i18n?: { localized?: boolean }; 'content-manager'?: { visible?: boolean } };
}

interface PermissionRow {
  id: number;
  action: string;
  subject: string | null;
  properties: { fields?: string[]; locales?: string[] } | null;
}

/** The content types editors work with: ours, shown in the content manager. */
function editableTypes(strapi: Core.Strapi): ContentType[] {
  return (Object.values(strapi.contentTypes) as unknown as ContentType[]).filter((t) => t.uid.startsWith('api::') && t.pluginOptions?.['content-manager']?.visible !== false);
}

function currentModel(strapi: Core.Strapi): Model {
  return Object.fromEntries(editableTypes(strapi).map((t) => [t.uid, Object.keys(t.attributes).sort()]));
}

/** The model as the previous boot left it; for an installation from before the record, inferred. */
function previousModel(current: Model): Model {
  const previous: Model = {};
  for (const [uid, attributes] of Object.entries(current)) {
    if (TYPES_ADDED_BEFORE_RECORD.includes(uid)) continue;
    previous[uid] = attributes.filter((a) => !(ADDED_BEFORE_RECORD[uid] ?? []).includes(a));
  }
  return previous;
}

/** `editorNeeds`: the [action, subject] pairs the project grants the Editor role beyond Strapi's defaults. */
export async function upgradeRolesToModel(strapi: Core.Strapi, firstBoot: boolean, editorNeeds: ReadonlyArray<readonly [string, string]>): Promise<void> {
  const store = strapi.store(RECORD);
  const current = currentModel(strapi);
  const recorded = (await store.get()) as Model | null;
  // On the first boot Strapi has just made the roles with everything there is.
  if (!firstBoot) await grantAdditions(strapi, recorded ?? previousModel(current), current, editorNeeds);
  await store.set({ value: current });
}

async function grantAdditions(strapi: Core.Strapi, previous: Model, current: Model, editorNeeds: ReadonlyArray<readonly [string, string]>): Promise<void> {
  const newTypes = Object.keys(current).filter((uid) => !previous[uid]);
  const newFields = Object.fromEntries(Object.entries(current).map(([uid, attributes]) => [uid, attributes.filter((a) => previous[uid] && !previous[uid].includes(a))]));
  if (newTypes.length === 0 && Object.values(newFields).every((f) => f.length === 0)) return;

  const contentTypes = strapi.service('admin::content-type');
  const locales = ((await strapi.plugin('i18n').service('locales').find()) as Array<{ code: string }>).map((l) => l.code).sort();
  const localized = new Set(editableTypes(strapi).filter((t) => t.pluginOptions?.i18n?.localized).map((t) => t.uid));
  const drafts = new Set(editableTypes(strapi).filter((t) => t.options?.draftAndPublish).map((t) => t.uid));
  const actions = (strapi.service('admin::permission').actionProvider.values() as Array<{ actionId: string; section: string; subjects?: string[] }>).filter(
    (a) => a.section === CONTENT_TYPE_ACTIONS
  );
  // Every field path of every type, as Strapi lists them in a permission.
  const allFields = new Map<string, string[]>();
  for (const permission of contentTypes.getPermissionsWithNestedFields(actions) as Array<{ subject: string; properties: { fields?: string[] } }>) {
    if (permission.properties.fields && !allFields.has(permission.subject)) allFields.set(permission.subject, permission.properties.fields);
  }

  for (const [name, code] of Object.entries(ROLES)) {
    const role = (await strapi.db.query('admin::role').findOne({ where: { code } })) as { id: number } | null;
    if (!role) continue;
    const permissions = (await strapi.db.query('admin::permission').findMany({ where: { role: role.id } })) as PermissionRow[];
    let added = 0;
    for (const permission of permissions) {
      const subject = permission.subject ?? '';
      const fields = permission.properties?.fields;
      const fresh = newFields[subject] ?? [];
      if (!Array.isArray(fields) || fresh.length === 0) continue;
      const paths = (allFields.get(subject) ?? []).filter((path) => fresh.includes(path.split('.')[0]) && !fields.includes(path));
      if (paths.length === 0) continue;
      await strapi.db.query('admin::permission').update({ where: { id: permission.id }, data: { properties: { ...permission.properties, fields: [...fields, ...paths] } } });
      added += paths.length;
    }
    if (newTypes.length > 0) {
      const typeActions = actions.map((a) => ({ ...a, subjects: (a.subjects ?? []).filter((s) => newTypes.includes(s)) })).filter((a) => a.subjects.length > 0);
      const grants = (contentTypes.getPermissionsWithNestedFields(typeActions) as Array<{ action: string; subject: string; properties: Record<string, unknown>; conditions?: string[] }>)
        .filter((p) => (p.action !== PUBLISH || drafts.has(p.subject)) && firstBootGrants(name, p, localized.has(p.subject), editorNeeds))
        .map((p) => ({
          ...p,
          properties: { ...p.properties, ...(localized.has(p.subject) ? { locales } : {}) },
          conditions: name === 'author' ? ['admin::is-creator'] : [],
        }));
      await strapi.service('admin::role').addPermissions(role.id, grants);
      added += grants.length;
    }
    if (added > 0) strapi.log.info(`the ${code} role got what this release added to the content model (${added} field(s) or permission(s))`);
  }
}

/**
 * What a first boot leaves a role on a type (publish only where there are drafts: elsewhere it
 * means nothing, and Strapi drops it on a later boot): Strapi gives the Author no publish, and neither role
 * delete or publish on a localized type; the project then adds its Editor needs.
 */
function firstBootGrants(role: string, p: { action: string; subject: string }, localized: boolean, editorNeeds: ReadonlyArray<readonly [string, string]>): boolean {
  if (role === 'editor' && editorNeeds.some(([action, subject]) => action === p.action && subject === p.subject)) return true;
  if (role === 'author' && p.action === PUBLISH) return false;
  return !(localized && (p.action === PUBLISH || p.action === DELETE));
}

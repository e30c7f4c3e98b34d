import type { Core } from '@strapi/strapi';
import { seedOnce } from './seed-once';
import { ARTICLE_UID, AUTHOR_UID, FIGURE_COMPONENT, PARAGRAPH_COMPONENT, SECTION_UID, TAG_UID } from '../articles/constants';

/** Fields the service keeps for itself: in the form (the version goes back on save), not shown. */
const HIDDEN = ['version', 'importSource', 'importHash', 'importVersion'];

interface Configuration {
  settings?: Record<string, unknown>;
  metadatas?: Record<string, { edit?: Record<string, unknown>; list?: Record<string, unknown> }>;
  layouts?: { edit?: Array<Array<{ name: string; size: number }>>; list?: string[] };
}

interface ContentTypesService {
  findConfiguration(contentType: { uid: string }): Promise<Configuration>;
  updateConfiguration(contentType: { uid: string }, configuration: Configuration): Promise<unknown>;
}

/**
 * The article edit view: headline as the entry's title, the service's own fields hidden, a
 * readable list view. Set on the first boot, on top of what Strapi generated, through the content
 * manager's own configuration service (what its "Configure the view" saves); after that the view
 * is the admins'.
 */
export async function ensureArticleLayout(strapi: Core.Strapi): Promise<void> {
  await seedOnce(strapi, 'article-layout', () => configureArticleLayout(strapi));
  // Added with scheduled publishing: the schedule as columns of the list view (once).
  await seedOnce(strapi, 'article-layout-schedule', () => addScheduleColumns(strapi));
  // The editor's desk: body items titled by their own words, an Article list to scan. Once, on
  // the first boot and on the first boot of an installation from before them.
  await seedOnce(strapi, 'component-titles', () => titleComponents(strapi));
  await seedOnce(strapi, 'article-list-desk', () => deskListColumns(strapi));
}

/**
 * What the content manager titles each item with (its `mainField`): a dynamic-zone item shows
 * "<display name> - <value>", a relation picker the related entry's value. A paragraph by its
 * words, a figure by its caption; authors, sections, tags and credits by their names.
 */
export const TITLE_FIELDS: Record<string, string> = {
  [PARAGRAPH_COMPONENT]: 'text',
  [FIGURE_COMPONENT]: 'caption',
};
const ENTRY_TITLES: Record<string, string> = { [SECTION_UID]: 'name', [TAG_UID]: 'name', [AUTHOR_UID]: 'name' };

interface ComponentsService {
  findConfiguration(component: { uid: string }): Promise<Configuration>;
  updateConfiguration(component: { uid: string }, configuration: Configuration): Promise<unknown>;
}

async function titleComponents(strapi: Core.Strapi): Promise<void> {
  const components = strapi.plugin('content-manager').service('components') as ComponentsService;
  for (const [uid, field] of Object.entries(TITLE_FIELDS)) {
    const component = strapi.components[uid as keyof typeof strapi.components] as unknown as { uid: string };
    const found = await components.findConfiguration(component);
    await components.updateConfiguration(component, { settings: { ...found.settings, mainField: field }, metadatas: found.metadatas, layouts: found.layouts });
  }
  const contentTypes = strapi.plugin('content-manager').service('content-types') as ContentTypesService;
  for (const [uid, field] of Object.entries(ENTRY_TITLES)) {
    const contentType = strapi.contentType(uid as never) as unknown as { uid: string };
    const found = await contentTypes.findConfiguration(contentType);
    await contentTypes.updateConfiguration(contentType, { settings: { ...found.settings, mainField: field }, metadatas: found.metadatas, layouts: found.layouts });
  }
}

/**
 * The Article list as an editor scans it: headline, section, first published, the pending
 * schedule, who changed it last (Strapi adds the status column itself: draft, published,
 * modified). A schedule's problem shows on the article and in "Configure the view".
 */
export const DESK_COLUMNS = ['headline', 'section', 'firstPublishDate', 'publishAt', 'updatedBy'];

async function deskListColumns(strapi: Core.Strapi): Promise<void> {
  const service = strapi.plugin('content-manager').service('content-types') as ContentTypesService;
  const contentType = strapi.contentType(ARTICLE_UID);
  const found = await service.findConfiguration(contentType);
  const metadatas = { ...found.metadatas };
  const label = (field: string, text: string) => {
    metadatas[field] = { ...metadatas[field], list: { ...metadatas[field]?.list, label: text } };
  };
  label('firstPublishDate', 'First published');
  label('publishAt', 'Scheduled for');
  label('updatedBy', 'Last changed by');
  metadatas.section = { ...metadatas.section, list: { ...metadatas.section?.list, mainField: 'name' } as Record<string, unknown> };
  await service.updateConfiguration(contentType, { settings: found.settings, metadatas, layouts: { ...found.layouts, list: DESK_COLUMNS } });
}

const SCHEDULE_COLUMNS = ['publishAt', 'unpublishAt', 'scheduleError'];

async function addScheduleColumns(strapi: Core.Strapi): Promise<void> {
  const service = strapi.plugin('content-manager').service('content-types') as ContentTypesService;
  const contentType = strapi.contentType(ARTICLE_UID);
  const found = await service.findConfiguration(contentType);
  const list = found.layouts?.list ?? [];
  const missing = SCHEDULE_COLUMNS.filter((column) => !list.includes(column));
  if (missing.length === 0) return;
  const metadatas = { ...found.metadatas };
  metadatas.scheduleError = { ...metadatas.scheduleError, edit: { ...metadatas.scheduleError?.edit, editable: false, label: 'Schedule problem (set by the scheduler)' }, list: { ...metadatas.scheduleError?.list, label: 'Schedule problem' } };
  await service.updateConfiguration(contentType, { settings: found.settings, metadatas, layouts: { ...found.layouts, list: [...list, ...missing] } });
}

async function configureArticleLayout(strapi: Core.Strapi): Promise<void> {
  const service = strapi.plugin('content-manager').service('content-types') as ContentTypesService;
  const contentType = strapi.contentType(ARTICLE_UID);
  const found = await service.findConfiguration(contentType);
  const config: Configuration = { settings: found.settings, metadatas: found.metadatas, layouts: found.layouts };
  const before = JSON.stringify(config);

  config.settings = { ...config.settings, mainField: 'headline', defaultSortBy: 'updatedAt', defaultSortOrder: 'DESC' };
  config.metadatas ??= {};
  for (const field of HIDDEN) {
    const meta = (config.metadatas[field] ??= {});
    meta.edit = { ...meta.edit, visible: false, editable: true };
    meta.list = { ...meta.list, searchable: false, sortable: false };
  }
  const captions: Record<string, string> = {
    lead: 'Lead photo (caption and credit)',
    body: 'Body: paragraphs and photos in reading order',
    credits: 'Credits (kept in step with the photos)',
  };
  for (const [field, label] of Object.entries(captions)) {
    const meta = (config.metadatas[field] ??= {});
    meta.edit = { ...meta.edit, label };
  }
  if (config.metadatas.credits) config.metadatas.credits.edit = { ...config.metadatas.credits.edit, editable: false };
  if (config.layouts?.edit) {
    config.layouts.edit = config.layouts.edit
      .map((row) => row.filter((cell) => !HIDDEN.includes(cell.name)))
      .filter((row) => row.length > 0);
  }
  if (config.layouts) config.layouts.list = ['id', 'headline', 'slug', 'firstPublishDate'];

  if (JSON.stringify(config) !== before) await service.updateConfiguration(contentType, config);
}

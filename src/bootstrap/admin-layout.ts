import type { Core } from '@strapi/strapi';
import { ARTICLE_UID } from '../articles/constants';

/** Fields the service keeps for itself: in the form (the version goes back on save), not shown. */
const HIDDEN = ['version', 'importSource', 'importHash', 'importVersion'];

interface Configuration {
  settings?: Record<string, unknown>;
  metadatas?: Record<string, { edit?: Record<string, unknown>; list?: Record<string, unknown> }>;
  layouts?: { edit?: Array<Array<{ name: string; size: number }>>; list?: string[] };
}

/**
 * The article edit view: headline as the entry's title, the service's own fields hidden, a
 * readable list view. Applied at every boot on top of what Strapi generated.
 */
export async function ensureArticleLayout(strapi: Core.Strapi): Promise<void> {
  const store = strapi.store({ type: 'plugin', name: 'content_manager' });
  const key = `configuration_content_types::${ARTICLE_UID}`;
  const config = ((await store.get({ key })) ?? {}) as Configuration;
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
  if (config.layouts) config.layouts.list = ['id', 'headline', 'slug', 'firstPublishedAt'];

  if (JSON.stringify(config) !== before) await store.set({ key, value: config });
}

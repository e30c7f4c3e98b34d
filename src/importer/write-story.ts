import type { Core } from '@strapi/strapi';
import { uniqueSlug } from '../articles/document-rules';
import { createHash } from 'node:crypto';
import { ARTICLE_UID, AUTHOR_UID, CREDIT_UID, FIGURE_COMPONENT, PARAGRAPH_COMPONENT, SECTION_UID } from '../articles/constants';
import { slugify, type Figure, type Story } from '../story';
import type { PhotoFile } from './photo-files';
import { createStoryFast, fastPathAccepts, type FastStory } from './fast-create';
import { deleteStored, draftImageIds, importKey, removeUnusedImports, uploadPhotos, type FigurePhoto, type StoredFiles } from './write-photos';

type Strapi = Core.Strapi;

export type ImportOutcome = 'created' | 'updated' | 'unchanged' | 'skipped';

export interface WriteOptions {
  locale: string;
  /** `published` writes and publishes; `draft` writes the draft only and never unpublishes. */
  status: 'published' | 'draft';
  /** Overwrite an editor's revision. */
  force: boolean;
  /** Schedule the draft's publication (status must be `draft`). */
  publishAt?: Date;
  /** The section's slug (`--section`): created if missing. */
  section?: string;
  /** The story's photo files, checked (`readStories`). */
  photos?: PhotoFile[];
  /**
   * Write a new published story in a few multi-row statements (`fast-create.ts`) rather than
   * through the Document Service (the same rows either way). On unless false.
   */
  fastPath?: boolean;
}

interface ArticleRow {
  id: number;
  documentId: string;
  locale: string;
  publishedAt: string | null;
  version: number | null;
  importSource: string | null;
  importHash: string | null;
  importVersion: number | null;
}

const ROW_FIELDS = ['id', 'documentId', 'locale', 'publishedAt', 'version', 'importSource', 'importHash', 'importVersion'];

/**
 * Writes one parsed story through the Document Service (so i18n, draft & publish and the
 * article rules apply) in one transaction: the story is in whole or not at all.
 *
 * Identity is the source file's base name: the same source in another locale becomes that
 * locale's version of the same document. An editor's change since the last import (any write
 * that bumped the version) wins unless `force`.
 */
export async function writeStory(strapi: Strapi, story: Story, options: WriteOptions): Promise<ImportOutcome> {
  // Credits first, outside the story's transaction: they are shared records (an "AP" made for a
  // story that then fails is still the one "AP"), and a concurrent importer creating the same
  // name must not abort this story's transaction.
  const creditIds = await resolveCredits(strapi, story);
  // Authors and the section too: shared records, found by slug before one is made.
  const refs: StoryRefs = {
    credits: creditIds,
    authors: await resolveAuthors(strapi, story),
    section: options.section ? await resolveSection(strapi, options.section, options.locale) : undefined,
  };
  const photos = options.photos ?? [];
  const key = importKey(story, photos);
  // Files this import stops showing: removed once the story has committed (bytes cannot roll back).
  let replaced: number[] = [];
  // Files stored for this story: their bytes are deleted if the story rolls back.
  const stored: StoredFiles = [];
  const outcome = await strapi.db.transaction(async ({ trx, onCommit }): Promise<ImportOutcome> => {
    // Two importers (or two instances seeding at boot) never write the same story at once.
    await strapi.db.connection.raw('SELECT pg_advisory_xact_lock(hashtext(?))', [`news-import:${story.source}`]).transacting(trx);
    const articles = strapi.db.query(ARTICLE_UID);
    const anyRow = (await articles.findOne({
      where: { importSource: story.source },
      select: ['documentId'],
    })) as Pick<ArticleRow, 'documentId'> | null;
    const documentId = anyRow?.documentId;
    const rows = documentId
      ? ((await articles.findMany({ where: { documentId, locale: options.locale }, select: ROW_FIELDS })) as ArticleRow[])
      : [];
    const draft = rows.find((row) => row.publishedAt === null);
    const published = rows.find((row) => row.publishedAt !== null);
    const documents = strapi.documents(ARTICLE_UID);

    if (!draft && !documentId && options.fastPath !== false && options.status === 'published' && !options.publishAt && photos.length === 0) {
      const fast: FastStory = {
        locale: options.locale,
        slug: await uniqueSlug(strapi, slugify(story.headline, story.contentHash), options.locale),
        source: story.source,
        key,
        data: storyData(story, refs) as unknown as FastStory['data'],
      };
      if (fastPathAccepts(strapi, fast)) {
        await createStoryFast(strapi, { trx, onCommit }, fast);
        return 'created';
      }
    }

    if (!draft) {
      refs.photos = await uploadPhotos(strapi, story, photos, stored);
      const data = {
        ...storyData(story, refs),
        ...(options.publishAt ? { publishAt: options.publishAt } : {}),
        slug: await uniqueSlug(strapi, slugify(story.headline, story.contentHash), options.locale),
      };
      const created = documentId
        ? await documents.update({ documentId, locale: options.locale, data } as never)
        : await documents.create({ locale: options.locale, data } as never);
      const newId = (created as { documentId: string }).documentId;
      if (options.status === 'published') await documents.publish({ documentId: newId, locale: options.locale } as never);
      await recordImport(strapi, newId, options.locale, story.source, key);
      return 'created';
    }

    const revisedByEditor = draft.importSource !== story.source || draft.version !== draft.importVersion;
    if (revisedByEditor && !options.force) return 'skipped';

    const needsPublish = options.status === 'published' && !published;
    if (!revisedByEditor && draft.importHash === key && !needsPublish) return 'unchanged';

    refs.photos = await uploadPhotos(strapi, story, photos, stored);
    const shownBefore = await draftImageIds(strapi, ARTICLE_UID, draft.documentId, options.locale);
    await documents.update({
      documentId: draft.documentId,
      locale: options.locale,
      data: { ...storyData(story, refs), ...(options.publishAt ? { publishAt: options.publishAt } : {}) },
    } as never);
    if (options.status === 'published') {
      await documents.publish({ documentId: draft.documentId, locale: options.locale } as never);
    }
    await recordImport(strapi, draft.documentId, options.locale, story.source, key);
    replaced = shownBefore;
    return 'updated';
  }).catch(async (error: unknown) => {
    await deleteStored(strapi, stored);
    throw error;
  });
  if (replaced.length > 0) {
    await removeUnusedImports(strapi, story, replaced).catch((error: Error) => strapi.log.warn(`${story.source}: could not remove a replaced photo: ${error.message}`));
  }
  return outcome;
}

/** Remembers what was imported, and at which version, on every row of the document's locale. */
async function recordImport(strapi: Strapi, documentId: string, locale: string, source: string, key: string): Promise<void> {
  const draft = (await strapi.db.query(ARTICLE_UID).findOne({
    where: { documentId, locale, publishedAt: null },
    select: ['version'],
  })) as { version: number | null } | null;
  await strapi.db.query(ARTICLE_UID).updateMany({
    where: { documentId, locale },
    data: { importSource: source, importHash: key, importVersion: draft?.version ?? 0 },
  });
}

interface StoryRefs {
  credits: Map<string, string>;
  authors: string[];
  section?: string;
  /** Each photo block's file in the media library, by its 1-based position. */
  photos?: Map<number, FigurePhoto>;
}

function storyData(story: Story, refs: StoryRefs): Record<string, unknown> {
  let position = 0;
  const figure = (f: Figure) => {
    position += 1;
    const photo = refs.photos?.get(position);
    return {
      // The story's caption wins; a photo block without one takes the file's.
      caption: f.caption || (photo?.caption ?? ''),
      credit: refs.credits.get(f.credit) ?? null,
      image: photo?.image ?? null,
      photographer: photo?.photographer ?? null,
      copyright: photo?.copyright ?? null,
    };
  };
  return {
    headline: story.headline,
    dateline: story.dateline,
    // In byline order (Strapi keeps a relation's order as given).
    authors: refs.authors,
    ...(refs.section ? { section: refs.section } : {}),
    lead: story.lead ? figure(story.lead) : null,
    body: story.body.map((block) =>
      block.type === 'paragraph'
        ? { __component: PARAGRAPH_COMPONENT, text: block.text }
        : { __component: FIGURE_COMPONENT, ...figure(block) }
    ),
  };
}

async function resolveCredits(strapi: Strapi, story: Story): Promise<Map<string, string>> {
  const names = new Set<string>();
  if (story.lead) names.add(story.lead.credit);
  for (const block of story.body) if (block.type === 'figure') names.add(block.credit);
  // Those that exist in one query (the Document Service's findFirst costs a transaction each).
  const existing = await documentIdsBy(strapi, CREDIT_UID, 'name', [...names]);
  const ids = new Map<string, string>();
  for (const name of names) ids.set(name, existing.get(name) ?? (await findOrCreateCredit(strapi, name)));
  return ids;
}

/**
 * The documentIds of the records whose `column` holds one of these values, by value: what
 * findFirst({ filters: { [field]: { $eq: value } } }) finds for each, for a content type without
 * draft & publish or locales (one row per document).
 */
async function documentIdsBy(strapi: Strapi, uid: typeof AUTHOR_UID | typeof CREDIT_UID, column: 'name' | 'slug', values: string[]): Promise<Map<string, string>> {
  if (values.length === 0) return new Map();
  const rows = (await strapi.db
    .connection(strapi.db.metadata.get(uid).tableName)
    .select('document_id', column)
    .whereIn(column, values)
    .orderBy('id')) as Array<Record<string, string>>;
  const found = new Map<string, string>();
  for (const row of rows) if (!found.has(row[column])) found.set(row[column], row.document_id);
  return found;
}

/** The story's authors, in byline order: each found by the slug of its name, or created. */
async function resolveAuthors(strapi: Strapi, story: Story): Promise<string[]> {
  const slugs = story.authors.map((name) => slugify(name, createHash('sha256').update(name).digest('hex')));
  const existing = await documentIdsBy(strapi, AUTHOR_UID, 'slug', slugs);
  const ids: string[] = [];
  for (const [i, name] of story.authors.entries()) {
    const slug = slugs[i];
    ids.push(existing.get(slug) ?? (await findOrCreate(strapi, AUTHOR_UID, { slug: { $eq: slug } }, { name, slug })));
  }
  return [...new Set(ids)];
}

/** A section by slug in this locale: found, made as this locale's version of the same section, or created. */
async function resolveSection(strapi: Strapi, slug: string, locale: string): Promise<string> {
  const sections = strapi.documents(SECTION_UID);
  const here = (await sections.findFirst({ filters: { slug: { $eq: slug } }, locale, fields: ['documentId'] } as never)) as { documentId: string } | null;
  if (here) return here.documentId;
  const name = slug.split('-').map((word) => word.charAt(0).toUpperCase() + word.slice(1)).join(' ');
  const elsewhere = (await sections.findFirst({ filters: { slug: { $eq: slug } }, locale: '*', fields: ['documentId'] } as never)) as { documentId: string } | null;
  if (elsewhere) {
    await sections.update({ documentId: elsewhere.documentId, locale, data: { name, slug } } as never);
    return elsewhere.documentId;
  }
  return findOrCreate(strapi, SECTION_UID, { slug: { $eq: slug } }, { name, slug }, locale);
}

/** One record per key (a credit's name, an author's slug): found, or created once even by two importers at once. */
async function findOrCreate(strapi: Strapi, uid: typeof AUTHOR_UID | typeof SECTION_UID | typeof CREDIT_UID, filters: Record<string, unknown>, data: Record<string, unknown>, locale?: string): Promise<string> {
  const documents = strapi.documents(uid);
  const find = async () =>
    ((await documents.findFirst({ filters, fields: ['documentId'], ...(locale ? { locale } : {}) } as never)) as { documentId: string } | null)?.documentId;
  const existing = await find();
  if (existing) return existing;
  try {
    const created = await documents.create({ data, ...(locale ? { locale } : {}) } as never);
    return (created as { documentId: string }).documentId;
  } catch (error) {
    // Another importer created it between the find and the create (the unique index says so).
    const raced = await find();
    if (raced) return raced;
    throw error;
  }
}

/** One record per credit name: "AP" is found, not created again. Returns its documentId. */
export async function findOrCreateCredit(strapi: Strapi, name: string): Promise<string> {
  return findOrCreate(strapi, CREDIT_UID, { name: { $eq: name } }, { name });
}

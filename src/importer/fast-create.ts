import { dirname, join } from 'node:path';
import type { Core } from '@strapi/strapi';
import type { Knex } from 'knex';
import { sanitize } from '@strapi/utils';
import { validateArticleInput } from '../articles/validation';
import { ARTICLE_UID, CREDIT_UID, FIGURE_COMPONENT, PARAGRAPH_COMPONENT } from '../articles/constants';
import { noteChanged } from '../public-view/changes';
import { currentAuthor, REVISION_UID } from '../revisions/store';
import { snapshotOf, type ArticleIn } from '../revisions/snapshot';

type Strapi = Core.Strapi;

/**
 * The common case of an import, a story new to the database imported published, written in a few
 * multi-row statements instead of the Document Service's create + publish (which writes and
 * re-reads one row per component, twice). It writes exactly the rows those two actions and the
 * article rules (src/articles/document-rules.ts) write for a new document:
 *
 * - a draft row and a published row (version 2, as create then publish leave it; the same
 *   firstPublishDate; importSource/importHash/importVersion as `recordImport` sets them);
 * - each row's own components (paragraphs, figures) and their links, `articles_cmps` ordered as
 *   Strapi orders them (the single `lead` without an order, `body` 1..n);
 * - figure → credit links, the `credits` relation as `syncCredits` sets it, authors in byline
 *   order, the section;
 * - the publish revision (`recordPublished`);
 * - the change noted for the public view: the read model row is rebuilt in this transaction and
 *   the cache purged after the commit, as for a lifecycle event;
 * - the `entry.create` and `entry.publish` events (webhooks) after the commit.
 *
 * `tests/api/import-fast-path.test.ts` imports the same stories both ways and compares the rows,
 * the REST and the GraphQL answers. Anything else (an existing document, a draft or scheduled
 * import, photos, data the checks below refuse) goes through the Document Service.
 */
export interface FastStory {
  locale: string;
  slug: string;
  source: string;
  key: string;
  /** The Document Service data the slow path would write (storyData + slug). */
  data: {
    headline: string;
    dateline: string | null;
    authors: string[];
    section?: string;
    lead: FigureData | null;
    body: Array<{ __component: typeof PARAGRAPH_COMPONENT; text: string } | ({ __component: typeof FIGURE_COMPONENT } & FigureData)>;
  };
}

interface FigureData {
  caption: string;
  credit: string | null;
  image: number | null;
  photographer: string | null;
  copyright: string | null;
}

/** Whether the data passes the checks the Document Service would make (else: the slow path, which reports). */
export function fastPathAccepts(strapi: Strapi, story: FastStory): boolean {
  const { data } = story;
  try {
    validateArticleInput({ ...data, slug: story.slug }, true);
  } catch {
    return false;
  }
  const figures = [...(data.lead ? [data.lead] : []), ...data.body.filter((b): b is { __component: typeof FIGURE_COMPONENT } & FigureData => b.__component === FIGURE_COMPONENT)];
  if (figures.some((f) => f.image !== null)) return false;
  const article = { headline: data.headline, slug: story.slug, dateline: data.dateline };
  if (!scalarsValid(strapi.contentType(ARTICLE_UID).attributes, article)) return false;
  const figureAttributes = strapi.components[FIGURE_COMPONENT].attributes;
  const paragraphAttributes = strapi.components[PARAGRAPH_COMPONENT].attributes;
  for (const f of figures) if (!scalarsValid(figureAttributes, { caption: f.caption, alt: null, photographer: f.photographer, copyright: f.copyright })) return false;
  for (const b of data.body) if (b.__component === PARAGRAPH_COMPONENT && !scalarsValid(paragraphAttributes, { text: b.text })) return false;
  return true;
}

interface ScalarRule {
  type: string;
  required?: boolean;
  maxLength?: number;
  minLength?: number;
  regex?: string;
}

/** Strapi's published-entry checks of string and text fields (required, min/max length, regex). */
function scalarsValid(attributes: Record<string, unknown>, values: Record<string, string | null>): boolean {
  for (const [name, value] of Object.entries(values)) {
    const rule = attributes[name] as ScalarRule | undefined;
    if (!rule || (rule.type !== 'string' && rule.type !== 'text')) return false;
    if (value === null || value === undefined) {
      if (rule.required) return false;
      continue;
    }
    if (rule.required && value === '') return false;
    if (rule.maxLength !== undefined && value.length > rule.maxLength) return false;
    if (rule.minLength !== undefined && value !== '' && value.length < rule.minLength) return false;
    if (rule.regex !== undefined && value !== '' && !new RegExp(rule.regex).test(value)) return false;
  }
  return true;
}

/**
 * Writes the story as a new document, inside the caller's transaction (opened with
 * `strapi.db.transaction`, so the public view sees the change). Returns its documentId.
 */
export async function createStoryFast(
  strapi: Strapi,
  transaction: { trx: Knex.Transaction; onCommit(callback: () => void): void },
  story: FastStory
): Promise<string> {
  const { trx } = transaction;
  const db = (table: string) => strapi.db.connection(table).transacting(trx);
  const { data, locale } = story;
  const newDocumentId = (strapi.db.metadata.get(ARTICLE_UID).attributes.documentId as unknown as { default: () => string }).default;
  const documentId = newDocumentId();
  const now = new Date();

  const figures = [...(data.lead ? [data.lead] : []), ...data.body.filter((b): b is { __component: typeof FIGURE_COMPONENT } & FigureData => b.__component === FIGURE_COMPONENT)];
  const creditIds = [...new Set(figures.map((f) => f.credit).filter((id): id is string => id !== null))];
  const credits = new Map<string, { id: number; documentId: string; name: string }>();
  if (creditIds.length > 0) {
    const rows = (await db(table(strapi, CREDIT_UID)).select('id', 'document_id', 'name').whereIn('document_id', creditIds)) as Array<{ id: number; document_id: string; name: string }>;
    for (const row of rows) credits.set(row.document_id, { id: row.id, documentId: row.document_id, name: row.name });
  }
  const authorIds = data.authors.length > 0
    ? new Map(((await db('authors').select('id', 'document_id').whereIn('document_id', data.authors)) as Array<{ id: number; document_id: string }>).map((r) => [r.document_id, r.id]))
    : new Map<string, number>();
  const sectionId = data.section
    ? ((await db('sections').select('id').where({ document_id: data.section, locale }).first()) as { id: number } | undefined)?.id
    : undefined;
  if (creditIds.some((id) => !credits.has(id)) || data.authors.some((id) => !authorIds.has(id)) || (data.section && sectionId === undefined)) {
    throw new Error(`${story.source}: a credit, author or section it names is gone`);
  }

  // Both rows as create + publish leave them: version 1, bumped by the publish.
  const article = {
    document_id: documentId,
    headline: data.headline,
    slug: story.slug,
    dateline: data.dateline,
    first_publish_date: now,
    version: 2,
    import_source: story.source,
    import_hash: story.key,
    import_version: 2,
    created_at: now,
    updated_at: now,
    locale,
  };
  const [draftRow, publishedRow] = (await db('articles')
    .insert([
      { ...article, published_at: null },
      { ...article, published_at: now },
    ])
    .returning(['id'])) as Array<{ id: number }>;
  const rowIds = [draftRow.id, publishedRow.id];

  // Components, each row's own: paragraphs and figures in one insert each, both rows at once.
  const paragraphs = data.body.filter((b) => b.__component === PARAGRAPH_COMPONENT) as Array<{ text: string }>;
  const paragraphIds = paragraphs.length > 0
    ? ((await db('components_content_paragraphs').insert(rowIds.flatMap(() => paragraphs.map((p) => ({ text: p.text })))).returning(['id'])) as Array<{ id: number }>).map((r) => r.id)
    : [];
  const figureIds = figures.length > 0
    ? ((await db('components_media_figures')
        .insert(rowIds.flatMap(() => figures.map((f) => ({ caption: f.caption, alt: null, photographer: f.photographer, copyright: f.copyright }))))
        .returning(['id'])) as Array<{ id: number }>).map((r) => r.id)
    : [];
  const creditLinks = rowIds.flatMap((_, row) =>
    figures.flatMap((f, i) => (f.credit ? [{ figure_id: figureIds[row * figures.length + i], image_credit_id: credits.get(f.credit)!.id }] : []))
  );
  if (creditLinks.length > 0) await db('components_media_figures_credit_lnk').insert(creditLinks);

  const cmps: Array<Record<string, unknown>> = [];
  rowIds.forEach((entityId, row) => {
    let figure = row * figures.length;
    let paragraph = row * paragraphs.length;
    if (data.lead) cmps.push({ entity_id: entityId, cmp_id: figureIds[figure++], component_type: FIGURE_COMPONENT, field: 'lead', order: null });
    data.body.forEach((block, i) => {
      const cmpId = block.__component === FIGURE_COMPONENT ? figureIds[figure++] : paragraphIds[paragraph++];
      cmps.push({ entity_id: entityId, cmp_id: cmpId, component_type: block.__component, field: 'body', order: i + 1 });
    });
  });
  if (cmps.length > 0) await db('articles_cmps').insert(cmps);

  // The `credits` relation as syncCredits sets it (its ids sorted as it sorts them).
  const wanted = [...new Set(figures.map((f) => (f.credit ? credits.get(f.credit)!.id : undefined)).filter((id): id is number => id !== undefined))].sort();
  if (wanted.length > 0) {
    await db('articles_credits_lnk').insert(rowIds.flatMap((articleId) => wanted.map((id, i) => ({ article_id: articleId, image_credit_id: id, image_credit_ord: i + 1 }))));
  }
  if (data.authors.length > 0) {
    await db('articles_authors_lnk').insert(rowIds.flatMap((articleId) => data.authors.map((id, i) => ({ article_id: articleId, author_id: authorIds.get(id)!, author_ord: i + 1 }))));
  }
  if (sectionId !== undefined) await db('articles_section_lnk').insert(rowIds.map((articleId) => ({ article_id: articleId, section_id: sectionId })));

  // The publish revision, from what was just written (recordPublished reads it back).
  const figureIn = (f: FigureData) => ({ caption: f.caption, alt: null, credit: f.credit ? credits.get(f.credit)! : null, image: null });
  const published: ArticleIn = {
    headline: data.headline,
    slug: story.slug,
    standfirst: null,
    byline: null,
    dateline: data.dateline,
    corrections: [],
    lead: data.lead ? figureIn(data.lead) : null,
    body: data.body.map((b) => (b.__component === PARAGRAPH_COMPONENT ? { __component: b.__component, text: b.text } : { __component: b.__component, ...figureIn(b) })),
  };
  const author = currentAuthor(strapi);
  const revisionDocumentId = (strapi.db.metadata.get(REVISION_UID).attributes.documentId as unknown as { default: () => string }).default();
  await db('article_revisions').insert({
    document_id: revisionDocumentId,
    article_document_id: documentId,
    locale,
    kind: 'publish',
    version: 2,
    author_id: author.id,
    author_name: author.name,
    snapshot: JSON.stringify(snapshotOf(published)),
    created_at: now,
    updated_at: now,
    published_at: now,
  });

  // What the lifecycle events of these writes would have noted: the read model row is rebuilt at
  // the end of this transaction, the cache purged after it commits.
  noteChanged(strapi, ARTICLE_UID, [documentId]);
  noteChanged(strapi, REVISION_UID, [revisionDocumentId]);
  // And the Document Service's events (webhooks) once this commits, as create and publish send them.
  transaction.onCommit(() => {
    emitEvents(strapi, [
      ['entry.create', draftRow.id],
      ['entry.publish', publishedRow.id],
    ]).catch((error: Error) => strapi.log.error(`${story.source}: entry events: ${error.message}`));
  });
  return documentId;
}

function table(strapi: Strapi, uid: string): string {
  return strapi.db.metadata.get(uid as never).tableName;
}

type DeepPopulate = (uid: string, options: Record<string, unknown>) => Record<string, unknown>;
let deepPopulate: DeepPopulate | undefined;

/**
 * The events the Document Service's event manager sends for these rows (each row populated as it
 * populates it, sanitized as it sanitizes it), with the rows read in one query rather than one
 * each. Its `getDeepPopulate` is not exported by @strapi/core: loaded from its build.
 */
async function emitEvents(strapi: Strapi, events: Array<[string, number]>): Promise<void> {
  if (!deepPopulate) {
    const core = dirname(require.resolve('@strapi/core'));
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    deepPopulate = (require(join(core, 'services', 'document-service', 'utils', 'populate.js')) as { getDeepPopulate: DeepPopulate }).getDeepPopulate;
  }
  const model = strapi.getModel(ARTICLE_UID);
  const rows = (await strapi.db.query(ARTICLE_UID).findMany({
    where: { id: { $in: events.map(([, id]) => id) } },
    populate: deepPopulate(ARTICLE_UID, {}),
  })) as Array<{ id: number }>;
  for (const [name, id] of events) {
    const row = rows.find((r) => r.id === id) ?? null;
    const entry = await sanitize.sanitizers.defaultSanitizeOutput({ schema: model, getModel: (uid: string) => strapi.getModel(uid as never) } as never, row as never);
    await strapi.eventHub.emit(name, { model: model.modelName, uid: model.uid, entry });
  }
}

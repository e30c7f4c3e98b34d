import type { Core } from '@strapi/strapi';
import type { Knex } from 'knex';
import { sanitize } from '@strapi/utils';
import { validateArticleInput } from '../articles/validation';
import { ARTICLE_UID, AUTHOR_UID, CREDIT_UID, FIGURE_COMPONENT, PARAGRAPH_COMPONENT, SECTION_UID } from '../articles/constants';
import { noteChanged } from '../public-view/changes';
import { currentAuthor, REVISION_UID } from '../revisions/store';
import { snapshotOf, type ArticleIn } from '../revisions/snapshot';
import { lockDocuments, READ_MODEL_TABLE } from '../read-model/projection';
import type { ArticleView } from '../representations/article-view';
import { DRAFT_SEARCH_TABLE, searchColumns, searchVector } from '../search/columns';
import { learnFrom, rowJson, rowTags, sanitizeForPublic, shouldLearn, type BuiltRow } from './read-model-row';

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
 * - the read-model row, built here once the key order of its shape is known (read-model-row.ts),
 *   else rebuilt by the public view at the end of this transaction; the change noted for the
 *   public view either way (the cache purged after the commit, as for a lifecycle event);
 * - the `entry.create` and `entry.publish` events (webhooks) after the commit, built from what
 *   was written.
 *
 * All of it in one statement after one that takes the ids. `tests/api/import-fast-path.test.ts`
 * imports the same stories both ways and compares the rows, the REST, reader and GraphQL answers
 * and the events. Anything else (an existing document, a draft or scheduled import, photos, data
 * the checks below refuse) goes through the Document Service.
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
  const { data, locale } = story;
  const newDocumentId = (strapi.db.metadata.get(ARTICLE_UID).attributes.documentId as unknown as { default: () => string }).default;
  const documentId = newDocumentId();
  const now = new Date();

  const figures = [...(data.lead ? [data.lead] : []), ...data.body.filter((b): b is { __component: typeof FIGURE_COMPONENT } & FigureData => b.__component === FIGURE_COMPONENT)];
  const creditIds = [...new Set(figures.map((f) => f.credit).filter((id): id is string => id !== null))];
  // The records it links to, as the database layer reads them (the events carry them whole).
  const records = async (uid: string, where: Record<string, unknown>) =>
    (await strapi.db.query(uid as never).findMany({ where })) as unknown as Row[];
  const credits = new Map<string, Row>();
  if (creditIds.length > 0) for (const row of await records(CREDIT_UID, { documentId: { $in: creditIds } })) credits.set(row.documentId as string, row);
  const authorRows = new Map<string, Row>();
  if (data.authors.length > 0) for (const row of await records(AUTHOR_UID, { documentId: { $in: data.authors } })) authorRows.set(row.documentId as string, row);
  const section = data.section ? (await records(SECTION_UID, { documentId: data.section, locale }))[0] : undefined;
  const authorIds = new Map([...authorRows].map(([documentId, row]) => [documentId, row.id]));
  const sectionId = section?.id;
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
  // Ids from the tables' own sequences, taken up front so that every insert can go in one statement.
  const paragraphs = data.body.filter((b) => b.__component === PARAGRAPH_COMPONENT) as Array<{ text: string }>;
  const ids = await allocateIds(strapi, trx, { articles: 2, components_content_paragraphs: 2 * paragraphs.length, components_media_figures: 2 * figures.length });
  const [draftRow, publishedRow] = ids.articles.map((id) => ({ id }));
  const rowIds = [draftRow.id, publishedRow.id];
  const paragraphIds = ids.components_content_paragraphs;
  const figureIds = ids.components_media_figures;
  const inserts: Knex.QueryBuilder[] = [];
  const insert = (tableName: string, rows: Array<Record<string, unknown>>) => {
    if (rows.length > 0) inserts.push(strapi.db.connection(tableName).insert(rows));
  };

  insert('articles', [
    { id: draftRow.id, ...article, published_at: null },
    { id: publishedRow.id, ...article, published_at: now },
  ]);
  // Components, each row's own: paragraphs and figures in one insert each, both rows at once.
  insert('components_content_paragraphs', rowIds.flatMap(() => paragraphs).map((p, i) => ({ id: paragraphIds[i], text: p.text })));
  insert(
    'components_media_figures',
    rowIds.flatMap(() => figures).map((f, i) => ({ id: figureIds[i], caption: f.caption, alt: null, photographer: f.photographer, copyright: f.copyright }))
  );
  insert(
    'components_media_figures_credit_lnk',
    rowIds.flatMap((_, row) => figures.flatMap((f, i) => (f.credit ? [{ figure_id: figureIds[row * figures.length + i], image_credit_id: credits.get(f.credit)!.id }] : [])))
  );

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
  insert('articles_cmps', cmps);

  // The `credits` relation as syncCredits sets it (its ids sorted as it sorts them).
  const wanted = [...new Set(figures.map((f) => (f.credit ? credits.get(f.credit)!.id : undefined)).filter((id): id is number => id !== undefined))].sort();
  insert('articles_credits_lnk', rowIds.flatMap((articleId) => wanted.map((id, i) => ({ article_id: articleId, image_credit_id: id, image_credit_ord: i + 1 }))));
  insert('articles_authors_lnk', rowIds.flatMap((articleId) => data.authors.map((id, i) => ({ article_id: articleId, author_id: authorIds.get(id)!, author_ord: i + 1 }))));
  if (sectionId !== undefined) insert('articles_section_lnk', rowIds.map((articleId) => ({ article_id: articleId, section_id: sectionId })));

  // The publish revision, from what was just written (recordPublished reads it back).
  const figureIn = (f: FigureData) => ({ caption: f.caption, alt: null, credit: f.credit ? (credits.get(f.credit)! as unknown as { documentId: string; name: string }) : null, image: null });
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
  insert('article_revisions', [{
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
  }]);
  // And the Document Service's events (webhooks) once this commits, as create and publish send
  // them: each row as its deep populate reads it (built from what was just written), sanitized.
  const entry = (id: number, publishedAt: Date | null, componentIds: { paragraphs: number[]; figures: number[] }): Row => {
    let p = 0;
    let f = 0;
    const figureEntry = (fig: FigureData): Row => ({
      id: componentIds.figures[f++],
      caption: fig.caption,
      alt: null,
      photographer: fig.photographer,
      copyright: fig.copyright,
      image: null,
      credit: fig.credit ? { ...credits.get(fig.credit)! } : null,
    });
    const lead = data.lead ? figureEntry(data.lead) : null;
    const body = data.body.map((b) =>
      b.__component === PARAGRAPH_COMPONENT ? { id: componentIds.paragraphs[p++], text: b.text, __component: b.__component } : { ...figureEntry(b), __component: b.__component }
    );
    return {
      id,
      documentId,
      headline: data.headline,
      slug: story.slug,
      standfirst: null,
      byline: null,
      dateline: data.dateline,
      firstPublishDate: now,
      publishAt: null,
      unpublishAt: null,
      scheduleError: null,
      version: 2,
      importSource: story.source,
      importHash: story.key,
      importVersion: 2,
      createdAt: now,
      updatedAt: now,
      publishedAt,
      createdBy: null,
      updatedBy: null,
      locale,
      authors: data.authors.map((id) => ({ ...authorRows.get(id)! })),
      section: section ? { ...section } : null,
      tags: [],
      credits: wanted.map((id) => ({ ...[...credits.values()].find((c) => c.id === id)! })),
      corrections: [],
      lead,
      body,
    };
  };
  const perRow = (row: number) => ({
    paragraphs: paragraphIds.slice(row * paragraphs.length, (row + 1) * paragraphs.length),
    figures: figureIds.slice(row * figures.length, (row + 1) * figures.length),
  });
  // The read-model row, built here once this shape's key order is known (read-model-row.ts);
  // else rebuilt by the public view at the end of the transaction, as for any write.
  const { createdBy: _createdBy, updatedBy: _updatedBy, ...publishedArticle } = entry(publishedRow.id, now, perRow(1));
  const built: BuiltRow = {
    shape: JSON.stringify({ lead: data.lead !== null, bodyFigures: figures.length > (data.lead ? 1 : 0), authors: data.authors.length > 0, section: section !== undefined }),
    article: await sanitizeForPublic(strapi, publishedArticle),
    tags: rowTags([documentId, ...credits.keys(), ...authorRows.keys(), ...(section ? [section.documentId as string] : [])]),
  };
  const json = rowJson(strapi, built);
  if (json !== undefined) {
    await lockDocuments(strapi, [documentId], trx);
    inserts.push(
      strapi.db
        .connection(READ_MODEL_TABLE)
        .insert({
          document_id: documentId,
          locale,
          slug: story.slug,
          json,
          tags: built.tags,
          unpublish_at: null,
          updated_at: now,
          stale: false,
          ...searchColumns(strapi.db.connection, built.article as ArticleView, locale),
        })
        .onConflict(['document_id', 'locale'])
        .merge()
    );
  } else if (shouldLearn(strapi, built.shape)) {
    transaction.onCommit(() => {
      learnFrom(strapi, documentId, locale, built).catch((error: Error) => strapi.log.warn(`read model: learning a row's key order: ${error.message}`));
    });
  }
  // Editors' search index of the draft (src/search/drafts.ts): these rows are written here, not
  // through the Document Service, whose writes its middleware indexes.
  inserts.push(
    strapi.db
      .connection(DRAFT_SEARCH_TABLE)
      .insert({ document_id: documentId, locale, search: searchVector(strapi.db.connection, entry(draftRow.id, null, perRow(0)) as unknown as ArticleView, locale), updated_at: now })
      .onConflict(['document_id', 'locale'])
      .merge()
  );
  await insertAll(strapi, trx, inserts);

  // What the lifecycle events of these writes would have noted: the read model row is rebuilt at
  // the end of this transaction, the cache purged after it commits.
  noteChanged(strapi, ARTICLE_UID, [documentId], { readModelWritten: json !== undefined });
  noteChanged(strapi, REVISION_UID, [revisionDocumentId]);
  const entries: Array<[string, Row]> = [
    ['entry.create', entry(draftRow.id, null, perRow(0))],
    ['entry.publish', entry(publishedRow.id, now, perRow(1))],
  ];
  transaction.onCommit(() => {
    emitEvents(strapi, entries).catch((error: Error) => strapi.log.error(`${story.source}: entry events: ${error.message}`));
  });
  return documentId;
}

type Row = Record<string, unknown> & { id: number };

/** `count` new ids from each table's id sequence, in ascending order. One statement. */
async function allocateIds<T extends string>(strapi: Strapi, trx: Knex.Transaction, counts: Record<T, number>): Promise<Record<T, number[]>> {
  const tables = Object.keys(counts) as T[];
  const columns = tables.map(
    (_, i) => `ARRAY(SELECT nextval(pg_get_serial_sequence(?, 'id')) FROM generate_series(1, ?::int) ORDER BY 1) AS t${i}`
  );
  const bindings = tables.flatMap((t) => [t, counts[t]]);
  const { rows } = (await strapi.db.connection.raw(`SELECT ${columns.join(', ')}`, bindings).transacting(trx)) as { rows: Array<Record<string, Array<string | number>>> };
  return Object.fromEntries(tables.map((t, i) => [t, rows[0][`t${i}`].map(Number)])) as Record<T, number[]>;
}

/**
 * The inserts as one statement (each a data-modifying WITH query: PostgreSQL runs them all, and
 * checks the foreign keys between them at its end): one round trip instead of one each.
 */
async function insertAll(strapi: Strapi, trx: Knex.Transaction, inserts: Knex.QueryBuilder[]): Promise<void> {
  const parts = inserts.map((q) => q.toSQL());
  const sql = `WITH ${parts.map((p, i) => `w${i} AS (${p.sql})`).join(', ')} SELECT 1`;
  await strapi.db.connection.raw(sql, parts.flatMap((p) => p.bindings as Knex.Value[])).transacting(trx);
}

/** Sends the events as the Document Service's event manager sends them (sanitized, one after the other). */
async function emitEvents(strapi: Strapi, events: Array<[string, Row]>): Promise<void> {
  const model = strapi.getModel(ARTICLE_UID);
  for (const [name, row] of events) {
    const entry = await sanitize.sanitizers.defaultSanitizeOutput({ schema: model, getModel: (uid: string) => strapi.getModel(uid as never) } as never, row as never);
    await strapi.eventHub.emit(name, { model: model.modelName, uid: model.uid, entry });
  }
}

import { createHash } from 'node:crypto';
import type { Core, Modules } from '@strapi/strapi';
import { errors } from '@strapi/utils';
import createHttpError from 'http-errors';
import type { Knex } from 'knex';
import { assertEditLease } from '../presence/guard';
import { recordConflict, recordPublished, snapshotFromInput } from '../revisions/store';
import { clearSchedule, syncSchedules } from '../scheduling/schedules';
import { validateArticleInput } from './validation';
import { slugify, withClashSuffix } from '../story';
import { ARTICLE_UID, CORRECTION_COMPONENT, FIGURE_COMPONENT } from './constants';
import { publishedSlug, rememberReplacedSlug } from './slug-history';

type Strapi = Core.Strapi;
type Middleware = Modules.Documents.Middleware.Middleware;

const WRITE_ACTIONS = new Set(['create', 'update', 'publish', 'unpublish', 'discardDraft']);
const STATE_ACTIONS = new Set(['publish', 'unpublish', 'discardDraft']);

interface ArticleParams {
  documentId?: string;
  locale?: string;
  data?: Record<string, unknown>;
}

/**
 * The article's invariants, kept by the Document Service so that every path (admin, REST,
 * importer) goes through them: a slug by the one slug rule, unique per locale; firstPublishDate
 * set on first publish; a version that every change bumps; the `credits` relation in step with
 * the figures.
 */
export function articleDocumentRules(strapi: Strapi): Middleware {
  return async (ctx, next) => {
    if (ctx.uid !== ARTICLE_UID) return next();
    const params = ctx.params as ArticleParams;
    if (ctx.action === 'delete' && params.documentId) {
      const documentId = params.documentId;
      return strapi.db.transaction(async ({ trx }) => {
        await assertEditLease(strapi, trx, 'delete', documentId, params.locale);
        return next();
      });
    }
    if (!WRITE_ACTIONS.has(ctx.action)) return next();
    const locale = await resolveLocale(strapi, params.locale);

    const write = async ({ trx }: { trx: Knex.Transaction }) => {
      // Someone else's live edit lease refuses an admin's write, before anything is written.
      if (ctx.action !== 'create' && params.documentId) await assertEditLease(strapi, trx, ctx.action, params.documentId, params.locale, params.data);
      if (ctx.action === 'create' || ctx.action === 'update') {
        await prepareWrite(strapi, params, locale, ctx.action === 'create');
      }
      let slugBefore: string | null = null;
      if (ctx.action === 'publish' && params.documentId) {
        await stampFirstPublished(strapi, params.documentId, locale);
        if (locale) {
          // A correction is dated when the article is next published (the draft's, copied by the publish).
          await dateNewCorrections(strapi, params.documentId, locale);
          slugBefore = await publishedSlug(strapi, params.documentId, locale);
        }
      }

      const result = await next();

      const documentId = params.documentId ?? documentIdOf(result);
      if (documentId && locale) {
        // Times on the draft become jobs; an editor's own publish or unpublish fulfils the pending one.
        if (ctx.action === 'create' || ctx.action === 'update') await syncSchedules(strapi, documentId, locale, trx);
        if (ctx.action === 'publish' || ctx.action === 'unpublish') await clearSchedule(strapi, documentId, locale, ctx.action, trx);
        if (ctx.action === 'publish') await rememberReplacedSlug(strapi, documentId, locale, slugBefore, trx);
      }
      if (documentId) {
        if (STATE_ACTIONS.has(ctx.action)) await bumpVersion(strapi, documentId, locale);
        if (ctx.action === 'publish') await recordPublished(strapi, documentId, locale);
        if (ctx.action !== 'unpublish') await syncCredits(strapi, documentId, locale);
      }
      return result;
    };
    // The version check and the write in one transaction, with the draft row locked from the
    // check on: two saves made from the same version cannot both pass it.
    return strapi.db.transaction(write);
  };
}

async function resolveLocale(strapi: Strapi, locale: string | undefined): Promise<string | undefined> {
  if (locale === '*') return undefined; // every locale
  if (locale) return locale;
  return strapi.plugin('i18n').service('locales').getDefaultLocale();
}

function documentIdOf(result: unknown): string | undefined {
  if (result && typeof result === 'object' && 'documentId' in result) {
    const id = (result as { documentId: unknown }).documentId;
    return typeof id === 'string' ? id : undefined;
  }
  return undefined;
}

async function prepareWrite(
  strapi: Strapi,
  params: ArticleParams,
  locale: string | undefined,
  isCreate: boolean
): Promise<void> {
  const data = (params.data ??= {});
  validateArticleInput(data, isCreate);
  const current =
    params.documentId && locale
      ? ((await strapi.db
          .queryBuilder(ARTICLE_UID)
          .select(['id', 'version', 'slug', 'headline'])
          .where({ documentId: params.documentId, locale, publishedAt: null })
          .forUpdate()
          .first()
          .execute()) as { version: number | null; slug: string | null; headline: string } | null)
      : null;

  // Optimistic concurrency: a save that says which version it edited (the admin sends the
  // hidden `version` back) is refused when someone saved in between; its text is kept.
  if (current && params.documentId && locale && typeof data.version === 'number' && data.version !== (current.version ?? 0)) {
    const snapshot = await snapshotFromInput(strapi, data, { headline: current.headline, slug: current.slug });
    await recordConflict(strapi, params.documentId, locale, data.version, snapshot);
    throw createHttpError(
      409,
      `Not saved: someone else saved this article while you were editing (you edited version ${data.version}, ` +
        `it is now at version ${current.version ?? 0}). Your text is kept in the article's revisions: ` +
        'reload the page to see the latest version, then copy your changes back from the revision.'
    );
  }
  data.version = (current?.version ?? 0) + 1;

  const headline = typeof data.headline === 'string' ? data.headline : current?.headline;
  const requested = typeof data.slug === 'string' && data.slug.trim() !== '' ? data.slug.trim() : undefined;
  if (requested) {
    if (requested !== current?.slug && locale) {
      if (await slugTaken(strapi, requested, locale, params.documentId)) {
        throw new errors.ValidationError(`slug "${requested}" is already used by another article in ${locale}`, {
          errors: [{ path: ['slug'], message: 'This slug is already used by another article', name: 'ValidationError' }],
        });
      }
    }
    data.slug = requested;
  } else if (current?.slug && !isCreate && data.slug === undefined) {
    // The slug is the story's URL: it stays when the headline is revised.
  } else if (headline && locale) {
    const hash = createHash('sha256').update(headline).digest('hex');
    data.slug = await uniqueSlug(strapi, slugify(headline, hash), locale, params.documentId);
  }
}

async function slugTaken(strapi: Strapi, slug: string, locale: string, documentId?: string): Promise<boolean> {
  const clash = await strapi.db.query(ARTICLE_UID).findOne({
    where: { slug, locale, ...(documentId ? { documentId: { $ne: documentId } } : {}) },
    select: ['id'],
  });
  return clash !== null;
}

/** The one slug rule's clash step: `-2`, `-3`, … within the locale. */
export async function uniqueSlug(strapi: Strapi, base: string, locale: string, documentId?: string): Promise<string> {
  for (let n = 1; ; n += 1) {
    const candidate = withClashSuffix(base, n);
    if (!(await slugTaken(strapi, candidate, locale, documentId))) return candidate;
  }
}

async function stampFirstPublished(strapi: Strapi, documentId: string, locale: string | undefined): Promise<void> {
  await strapi.db.query(ARTICLE_UID).updateMany({
    where: { documentId, ...(locale ? { locale } : {}), publishedAt: null, firstPublishDate: null },
    data: { firstPublishDate: new Date() },
  });
}

async function dateNewCorrections(strapi: Strapi, documentId: string, locale: string): Promise<void> {
  const draft = (await strapi.db.query(ARTICLE_UID).findOne({
    where: { documentId, locale, publishedAt: null },
    select: ['id'],
    populate: { corrections: { select: ['id', 'date'] } },
  })) as { corrections?: Array<{ id: number; date: string | null }> } | null;
  const undated = (draft?.corrections ?? []).filter((c) => !c.date).map((c) => c.id);
  if (undated.length > 0) await strapi.db.query(CORRECTION_COMPONENT).updateMany({ where: { id: { $in: undated } }, data: { date: new Date() } });
}

async function bumpVersion(strapi: Strapi, documentId: string, locale: string | undefined): Promise<void> {
  // The query builder joins the transaction the write runs in (db.connection would not).
  await strapi.db
    .queryBuilder(ARTICLE_UID)
    .where({ documentId, ...(locale ? { locale } : {}) })
    .increment('version', 1)
    .execute();
}

interface CreditRef {
  id: number;
}
interface FigureRow {
  credit?: CreditRef | null;
}
interface ArticleRow {
  id: number;
  lead?: FigureRow | null;
  body?: Array<FigureRow & { __component: string }> | null;
}

/** Sets each row's `credits` to the credits its figures use (front-ends filter on it). */
export async function syncCredits(strapi: Strapi, documentId: string, locale: string | undefined): Promise<void> {
  const rows = (await strapi.db.query(ARTICLE_UID).findMany({
    where: { documentId, ...(locale ? { locale } : {}) },
    select: ['id'],
    populate: {
      lead: { populate: { credit: { select: ['id'] } } },
      body: { on: { [FIGURE_COMPONENT]: { populate: { credit: { select: ['id'] } } } } },
      credits: { select: ['id'] },
    },
  })) as Array<ArticleRow & { credits?: CreditRef[] }>;

  for (const row of rows) {
    const figures: FigureRow[] = [
      ...(row.lead ? [row.lead] : []),
      ...(row.body ?? []).filter((block) => block.__component === FIGURE_COMPONENT),
    ];
    const wanted = [...new Set(figures.map((f) => f.credit?.id).filter((id): id is number => typeof id === 'number'))].sort();
    const have = (row.credits ?? []).map((c) => c.id).sort();
    if (wanted.join(',') !== have.join(',')) {
      await strapi.db.query(ARTICLE_UID).update({ where: { id: row.id }, data: { credits: wanted } });
    }
  }
}

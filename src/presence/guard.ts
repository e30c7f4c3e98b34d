import type { Core } from '@strapi/strapi';
import createHttpError from 'http-errors';
import type { Knex } from 'knex';
import { recordConflict, snapshotFromInput } from '../revisions/store';
import { leaseHeldByOther } from './store';

interface AdminRequestState {
  user?: { id?: number };
  auth?: { strategy?: { name?: string } };
}

const ADMIN_STRATEGIES = new Set(['admin', 'admin-token']);

/** The locales a write touches: one, several (bulk actions), or every one (`'*'`: undefined). */
export function leaseLocales(locale: unknown, defaultLocale: string | undefined): string[] | undefined {
  if (locale === '*') return undefined;
  if (Array.isArray(locale)) return locale.filter((l): l is string => typeof l === 'string');
  if (typeof locale === 'string' && locale) return [locale];
  return defaultLocale ? [defaultLocale] : undefined;
}

const VERB: Record<string, string> = {
  update: 'Not saved',
  publish: 'Not published',
  unpublish: 'Not unpublished',
  discardDraft: 'Draft not discarded',
  delete: 'Not deleted',
};

/**
 * The edit lease, enforced on every admin write of an article (save, publish, unpublish, discard,
 * delete, a revision's restore): while someone else's lease is live, the write is refused with
 * 409 naming them. A refused save keeps its text in the revisions, as a version conflict does.
 * Writes that are not an admin's (the importer, the scheduler, API tokens) are not leased.
 */
export async function assertEditLease(
  strapi: Core.Strapi,
  trx: Knex.Transaction,
  action: string,
  documentId: string,
  locale: unknown,
  data?: Record<string, unknown>
): Promise<void> {
  const state = strapi.requestContext.get()?.state as AdminRequestState | undefined;
  const userId = state?.user?.id;
  // An admin's session, or an admin's own API token for the admin endpoints. Nothing else (the
  // importer, the scheduler, API tokens) pays for the check.
  if (!ADMIN_STRATEGIES.has(state?.auth?.strategy?.name ?? '') || typeof userId !== 'number') return;
  const locales = leaseLocales(locale, locale === undefined ? await strapi.plugin('i18n').service('locales').getDefaultLocale() : undefined);
  const holder = await leaseHeldByOther(trx, documentId, locales, userId);
  if (!holder) return;
  let kept = '';
  const one = locales?.length === 1 ? locales[0] : undefined;
  if (action === 'update' && data && one) {
    const current = (await trx('articles').select('headline', 'slug').where({ document_id: documentId, locale: one }).whereNull('published_at').first()) as
      | { headline: string; slug: string | null }
      | undefined;
    const snapshot = await snapshotFromInput(strapi, data, { headline: current?.headline ?? '', slug: current?.slug ?? null });
    await recordConflict(strapi, documentId, one, typeof data.version === 'number' ? data.version : null, snapshot);
    kept = ' Your text is kept in the article’s revisions: copy your changes from there once you hold the article again.';
  }
  const error = createHttpError(
    409,
    `${VERB[action] ?? 'Refused'}: ${holder.name} is editing this article (since ${holder.since}) and holds its edit lease.` +
      ` Take over in the edit view, or wait until they close it.${kept}`
  );
  // The admin shows `message`; clients that want the holder read `details`.
  (error as unknown as { details: unknown }).details = { lease: holder };
  throw error;
}

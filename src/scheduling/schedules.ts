import type { Core } from '@strapi/strapi';
import type { Knex } from 'knex';
import { ARTICLE_UID } from '../articles/constants';
import { inTransaction, scheduler, SCHEDULE_QUEUE, type ScheduleJob } from './queue';

/**
 * An article's schedule: `publishAt` and `unpublishAt` on each locale's draft, and at most one job
 * per (document, locale, action) in `article_schedules`, kept in step in the transaction that
 * saves the draft: a new time sends a job for it (the old one cancelled), a cleared time cancels.
 * A job does its action only while its time is still the article's: a job left over from a
 * reschedule finds another time and does nothing.
 */
export const SCHEDULE_TABLE = 'article_schedules';

// Its table: database/migrations/2026.12.02T00.00.00.service-tables.js.

type Action = ScheduleJob['action'];
const FIELD: Record<Action, 'publishAt' | 'unpublishAt'> = { publish: 'publishAt', unpublish: 'unpublishAt' };

interface DraftTimes {
  publishAt: string | Date | null;
  unpublishAt: string | Date | null;
}

const time = (value: string | Date | null | undefined): number | null => (value ? new Date(value).getTime() : null);

/** After a draft is saved: its times become (or stop being) jobs. In the save's transaction. */
export async function syncSchedules(strapi: Core.Strapi, documentId: string, locale: string, trx: Knex.Transaction): Promise<void> {
  const draft = (await strapi.db.query(ARTICLE_UID).findOne({
    where: { documentId, locale, publishedAt: null },
    select: ['publishAt', 'unpublishAt'],
  })) as DraftTimes | null;
  if (!draft) return;
  for (const action of ['publish', 'unpublish'] as const) {
    await setSchedule(strapi, { documentId, locale, action }, time(draft[FIELD[action]]), trx);
  }
  // The end of the published version's life is the published row's too: the read side hides an
  // article whose unpublishAt has passed even if its job is late.
  const published = (await strapi.db.query(ARTICLE_UID).findOne({
    where: { documentId, locale, publishedAt: { $notNull: true } },
    select: ['id', 'unpublishAt'],
  })) as { id: number; unpublishAt: string | Date | null } | null;
  if (published && time(published.unpublishAt) !== time(draft.unpublishAt)) {
    await strapi.db.query(ARTICLE_UID).update({ where: { id: published.id }, data: { unpublishAt: draft.unpublishAt } });
  }
}

/** An editor's own publish (or unpublish) fulfils the pending one: its time is cleared. */
export async function clearSchedule(strapi: Core.Strapi, documentId: string, locale: string, action: Action, trx: Knex.Transaction): Promise<void> {
  await setSchedule(strapi, { documentId, locale, action }, null, trx);
  await strapi.db.query(ARTICLE_UID).updateMany({
    where: { documentId, locale, [FIELD[action]]: { $notNull: true } },
    data: { [FIELD[action]]: null },
  });
}

async function setSchedule(strapi: Core.Strapi, key: { documentId: string; locale: string; action: Action }, due: number | null, trx: Knex.Transaction): Promise<void> {
  const table = () => strapi.db.connection(SCHEDULE_TABLE).transacting(trx);
  const where = { document_id: key.documentId, locale: key.locale, action: key.action };
  const current = (await table().where(where).forUpdate().first()) as { due_at: Date; job_id: string } | undefined;
  if (time(current?.due_at) === due) return;
  const db = inTransaction(trx);
  if (current) {
    await scheduler().cancel(SCHEDULE_QUEUE, current.job_id, { db });
    await table().where(where).delete();
  }
  if (due === null) return;
  const dueAt = new Date(due);
  const job: ScheduleJob = { ...key, dueAt: dueAt.toISOString() };
  const jobId = await scheduler().send(SCHEDULE_QUEUE, job, { startAfter: dueAt, db });
  if (!jobId) throw new Error(`the scheduler did not take the ${key.action} of ${key.documentId} (${key.locale})`);
  await table().insert({ ...where, due_at: dueAt, job_id: jobId });
  // Set on the draft by an editor: a past failure of this action is forgotten.
  await strapi.db.query(ARTICLE_UID).updateMany({ where: { documentId: key.documentId, locale: key.locale, scheduleError: { $notNull: true } }, data: { scheduleError: null } });
}

/**
 * A due job: the latest saved draft published (or the article unpublished), exactly as an
 * editor's action is (revision, webhook, purge, read model), once. The schedule row is taken and
 * removed in the action's transaction: a retry after a crash past the commit finds none.
 */
export async function runScheduledAction(strapi: Core.Strapi, job: ScheduleJob): Promise<'done' | 'stale'> {
  return strapi.db.transaction(async ({ trx }) => {
    const where = { document_id: job.documentId, locale: job.locale, action: job.action };
    const schedule = (await strapi.db.connection(SCHEDULE_TABLE).transacting(trx).where(where).forUpdate().first()) as { due_at: Date } | undefined;
    if (!schedule || time(schedule.due_at) !== time(job.dueAt)) return 'stale'; // rescheduled, cancelled, or done
    await strapi.db.connection(SCHEDULE_TABLE).transacting(trx).where(where).delete();
    const documents = strapi.documents(ARTICLE_UID);
    if (job.action === 'publish') await documents.publish({ documentId: job.documentId, locale: job.locale } as never);
    else await documents.unpublish({ documentId: job.documentId, locale: job.locale } as never);
    strapi.log.info(`scheduled ${job.action} of ${job.documentId} (${job.locale}) due ${job.dueAt}: done`);
    return 'done';
  });
}

/** A failure an editor sees on the article (the edit view and the list's column). */
export async function recordScheduleFailure(strapi: Core.Strapi, job: ScheduleJob, message: string): Promise<void> {
  await strapi.db.query(ARTICLE_UID).updateMany({
    where: { documentId: job.documentId, locale: job.locale, publishedAt: null },
    data: { scheduleError: message.slice(0, 1000) },
  });
}

import type { Core } from '@strapi/strapi';
import type { Knex } from 'knex';
import type { ClientConfig } from 'pg';
import PgBoss from 'pg-boss';
import { z } from 'zod';

/**
 * Scheduled publishing runs on pg-boss (10.4, the last line that runs on Node 20), a job queue kept
 * in PostgreSQL: jobs are rows created in the transaction that saves the schedule, fetched with
 * SKIP LOCKED by one instance at a time, failed over to another instance when the one running a
 * job dies (its lock expires), retried with backoff, and dead-lettered in the end.
 */
export const SCHEDULE_QUEUE = 'article-schedule';
export const FAILED_QUEUE = 'article-schedule-failed';

export const ScheduleJob = z.object({
  documentId: z.string().min(1),
  locale: z.string().min(1),
  action: z.enum(['publish', 'unpublish']),
  dueAt: z.string().datetime(),
});
export type ScheduleJob = z.infer<typeof ScheduleJob>;

export interface SchedulerSettings {
  /** Run the jobs in this process (servers do; the importer only creates them). */
  workers: boolean;
  retryLimit: number;
  retryDelaySeconds: number;
  /** A job not finished this long after it started is taken to have died with its process. */
  expireSeconds: number;
}

export interface SchedulerHandlers {
  run(job: ScheduleJob): Promise<void>;
  attemptFailed(job: ScheduleJob, attempt: number, error: Error, willRetry: boolean): Promise<void>;
  gaveUp(job: ScheduleJob): Promise<void>;
}

let boss: PgBoss | null = null;
let startWorkers: (() => Promise<void>) | null = null;

export function scheduler(): PgBoss {
  if (!boss) throw new Error('the scheduler has not started');
  return boss;
}

export async function startScheduler(strapi: Core.Strapi, database: ClientConfig, settings: SchedulerSettings, handlers: SchedulerHandlers): Promise<void> {
  if (boss) return;
  const started = new PgBoss({
    host: database.host,
    port: database.port,
    database: database.database,
    user: database.user,
    password: database.password as string | undefined,
    ssl: database.ssl,
    schema: 'pgboss',
    max: 3,
    application_name: `news-scheduler:${process.pid}`,
    // Expired jobs (their instance died) are found within seconds, not minutes.
    maintenanceIntervalSeconds: 5,
    schedule: false, // no cron jobs: every job here has its own due time
  });
  started.on('error', (error: Error) => strapi.log.warn(`scheduler: ${error.message}`));
  await started.start();
  boss = started;
  const queue = {
    name: SCHEDULE_QUEUE,
    retryLimit: settings.retryLimit,
    retryDelay: settings.retryDelaySeconds,
    retryBackoff: true,
    expireInSeconds: settings.expireSeconds,
    deadLetter: FAILED_QUEUE,
  };
  await started.createQueue(FAILED_QUEUE, { name: FAILED_QUEUE });
  await started.createQueue(SCHEDULE_QUEUE, queue);
  await started.updateQueue(SCHEDULE_QUEUE, queue);
  if (!settings.workers) return;
  startWorkers = () => runWorkers(started, handlers);
}

/**
 * Starts running due jobs (a server's; a command only makes them). Called once change capture,
 * the invalidation bus and the edge's outbox are in place: an overdue job may publish at once,
 * and its write must purge like any other.
 */
export async function startSchedulerWorkers(): Promise<void> {
  const start = startWorkers;
  startWorkers = null;
  await start?.();
}

async function runWorkers(started: PgBoss, handlers: SchedulerHandlers): Promise<void> {
  await started.work<ScheduleJob>(SCHEDULE_QUEUE, { pollingIntervalSeconds: 0.5, batchSize: 1, includeMetadata: true }, async ([job]) => {
    const data = ScheduleJob.parse(jobData(job.data));
    try {
      await handlers.run(data);
    } catch (error) {
      const attempt = job.retryCount + 1;
      await handlers.attemptFailed(data, attempt, error as Error, attempt <= job.retryLimit).catch(() => undefined);
      throw error;
    }
  });
  await started.work<ScheduleJob>(FAILED_QUEUE, { pollingIntervalSeconds: 2, batchSize: 1 }, async ([job]) => {
    const data = ScheduleJob.safeParse(jobData(job.data));
    if (data.success) await handlers.gaveUp(data.data);
  });
}

/**
 * A job's data as pg-boss hands it over: parsed JSON, or its text when the process's `pg` returns
 * jsonb as text (Strapi sets that type parser for its own JSON fields, and pg-boss shares `pg`).
 */
function jobData(data: unknown): unknown {
  if (typeof data !== 'string') return data;
  try {
    return JSON.parse(data);
  } catch {
    return data;
  }
}

export async function stopScheduler(): Promise<void> {
  const stopping = boss;
  boss = null;
  startWorkers = null;
  // Jobs in progress finish (or, past the timeout, are left to expire and run elsewhere).
  await stopping?.stop({ graceful: true, wait: true, timeout: 10_000 });
}

/**
 * pg-boss's SQL, run inside a knex transaction (the write that saves the schedule): its `$n`
 * placeholders become knex's `?` bindings, in order.
 */
export function inTransaction(trx: Knex.Transaction): { executeSql(text: string, values: unknown[]): Promise<{ rows: unknown[] }> } {
  return {
    async executeSql(text: string, values: unknown[] = []) {
      const bindings: unknown[] = [];
      const sql = text.replace(/\$(\d+)/g, (_match, index: string) => {
        bindings.push(values[Number(index) - 1] ?? null);
        return '?';
      });
      const result = (await trx.raw(sql, bindings as Knex.RawBinding[])) as { rows: unknown[] };
      return { rows: result.rows };
    },
  };
}

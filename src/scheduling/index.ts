import type { Core } from '@strapi/strapi';
import { databaseClientConfig, readEnv } from '../env';
import { startScheduler } from './queue';
import { recordScheduleFailure, runScheduledAction } from './schedules';

/** Which kind of process this is: a server runs scheduled jobs; a command (import, seed) only makes them. */
let role: 'server' | 'command' = 'server';
export function runningAsCommand(): void {
  role = 'command';
}
export function runningAsServer(): boolean {
  return role === 'server';
}

export async function installScheduling(strapi: Core.Strapi): Promise<void> {
  const env = readEnv();
  const database = databaseClientConfig(env);
  if (!database) return; // `strapi build` and friends: no database
  const label = (job: { action: string; dueAt: string }) => `Scheduled ${job.action} for ${job.dueAt}`;
  await startScheduler(
    strapi,
    database,
    { workers: role === 'server' && env.SCHEDULE_WORKERS, retryLimit: env.SCHEDULE_RETRY_LIMIT, retryDelaySeconds: env.SCHEDULE_RETRY_DELAY, expireSeconds: env.SCHEDULE_JOB_TIMEOUT },
    {
      run: async (job) => {
        await runScheduledAction(strapi, job);
      },
      attemptFailed: async (job, attempt, error, willRetry) => {
        strapi.log.warn(`${label(job)} of ${job.documentId} (${job.locale}) failed, attempt ${attempt}: ${error.message}`);
        await recordScheduleFailure(strapi, job, `${label(job)} failed (attempt ${attempt}): ${error.message}${willRetry ? '; retrying' : ''}`);
      },
      gaveUp: async (job) => {
        strapi.log.error(`${label(job)} of ${job.documentId} (${job.locale}) was given up after its retries`);
        await recordScheduleFailure(strapi, job, `${label(job)} FAILED and was given up after ${env.SCHEDULE_RETRY_LIMIT + 1} attempts. Publish by hand, or set a new time and save.`);
      },
    }
  );
}

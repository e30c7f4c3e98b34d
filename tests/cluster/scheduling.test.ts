import { mkdtempSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client } from 'pg';
import { adminClient, createDatabase, dropDatabase, runCli, serverPid, startInstance, startPostgres, waitFor, type Instance } from '../../scripts/lib/instances';
import { removeEmbeddedCluster } from '../../src/runtime/embedded-postgres';
import { sql } from '../helpers/database';

/**
 * Scheduled publishing on several instances (pg-boss in the shared PostgreSQL): on time, exactly
 * once, through a `kill -9` mid-job, with every instance down at the due time, and across a
 * PostgreSQL restart; times given in a non-UTC zone across a daylight-saving change.
 */
// The editor's zone: the test process's (npm run test:cluster runs in Europe/Berlin).
const ZONE = Intl.DateTimeFormat().resolvedOptions().timeZone;

const SERVER = process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
const CM = '/content-manager/collection-types/api::article.article';
const FAST = { SCHEDULE_JOB_TIMEOUT: '5', SCHEDULE_RETRY_DELAY: '1', LOG_LEVEL: 'warn' };
let portBase = 2100 + (process.pid % 100) * 8;
const nextPort = () => (portBase += 1);

const running: Instance[] = [];
async function instance(env: Record<string, string>): Promise<Instance> {
  const started = await startInstance(nextPort(), { ...FAST, ...env });
  running.push(started);
  return started;
}
afterEach(async () => {
  await Promise.all(running.splice(0).map((i) => i.stop('SIGTERM', 20_000)));
});

const publishRevisions = async (url: string, documentId: string) =>
  Number((await sql<{ n: string }>(url, `SELECT count(*) AS n FROM article_revisions WHERE article_document_id = $1 AND kind = 'publish'`, [documentId]))[0].n);
const isPublished = async (base: string, documentId: string) => (await fetch(`${base}/api/articles/${documentId}`)).status === 200;

/**
 * Waits until the scheduler is done with every job of `documentId` (pg-boss's own record: each
 * completed, cancelled or failed, none waiting, retrying or running). From then on no run can
 * come: what the database holds is the count, not a guess after a sleep.
 */
async function jobsSettled(url: string, documentId: string): Promise<void> {
  await waitFor(
    async () => {
      const rows = await sql<{ state: string }>(url, `SELECT state::text AS state FROM pgboss.job WHERE name = 'article-schedule' AND data->>'documentId' = $1`, [documentId]);
      return rows.length > 0 && rows.every((row) => ['completed', 'cancelled', 'failed'].includes(row.state)) ? true : undefined;
    },
    60_000,
    `the scheduler to finish with ${documentId}`
  );
}

/** A draft made through the admin of `base`, then saved with a publishAt. */
async function scheduleDraft(base: string, headline: string, publishAt: Date): Promise<string> {
  const admin = await adminClient(base);
  const created = await admin.call('POST', `${CM}?locale=en`, { headline });
  const documentId = (created.body?.data as { documentId: string }).documentId;
  const current = await admin.call('GET', `${CM}/${documentId}?locale=en`);
  const saved = await admin.call('PUT', `${CM}/${documentId}?locale=en`, { version: (current.body?.data as { version: number }).version, publishAt: publishAt.toISOString() });
  expect(saved.status).toBe(200);
  return documentId;
}

describe('two instances, one database', () => {
  let databaseUrl: string;
  let receiver: Server;
  const deliveries: Array<{ event: string; documentId?: string }> = [];
  let webhookUrl: string;

  beforeAll(async () => {
    databaseUrl = await createDatabase(SERVER, 'news_sched');
    receiver = createServer((req, res) => {
      let text = '';
      req.on('data', (chunk: Buffer) => (text += chunk.toString()));
      req.on('end', () => {
        const body = JSON.parse(text || '{}') as { event: string; entry?: { documentId?: string } };
        deliveries.push({ event: body.event, documentId: body.entry?.documentId });
        res.end('ok');
      });
    });
    await new Promise<void>((r) => receiver.listen(0, '127.0.0.1', r));
    webhookUrl = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/hook`;
  });
  afterAll(async () => {
    receiver?.close();
    await dropDatabase(databaseUrl);
  });

  it('a job due in 2 s runs on time, once: one publish, one revision, one webhook delivery', async () => {
    const env = { DATABASE_URL: databaseUrl, WEBHOOK_URL: webhookUrl };
    const [a, b] = await Promise.all([instance(env), instance(env)]);
    const due = new Date(Date.now() + 2000);
    const documentId = await scheduleDraft(a.baseUrl, 'Two instances, one publish', due);
    const seen = await waitFor(async () => ((await isPublished(b.baseUrl, documentId)) ? Date.now() : undefined), 15_000, 'the publish');
    expect(seen - due.getTime()).toBeLessThan(2000);
    await jobsSettled(databaseUrl, documentId);
    expect(await publishRevisions(databaseUrl, documentId)).toBe(1);
    const published = () => deliveries.filter((d) => d.event === 'entry.publish' && d.documentId === documentId);
    await waitFor(async () => (published().length > 0 ? true : undefined), 10_000, 'the webhook');
    expect(published()).toHaveLength(1);
  });

  it('the instance running a job is killed (kill -9) mid-job: the other completes it, once', async () => {
    const env = { DATABASE_URL: databaseUrl };
    const [a, b] = await Promise.all([instance(env), instance(env)]);
    const documentId = await scheduleDraft(a.baseUrl, 'Survives a killed instance', new Date(Date.now() + 1500));
    // Hold the schedule's row: the instance that takes the job waits on it, mid-job.
    const holder = new Client({ connectionString: databaseUrl });
    await holder.connect();
    await holder.query('BEGIN');
    await holder.query(`SELECT * FROM article_schedules WHERE document_id = $1 FOR UPDATE`, [documentId]);
    const blocked = await waitFor(
      async () =>
        (
          await sql<{ application_name: string }>(
            databaseUrl,
            `SELECT application_name FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND query ILIKE '%article_schedules%' AND application_name LIKE 'news:%'`
          )
        )[0]?.application_name,
      15_000,
      'an instance to take the job'
    );
    const pid = Number(blocked.split(':')[1]);
    const victim = [a, b].find((i) => serverPid(i) === pid) as Instance;
    const survivor = victim === a ? b : a;
    process.kill(pid, 'SIGKILL');
    await victim.exited;
    await holder.query('ROLLBACK');
    await holder.end();
    await waitFor(async () => ((await isPublished(survivor.baseUrl, documentId)) ? true : undefined), 40_000, 'the survivor to publish');
    await jobsSettled(databaseUrl, documentId);
    expect(await publishRevisions(databaseUrl, documentId)).toBe(1);
  });

  it('every instance down at the due time: the first to boot runs it at once, once', async () => {
    const env = { DATABASE_URL: databaseUrl };
    const [a] = await Promise.all([instance(env), instance(env)]);
    const due = new Date(Date.now() + 3000);
    const documentId = await scheduleDraft(a.baseUrl, 'Published by whoever wakes first', due);
    // Both instances stop: nothing runs the job when it falls due.
    await Promise.all(running.splice(0).map((i) => i.stop('SIGTERM', 20_000)));
    await new Promise((r) => setTimeout(r, Math.max(0, due.getTime() - Date.now()) + 2000));
    expect(await publishRevisions(databaseUrl, documentId)).toBe(0);
    // Both boot again at once: whichever is first runs it, the other does not run it again.
    const [b, c] = await Promise.all([instance(env), instance(env)]);
    const booted = Date.now();
    await waitFor(async () => ((await isPublished(b.baseUrl, documentId)) && (await isPublished(c.baseUrl, documentId)) ? true : undefined), 10_000, 'the publish after boot');
    expect(Date.now() - booted).toBeLessThan(5000);
    await jobsSettled(databaseUrl, documentId);
    expect(await publishRevisions(databaseUrl, documentId)).toBe(1);
  });

  it('a time given without an offset is the editor\'s local time (TZ), daylight saving included, and runs on time', async () => {
    // npm run import -- --publish-at <local time>, in Europe/Berlin (this process's TZ).
    const dir = mkdtempSync(join(tmpdir(), 'news-sched-'));
    writeFileSync(join(dir, 'sched_local.txt'), 'Local time scheduling\n\nThe editor typed a Berlin time.\n');
    expect(ZONE).not.toMatch(/^(UTC|Etc\/UTC|GMT)$/);
    // Far enough ahead for the import command to boot and write it (about 10 s here).
    const due = new Date(Math.ceil((Date.now() + 20_000) / 1000) * 1000);
    // The wall-clock time in the editor's zone, as they would type it (no offset).
    const parts = Object.fromEntries(
      new Intl.DateTimeFormat('en-GB', { timeZone: ZONE, year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', second: '2-digit', hourCycle: 'h23' })
        .formatToParts(due)
        .map((p) => [p.type, p.value])
    );
    const local = `${parts.year}-${parts.month}-${parts.day}T${parts.hour}:${parts.minute}:${parts.second}`;
    const b = await instance({ DATABASE_URL: databaseUrl });
    const imported = await runCli(['import', '--publish-at', local, join(dir, 'sched_local.txt')], { DATABASE_URL: databaseUrl, TZ: ZONE });
    expect([imported.code, imported.output]).toEqual([0, expect.stringContaining(`scheduled: drafts published at ${due.toISOString()}`)]);
    const documentId = (await sql<{ document_id: string }>(databaseUrl, `SELECT document_id FROM articles WHERE import_source = 'sched_local'`))[0].document_id;
    expect(await isPublished(b.baseUrl, documentId)).toBe(false);
    const seen = await waitFor(async () => ((await isPublished(b.baseUrl, documentId)) ? Date.now() : undefined), 30_000, 'the publish');
    expect(seen - due.getTime()).toBeLessThan(2000);
    expect(seen).toBeGreaterThanOrEqual(due.getTime() - 50);
    // Across the spring change in Berlin: 03:30 local is 01:30 UTC; 02:30 local does not exist.
    const after = await runCli(['import', '--dry-run', '--publish-at', '2027-03-28T03:30', join(dir, 'sched_local.txt')], { DATABASE_URL: databaseUrl, TZ: 'Europe/Berlin' });
    expect(after.output).toContain('scheduled: drafts published at 2027-03-28T01:30:00.000Z');
    const before = await runCli(['import', '--dry-run', '--publish-at', '2027-03-28T01:30', join(dir, 'sched_local.txt')], { DATABASE_URL: databaseUrl, TZ: 'Europe/Berlin' });
    expect(before.output).toContain('scheduled: drafts published at 2027-03-28T00:30:00.000Z');
    const gap = await runCli(['import', '--dry-run', '--publish-at', '2027-03-28T02:30', join(dir, 'sched_local.txt')], { DATABASE_URL: databaseUrl, TZ: 'Europe/Berlin' });
    expect(gap.code).toBe(2);
    expect(gap.output).toMatch(/2027-03-28T02:30 does not exist in the local time zone/);
  });
});

describe('PostgreSQL restarted around the due time', () => {
  it('the job still runs, once', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'news-sched-pg-'));
    const port = nextPort() + 3000;
    let pg = await startPostgres(dir, port, 'news');
    try {
      expect((await runCli(['seed'], { DATABASE_URL: pg.url })).code).toBe(0);
      const a = await instance({ DATABASE_URL: pg.url, DATABASE_ACQUIRE_TIMEOUT: '1000' });
      const due = new Date(Date.now() + 4000);
      const documentId = await scheduleDraft(a.baseUrl, 'Through a database restart', due);
      await new Promise((r) => setTimeout(r, Math.max(0, due.getTime() - Date.now() - 1500)));
      await pg.stop();
      await new Promise((r) => setTimeout(r, 4000)); // down across the due time
      pg = await startPostgres(dir, port, 'news');
      await waitFor(async () => ((await isPublished(a.baseUrl, documentId)) ? true : undefined), 30_000, 'the publish after the restart');
      await jobsSettled(pg.url, documentId);
      expect(await publishRevisions(pg.url, documentId)).toBe(1);
    } finally {
      await Promise.all(running.splice(0).map((i) => i.stop('SIGTERM', 20_000)));
      await pg.stop();
      removeEmbeddedCluster(dir);
    }
  });
});

/** The process the launcher runs the server in. */

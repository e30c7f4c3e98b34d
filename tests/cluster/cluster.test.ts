import { execFileSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import autocannon from 'autocannon';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client } from 'pg';
import {
  adminClient,
  createDatabase,
  dropDatabase,
  runCli,
  startInstance,
  startPostgres,
  waitFor,
  type Instance,
} from '../../scripts/lib/instances';
import { soak } from '../../scripts/soak';
import { removeEmbeddedCluster } from '../../src/runtime/embedded-postgres';
import { SECRET_NAMES } from '../../src/runtime/secrets';

/**
 * Several processes, real PostgreSQL and Redis: the machine's server at DATABASE_URL (or
 * 127.0.0.1:5432) for the multi-instance cases, and a PostgreSQL server this file owns for the
 * outage cases. Run by `npm run test:cluster` (not `npm test`).
 */
const SERVER = process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
const SLUG = 'putin-visits-chinas-little-moscow-as-allies-continue-to-discuss-trade';
const ARTICLE_URL = `/api/articles?filters[slug][$eq]=${SLUG}`;
let portBase = 1500 + (process.pid % 200) * 10;
const nextPort = () => (portBase += 1);

const running: Instance[] = [];
async function instance(env: Record<string, string>): Promise<Instance> {
  const started = await startInstance(nextPort(), env);
  running.push(started);
  return started;
}
// SIGTERM: the launcher forwards it and exits when Strapi has (a SIGKILL would orphan Strapi).
const stopAll = () => Promise.all(running.splice(0).map((i) => i.stop('SIGTERM', 20_000)));
afterEach(stopAll);

const headlineAt = async (base: string, path = ARTICLE_URL) => {
  const body = (await (await fetch(`${base}${path}`)).json()) as { data: Array<{ headline: string; documentId: string }> };
  return body.data[0];
};

async function count(url: string, query: string): Promise<number> {
  const client = new Client({ connectionString: url });
  await client.connect();
  try {
    return Number((await client.query(query)).rows[0].count);
  } finally {
    await client.end();
  }
}

describe('two instances on one database and Redis', () => {
  let databaseUrl: string;
  beforeAll(async () => {
    databaseUrl = await createDatabase(SERVER);
  });
  afterAll(async () => {
    await dropDatabase(databaseUrl);
  });

  it('boot at the same moment without duplicating anything; a publish on one is visible on the other within 1 s', async () => {
    const env = { DATABASE_URL: databaseUrl, REDIS_URL };
    const [a, b] = await Promise.all([instance(env), instance(env)]);
    expect(await count(databaseUrl, 'SELECT count(*) FROM i18n_locale')).toBe(3);
    expect(await count(databaseUrl, 'SELECT count(*) FROM admin_users')).toBe(1);
    expect(await count(databaseUrl, `SELECT count(*) FROM (SELECT action FROM up_permissions GROUP BY action HAVING count(*) > 1) d`)).toBe(0);

    const [seedA, seedB] = await Promise.all([runCli(['seed'], { DATABASE_URL: databaseUrl }), runCli(['seed'], { DATABASE_URL: databaseUrl })]);
    expect([seedA.code, seedB.code]).toEqual([0, 0]);
    expect(await count(databaseUrl, `SELECT count(DISTINCT document_id) FROM articles`)).toBe(1);

    const before = await headlineAt(b.baseUrl);
    // B now answers from its cache: without the purge travelling, it would keep the old text.
    expect((await fetch(`${b.baseUrl}${ARTICLE_URL}`)).headers.get('x-cache')).toBe('hit');
    const admin = await adminClient(a.baseUrl);
    await admin.publishHeadline(before.documentId, 'Published through instance A');
    const published = Date.now();
    await waitFor(async () => ((await headlineAt(b.baseUrl)).headline === 'Published through instance A' ? true : undefined), 1000, 'B to show A’s publish');
    expect(Date.now() - published).toBeLessThan(1000);
  });
});

describe('two instances started with no secrets in their environment (each generates nothing of its own)', () => {
  let databaseUrl: string;
  beforeAll(async () => {
    databaseUrl = await createDatabase(SERVER);
  });
  afterAll(async () => {
    await dropDatabase(databaseUrl);
  });

  it('an admin session, a read-only API token and a preview link made on one are taken by the other', async () => {
    const noSecrets = Object.fromEntries(SECRET_NAMES.map((name) => [name, undefined]));
    const env = { ...noSecrets, DATABASE_URL: databaseUrl, REDIS_URL } as Record<string, string>;
    const [a, b] = await Promise.all([instance(env), instance(env)]);
    expect((await runCli(['seed'], env)).code).toBe(0);

    const admin = await adminClient(a.baseUrl);
    const me = await admin.call('GET', '/admin/users/me', undefined, b.baseUrl);
    expect(me.status).toBe(200);

    const made = await admin.call('POST', '/admin/api-tokens', { name: 'front-end', description: '', type: 'read-only', lifespan: null });
    expect(made.status).toBe(201);
    const accessKey = (made.body?.data as { accessKey: string }).accessKey;
    const withToken = (key: string) => fetch(`${b.baseUrl}${ARTICLE_URL}`, { headers: { authorization: `Bearer ${key}` } });
    const read = await withToken(accessKey);
    expect(read.status).toBe(200);
    expect(((await read.json()) as { data: unknown[] }).data).toHaveLength(1);
    expect((await withToken(`${accessKey.slice(0, -4)}AAAA`)).status).toBe(401);

    const { documentId } = await headlineAt(a.baseUrl);
    const issued = await admin.call('GET', `/content-manager/preview/url/api::article.article?documentId=${documentId}&locale=en&status=draft`);
    const link = new URL((issued.body?.data as { url: string }).url);
    const preview = await fetch(`${b.baseUrl}${link.pathname}${link.search}`);
    expect(preview.status).toBe(200);
    expect(await preview.text()).toContain('<h1>');
  });
});

describe('faults', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'news-fault-pg-'));
  });
  afterEach(() => {
    removeEmbeddedCluster(dir);
  });

  it('boots before the database: waits with one line per attempt, then serves', async () => {
    const port = nextPort() + 3000;
    // Its cluster made (and its generated password known) first; then down while the instance boots.
    const made = await startPostgres(dir, port, 'news');
    const url = made.url;
    await made.stop();
    const launching = startInstance(nextPort(), { DATABASE_URL: url, DATABASE_CONNECT_TIMEOUT: '60' });
    await new Promise((r) => setTimeout(r, 3000));
    const pg = await startPostgres(dir, port, 'news');
    try {
      const served = await launching;
      running.push(served);
      expect(served.output()).toMatch(/waiting for database .* \(attempt 1\)/);
      expect((await fetch(`${served.baseUrl}/_ready`)).status).toBe(200);
    } finally {
      await stopAll();
      await pg.stop();
    }
  });

  it('database restart while serving: 503 quickly, cached articles still served, recovery within 5 s, no edit lost', async () => {
    const port = nextPort() + 3000;
    let pg = await startPostgres(dir, port, 'news');
    try {
      expect((await runCli(['seed'], { DATABASE_URL: pg.url })).code).toBe(0);
      const served = await instance({ DATABASE_URL: pg.url, DATABASE_ACQUIRE_TIMEOUT: '1000' });
      const admin = await adminClient(served.baseUrl);
      const article = await headlineAt(served.baseUrl);
      await admin.publishHeadline(article.documentId, 'Committed before the outage');
      expect((await headlineAt(served.baseUrl)).headline).toBe('Committed before the outage'); // cached now

      await pg.stop();
      const cached = await fetch(`${served.baseUrl}${ARTICLE_URL}`);
      expect(cached.status).toBe(200);
      const started = Date.now();
      const uncached = await fetch(`${served.baseUrl}/api/articles?filters[slug][$eq]=not-cached`);
      expect(uncached.status).toBe(503);
      expect(Date.now() - started).toBeLessThan(5000);
      expect((await fetch(`${served.baseUrl}/_ready`)).status).toBe(503);
      expect((await fetch(`${served.baseUrl}/_health`)).status).toBeLessThan(300);

      pg = await startPostgres(dir, port, 'news');
      const back = Date.now();
      await waitFor(async () => ((await fetch(`${served.baseUrl}/api/articles?filters[slug][$eq]=not-cached`)).status === 200 ? true : undefined), 5000, 'recovery');
      expect(Date.now() - back).toBeLessThan(5000);
      expect((await fetch(`${served.baseUrl}/_ready`)).status).toBe(200);
      expect((await headlineAt(served.baseUrl, `/api/articles/${article.documentId}`.replace('/api/articles/', '/api/articles?filters[documentId][$eq]='))).headline).toBe(
        'Committed before the outage'
      );
    } finally {
      await stopAll();
      await pg.stop();
    }
  });
});

describe('SIGTERM under load', () => {
  let databaseUrl: string;
  beforeAll(async () => {
    databaseUrl = await createDatabase(SERVER);
    expect((await runCli(['seed'], { DATABASE_URL: databaseUrl })).code).toBe(0);
  });
  afterAll(async () => {
    await dropDatabase(databaseUrl);
  });

  /**
   * 30 keep-alive connections (autocannon) reading as fast as they can, cache on (hits answered
   * ahead of Koa) or off (every request through Strapi); SIGTERM to the process that listens, or
   * to the launcher. Every request that reached the server is answered: no reset, no 5xx; the
   * connections refused after the listener closed never reached it.
   */
  it.each([
    ['the serving process', 'true'],
    ['the serving process', 'false'],
    ['the launcher', 'true'],
    ['the launcher', 'false'],
  ])('SIGTERM to %s (cache %s): 0 resets, 0 5xx, exit 0', async (target, cache) => {
    const served = await instance({ DATABASE_URL: databaseUrl, CACHE_ENABLED: cache, LOG_LEVEL: 'info' });
    const errors: Record<string, number> = {};
    let done: (result: autocannon.Result) => void = () => undefined;
    const finished = new Promise<autocannon.Result>((resolve) => (done = resolve));
    const load = autocannon({ url: `${served.baseUrl}${ARTICLE_URL}`, connections: 30, duration: 5 }, (_error, result) => done(result));
    load.on('reqError', (error: Error & { code?: string }) => {
      errors[error.code ?? error.message] = (errors[error.code ?? error.message] ?? 0) + 1;
    });
    await new Promise((r) => setTimeout(r, 2000));
    const serving = target === 'the launcher' ? served.child.pid : childOf(served.child.pid as number);
    process.kill(serving as number, 'SIGTERM');
    const code = await served.exited;
    const result = await finished;
    // Refused connections came after the listener closed: not requests the server received.
    delete errors.ECONNREFUSED;
    expect(errors).toEqual({});
    expect(result.non2xx).toBe(0);
    expect(result.requests.total).toBeGreaterThan(100);
    expect(code).toBe(0);
    expect(served.output()).toMatch(/SIGTERM: draining \d+ request\(s\) on \d+ connection\(s\)/);
  });
});

/** The process the launcher runs the server in. */
function childOf(pid: number): number {
  const children = execFileSync('ps', ['-o', 'pid=', '--ppid', String(pid)], { encoding: 'utf8' }).trim().split(/\s+/).map(Number);
  if (children.length !== 1 || !children[0]) throw new Error(`expected one child of ${pid}, found ${children.join(',')}`);
  return children[0];
}

describe('soak (short, as in CI)', () => {
  it('10 s of reads at 50 connections while publishing every second: 0 errors, no stale read beyond 1 s', async () => {
    const log = jest.spyOn(console, 'log').mockImplementation(() => undefined);
    try {
      expect(await soak(['--duration', '10', '--connections', '50', '--port', String(nextPort() + 100)])).toBe(0);
    } finally {
      log.mockRestore();
    }
  });
});

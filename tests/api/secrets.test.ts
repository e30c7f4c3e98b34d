import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runCli } from '../helpers/cli';
import { createTestDatabase, dropTestDatabase, sql } from '../helpers/database';
import { fillMissingSecrets, SECRET_NAMES, SECRETS_TABLE } from '../../src/runtime/secrets';

/**
 * Secrets the environment does not give are kept in the database the instances share: every
 * instance, and every redeploy, gets the same ones (each test on a database of its own).
 */
let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'news-secrets-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function withFreshDatabase(work: (url: string) => Promise<void>): Promise<void> {
  const database = await createTestDatabase();
  try {
    await work(database.url);
  } finally {
    await dropTestDatabase(database.name);
  }
}

describe('secrets shared through the database', () => {
  it('two instances starting at once, with no environment and no file, get the same secrets; a redeploy gets them again', () =>
    withFreshDatabase(async (url) => {
      const a: NodeJS.ProcessEnv = {};
      const b: NodeJS.ProcessEnv = {};
      const [filledA, filledB] = await Promise.all([
        fillMissingSecrets(a, { connectionString: url }, join(dir, 'none-a.json')),
        fillMissingSecrets(b, { connectionString: url }, join(dir, 'none-b.json')),
      ]);
      expect(filledA).toEqual([...SECRET_NAMES]);
      expect(filledB).toEqual([...SECRET_NAMES]);
      for (const name of SECRET_NAMES) {
        expect(a[name]).toMatch(/^[A-Za-z0-9+/=,]{16,}$/);
        expect(b[name]).toBe(a[name]);
      }
      expect(new Set(SECRET_NAMES.map((name) => a[name])).size).toBe(SECRET_NAMES.length);
      expect(a.APP_KEYS?.split(',')).toHaveLength(4);
      const redeploy: NodeJS.ProcessEnv = {};
      await fillMissingSecrets(redeploy, { connectionString: url });
      expect(SECRET_NAMES.map((name) => redeploy[name])).toEqual(SECRET_NAMES.map((name) => a[name]));
    }));

  it('the environment wins and is never written to the database', () =>
    withFreshDatabase(async (url) => {
      const env: NodeJS.ProcessEnv = { ADMIN_JWT_SECRET: 'from-the-environment', APP_KEYS: 'k1,k2' };
      const filled = await fillMissingSecrets(env, { connectionString: url });
      expect(filled).not.toContain('ADMIN_JWT_SECRET');
      expect(env.ADMIN_JWT_SECRET).toBe('from-the-environment');
      const stored = await sql<{ name: string }>(url, `SELECT name FROM ${SECRETS_TABLE} ORDER BY name`);
      expect(stored.map((row) => row.name)).toEqual(SECRET_NAMES.filter((n) => n !== 'ADMIN_JWT_SECRET' && n !== 'APP_KEYS').sort());
      expect(await fillMissingSecrets({ ...Object.fromEntries(SECRET_NAMES.map((n) => [n, 'x'])) }, { connectionString: url })).toEqual([]);
    }));

  it('a .tmp/secrets.json from an earlier version is adopted once (its API tokens stay valid); after that the database wins', () =>
    withFreshDatabase(async (url) => {
      const legacy = join(dir, 'legacy.json');
      writeFileSync(legacy, JSON.stringify({ API_TOKEN_SALT: 'salt-of-the-old-checkout' }));
      const first: NodeJS.ProcessEnv = {};
      await fillMissingSecrets(first, { connectionString: url }, legacy);
      expect(first.API_TOKEN_SALT).toBe('salt-of-the-old-checkout');
      writeFileSync(legacy, JSON.stringify({ API_TOKEN_SALT: 'another-checkouts-salt' }));
      const second: NodeJS.ProcessEnv = {};
      await fillMissingSecrets(second, { connectionString: url }, legacy);
      expect(second.API_TOKEN_SALT).toBe('salt-of-the-old-checkout');
    }));

  it('the launcher says which secrets came from the database, in one warning', () =>
    withFreshDatabase(async (url) => {
      const unset = Object.fromEntries(SECRET_NAMES.map((name) => [name, undefined]));
      const result = await runCli(['seed'], { ...unset, DATABASE_URL: url, LOG_LEVEL: 'error' }, 240_000);
      expect([result.code, result.stdout]).toEqual([0, expect.stringMatching(/created 1/)]);
      const warnings = result.stderr.split('\n').filter((line) => line.includes(SECRETS_TABLE));
      expect(warnings).toHaveLength(1);
      expect(warnings[0]).toMatch(/warning: APP_KEYS, API_TOKEN_SALT, ADMIN_JWT_SECRET, TRANSFER_TOKEN_SALT, JWT_SECRET, ENCRYPTION_KEY, PREVIEW_SECRET not set in the environment/);
      expect((await sql(url, `SELECT 1 FROM ${SECRETS_TABLE}`)).length).toBe(SECRET_NAMES.length);
    }));
});

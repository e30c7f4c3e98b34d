import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { removeEmbeddedCluster, startEmbeddedPostgres, type EmbeddedDatabase } from '../../src/runtime/embedded-postgres';

const ROOT = join(__dirname, '..', '..');

declare global {
  // eslint-disable-next-line no-var
  var __embeddedTestDatabase: EmbeddedDatabase | undefined;
}

/**
 * Once per run: compile the app (Strapi loads the compiled dist/), and find a PostgreSQL server on
 * which each test file makes its own database: the one DATABASE_URL names, else an embedded one.
 */
export default async function globalSetup(): Promise<void> {
  process.env.STRAPI_TELEMETRY_DISABLED = 'true';
  execFileSync(join(ROOT, 'node_modules', '.bin', 'tsc'), ['-p', 'tsconfig.json'], { cwd: ROOT, stdio: 'inherit' });

  if (process.env.DATABASE_URL) {
    process.env.TEST_SERVER_URL = process.env.DATABASE_URL;
    return;
  }
  // One cluster per run: two runs at once (a developer's and an editor's hook, say) never share it.
  const dataDir = join(ROOT, '.tmp', `test-postgres-${process.pid}`);
  removeEmbeddedCluster(dataDir);
  process.env.TEST_EMBEDDED_DIR = dataDir;
  const embedded = await startEmbeddedPostgres({ dataDir, database: 'postgres' });
  globalThis.__embeddedTestDatabase = embedded;
  process.env.TEST_SERVER_URL = embedded.url;
  process.env.TEST_EMBEDDED = 'true';
}

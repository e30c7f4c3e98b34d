import { spawn } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import { join, relative, resolve } from 'node:path';
import { edgePurgers } from '../src/edge';
import { databaseClientConfig, databaseConnection, EnvError, publicUrl, readEnv, type Env } from '../src/env';
import { EmbeddedPostgresError, startEmbeddedPostgres, type EmbeddedDatabase } from '../src/runtime/embedded-postgres';
import { destroyStrapi, loadStrapi } from '../src/runtime/load-strapi';
import { serverNodeFlags } from '../src/runtime/node-flags';
import { fillMissingSecrets, secretsWarning } from '../src/runtime/secrets';
import { DatabaseUnreachableError, settledDatabaseUrl, waitForDatabase } from '../src/runtime/wait-for-database';
import { runImportCommand, runSeed } from './import';

/**
 * The service's launcher: validates the environment, brings up the database (the configured one,
 * or an embedded PostgreSQL under .tmp/ when none is configured), then runs the command. It
 * outlives `strapi develop`'s reloads, so the embedded database does too.
 */
const ROOT = resolve(__dirname, '..', '..');
const say = (line: string) => console.error(`[news] ${line}`);

const COMMANDS = ['start', 'develop', 'demo', 'seed', 'import', 'backup', 'restore', 'strapi', 'client-types'];
const USAGE = `usage: node scripts/cli.js <${COMMANDS.join('|')}> [options]`;

export async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  if (!command || !COMMANDS.includes(command)) {
    say(USAGE);
    return 2;
  }
  let env: Env;
  try {
    env = readEnv();
    edgePurgers(env); // a CDN half configured (an id without its token) is named now, not at boot
  } catch (error) {
    if (error instanceof EnvError) {
      say(error.message);
      return 1;
    }
    throw error;
  }
  if (command === 'import') {
    return runImportCommand(rest, { withStrapi: (work) => withDatabase(env, () => withLoadedStrapi(work)) });
  }
  // Neither writes secrets into the database: a backup only reads it (a standby, the wrong
  // database named by mistake), and a restore goes into an empty one. Unreachable: one line,
  // after DATABASE_CONNECT_TIMEOUT (10 s unless set), not a line per attempt.
  const operator = { secrets: false, quiet: true };
  if (command === 'backup' || command === 'restore') {
    // Loaded only now: its modules read the environment as they load, which is checked above.
    const { runBackupCommand, runRestoreCommand } = await import('./backup');
    const run = command === 'backup' ? runBackupCommand : runRestoreCommand;
    return run(rest, { withDatabase: (work) => withDatabase(env, work, operator), withLoadedStrapi });
  }
  if (command === 'strapi') return needsDatabase(rest) ? withDatabase(env, () => runStrapiCli(rest)) : runStrapiCli(rest);
  if (command === 'client-types') return withDatabase(env, () => withLoadedStrapi((strapi) => writeClientTypes(strapi)));
  if (command === 'seed') return withDatabase(env, () => withLoadedStrapi((strapi) => runSeed(strapi, ROOT)));
  return withDatabase(env, async () => {
    if (command === 'demo') {
      const seeded = await withLoadedStrapi((strapi) => runSeed(strapi, ROOT));
      if (seeded !== 0) return seeded;
    }
    return runStrapi(command === 'develop' ? 'develop' : 'start', env, command === 'demo');
  });
}

/** `npm run client:types`: the public API's OpenAPI document, as TypeScript types for front-ends. */
async function writeClientTypes(strapi: Awaited<ReturnType<typeof loadStrapi>>): Promise<number> {
  const { publicApiDocument } = await import('../src/openapi/routes');
  const { clientTypes, CLIENT_TYPES_FILE } = await import('../src/openapi/client-types');
  const text = await clientTypes(publicApiDocument(strapi), ROOT);
  await writeFile(join(ROOT, CLIENT_TYPES_FILE), text);
  say(`wrote ${CLIENT_TYPES_FILE} (${Buffer.byteLength(text)} bytes), from the OpenAPI document GET /api/openapi.json serves`);
  return 0;
}

/** Secrets the environment does not give, from the database every instance shares (one warning). */
async function withSharedSecrets(work: () => Promise<number>): Promise<number> {
  const database = databaseClientConfig(readEnv());
  if (!database) throw new Error('no database to keep the secrets in');
  const filled = await fillMissingSecrets(process.env, database, join(ROOT, '.tmp', 'secrets.json'));
  if (filled.length > 0) say(secretsWarning(filled));
  return work();
}

async function withDatabase(env: Env, work: () => Promise<number>, { secrets = true, quiet = false } = {}): Promise<number> {
  const withSecrets = () => (secrets ? withSharedSecrets(work) : work());
  const configured = databaseConnection(env);
  if (configured) {
    try {
      const taken = await waitForDatabase(configured, env.DATABASE_CONNECT_TIMEOUT ?? (quiet ? 10 : 60), quiet ? () => undefined : say);
      if (configured.sslFallback !== undefined && env.DATABASE_URL) {
        // prefer/allow: this server's answer decides, once, for every client after this one.
        process.env.DATABASE_URL = settledDatabaseUrl(env.DATABASE_URL, taken);
        say(`DATABASE_URL sslmode=${new URL(env.DATABASE_URL).searchParams.get('sslmode')}: the server took ${taken ? 'TLS' : 'plaintext'}`);
      }
    } catch (error) {
      if (error instanceof DatabaseUnreachableError) {
        say(error.message);
        return 1;
      }
      throw error;
    }
    return withSecrets();
  }
  say('DATABASE_URL is not set: starting the embedded PostgreSQL');
  let embedded: EmbeddedDatabase;
  try {
    embedded = await startEmbeddedPostgres({ dataDir: join(ROOT, '.tmp', 'postgres'), database: 'news', log: say });
  } catch (error) {
    if (error instanceof EmbeddedPostgresError) {
      say(error.message);
      return 1;
    }
    throw error;
  }
  process.env.DATABASE_URL = embedded.url;
  // A signal while no Strapi child runs (during the seed): stop the database, then exit.
  const onSignal = () => {
    if (strapiChildRunning) return; // runStrapi forwards it; the database stops when Strapi has.
    void embedded.stop().finally(() => process.exit(130));
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  say(`embedded PostgreSQL listening on 127.0.0.1:${embedded.port} (data in ${relative(ROOT, embedded.dataDir).startsWith('..') ? embedded.dataDir : relative(ROOT, embedded.dataDir)})`);
  try {
    return await withSecrets();
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    await embedded.stop();
    if (!embedded.shared) say('embedded PostgreSQL stopped');
  }
}

async function withLoadedStrapi(work: (strapi: Awaited<ReturnType<typeof loadStrapi>>) => Promise<number>): Promise<number> {
  const strapi = await loadStrapi(ROOT);
  try {
    return await work(strapi);
  } finally {
    await destroyStrapi(strapi);
  }
}

let strapiChildRunning = false;

/** Strapi CLI commands that never open the database (no embedded server started, no wait). */
const WITHOUT_DATABASE = new Set(['build', 'version', '-v', '--version', 'help', '-h', '--help', 'ts:generate-types', 'generate', 'report', 'templates:generate', 'telemetry:enable', 'telemetry:disable']);

export function needsDatabase(args: readonly string[]): boolean {
  return args.length > 0 && !WITHOUT_DATABASE.has(args[0] as string);
}

/**
 * `npm run strapi -- <command>`: Strapi's own CLI (export, import, transfer, ts:generate-types…)
 * with the environment the service gets: the database (embedded included) and the secrets.
 */
function runStrapiCli(args: string[]): Promise<number> {
  return new Promise((resolvePromise) => {
    // The app it loads (export, console…) is not a server: it runs no scheduled job.
    const env = { ...process.env, STRAPI_TELEMETRY_DISABLED: 'true', SCHEDULE_WORKERS: 'false' };
    const child = spawn(join(ROOT, 'node_modules', '.bin', 'strapi'), args, { cwd: ROOT, stdio: 'inherit', env });
    strapiChildRunning = true;
    const forward = (signal: NodeJS.Signals) => () => void child.kill(signal);
    const onInt = forward('SIGINT');
    const onTerm = forward('SIGTERM');
    process.on('SIGINT', onInt);
    process.on('SIGTERM', onTerm);
    child.on('error', (error) => say(`strapi: ${error.message}`));
    child.on('close', (code) => {
      process.off('SIGINT', onInt);
      process.off('SIGTERM', onTerm);
      strapiChildRunning = false;
      resolvePromise(code ?? 1);
    });
  });
}

function runStrapi(mode: 'start' | 'develop', env: Env, announce: boolean): Promise<number> {
  return new Promise((resolvePromise) => {
    const childEnv = { ...process.env, STRAPI_TELEMETRY_DISABLED: 'true' };
    const child =
      mode === 'start'
        ? spawn(process.execPath, [...serverNodeFlags(process.env.NODE_OPTIONS), join(ROOT, 'dist', 'scripts', 'serve.js')], { cwd: ROOT, stdio: ['inherit', 'inherit', 'inherit', 'ipc'], env: childEnv })
        : spawn(join(ROOT, 'node_modules', '.bin', 'strapi'), ['develop'], { cwd: ROOT, stdio: 'inherit', env: childEnv });
    const forward = (signal: NodeJS.Signals) => () => {
      child.kill(signal);
    };
    strapiChildRunning = true;
    const killChild = () => child.kill('SIGKILL');
    process.on('exit', killChild);
    const onInt = forward('SIGINT');
    const onTerm = forward('SIGTERM');
    process.on('SIGINT', onInt);
    process.on('SIGTERM', onTerm);
    if (announce) void announceWhenUp(env);
    child.on('exit', (code, signal) => {
      process.off('SIGINT', onInt);
      process.off('SIGTERM', onTerm);
      process.off('exit', killChild);
      strapiChildRunning = false;
      resolvePromise(code ?? (signal ? 0 : 1));
    });
  });
}

async function announceWhenUp(env: Env): Promise<void> {
  const port = env.PORT ?? 1337;
  const local = `http://127.0.0.1:${port}`;
  for (let i = 0; i < 600; i += 1) {
    try {
      const response = await fetch(`${local}/_health`);
      if (response.ok) break;
    } catch {
      // not up yet
    }
    await new Promise((r) => setTimeout(r, 500));
  }
  const base = env.PUBLIC_URL ? publicUrl(env) : `http://localhost:${port}`;
  console.log(
    [
      '',
      'The news service is running with the story in it:',
      `  admin     ${base}/admin${env.ADMIN_EMAIL ? `   (log in as ${env.ADMIN_EMAIL})` : '   (first visit: create the admin account)'}`,
      `  REST      ${base}/api/articles`,
      `  GraphQL   ${base}/graphql`,
      `  health    ${base}/_health`,
      'Stop with Ctrl-C.',
      '',
    ].join('\n')
  );
}

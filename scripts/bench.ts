/**
 * `npm run bench`: the read paths side by side with a bare Node server serving the same bytes.
 *
 * The bench process runs autocannon; everything it measures runs in a child process of its own,
 * so the load generator never shares an event loop with a server under test:
 *   - `cache-on`:  the app as deployed (response cache and its fast path ahead of Koa), seeded;
 *   - `cache-off`: the same app with CACHE_ENABLED=false, on the same database;
 *   - `bare`:      a plain `node:http` server answering with the bytes and headers of (2).
 * The database is fresh: made on the server DATABASE_URL points at (dropped at the end), else an
 * embedded PostgreSQL under .tmp/ (stopped and removed at the end). Loopback only, bounded in
 * time, and everything it started is stopped on success, failure or Ctrl-C.
 *
 * Flags: --duration <s> (10), --articles <n> (1), --quick (2 s per row), --rounds <n> (each
 * row's duration in n round-robin slices; 5 from 5 s up), --only <ids> (e.g. 1,5), --cpu-prof
 * (profile the app children around each row; summary appended to the report),
 * --out <name> (file name under bench/results/; default latest, quick, articles-<n>, quick-articles-<n>).
 * `node dist/scripts/bench.js --summarise-profile <file.cpuprofile>` summarises any CPU profile.
 */
import { execFileSync, fork, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import http, { type IncomingHttpHeaders, type OutgoingHttpHeaders } from 'node:http';
import { cpus, loadavg } from 'node:os';
import { join, resolve } from 'node:path';
import autocannon from 'autocannon';
import { Client } from 'pg';
import { z } from 'zod';
import { percentile } from './lib/stats';

const ROOT = resolve(__dirname, '..', '..');
const RESULTS = join(ROOT, 'bench', 'results');
const STORIES = join(ROOT, 'data', 'stories');
const SLUG = 'putin-visits-chinas-little-moscow-as-allies-continue-to-discuss-trade';
const CONNECTIONS = [10, 50] as const;
const say = (line: string) => console.error(`[bench] ${line}`);

// ───────────────────────────── flags ─────────────────────────────

const Flags = z
  .object({
    duration: z.coerce.number().positive().max(600).optional(),
    articles: z.coerce.number().int().min(1).max(1_000_000).default(1),
    quick: z.boolean().default(false),
    only: z
      .string()
      .regex(/^\d+(,\d+)*$/, 'a comma-separated list of row numbers, e.g. 1,5')
      .transform((s) => s.split(',').map(Number))
      .optional(),
    rounds: z.coerce.number().int().min(1).max(60).optional(),
    cpuProf: z.boolean().default(false),
    out: z.string().regex(/^[A-Za-z0-9._-]+$/, 'a plain file name').optional(),
  })
  .strict();
type Flags = z.infer<typeof Flags>;

const VALUE_FLAGS: Record<string, keyof Flags> = { '--duration': 'duration', '--articles': 'articles', '--only': 'only', '--out': 'out', '--rounds': 'rounds' };
const BOOL_FLAGS: Record<string, keyof Flags> = { '--quick': 'quick', '--cpu-prof': 'cpuProf' };
const USAGE = 'usage: npm run bench -- [--duration <s>] [--articles <n>] [--quick] [--rounds <n>] [--only <ids>] [--cpu-prof] [--out <name>]';

function parseFlags(argv: string[]): Flags {
  const raw: Record<string, unknown> = {};
  for (let i = 0; i < argv.length; i += 1) {
    const [name, inline] = argv[i].split(/=(.*)/s, 2);
    if (VALUE_FLAGS[name]) {
      const value = inline ?? argv[(i += 1)];
      if (value === undefined) throw new UsageError(`${name} needs a value`);
      raw[VALUE_FLAGS[name]] = value;
    } else if (BOOL_FLAGS[name] && inline === undefined) {
      raw[BOOL_FLAGS[name]] = true;
    } else {
      throw new UsageError(`unknown argument: ${argv[i]}`);
    }
  }
  const parsed = Flags.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new UsageError(`--${issue.path.join('.')}: ${issue.message}`);
  }
  return parsed.data;
}

class UsageError extends Error {}

// ───────────────────────────── what is measured ─────────────────────────────

type Server = 'bare' | 'cache-on' | 'cache-off';

interface Row {
  id: number;
  label: string;
  server: Server;
  method: 'GET' | 'POST';
  path: string;
  headers?: Record<string, string>;
  body?: string;
  expectStatus: number;
}

const ARTICLE_PATH = `/api/articles?filters[slug][$eq]=${SLUG}`;
const STOCK_PATH =
  `${ARTICLE_PATH}&populate[lead][populate][credit]=true&populate[body][on][content.paragraph]=true` +
  '&populate[body][on][media.figure][populate][credit]=true&populate[credits]=true';
const LIST_PATH = '/api/articles?pagination[pageSize]=20';
const GRAPHQL_QUERY = `query Article($slug: String!) {
  articles(filters: { slug: { eq: $slug } }) {
    headline slug
    lead { caption credit { name } }
    body {
      ... on ComponentContentParagraph { text }
      ... on ComponentMediaFigure { caption credit { name } }
    }
    credits { name }
  }
}`;
const GRAPHQL_BODY = JSON.stringify({ query: GRAPHQL_QUERY, variables: { slug: SLUG } });

function rowsFor(articles: number, etag: string, generatedSlug: string | undefined): Row[] {
  const rows: Row[] = [
    { id: 1, label: 'bare Node `http`, same bytes and headers as (2)', server: 'bare', method: 'GET', path: ARTICLE_PATH, expectStatus: 200 },
    { id: 2, label: 'article by slug, warm (response cache, fast path)', server: 'cache-on', method: 'GET', path: ARTICLE_PATH, expectStatus: 200 },
    { id: 3, label: 'same, `If-None-Match` → 304', server: 'cache-on', method: 'GET', path: ARTICLE_PATH, headers: { 'if-none-match': etag }, expectStatus: 304 },
    { id: 4, label: 'article by slug, response cache off', server: 'cache-off', method: 'GET', path: ARTICLE_PATH, expectStatus: 200 },
    {
      id: 5,
      label: 'GraphQL query for the article (cache on)',
      server: 'cache-on',
      method: 'POST',
      path: '/graphql',
      headers: { 'content-type': 'application/json' },
      body: GRAPHQL_BODY,
      expectStatus: 200,
    },
    { id: 6, label: 'stock Strapi: core controller, explicit populate, cache off', server: 'cache-off', method: 'GET', path: STOCK_PATH, expectStatus: 200 },
  ];
  if (articles > 1) {
    rows.push({ id: 7, label: `list of 20, cache off (${articles} articles)`, server: 'cache-off', method: 'GET', path: LIST_PATH, expectStatus: 200 });
    if (generatedSlug) {
      rows.push({
        id: 8,
        label: `a generated article by slug, cache off (${articles} articles)`,
        server: 'cache-off',
        method: 'GET',
        path: `/api/articles?filters[slug][$eq]=${generatedSlug}`,
        expectStatus: 200,
      });
    }
  }
  return rows;
}

interface Target {
  row: number;
  text: string;
  check(m: Measured): { value: string; met: boolean } | undefined;
}

interface Stats {
  rps: number;
  p50: number;
  p99: number;
  requests: number;
  errors: number;
  timeouts: number;
  unexpected: number;
  statusCodes: Record<string, number>;
  sqlPerRequest?: number;
}
/** Results by row id and connection count. */
type Measured = Map<number, Map<number, Stats>>;

const at = (m: Measured, row: number, conns: number) => m.get(row)?.get(conns);

function targetsFor(conns: number): Target[] {
  const ratioToBare = (row: number, min: number): Target => ({
    row,
    text: `≥ ${min} × (1)`,
    check: (m) => {
      const bare = at(m, 1, conns);
      const own = at(m, row, conns);
      if (!bare || !own) return undefined;
      const ratio = own.rps / bare.rps;
      return { value: `${ratio.toFixed(3)} × (1)`, met: ratio >= min && own.unexpected === 0 };
    },
  });
  return [
    ratioToBare(2, 0.7),
    ratioToBare(3, 0.8),
    {
      row: 4,
      text: '≥ 10 × (6)',
      check: (m) => {
        const own = at(m, 4, conns);
        const stock = at(m, 6, conns);
        if (!own || !stock) return undefined;
        const ratio = own.rps / stock.rps;
        return { value: `${ratio.toFixed(1)} × (6)`, met: ratio >= 10 && own.unexpected === 0 };
      },
    },
    ratioToBare(5, 0.25),
  ];
}

/** p99 of (2) at 50 connections ≤ 3 × the p99 of (1) at 50 connections. */
function p99Target(m: Measured): { value: string; met: boolean } | undefined {
  const bare = at(m, 1, 50);
  const own = at(m, 2, 50);
  if (!bare || !own) return undefined;
  const ratio = own.p99 / bare.p99;
  return { value: `${own.p99.toFixed(2)} ms vs ${bare.p99.toFixed(2)} ms = ${ratio.toFixed(2)} ×`, met: ratio <= 3 };
}

// ───────────────────────────── the database ─────────────────────────────

interface Database {
  url: string;
  where: string;
  dispose(): Promise<void>;
}

function withDatabaseName(url: string, name: string): string {
  const parsed = new URL(url);
  parsed.pathname = `/${name}`;
  return parsed.toString();
}

async function freshDatabase(): Promise<Database> {
  const name = `news_bench_${process.pid}_${randomBytes(3).toString('hex')}`;
  const serverUrl = process.env.DATABASE_URL;
  if (serverUrl) {
    const admin = async (text: string) => {
      const client = new Client({ connectionString: withDatabaseName(serverUrl, 'postgres'), connectionTimeoutMillis: 10_000 });
      await client.connect();
      try {
        await client.query(text);
      } finally {
        await client.end();
      }
    };
    await admin(`CREATE DATABASE "${name}"`);
    const host = new URL(serverUrl).host;
    return {
      url: withDatabaseName(serverUrl, name),
      where: `database ${name} on ${host} (DATABASE_URL; dropped at the end)`,
      dispose: () => admin(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`),
    };
  }
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { removeEmbeddedCluster, startEmbeddedPostgres } = require('../src/runtime/embedded-postgres') as typeof import('../src/runtime/embedded-postgres');
  const dataDir = join(ROOT, '.tmp', `bench-postgres-${process.pid}`);
  removeEmbeddedCluster(dataDir);
  const embedded = await startEmbeddedPostgres({ dataDir, database: 'news_bench', log: say });
  return {
    url: embedded.url,
    where: 'embedded PostgreSQL (DATABASE_URL unset; removed at the end)',
    dispose: async () => {
      await embedded.stop();
      removeEmbeddedCluster(dataDir);
    },
  };
}

// ───────────────────────────── child processes ─────────────────────────────

interface Child {
  name: string;
  port: number;
  process: ChildProcess;
  stop(): Promise<void>;
}

type ChildMessage =
  | { type: 'ready'; port: number }
  | { type: 'error'; message: string }
  | { type: 'done'; id: number; value?: number; statements?: string[]; error?: string };
type Command = { type: 'profile-start' } | { type: 'profile-stop'; file: string } | { type: 'queries' } | { type: 'statements'; from: number };
type ParentMessage = { type: 'stop' } | (Command & { id: number });

let nextAsk = 1;
/** Sends a command to an app child and waits for its answer. */
function ask(child: Child, message: Command): Promise<{ value?: number; statements?: string[] }> {
  const id = nextAsk++;
  return new Promise((resolvePromise, reject) => {
    const onMessage = (reply: ChildMessage) => {
      if (reply.type !== 'done' || reply.id !== id) return;
      child.process.off('message', onMessage);
      if (reply.error) reject(new Error(`${child.name}: ${reply.error}`));
      else resolvePromise({ value: reply.value, statements: reply.statements });
    };
    child.process.on('message', onMessage);
    child.process.send({ ...message, id } satisfies ParentMessage);
  });
}

const BOOT_TIMEOUT_MS = 240_000;

function childEnv(extra: Record<string, string>): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env };
  // Nothing that reaches outside, creates accounts, joins other instances or changes what is measured.
  for (const name of ['ADMIN_EMAIL', 'ADMIN_PASSWORD', 'EDITOR_EMAIL', 'EDITOR_PASSWORD', 'WEBHOOK_URL', 'REDIS_URL', 'NODE_OPTIONS']) delete env[name];
  const secret = () => randomBytes(24).toString('base64');
  return {
    ...env,
    NODE_ENV: 'production',
    HOST: '127.0.0.1',
    PORT: '0',
    SERVE_ADMIN_PANEL: 'false',
    LOG_LEVEL: 'error',
    STRAPI_TELEMETRY_DISABLED: 'true',
    APP_KEYS: `${secret()},${secret()}`,
    API_TOKEN_SALT: secret(),
    ADMIN_JWT_SECRET: secret(),
    TRANSFER_TOKEN_SALT: secret(),
    JWT_SECRET: secret(),
    ENCRYPTION_KEY: secret(),
    PREVIEW_SECRET: secret(),
    ...extra,
  };
}

function startChild(name: string, args: string[], env: NodeJS.ProcessEnv, payload?: unknown): Promise<Child> {
  return new Promise((resolvePromise, reject) => {
    const child = fork(__filename, args, { cwd: ROOT, env, execArgv: [], stdio: ['ignore', 'pipe', 'pipe', 'ipc'] });
    const prefix = (chunk: Buffer) =>
      chunk
        .toString('utf8')
        .split('\n')
        .filter((line) => line.trim() !== '')
        .map((line) => `[${name}] ${line}\n`)
        .join('');
    // Strapi's start-up banner goes to stdout: kept back, shown only if the child fails to start.
    let stdout = '';
    child.stdout?.on('data', (chunk: Buffer) => (stdout = (stdout + prefix(chunk)).slice(-20_000)));
    child.stderr?.on('data', (chunk: Buffer) => process.stderr.write(prefix(chunk)));
    let settled = false;
    const fail = (error: Error) => {
      if (settled) return;
      settled = true;
      if (stdout) process.stderr.write(stdout);
      reject(error);
    };
    let exited = false;
    const exitedPromise = new Promise<void>((r) => child.once('exit', () => ((exited = true), r())));
    const stop = async () => {
      if (exited) return;
      if (child.connected) child.send({ type: 'stop' });
      else child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 15_000);
      await exitedPromise;
      clearTimeout(timer);
    };
    const timer = setTimeout(() => {
      void stop();
      fail(new Error(`${name} did not start within ${BOOT_TIMEOUT_MS / 1000} s`));
    }, BOOT_TIMEOUT_MS);
    child.on('message', (message: ChildMessage) => {
      if (message.type === 'ready' && !settled) {
        settled = true;
        clearTimeout(timer);
        resolvePromise({ name, port: message.port, process: child, stop });
      } else if (message.type === 'error') {
        clearTimeout(timer);
        void stop();
        fail(new Error(`${name}: ${message.message}`));
      }
    });
    child.once('exit', (code, signal) => {
      clearTimeout(timer);
      fail(new Error(`${name} exited during start-up (${signal ?? `code ${code}`})`));
    });
    if (payload !== undefined) child.send({ type: 'payload', payload });
  });
}

/** Child: the app booted in-process (like tests/helpers/strapi.ts), seeded, listening on a free port. */
async function serveApp(seed: boolean): Promise<void> {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { createStrapi } = require('@strapi/strapi') as typeof import('@strapi/strapi');
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { destroyStrapi } = require('../src/runtime/load-strapi') as typeof import('../src/runtime/load-strapi');
  const strapi = await createStrapi({ appDir: ROOT, distDir: join(ROOT, 'dist') }).load();
  let stopping = false;
  const stop = async () => {
    if (stopping) return;
    stopping = true;
    try {
      await destroyStrapi(strapi);
    } finally {
      process.exit(0); // whatever handle Strapi left open
    }
  };
  // SQL statements sent (and the latest few), so the report can say what a request costs.
  let queries = 0;
  const recent: string[] = [];
  strapi.db.connection.on('query', (data: { sql?: string }) => {
    queries += 1;
    recent.push(String(data.sql ?? ''));
    if (recent.length > 200) recent.shift();
  });
  process.on('message', (message: ParentMessage) => {
    if (message.type === 'stop') void stop();
    else if (message.type === 'queries') process.send?.({ type: 'done', id: message.id, value: queries } satisfies ChildMessage);
    else if (message.type === 'statements') {
      const wanted = queries - message.from;
      const statements = wanted <= recent.length ? recent.slice(recent.length - wanted) : [`(${wanted} statements, more than kept)`];
      process.send?.({ type: 'done', id: message.id, statements: wanted > 0 ? statements : [] } satisfies ChildMessage);
    } else void profiler(message);
  });
  process.on('disconnect', () => void stop()); // the bench went away
  if (seed) await seedStories(strapi);
  await strapi.listen();
  const address = strapi.server.httpServer.address();
  if (!address || typeof address === 'string') throw new Error('the server did not listen');
  process.send?.({ type: 'ready', port: address.port } satisfies ChildMessage);
}

/**
 * V8's sampling profiler (what `node --cpu-prof` runs), started and stopped by the bench around
 * one measured row, so that a profile holds that row's requests and nothing else.
 */
let session: import('node:inspector').Session | undefined;
async function profiler(message: Extract<ParentMessage, { type: 'profile-start' | 'profile-stop' }>): Promise<void> {
  const reply = (error?: unknown) =>
    process.send?.({ type: 'done', id: message.id, ...(error ? { error: error instanceof Error ? error.message : String(error) } : {}) } satisfies ChildMessage);
  try {
    if (!session) {
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      const { Session } = require('node:inspector') as typeof import('node:inspector');
      session = new Session();
      session.connect();
    }
    const current = session;
    const post = <T>(method: string, params?: object) =>
      new Promise<T>((resolvePromise, reject) => current.post(method, params ?? {}, (error, result) => (error ? reject(error) : resolvePromise(result as T))));
    if (message.type === 'profile-start') {
      await post('Profiler.enable');
      await post('Profiler.setSamplingInterval', { interval: 1000 });
      await post('Profiler.start');
    } else {
      const { profile } = await post<{ profile: unknown }>('Profiler.stop');
      mkdirSync(resolve(message.file, '..'), { recursive: true });
      writeFileSync(message.file, JSON.stringify(profile));
    }
    reply();
  } catch (error) {
    reply(error);
  }
}

async function seedStories(strapi: import('@strapi/strapi').Core.Strapi): Promise<void> {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { writeStory } = require('../src/importer/write-story') as typeof import('../src/importer/write-story');
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { parseStory } = require('../src/story') as typeof import('../src/story');
  for (const file of readdirSync(STORIES).filter((f) => f.endsWith('.txt')).sort()) {
    const parsed = parseStory(readFileSync(join(STORIES, file), 'utf8'), file);
    if (!parsed.ok) throw new Error(parsed.error.message);
    await writeStory(strapi, parsed.story, { locale: 'en', status: 'published', force: false });
  }
}

/** Child: the limit. The same status, headers and bytes for every request, nothing else. */
function serveBare(): void {
  process.once('message', (message: { type: string; payload: { headers: OutgoingHttpHeaders; body: string } }) => {
    const headers = message.payload.headers;
    const body = Buffer.from(message.payload.body, 'base64');
    const server = http.createServer((_req, res) => {
      res.writeHead(200, headers);
      res.end(body);
    });
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      if (!address || typeof address === 'string') throw new Error('the server did not listen');
      process.send?.({ type: 'ready', port: address.port } satisfies ChildMessage);
    });
    const stop = () => {
      server.closeAllConnections();
      server.close(() => process.exit(0));
    };
    process.on('message', (m: { type?: string }) => m?.type === 'stop' && stop());
    process.on('disconnect', stop);
  });
}

// ───────────────────────────── extra articles ─────────────────────────────

/**
 * Clones the seeded story `count` times in set-based SQL (rows of every table that holds an
 * article: the article rows, draft and published, their components and links), in batches.
 * Each clone gets its own documentId, slug, headline, source and an older first publication.
 */
async function generateArticles(url: string, count: number): Promise<string> {
  const client = new Client({ connectionString: url });
  await client.connect();
  try {
    return await cloneStory(client, count);
  } finally {
    await client.end();
  }
}

async function columnsOf(client: Client, table: string): Promise<Array<{ name: string; type: string }>> {
  const { rows } = await client.query<{ column_name: string; data_type: string }>(
    `SELECT column_name, data_type FROM information_schema.columns WHERE table_schema = current_schema() AND table_name = $1 ORDER BY ordinal_position`,
    [table]
  );
  if (rows.length === 0) throw new Error(`table ${table} not found`);
  return rows.map((r) => ({ name: r.column_name, type: r.data_type }));
}

const q = (name: string) => `"${name.replace(/"/g, '""')}"`;

/**
 * INSERT … SELECT of `source` rows × g in [from, to], every column copied unless overridden by
 * an SQL expression over `t` (the template row), `g` (the clone number) and `r` (the template
 * row's rank, from 0). Ids are computed, not drawn, so the links can be computed the same way.
 */
async function cloneRows(
  client: Client,
  table: string,
  templateWhere: string,
  orderBy: string,
  overrides: Record<string, string>,
  from: number,
  to: number
): Promise<number> {
  const columns = (await columnsOf(client, table)).map((c) => c.name);
  const select = columns.map((c) => (overrides[c] !== undefined ? `${overrides[c]}` : `t.${q(c)}`));
  const result = await client.query(
    `INSERT INTO ${q(table)} (${columns.map(q).join(', ')})
     SELECT ${select.join(', ')}
     FROM (SELECT s.*, (row_number() OVER (ORDER BY ${orderBy}) - 1)::int AS r FROM ${q(table)} s WHERE ${templateWhere}) t
     CROSS JOIN generate_series(${from}, ${to}) AS g`
  );
  return result.rowCount ?? 0;
}

const BATCH = 10_000;

async function maxId(client: Client, table: string): Promise<number> {
  const { rows } = await client.query<{ max: number | null }>(`SELECT max(id) AS max FROM ${q(table)}`);
  return Number(rows[0].max ?? 0);
}

async function ids(client: Client, text: string, values: unknown[] = []): Promise<number[]> {
  const { rows } = await client.query<{ id: number }>(text, values);
  return rows.map((r) => Number(r.id));
}

const literal = (text: string) => `'${text.replace(/'/g, "''")}'`;
const CLONE_DOCUMENT_ID = `'bench' || lpad(g::text, 19, '0')`;

async function cloneStory(client: Client, count: number): Promise<string> {
  const story = await client.query<{ document_id: string; headline: string }>(`SELECT document_id, headline FROM articles WHERE slug = $1 LIMIT 1`, [SLUG]);
  if (story.rowCount === 0) throw new Error('the seeded story is not in the database');
  const documentId = story.rows[0].document_id;
  const headline = story.rows[0].headline;
  const arts = await ids(client, `SELECT id FROM articles WHERE document_id = $1 ORDER BY id`, [documentId]);
  const cmps = await ids(client, `SELECT id FROM articles_cmps WHERE entity_id = ANY($1) ORDER BY id`, [arts]);
  const ofType = (type: string) =>
    ids(client, `SELECT DISTINCT cmp_id AS id FROM articles_cmps WHERE entity_id = ANY($1) AND component_type = $2 ORDER BY 1`, [arts, type]);
  const pars = await ofType('content.paragraph');
  const figs = await ofType('media.figure');
  const known = await ids(client, `SELECT count(*)::int AS id FROM articles_cmps WHERE entity_id = ANY($1) AND component_type NOT IN ('content.paragraph', 'media.figure')`, [arts]);
  if (known[0] !== 0) throw new Error('the story has components this generator does not know: update scripts/bench.ts');

  // Tables the app keeps per article beside Strapi's (the read model, …): any other table with a
  // document_id that has rows for the story. Their rows are cloned too, the clone's identity
  // (documentId, slug, headline) written into their text columns.
  const perArticle: Array<{ table: string; columns: Array<{ name: string; type: string }> }> = [];
  const keyed = await client.query<{ table_name: string }>(
    `SELECT DISTINCT table_name FROM information_schema.columns
      WHERE table_schema = current_schema() AND column_name = 'document_id' AND table_name <> 'articles' ORDER BY 1`
  );
  for (const { table_name: table } of keyed.rows) {
    const rows = await client.query(`SELECT 1 FROM ${q(table)} WHERE document_id = $1 LIMIT 1`, [documentId]);
    if (rows.rowCount) perArticle.push({ table, columns: await columnsOf(client, table) });
  }
  const headlineInJson = JSON.stringify(headline).slice(1, -1);
  const rewrite = (column: { name: string; type: string }) => {
    const text = ['json', 'jsonb'].includes(column.type) ? `t.${q(column.name)}::text` : `t.${q(column.name)}`;
    const replaced =
      `replace(replace(replace(${text}, ${literal(documentId)}, ${CLONE_DOCUMENT_ID}), ${literal(SLUG)}, ${literal(SLUG)} || '-' || g), ` +
      `${literal(headlineInJson)}, ${literal(headlineInJson)} || ' (' || g || ')')`;
    return ['json', 'jsonb'].includes(column.type) ? `${replaced}::${column.type}` : replaced;
  };

  const base: Record<string, number> = {
    articles: await maxId(client, 'articles'),
    articles_cmps: await maxId(client, 'articles_cmps'),
    components_content_paragraphs: await maxId(client, 'components_content_paragraphs'),
    components_media_figures: await maxId(client, 'components_media_figures'),
    components_media_figures_credit_lnk: await maxId(client, 'components_media_figures_credit_lnk'),
    articles_credits_lnk: await maxId(client, 'articles_credits_lnk'),
    files_related_mph: await maxId(client, 'files_related_mph'),
  };
  for (const { table, columns } of perArticle) if (columns.some((c) => c.name === 'id')) base[table] = await maxId(client, table);
  const list = (values: number[]) => `ARRAY[${values.join(',') || 'NULL'}]::int[]`;
  // The new id of clone g of the template row whose rank is `rank` among `size` template rows.
  const newId = (table: string, size: number, rank: string) => `(${base[table]} + (g - 1) * ${size} + ${rank} + 1)`;
  const article = (column: string) => newId('articles', arts.length, `array_position(${list(arts)}, t.${q(column)}) - 1`);
  const paragraph = (column: string) => newId('components_content_paragraphs', pars.length, `array_position(${list(pars)}, t.${q(column)}) - 1`);
  const figure = (column: string) => newId('components_media_figures', figs.length, `array_position(${list(figs)}, t.${q(column)}) - 1`);
  const counts: Record<string, number> = {};
  const cloned = async (table: string, where: string, overrides: Record<string, string>, from: number, to: number) => {
    const size = Number((await client.query<{ n: number }>(`SELECT count(*)::int AS n FROM ${q(table)} WHERE ${where}`)).rows[0].n);
    if (size === 0) return;
    const withId = base[table] !== undefined;
    counts[table] =
      (counts[table] ?? 0) +
      (await cloneRows(
        client,
        table,
        withId ? `s.id IN (SELECT id FROM ${q(table)} WHERE ${where})` : `s.ctid IN (SELECT ctid FROM ${q(table)} WHERE ${where})`,
        withId ? 's.id' : 's.ctid',
        withId ? { id: newId(table, size, 't.r'), ...overrides } : overrides,
        from,
        to
      ));
  };

  for (let from = 1; from <= count; from += BATCH) {
    const to = Math.min(count, from + BATCH - 1);
    await client.query('BEGIN');
    try {
      await cloned('articles', `id = ANY(${list(arts)})`, {
        document_id: CLONE_DOCUMENT_ID,
        slug: `t.slug || '-' || g`,
        headline: `t.headline || ' (' || g || ')'`,
        import_source: `'bench-' || g || '.txt'`,
        first_publish_date: `t.first_publish_date - g * interval '1 minute'`,
        published_at: `t.published_at - g * interval '1 minute'`,
        created_at: `t.created_at - g * interval '1 minute'`,
        updated_at: `t.updated_at - g * interval '1 minute'`,
      }, from, to);
      await cloned('components_content_paragraphs', `id = ANY(${list(pars)})`, {}, from, to);
      await cloned('components_media_figures', `id = ANY(${list(figs)})`, {}, from, to);
      await cloned('articles_cmps', `id = ANY(${list(cmps)})`, {
        entity_id: article('entity_id'),
        cmp_id: `CASE t.component_type WHEN 'content.paragraph' THEN ${paragraph('cmp_id')} ELSE ${figure('cmp_id')} END`,
      }, from, to);
      await cloned('components_media_figures_credit_lnk', `figure_id = ANY(${list(figs)})`, { figure_id: figure('figure_id') }, from, to);
      await cloned('articles_credits_lnk', `article_id = ANY(${list(arts)})`, { article_id: article('article_id') }, from, to);
      await cloned('files_related_mph', `related_type = 'media.figure' AND related_id = ANY(${list(figs)})`, { related_id: figure('related_id') }, from, to);
      for (const { table, columns } of perArticle) {
        const overrides: Record<string, string> = { document_id: CLONE_DOCUMENT_ID };
        for (const column of columns) {
          if (column.name !== 'document_id' && ['text', 'character varying', 'json', 'jsonb'].includes(column.type)) overrides[column.name] = rewrite(column);
        }
        await cloned(table, `document_id = ${literal(documentId)}`, overrides, from, to);
      }
      await client.query('COMMIT');
    } catch (error) {
      await client.query('ROLLBACK');
      throw error;
    }
    say(`  ${to.toLocaleString('en-US')} / ${count.toLocaleString('en-US')}`);
  }
  for (const table of Object.keys(base)) {
    await client.query(`SELECT setval(pg_get_serial_sequence($1, 'id'), GREATEST((SELECT max(id) FROM ${q(table)}), 1))`, [table]);
  }
  for (const table of new Set([...Object.keys(base), ...perArticle.map((p) => p.table)])) await client.query(`ANALYZE ${q(table)}`);
  say(`  rows written: ${Object.entries(counts).map(([t, n]) => `${t} ${n.toLocaleString('en-US')}`).join(', ')}`);
  return `${SLUG}-${Math.ceil(count / 2)}`;
}

// ───────────────────────────── HTTP probe ─────────────────────────────

interface Answer {
  status: number;
  headers: IncomingHttpHeaders;
  body: Buffer;
}

function request(port: number, row: Pick<Row, 'method' | 'path' | 'headers' | 'body'>): Promise<Answer> {
  return new Promise((resolvePromise, reject) => {
    const req = http.request(
      { host: '127.0.0.1', port, method: row.method, path: row.path, headers: row.headers, timeout: 60_000, agent: false },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolvePromise({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }));
        res.on('error', reject);
      }
    );
    req.on('timeout', () => req.destroy(new Error(`${row.method} ${row.path}: no answer in 60 s`)));
    req.on('error', reject);
    req.end(row.body);
  });
}

function json(answer: Answer): { data?: unknown; errors?: unknown } {
  try {
    return JSON.parse(answer.body.toString('utf8')) as { data?: unknown; errors?: unknown };
  } catch {
    throw new Error(`not JSON (status ${answer.status}): ${answer.body.toString('utf8').slice(0, 200)}`);
  }
}

function expect(condition: unknown, message: string): asserts condition {
  if (!condition) throw new Error(`probe: ${message}`);
}

/** Headers the bare server repeats: those the fast path writes (Node adds date and connection). */
const PER_CONNECTION = new Set(['date', 'connection', 'keep-alive', 'transfer-encoding']);

interface Probe {
  body: Buffer;
  hitHeaders: IncomingHttpHeaders;
  headers: OutgoingHttpHeaders;
  etag: string;
  notes: string[];
}

/** Checks every row answers what it should, warms the caches, and takes the bytes for (1). */
async function probe(ports: Record<Server, number>, rows: Row[], articles: number): Promise<Probe> {
  const cacheOn = ports['cache-on'];
  const cacheOff = ports['cache-off'];
  const notes: string[] = [];
  const miss = await request(cacheOn, { method: 'GET', path: ARTICLE_PATH });
  expect(miss.status === 200, `(2) answered ${miss.status}: ${miss.body.toString('utf8').slice(0, 200)}`);
  const hit = await request(cacheOn, { method: 'GET', path: ARTICLE_PATH });
  expect(hit.status === 200 && hit.body.equals(miss.body), '(2) a cache hit differs from the miss that filled it');
  const data = json(hit).data as Array<{ slug: string; body: unknown[]; lead?: { credit?: { name?: string } } }>;
  expect(Array.isArray(data) && data[0]?.slug === SLUG && data[0].body.length > 0, '(2) is not the whole article');
  const etag = hit.headers.etag;
  expect(typeof etag === 'string', '(2) has no ETag');
  const headers: OutgoingHttpHeaders = {};
  for (const [name, value] of Object.entries(hit.headers)) if (value !== undefined && !PER_CONNECTION.has(name)) headers[name] = value;

  const notModified = await request(cacheOn, { method: 'GET', path: ARTICLE_PATH, headers: { 'if-none-match': etag } });
  expect(notModified.status === 304, `(3) answered ${notModified.status}`);

  const uncached = await request(cacheOff, { method: 'GET', path: ARTICLE_PATH });
  expect(uncached.status === 200, `(4) answered ${uncached.status}`);
  expect(uncached.headers['x-cache'] === undefined || uncached.headers['x-cache'] !== 'HIT', '(4) came from a cache');
  notes.push(
    uncached.body.equals(hit.body)
      ? '(4) answers the same bytes as (2).'
      : `(4) answers ${uncached.body.length} bytes, (2) ${hit.body.length}: the same article${
          JSON.stringify(json(uncached).data) === JSON.stringify(data) ? ' (identical `data`)' : ', different `data`'
        }.`
  );

  for (let i = 0; i < 2; i += 1) {
    const graphql = await request(cacheOn, { method: 'POST', path: '/graphql', headers: { 'content-type': 'application/json' }, body: GRAPHQL_BODY });
    const body = json(graphql) as { data?: { articles?: Array<{ slug: string }> }; errors?: unknown };
    expect(graphql.status === 200 && !body.errors && body.data?.articles?.[0]?.slug === SLUG, `(5) answered ${graphql.status}: ${graphql.body.toString('utf8').slice(0, 300)}`);
  }

  const stock = await request(cacheOff, { method: 'GET', path: STOCK_PATH });
  expect(stock.status === 200, `(6) answered ${stock.status}: ${stock.body.toString('utf8').slice(0, 200)}`);
  notes.push(
    JSON.stringify(json(stock).data) === JSON.stringify(json(uncached).data)
      ? '(6) returns the same `data` as (4): the route middleware replaces the client\'s populate tree with the server\'s, which is this tree (plus the figures\' `image`, empty in this story); what (6) measures is the stock core controller and Document Service with the cache off.'
      : '(6) returns different `data` from (4).'
  );

  for (const row of rows.filter((r) => r.id >= 7)) {
    const answer = await request(cacheOff, row);
    expect(answer.status === 200, `(${row.id}) answered ${answer.status}`);
    const rowData = json(answer).data as unknown[];
    const expected = row.id === 7 ? Math.min(20, articles) : 1;
    expect(Array.isArray(rowData) && rowData.length === expected, `(${row.id}) returned ${Array.isArray(rowData) ? rowData.length : 'no'} articles, expected ${expected}`);
    if (row.id === 8) {
      const [clone] = rowData as Array<{ slug?: string; body?: unknown[] }>;
      expect(row.path.endsWith(`=${clone.slug}`) && (clone.body?.length ?? 0) > 0, `(8) answered another article (${clone.slug})`);
    }
  }
  return { body: hit.body, hitHeaders: hit.headers, headers, etag, notes };
}

// ───────────────────────────── measuring ─────────────────────────────

function cannonOptions(port: number, row: Row, connections: number, seconds: number): autocannon.Options {
  return {
    url: `http://127.0.0.1:${port}${row.path}`,
    method: row.method,
    headers: row.headers,
    body: row.body,
    connections,
    pipelining: 1,
    timeout: 10,
    duration: seconds,
  };
}

async function warmUp(port: number, row: Row, connections: number, seconds: number): Promise<void> {
  await runCannon(cannonOptions(port, row, connections, seconds), () => undefined);
  await drain(port, row);
}

/** One row at one connection count, accumulated over its slices. */
class Measurement {
  // Latencies as floats (autocannon's histogram keeps whole milliseconds).
  private latencies = new Float64Array(1 << 16);
  private count = 0;
  private unexpected = 0;
  private seconds = 0;
  private requests = 0;
  private errors = 0;
  private timeouts = 0;
  private readonly statusCodes: Record<string, number> = {};
  readonly raw: autocannon.Result[] = [];

  constructor(
    private readonly expectStatus: number,
    private readonly sqlPerRequest: number | undefined
  ) {}

  record(statusCode: number, latency: number): void {
    if (statusCode !== this.expectStatus) this.unexpected += 1;
    if (this.count === this.latencies.length) {
      const bigger = new Float64Array(this.latencies.length * 2);
      bigger.set(this.latencies);
      this.latencies = bigger;
    }
    this.latencies[this.count++] = latency;
  }

  add(result: autocannon.Result): void {
    this.raw.push(result);
    this.seconds += result.duration;
    this.requests += result.requests.total;
    this.errors += result.errors;
    this.timeouts += result.timeouts;
    for (const [code, { count }] of Object.entries(result.statusCodeStats ?? {})) this.statusCodes[code] = (this.statusCodes[code] ?? 0) + (count ?? 0);
  }

  stats(): Stats {
    const sorted = this.latencies.slice(0, this.count).sort();
    return {
      rps: this.seconds > 0 ? this.requests / this.seconds : 0,
      p50: percentile(sorted, 50),
      p99: percentile(sorted, 99),
      requests: this.requests,
      errors: this.errors,
      timeouts: this.timeouts,
      unexpected: this.unexpected + this.errors,
      statusCodes: this.statusCodes,
      sqlPerRequest: this.sqlPerRequest,
    };
  }
}

/** One measured slice of a row, added to its measurement; `around` brackets the window itself. */
async function measureSlice(
  measurement: Measurement,
  port: number,
  row: Row,
  connections: number,
  seconds: number,
  around?: { before(): Promise<void>; after(): Promise<void> }
): Promise<void> {
  await around?.before();
  const result = await runCannon(cannonOptions(port, row, connections, seconds), (statusCode, latency) => measurement.record(statusCode, latency));
  await around?.after();
  await drain(port, row);
  measurement.add(result);
}

/**
 * SQL statements one request of the row sends (knex `query` events in the app): their number
 * over a few requests in a row, and the statements of the first.
 */
async function sqlPerRequest(child: Child, row: Row): Promise<{ perRequest: number; statements: string[] }> {
  const start = (await ask(child, { type: 'queries' })).value ?? 0;
  await request(child.port, row);
  const { statements = [] } = await ask(child, { type: 'statements', from: start });
  const times = 3;
  for (let i = 1; i < times; i += 1) await request(child.port, row);
  const end = (await ask(child, { type: 'queries' })).value ?? 0;
  return { perRequest: (end - start) / times, statements };
}

/**
 * autocannon stops by closing its sockets, but the server still works through the requests it
 * had accepted: one more request of the same kind, answered after them (the database pool hands
 * out connections in order), keeps that backlog out of the next row.
 */
async function drain(port: number, row: Row): Promise<void> {
  try {
    await request(port, row);
  } catch {
    // the next row reports a server that stopped answering
  }
  await new Promise((r) => setTimeout(r, 250));
}

function runCannon(options: autocannon.Options, onResponse: (statusCode: number, responseTime: number) => void): Promise<autocannon.Result> {
  return new Promise((resolvePromise, reject) => {
    const instance = autocannon(options, (error: unknown, result: autocannon.Result) => (error ? reject(error) : resolvePromise(result)));
    instance.on('response', (_client, statusCode, _bytes, responseTime) => onResponse(statusCode, responseTime));
  });
}

// ───────────────────────────── the report ─────────────────────────────

const int = (n: number) => (n > 0 && n < 10 ? n.toFixed(1) : Math.round(n).toLocaleString('en-US'));
const ms = (n: number) => (n < 10 ? n.toFixed(2) : n < 100 ? n.toFixed(1) : Math.round(n).toString());

function gitCommit(): string {
  try {
    const git = (...args: string[]) => execFileSync('git', args, { cwd: ROOT, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
    const commit = git('rev-parse', '--short', 'HEAD');
    const dirty = git('status', '--porcelain', '--untracked-files=no') !== '';
    return dirty ? `${commit} + uncommitted changes` : commit;
  } catch {
    return 'unknown';
  }
}

interface RunInfo {
  command: string;
  started: Date;
  duration: number;
  warmup: number;
  rounds: number;
  articles: number;
  database: string;
  loadBefore: number[];
  loadAfter: number[];
  bodyBytes: number;
  notes: string[];
  generatedIn?: number;
  profiled: boolean;
}

function report(
  info: RunInfo,
  rows: Row[],
  measured: Measured,
  sql: Map<number, { perRequest: number; statements: string[] }>
): { markdown: string; allMet: boolean } {
  const lines: string[] = [];
  const load = (l: number[]) => l.map((x) => x.toFixed(2)).join(' ');
  lines.push('# Bench: read paths against a bare Node server');
  lines.push('');
  lines.push(`Command: \`${info.command}\``);
  lines.push('');
  lines.push(
    `${info.started.toISOString()} · commit ${gitCommit()} · Node ${process.version} · ${cpus().length} CPUs (${cpus()[0]?.model.trim() ?? '?'}) · ` +
      `load average ${load(info.loadBefore)} before, ${load(info.loadAfter)} after · autocannon on 127.0.0.1, ` +
      `${info.duration} s per row${info.rounds > 1 ? ` (${info.rounds} round-robin slices of ${+(info.duration / info.rounds).toFixed(2)} s)` : ''} after ${info.warmup} s warm-up, pipelining 1 · ${info.articles.toLocaleString('en-US')} published article(s)` +
      `${info.generatedIn !== undefined ? ` (${(info.articles - 1).toLocaleString('en-US')} generated in ${info.generatedIn.toFixed(0)} s)` : ''} · ${info.database} · ` +
      `body of (2): ${info.bodyBytes.toLocaleString('en-US')} bytes`
  );
  lines.push('');
  lines.push('| # | request | conns | req/s | p50 ms | p99 ms | SQL/req | × (1) | target | measured | met |');
  lines.push('| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | --- | --- | --- |');
  let allMet = true;
  for (const row of rows) {
    for (const conns of CONNECTIONS) {
      const stats = at(measured, row.id, conns);
      if (!stats) continue;
      const bare = at(measured, 1, conns);
      const target = targetsFor(conns).find((t) => t.row === row.id);
      const result = target?.check(measured);
      if (result && !result.met) allMet = false;
      const flaw = stats.requests === 0 ? ' ⚠ no answer completed within the row' : stats.unexpected > 0 ? ` ⚠ ${stats.unexpected} unexpected answers (${JSON.stringify(stats.statusCodes)}, ${stats.errors} errors)` : '';
      lines.push(
        `| ${row.id} | ${row.label}${flaw} | ${conns} | ${int(stats.rps)} | ${ms(stats.p50)} | ${ms(stats.p99)} | ${stats.sqlPerRequest === undefined ? '' : stats.sqlPerRequest.toFixed(1)} | ` +
          `${bare ? (stats.rps / bare.rps).toFixed(3) : '–'} | ${target?.text ?? ''} | ${result?.value ?? ''} | ${result ? (result.met ? 'met' : '**not met**') : ''} |`
      );
    }
  }
  const p99 = p99Target(measured);
  if (p99) {
    if (!p99.met) allMet = false;
    lines.push(`| 2 | p99 of (2) at 50 connections | 50 | | | | | | ≤ 3 × p99 of (1) | ${p99.value} | ${p99.met ? 'met' : '**not met**'} |`);
  }
  lines.push('');
  lines.push('Requests:');
  lines.push('');
  for (const row of rows) {
    const extra = row.headers ? ` with ${Object.entries(row.headers).map(([k, v]) => `\`${k}: ${v.length > 40 ? `${v.slice(0, 40)}…` : v}\``).join(', ')}` : '';
    const on = row.server === 'bare' ? 'bare server' : row.server === 'cache-on' ? 'app, CACHE_ENABLED=true' : 'app, CACHE_ENABLED=false';
    lines.push(`- (${row.id}) ${on}: \`${row.method} ${row.path}\`${extra}${row.body ? ` (body: the query below)` : ''}`);
  }
  lines.push('');
  lines.push('```graphql');
  lines.push(GRAPHQL_QUERY);
  lines.push('```');
  lines.push('');
  for (const note of info.notes) lines.push(`- ${note}`);
  lines.push(
    '- Each server is its own process (the app twice: cache on and cache off, on the same fresh database; the bare server), ' +
      'and autocannon runs in the bench process: on a 2-core machine the load generator and the server under test each get about one core. ' +
      'Figures taken while other work runs on the machine (see the load averages) are not final.'
  );
  if (info.profiled) lines.push('- Run with `--cpu-prof`: the app rows were measured under V8\'s sampling profiler, which costs a few per cent; use a run without it for the figures.');
  lines.push('- SQL/req: statements the app sends to PostgreSQL for one request of the row (knex `query` events, over 3 requests made one by one before measuring).');
  lines.push('- p50/p99 are taken from every response\'s latency as a float (autocannon\'s own histogram keeps whole milliseconds; its figures are in the JSON).');
  if (info.articles > 1) {
    lines.push(
      '- Scale target: (7) and (8) at 100,000 articles cost no more than 2 × what they cost at 1,000: compare this table with one from `npm run bench -- --articles 1000`.'
    );
  }
  lines.push('');
  const withSql = rows.filter((row) => (sql.get(row.id)?.statements.length ?? 0) > 0);
  if (withSql.length > 0) {
    lines.push('');
    lines.push('<details><summary>The SQL of one request, per row</summary>');
    lines.push('');
    for (const row of withSql) {
      lines.push(`(${row.id}) ${row.label}:`);
      lines.push('');
      lines.push('```sql');
      for (const statement of sql.get(row.id)?.statements ?? []) lines.push(statement.length > 400 ? `${statement.slice(0, 400)} …` : statement);
      lines.push('```');
      lines.push('');
    }
    lines.push('</details>');
    lines.push('');
  }
  return { markdown: lines.join('\n'), allMet };
}

// ───────────────────────────── CPU profiles ─────────────────────────────

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
}
interface CpuProfile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
  startTime: number;
  endTime: number;
}

function placeOf(url: string): string {
  if (url === '') return '(native / V8)';
  if (url.startsWith('node:')) return `node:${url.slice(5).split('/').slice(0, 2).join('/')}`;
  const modules = url.lastIndexOf('/node_modules/');
  if (modules >= 0) {
    const parts = url.slice(modules + '/node_modules/'.length).split('/');
    return parts[0].startsWith('@') ? `${parts[0]}/${parts[1]}` : parts[0];
  }
  const dist = url.indexOf('/dist/');
  if (dist >= 0) return `app: ${url.slice(dist + 6).split('/').slice(0, 2).join('/')}`;
  return url.replace(/^file:\/\//, '');
}

/** A function's file, short: `koa-session/lib/context.js`, `src/cache/fast-path.js`, `node:_http_outgoing`. */
function fileOf(url: string): string {
  const modules = url.lastIndexOf('/node_modules/');
  if (modules >= 0) return url.slice(modules + '/node_modules/'.length);
  const dist = url.indexOf('/dist/');
  if (dist >= 0) return url.slice(dist + 6);
  return url.replace(/^file:\/\//, '');
}

function summariseProfile(file: string): string {
  const profile = JSON.parse(readFileSync(file, 'utf8')) as CpuProfile;
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const parent = new Map<number, number>();
  for (const node of profile.nodes) for (const child of node.children ?? []) parent.set(child, node.id);
  const self = new Map<number, number>();
  for (let i = 0; i < profile.samples.length; i += 1) self.set(profile.samples[i], (self.get(profile.samples[i]) ?? 0) + (profile.timeDeltas[i] ?? 0));
  // The profiler's own work at the end of the window (node:inspector on the stack) is left out.
  const stackOf = (id: number) => {
    const frames: ProfileNode[] = [];
    for (let at: number | undefined = id; at !== undefined; at = parent.get(at)) {
      const frame = byId.get(at);
      if (frame && frame.callFrame.functionName !== '(root)') frames.push(frame);
    }
    return frames;
  };
  const isProfiler = (id: number) => stackOf(id).some((f) => f.callFrame.url === 'node:inspector');
  const isIdle = (id: number) => byId.get(id)?.callFrame.functionName === '(idle)' || isProfiler(id);
  const total = [...self.entries()].filter(([id]) => !isProfiler(id)).reduce((a, [, t]) => a + t, 0);
  const busy = [...self.entries()].filter(([id]) => !isIdle(id)).reduce((a, [, t]) => a + t, 0);
  const partOf = (node: ProfileNode) => (node.callFrame.functionName.startsWith('(') ? node.callFrame.functionName : placeOf(node.callFrame.url));
  const nameOf = (node: ProfileNode) => {
    const { functionName, url, lineNumber } = node.callFrame;
    return `${functionName || '(anonymous)'}${url ? ` ${fileOf(url)}:${lineNumber + 1}` : ''}`;
  };
  const selfByPart = new Map<string, number>();
  const selfByFunction = new Map<string, number>();
  const inclusiveByPart = new Map<string, number>();
  const add = (map: Map<string, number>, key: string, time: number) => map.set(key, (map.get(key) ?? 0) + time);
  for (const [id, time] of self) {
    const node = byId.get(id);
    if (!node || isIdle(id)) continue;
    add(selfByPart, partOf(node), time);
    add(selfByFunction, nameOf(node), time);
    // Inclusive: every part on the sample's stack, once (not V8's own frames, nor the tick
    // queue that every continuation runs under).
    const parts = new Set(stackOf(id).map(partOf).filter((part) => !part.startsWith('(') && part !== 'node:internal/process'));
    for (const part of parts) add(inclusiveByPart, part, time);
  }
  const table = (title: string, map: Map<string, number>, n: number) => [
    `| ${title} | ms | of busy |`,
    '| --- | ---: | ---: |',
    ...[...map.entries()]
      .sort((a, b) => b[1] - a[1])
      .slice(0, n)
      .map(([name, time]) => `| ${name.replace(/\|/g, '\\|')} | ${(time / 1000).toFixed(0)} | ${((100 * time) / busy).toFixed(1)} % |`),
    '',
  ];
  return [
    `Busy ${(busy / 1e6).toFixed(2)} s of ${(total / 1e6).toFixed(2)} s sampled (the rest idle, i.e. waiting on the database or the network).`,
    '',
    ...table('self time by part (package, or app module under dist/)', selfByPart, 15),
    ...table('inclusive time by part (anywhere on the stack, so with what it calls)', inclusiveByPart, 20),
    ...table('self time by function', selfByFunction, 20),
  ].join('\n');
}

// ───────────────────────────── main ─────────────────────────────

async function main(argv: string[]): Promise<number> {
  let flags: Flags;
  try {
    flags = parseFlags(argv);
  } catch (error) {
    if (error instanceof UsageError) {
      say(error.message);
      say(USAGE);
      return 2;
    }
    throw error;
  }
  const duration = flags.duration ?? (flags.quick ? 2 : 10);
  const warmup = flags.quick ? 0.5 : Math.min(2, duration / 5);
  // A profile is one window: one slice per row then.
  const rounds = flags.cpuProf ? 1 : (flags.rounds ?? (duration >= 5 ? 5 : 1));
  const outName = flags.out ?? ([flags.quick ? 'quick' : '', flags.articles > 1 ? `articles-${flags.articles}` : ''].filter(Boolean).join('-') || 'latest');
  const started = new Date();
  const loadBefore = loadavg();
  mkdirSync(RESULTS, { recursive: true });

  const cleanups: Array<() => Promise<void>> = [];
  const cleanUp = async () => {
    while (cleanups.length > 0) {
      const step = cleanups.pop();
      try {
        await step?.();
      } catch (error) {
        say(`clean-up: ${error instanceof Error ? error.message : String(error)}`);
      }
    }
  };
  const onSignal = () => {
    say('interrupted: stopping');
    void cleanUp().finally(() => process.exit(130));
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  // Whatever happens, the run ends: boots + generation + rows, with a wide margin.
  const budgetMs = (20 * 60 + (flags.articles / 100_000) * 30 * 60 + 8 * 2 * (duration + warmup)) * 1000;
  const watchdog = setTimeout(() => {
    say(`the run took longer than ${Math.round(budgetMs / 60000)} minutes: stopping`);
    void cleanUp().finally(() => process.exit(1));
  }, budgetMs);
  watchdog.unref();

  try {
    const database = await freshDatabase();
    cleanups.push(database.dispose);
    say(`database: ${database.where}`);

    say('starting the app with the response cache on, and seeding the story…');
    const cacheOn = await startChild('cache-on', ['--serve', '--seed'], childEnv({ DATABASE_URL: database.url, CACHE_ENABLED: 'true' }));
    cleanups.push(cacheOn.stop);

    let generatedIn: number | undefined;
    let generatedSlug: string | undefined;
    if (flags.articles > 1) {
      say(`generating ${(flags.articles - 1).toLocaleString('en-US')} more published articles…`);
      const t0 = Date.now();
      generatedSlug = await generateArticles(database.url, flags.articles - 1);
      generatedIn = (Date.now() - t0) / 1000;
      say(`generated in ${generatedIn.toFixed(1)} s`);
    }

    say('starting the app with the response cache off…');
    const cacheOff = await startChild('cache-off', ['--serve'], childEnv({ DATABASE_URL: database.url, CACHE_ENABLED: 'false' }));
    cleanups.push(cacheOff.stop);

    const allRows = rowsFor(flags.articles, '', generatedSlug);
    const ports: Record<Server, number> = { bare: 0, 'cache-on': cacheOn.port, 'cache-off': cacheOff.port };
    const probed = await probe(ports, allRows, flags.articles);
    const bare = await startChild('bare', ['--bare'], childEnv({}), { headers: probed.headers, body: probed.body.toString('base64') });
    cleanups.push(bare.stop);
    ports.bare = bare.port;
    const bareCheck = await request(bare.port, { method: 'GET', path: ARTICLE_PATH });
    expect(bareCheck.body.equals(probed.body), '(1) does not answer the bytes of (2)');
    const headerLines = (headers: IncomingHttpHeaders) =>
      Object.entries(headers)
        .filter(([name]) => name !== 'date')
        .map(([name, value]) => `${name}: ${String(value)}`)
        .sort()
        .join('\n');
    expect(headerLines(bareCheck.headers) === headerLines(probed.hitHeaders), '(1) does not answer the headers of (2)');

    const rows = rowsFor(flags.articles, probed.etag, generatedSlug).filter((r) => !flags.only || flags.only.includes(r.id));
    const measured: Measured = new Map();
    const raw: Record<string, unknown> = {};
    const children: Record<Server, Child> = { bare, 'cache-on': cacheOn, 'cache-off': cacheOff };
    const profiles: Array<{ row: Row; conns: number; file: string }> = [];
    const sql = new Map<number, { perRequest: number; statements: string[] }>();
    for (const row of rows) if (row.server !== 'bare') sql.set(row.id, await sqlPerRequest(children[row.server], row));
    for (const conns of CONNECTIONS) {
      if (warmup > 0) for (const row of rows) await warmUp(ports[row.server], row, conns, warmup);
      const measurements = new Map(rows.map((row) => [row.id, new Measurement(row.expectStatus, sql.get(row.id)?.perRequest)]));
      // Round-robin slices: load from elsewhere on the machine falls on every row alike.
      for (let round = 0; round < rounds; round += 1) {
        for (const row of rows) {
          const child = children[row.server];
          // Profiles are large: under .tmp/ (git-ignored), summarised in the report.
          const file = join(ROOT, '.tmp', 'bench-profiles', `${outName}-${row.id}-${conns}.cpuprofile`);
          const around =
            flags.cpuProf && row.server !== 'bare'
              ? {
                  before: async () => void (await ask(child, { type: 'profile-start' })),
                  after: async () => void (await ask(child, { type: 'profile-stop', file })),
                }
              : undefined;
          await measureSlice(measurements.get(row.id) as Measurement, ports[row.server], row, conns, duration / rounds, around);
          if (around) profiles.push({ row, conns, file });
        }
      }
      for (const row of rows) {
        const measurement = measurements.get(row.id) as Measurement;
        const stats = measurement.stats();
        if (!measured.has(row.id)) measured.set(row.id, new Map());
        measured.get(row.id)?.set(conns, stats);
        raw[`${row.id}@${conns}`] = { row, stats, autocannon: measurement.raw };
        const bareStats = measured.get(1)?.get(conns);
        say(
          `(${row.id}) ${conns} conns: ${int(stats.rps)} req/s, p50 ${ms(stats.p50)} ms, p99 ${ms(stats.p99)} ms` +
            (stats.sqlPerRequest !== undefined ? `, ${stats.sqlPerRequest.toFixed(1)} SQL/req` : '') +
            (stats.unexpected > 0 ? `, ${stats.unexpected} unexpected answers ${JSON.stringify(stats.statusCodes)}` : '') +
            (bareStats && row.id !== 1 ? ` = ${(stats.rps / bareStats.rps).toFixed(3)} × (1)` : '')
        );
      }
    }

    await cleanUp();
    const info: RunInfo = {
      command: `npm run bench${argv.length ? ` -- ${argv.join(' ')}` : ''}`,
      started,
      duration,
      warmup,
      rounds,
      articles: flags.articles,
      database: database.where,
      loadBefore,
      loadAfter: loadavg(),
      bodyBytes: probed.body.length,
      notes: probed.notes,
      generatedIn,
      profiled: flags.cpuProf,
    };
    const { markdown, allMet } = report(info, rows, measured, sql);
    // One summary per profiled row, at the highest connection count measured.
    let summaries = '';
    for (const { row, conns, file } of profiles) {
      if (profiles.some((p) => p.row.id === row.id && p.conns > conns) || !existsSync(file)) continue;
      summaries +=
        `\n## CPU profile of (${row.id}) at ${conns} connections: ${row.label}\n\n` +
        `\`${file.slice(ROOT.length + 1)}\` (open in Chrome DevTools › Performance); the ${row.server} app process, measured window only.\n\n` +
        summariseProfile(file);
    }
    writeFileSync(join(RESULTS, `${outName}.md`), markdown + summaries);
    writeFileSync(join(RESULTS, `${outName}.json`), JSON.stringify({ info, results: raw, sql: Object.fromEntries(sql) }, null, 2));
    console.log(markdown + summaries);
    say(`wrote bench/results/${outName}.md and ${outName}.json; targets ${allMet ? 'all met' : 'NOT all met'}`);
    return 0;
  } finally {
    clearTimeout(watchdog);
    await cleanUp();
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
}

if (require.main === module) {
  const args = process.argv.slice(2);
  if (args[0] === '--serve') {
    serveApp(args.includes('--seed')).catch((error: unknown) => {
      const message = error instanceof Error ? (error.stack ?? error.message) : String(error);
      if (process.send) process.send({ type: 'error', message } satisfies ChildMessage, undefined, {}, () => process.exit(1));
      else process.exit(1);
    });
  } else if (args[0] === '--bare') {
    serveBare();
  } else if (args[0] === '--summarise-profile' && args[1]) {
    // A profile taken by hand (`node --cpu-prof …`), summarised the way the report does.
    console.log(summariseProfile(resolve(args[1])));
  } else {
    main(args).then(
      (code) => process.exit(code),
      (error: unknown) => {
        say(error instanceof Error ? error.message : String(error));
        process.exit(1);
      }
    );
  }
}

import { readFileSync } from 'node:fs';
import type { ClientConfig } from 'pg';
import { z } from 'zod';

/**
 * The process environment the service reads, validated once. Everything that configures the
 * service goes through here so that a bad value ends start-up with one line naming it.
 */
const postgresUrl = z
  .string()
  .trim()
  .refine((value) => {
    try {
      const url = new URL(value);
      return (url.protocol === 'postgres:' || url.protocol === 'postgresql:') && url.hostname !== '';
    } catch {
      return false;
    }
  }, 'must be a URL like postgres://user:password@host:5432/database');

/** The one rule for yes/no variables: true/false, 1/0, yes/no, on/off (any case). */
const boolString = z
  .string()
  .trim()
  .toLowerCase()
  .pipe(z.enum(['true', 'false', '1', '0', 'yes', 'no', 'on', 'off'], { errorMap: () => ({ message: 'must be true or false' }) }))
  .transform((v) => v === 'true' || v === '1' || v === 'yes' || v === 'on');

const int = (min: number, max: number) => z.coerce.number().int().min(min).max(max);

export const LOG_LEVELS = ['error', 'warn', 'info', 'http', 'verbose', 'debug', 'silly'] as const;

/** Every variable the service reads, in one place: `.env.example` is checked against it. */
export const EnvSchema = z.object({
  // Database
  DATABASE_URL: postgresUrl.optional(),
  DATABASE_HOST: z.string().min(1).optional(),
  DATABASE_PORT: int(1, 65535).optional(),
  DATABASE_NAME: z.string().min(1).optional(),
  DATABASE_USERNAME: z.string().min(1).optional(),
  DATABASE_PASSWORD: z.string().optional(),
  DATABASE_SCHEMA: z.string().min(1).optional(),
  DATABASE_SSL: boolString.optional(),
  DATABASE_SSL_CA: z.string().min(1).optional(),
  DATABASE_POOL_MIN: int(0, 1000).optional(),
  DATABASE_POOL_MAX: int(1, 1000).optional(),
  DATABASE_CONNECT_TIMEOUT: z.coerce.number().positive().max(3600).optional(),
  DATABASE_ACQUIRE_TIMEOUT: int(100, 600_000).optional(),
  EMBEDDED_POSTGRES_HOME: z.string().min(1).optional(),
  // HTTP
  HOST: z.string().min(1).optional(),
  PORT: int(0, 65535).optional(),
  PUBLIC_URL: z.string().url().optional(),
  // The publication's name in feeds and the Google News sitemap.
  PUBLICATION_NAME: z.string().min(1).max(120).default('News'),
  SERVER_URL: z.string().optional(),
  TRUST_PROXY: boolString.default('false'),
  CORS_ORIGINS: z.string().min(1).optional(),
  SERVE_ADMIN_PANEL: boolString.default('true'),
  SHUTDOWN_TIMEOUT: z.coerce.number().positive().max(600).optional(),
  LOG_LEVEL: z.enum(LOG_LEVELS).default('http'),
  // Accounts, links, notifications
  ADMIN_EMAIL: z.string().email().optional(),
  ADMIN_PASSWORD: z.string().min(8).optional(),
  EDITOR_EMAIL: z.string().email().optional(),
  EDITOR_PASSWORD: z.string().min(8).optional(),
  PREVIEW_SECRET: z.string().min(16).optional(),
  // How long a preview link an editor opens stays valid, in seconds.
  PREVIEW_LINK_TTL: int(60, 7 * 86_400).default(3600),
  WEBHOOK_URL: z.string().url().optional(),
  // Caching and the invalidation bus
  REDIS_URL: z.string().regex(/^rediss?:\/\/.+/, 'must be a URL like redis://127.0.0.1:6379').optional(),
  CACHE_ENABLED: boolString.default('true'),
  // Public reads of whole articles (by slug, by id, lists, the GraphQL article query) come from
  // the read model; false sends every one through Strapi's core controller and resolvers.
  READ_MODEL_SERVE: boolString.default('true'),
  CACHE_MAX_ENTRIES: int(1, 10_000_000).default(5000),
  CACHE_MAX_BYTES: int(1024, Number.MAX_SAFE_INTEGER).default(128 * 1024 * 1024),
  // The longest an answer is served from this process's cache: a purge that never arrived
  // cannot keep old text longer than this.
  CACHE_TTL: int(1, 86_400).default(300),
  SURROGATE_MAX_AGE: int(0, 31_536_000).default(60),
  SURROGATE_STALE_WHILE_REVALIDATE: int(0, 31_536_000).default(30),
  // How long an edge may keep serving the last good copy of a published answer while the origin
  // is down or failing (Surrogate-Control stale-if-error). Never for an answer with an end.
  SURROGATE_STALE_IF_ERROR: int(0, 7 * 86_400).default(86_400),
  // The edge: Varnish endpoints (comma-separated URLs) that receive purges by key, and CDNs
  // purged from the same outbox. The *_API_URL variables point at the real APIs by default.
  EDGE_PURGE_URLS: z
    .string()
    .trim()
    .refine((value) => value.split(',').map((url) => url.trim()).filter(Boolean).every((url) => /^https?:\/\/[^/]+/.test(url) && URL.canParse(url)), 'must be comma-separated http(s) URLs like http://127.0.0.1:6081')
    .optional(),
  FASTLY_SERVICE_ID: z.string().trim().min(1).optional(),
  FASTLY_API_TOKEN: z.string().trim().min(1).optional(),
  FASTLY_API_URL: z.string().url().default('https://api.fastly.com'),
  CLOUDFLARE_ZONE_ID: z.string().trim().min(1).optional(),
  CLOUDFLARE_API_TOKEN: z.string().trim().min(1).optional(),
  CLOUDFLARE_API_URL: z.string().url().default('https://api.cloudflare.com/client/v4'),
  // The zone's plan: its purge rate limit (Free: 5 purges a minute).
  CLOUDFLARE_PLAN: z.enum(['free', 'pro', 'business', 'enterprise']).default('free'),
  // Scheduled publishing: whether this process runs the jobs; retries; how long a job may run
  // before another instance takes it over (its instance is taken to have died).
  SCHEDULE_WORKERS: boolString.default('true'),
  SCHEDULE_RETRY_LIMIT: int(0, 100).default(5),
  SCHEDULE_RETRY_DELAY: int(1, 3600).default(5),
  SCHEDULE_JOB_TIMEOUT: int(5, 3600).default(30),
  // Editors in the admin: how long an edit lease lives without a heartbeat (the open edit view
  // beats every few seconds), and how long a tab stays listed as present without one.
  EDIT_LEASE_TTL: int(2, 3600).default(90),
  EDIT_PRESENCE_TTL: int(2, 3600).default(45),
  // Media: the largest file the media library and the importer take, the most pixels an image may
  // decode to (more is a decompression bomb), and S3-compatible storage shared by every instance.
  UPLOAD_MAX_BYTES: int(1024, 2 * 1024 * 1024 * 1024).default(30 * 1024 * 1024),
  IMAGE_MAX_PIXELS: int(1, 1_000_000_000).default(100_000_000),
  S3_BUCKET: z.string().min(1).optional(),
  S3_ENDPOINT: z.string().url().optional(),
  S3_REGION: z.string().min(1).default('us-east-1'),
  S3_ACCESS_KEY_ID: z.string().min(1).optional(),
  S3_SECRET_ACCESS_KEY: z.string().min(1).optional(),
  S3_FORCE_PATH_STYLE: boolString.default('false'),
  // A canned ACL sent with each file (public-read for buckets that still use ACLs); unset: none
  // (buckets with ACLs disabled, the AWS default since 2023, and R2 refuse one).
  S3_ACL: z.enum(['private', 'public-read', 'authenticated-read', 'bucket-owner-read', 'bucket-owner-full-control']).optional(),
  // Where readers fetch the files (a CDN in front of the bucket); the bucket's own URL when unset.
  S3_PUBLIC_URL: z.string().url().optional(),
  // GraphQL
  GRAPHQL_MAX_FIELDS: int(1, 100_000).default(500),
  GRAPHQL_MAX_COST: int(1, 100_000_000).default(10_000),
  // Strapi's secrets (generated into .tmp/secrets.json by the launcher when unset)
  APP_KEYS: z.string().min(1).optional(),
  API_TOKEN_SALT: z.string().min(1).optional(),
  ADMIN_JWT_SECRET: z.string().min(1).optional(),
  TRANSFER_TOKEN_SALT: z.string().min(1).optional(),
  JWT_SECRET: z.string().min(1).optional(),
  ENCRYPTION_KEY: z.string().min(1).optional(),
});

export type Env = z.infer<typeof EnvSchema>;

export class EnvError extends Error {}

/** Parses the environment; throws an EnvError whose message is one line a person can act on. */
export function readEnv(source: NodeJS.ProcessEnv = process.env): Env {
  const present = Object.fromEntries(
    Object.entries(source).filter(([, value]) => value !== undefined && value !== '')
  );
  const result = EnvSchema.safeParse(present);
  if (!result.success) {
    const issue = result.error.issues[0];
    throw new EnvError(`invalid environment: ${issue.path.join('.')} ${issue.message}`);
  }
  return result.data;
}

/** How the connection uses TLS: `false`, or the options node-postgres takes. */
export type DatabaseTls = false | { rejectUnauthorized: boolean; ca?: string; checkServerIdentity?: () => undefined };

export interface DatabaseConnection {
  host: string;
  port: number;
  database: string;
  user: string;
  password: string;
  ssl: DatabaseTls;
  /** sslmode prefer or allow: the other choice, when the server refuses `ssl`. */
  sslFallback?: DatabaseTls;
  schema: string;
}

const SSL_MODES = ['disable', 'allow', 'prefer', 'require', 'verify-ca', 'verify-full'] as const;
type SslMode = (typeof SSL_MODES)[number];

/**
 * TLS as libpq's sslmode says: `require` encrypts without checking the certificate (unless a CA
 * is given: then as verify-ca); `verify-ca` checks it was signed by DATABASE_SSL_CA (else the
 * system's CAs); `verify-full` also checks it names the host; `disable` never encrypts.
 * `prefer` tries TLS first and `allow` plaintext first, each falling back to the other when the
 * server refuses it: a node-postgres client cannot fall back by itself, so the connection carries
 * the second choice (`sslFallback`) and the launcher's first connection settles which one this
 * server takes (resolveSslMode in runtime/wait-for-database.ts), for every client after it.
 * DATABASE_SSL=true (without a sslmode) means verify-full.
 */
export function databaseTls(mode: SslMode | undefined, caFile: string | undefined): DatabaseTls {
  let ca: string | undefined;
  if (caFile) {
    try {
      ca = readFileSync(caFile, 'utf8');
    } catch (error) {
      throw new EnvError(`invalid environment: DATABASE_SSL_CA cannot be read (${(error as Error).message.split('\n')[0]})`);
    }
  }
  switch (mode) {
    case undefined:
    case 'disable':
    case 'allow':
      return false;
    case 'prefer':
    case 'require':
      return ca ? { rejectUnauthorized: true, ca, checkServerIdentity: () => undefined } : { rejectUnauthorized: false };
    case 'verify-ca':
      return { rejectUnauthorized: true, ...(ca ? { ca } : {}), checkServerIdentity: () => undefined };
    case 'verify-full':
      return { rejectUnauthorized: true, ...(ca ? { ca } : {}) };
  }
}

/** What `prefer` and `allow` fall back to when the server refuses their first choice. */
function sslFallback(mode: SslMode | undefined, caFile: string | undefined): DatabaseTls | undefined {
  if (mode === 'prefer') return false;
  if (mode === 'allow') return databaseTls('require', caFile);
  return undefined;
}

function sslMode(value: string | null): SslMode | undefined {
  if (value === null) return undefined;
  if ((SSL_MODES as readonly string[]).includes(value)) return value as SslMode;
  throw new EnvError(`invalid environment: DATABASE_URL sslmode must be one of ${SSL_MODES.join(', ')}`);
}

/** DATABASE_URL wins; otherwise the DATABASE_* variables; undefined when neither is set. */
export function databaseConnection(env: Env): DatabaseConnection | undefined {
  const explicit = env.DATABASE_SSL === undefined ? undefined : env.DATABASE_SSL ? 'verify-full' : 'disable';
  if (env.DATABASE_URL) {
    const url = new URL(env.DATABASE_URL);
    const mode = sslMode(url.searchParams.get('sslmode')) ?? explicit;
    const fallback = sslFallback(mode, env.DATABASE_SSL_CA);
    return {
      host: url.hostname,
      port: url.port ? Number(url.port) : 5432,
      database: decodeURIComponent(url.pathname.replace(/^\//, '')) || 'postgres',
      user: decodeURIComponent(url.username) || 'postgres',
      password: decodeURIComponent(url.password),
      ssl: databaseTls(mode, env.DATABASE_SSL_CA),
      ...(fallback === undefined ? {} : { sslFallback: fallback }),
      schema: env.DATABASE_SCHEMA ?? 'public',
    };
  }
  if (env.DATABASE_HOST) {
    return {
      host: env.DATABASE_HOST,
      port: env.DATABASE_PORT ?? 5432,
      database: env.DATABASE_NAME ?? 'strapi',
      user: env.DATABASE_USERNAME ?? 'postgres',
      password: env.DATABASE_PASSWORD ?? '',
      ssl: databaseTls(explicit, env.DATABASE_SSL_CA),
      schema: env.DATABASE_SCHEMA ?? 'public',
    };
  }
  return undefined;
}

/**
 * The one place a connection to the service's database is described, for every client: Strapi's
 * pool (config/database.ts), and the connections of its own that the boot lock, the
 * invalidation bus, the breaker's probe and the start-up wait open.
 */
export function databaseClientConfig(env: Env): ClientConfig | undefined {
  const connection = databaseConnection(env);
  if (!connection) return undefined;
  const { schema: _schema, sslFallback: _fallback, ...client } = connection;
  // Which process a session belongs to, in pg_stat_activity: what an operator (or a test) looks at.
  return { ...client, application_name: `news:${process.pid}` };
}

export function publicUrl(env: Env): string {
  return (env.PUBLIC_URL ?? 'http://localhost:1337').replace(/\/+$/, '');
}

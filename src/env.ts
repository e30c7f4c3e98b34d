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

const boolString = z
  .enum(['true', 'false', '1', '0', 'yes', 'no'])
  .transform((v) => v === 'true' || v === '1' || v === 'yes');

export const EnvSchema = z.object({
  DATABASE_URL: postgresUrl.optional(),
  DATABASE_HOST: z.string().min(1).optional(),
  DATABASE_PORT: z.coerce.number().int().min(1).max(65535).optional(),
  DATABASE_NAME: z.string().min(1).optional(),
  DATABASE_USERNAME: z.string().min(1).optional(),
  DATABASE_PASSWORD: z.string().optional(),
  DATABASE_SCHEMA: z.string().min(1).optional(),
  DATABASE_SSL: boolString.optional(),
  DATABASE_POOL_MIN: z.coerce.number().int().min(0).optional(),
  DATABASE_POOL_MAX: z.coerce.number().int().min(1).optional(),
  DATABASE_CONNECT_TIMEOUT: z.coerce.number().positive().max(3600).optional(),
  DATABASE_ACQUIRE_TIMEOUT: z.coerce.number().int().min(100).max(600_000).optional(),
  HOST: z.string().min(1).optional(),
  PORT: z.coerce.number().int().min(0).max(65535).optional(),
  PUBLIC_URL: z.string().url().optional(),
  ADMIN_EMAIL: z.string().email().optional(),
  ADMIN_PASSWORD: z.string().min(8).optional(),
  EDITOR_EMAIL: z.string().email().optional(),
  EDITOR_PASSWORD: z.string().min(8).optional(),
  PREVIEW_SECRET: z.string().min(16).optional(),
  WEBHOOK_URL: z.string().url().optional(),
  REDIS_URL: z.string().regex(/^rediss?:\/\/.+/, 'must be a URL like redis://127.0.0.1:6379').optional(),
  CORS_ORIGINS: z.string().min(1).optional(),
  SHUTDOWN_TIMEOUT: z.coerce.number().positive().max(600).optional(),
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

export interface DatabaseConnection {
  host: string;
  port: number;
  database: string;
  user: string;
  password: string;
  ssl: boolean;
  schema: string;
}

/** DATABASE_URL wins; otherwise the DATABASE_* variables; undefined when neither is set. */
export function databaseConnection(env: Env): DatabaseConnection | undefined {
  if (env.DATABASE_URL) {
    const url = new URL(env.DATABASE_URL);
    const sslMode = url.searchParams.get('sslmode');
    return {
      host: url.hostname,
      port: url.port ? Number(url.port) : 5432,
      database: decodeURIComponent(url.pathname.replace(/^\//, '')) || 'postgres',
      user: decodeURIComponent(url.username) || 'postgres',
      password: decodeURIComponent(url.password),
      ssl: env.DATABASE_SSL ?? (sslMode !== null && sslMode !== 'disable'),
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
      ssl: env.DATABASE_SSL ?? false,
      schema: env.DATABASE_SCHEMA ?? 'public',
    };
  }
  return undefined;
}

/** A connection of its own to the service's database (boot lock, invalidation bus, probes). */
export function databaseClientConfig(env: Env): ClientConfig | undefined {
  const connection = databaseConnection(env);
  return connection && { ...connection, ssl: connection.ssl ? { rejectUnauthorized: false } : false };
}

export function publicUrl(env: Env): string {
  return (env.PUBLIC_URL ?? 'http://localhost:1337').replace(/\/+$/, '');
}

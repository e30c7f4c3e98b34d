import type { Core } from '@strapi/strapi';
import { Client } from 'pg';
import { databaseClientConfig, readEnv } from '../env';

interface ErrorLike {
  code?: string;
  name?: string;
  message?: string;
  cause?: unknown;
}

// Connection refused or reset, PostgreSQL shutting down or starting.
const OUTAGE_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', '57P01', '57P02', '57P03', '08000', '08001', '08003', '08006']);
const OUTAGE_MESSAGES = [/Connection terminated/i, /connect ECONNREFUSED/i, /Client has encountered a connection error/i, /the database system is (shutting down|starting up)/i];
// No connection from the pool in time: every connection busy, or none can be made. Which of
// the two it is, a connection made outside the pool tells.
const POOL_TIMEOUT = /Timeout acquiring a connection/i;
// A value the column type cannot hold ("abc" for an integer id, 1e309, a bad date): the
// request's fault, though Strapi lets it reach PostgreSQL.
const BAD_VALUE_CODES = new Set(['22P02', '22003', '22007', '22008', '22021', '22001', '2201X', '2201W']);
// Malformed filter trees that Strapi's query builder rejects with a plain Error.
const BAD_QUERY_MESSAGES = [/^Operator \$\w+ must be/, /^Undefined attribute level operator/, /^Undefined operator/, /^Invalid (nested )?populate/];

function walk(error: unknown, test: (e: ErrorLike) => boolean, depth = 0): boolean {
  if (!error || typeof error !== 'object' || depth > 5) return false;
  const e = error as ErrorLike;
  return test(e) || walk(e.cause, test, depth + 1);
}

export function isDatabaseUnavailable(error: unknown): boolean {
  return walk(error, (e) => (e.code !== undefined && OUTAGE_CODES.has(e.code)) || (e.message !== undefined && OUTAGE_MESSAGES.some((p) => p.test(e.message as string))));
}

export function isPoolTimeout(error: unknown): boolean {
  return walk(error, (e) => e.name === 'KnexTimeoutError' || (e.message !== undefined && POOL_TIMEOUT.test(e.message)));
}

export function isBadQueryValue(error: unknown): boolean {
  return walk(
    error,
    (e) => (e.code !== undefined && BAD_VALUE_CODES.has(e.code)) || (e.message !== undefined && BAD_QUERY_MESSAGES.some((p) => p.test(e.message as string)))
  );
}

interface Ctx {
  path: string;
  status: number;
  body: unknown;
  request: { headers: Record<string, string | string[] | undefined> };
  set(name: string, value: string): void;
}

function unavailable(ctx: Ctx, message = 'The database is unavailable; try again shortly', retryAfter = '5'): void {
  ctx.status = 503;
  ctx.set('Retry-After', retryAfter);
  ctx.set('Cache-Control', 'no-store');
  ctx.body = { data: null, error: { status: 503, name: 'ServiceUnavailableError', message, details: {} } };
}

/** Whether PostgreSQL accepts a new connection and answers, asked outside the (maybe busy) pool. */
async function answersOutsidePool(): Promise<boolean> {
  const config = databaseClientConfig(readEnv());
  if (!config) return false;
  const client = new Client({ ...config, connectionTimeoutMillis: 1000, query_timeout: 1000 });
  client.on('error', () => undefined);
  try {
    await client.connect();
    await client.query('SELECT 1');
    return true;
  } catch {
    return false;
  } finally {
    void client.end().catch(() => undefined);
  }
}

/**
 * Database trouble, answered as what it is. An outage: 503 with Retry-After, quickly (a breaker
 * answers at once while a probe every 500 ms says the database is still down), one log line per
 * outage. Anonymous requests that Strapi's auth turned into 401 because it could not read the
 * Public role are outages too. A value the column cannot hold: 400.
 */
export default (_config: unknown, { strapi }: { strapi: Core.Strapi }) => {
  let down = false;
  let lastProbe = 0;
  let probing: Promise<boolean> | null = null;

  const probe = (): Promise<boolean> => {
    if (probing) return probing;
    probing = answersOutsidePool().then((ok) => {
      lastProbe = Date.now();
      probing = null;
      if (ok && down) strapi.log.info('database reachable again');
      if (ok) down = false;
      return ok;
    });
    return probing;
  };

  const markDown = (error: unknown) => {
    if (!down) strapi.log.warn(`database unavailable: answering 503 (${(error as Error).message})`);
    down = true;
    lastProbe = Date.now();
  };

  return async (ctx: Ctx, next: () => Promise<void>) => {
    // Liveness needs no database, and readiness checks it itself.
    if (ctx.path === '/_health' || ctx.path === '/_ready') return next();
    if (down) {
      const stillDown = Date.now() - lastProbe < 500 ? true : !(await probe());
      if (stillDown) return unavailable(ctx);
    }
    try {
      await next();
    } catch (error) {
      if (isDatabaseUnavailable(error)) {
        markDown(error);
        return unavailable(ctx);
      }
      if (isPoolTimeout(error)) {
        // A busy pool is load, not an outage: this request gets 503, the others go on. Only a
        // database that refuses a fresh connection too opens the breaker.
        if (await probe()) return unavailable(ctx, 'The service is busy; try again shortly', '1');
        markDown(error);
        return unavailable(ctx);
      }
      if (isBadQueryValue(error)) {
        ctx.status = 400;
        ctx.body = { data: null, error: { status: 400, name: 'ValidationError', message: 'Invalid value in the query', details: {} } };
        return;
      }
      throw error;
    }
    if (ctx.status === 401 && !ctx.request.headers.authorization && !(await probe())) {
      markDown(new Error('the Public role could not be read'));
      unavailable(ctx);
    }
  };
};

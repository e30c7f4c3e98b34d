import type { Core } from '@strapi/strapi';

interface ErrorLike {
  code?: string;
  name?: string;
  message?: string;
}

// Connection refused or reset, PostgreSQL shutting down or starting, no connection from the pool.
const CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', '57P01', '57P02', '57P03', '08000', '08001', '08003', '08006']);
const MESSAGES = [/Connection terminated/i, /Timeout acquiring a connection/i, /connect ECONNREFUSED/i, /Client has encountered a connection error/i, /the database system is (shutting down|starting up)/i];

export function isDatabaseUnavailable(error: unknown): boolean {
  const e = (error ?? {}) as ErrorLike & { cause?: unknown };
  if (e.code && CODES.has(e.code)) return true;
  if (e.name === 'KnexTimeoutError') return true;
  if (e.message && MESSAGES.some((pattern) => pattern.test(e.message as string))) return true;
  return e.cause !== undefined && e.cause !== error && isDatabaseUnavailable(e.cause);
}

/**
 * While the database is unreachable, requests that need it answer 503 with Retry-After (not a
 * 500 with a stack), one warning line per outage rather than per request.
 */
export default (_config: unknown, { strapi }: { strapi: Core.Strapi }) => {
  let outageLogged = false;
  return async (ctx: { status: number; body: unknown; set(name: string, value: string): void }, next: () => Promise<void>) => {
    try {
      await next();
      outageLogged = false;
    } catch (error) {
      if (!isDatabaseUnavailable(error)) throw error;
      if (!outageLogged) {
        outageLogged = true;
        strapi.log.warn(`database unavailable: answering 503 (${(error as Error).message})`);
      }
      ctx.status = 503;
      ctx.set('Retry-After', '5');
      ctx.set('Cache-Control', 'no-store');
      ctx.body = { data: null, error: { status: 503, name: 'ServiceUnavailableError', message: 'The database is unavailable; try again shortly', details: {} } };
    }
  };
};

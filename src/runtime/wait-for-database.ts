import { Client } from 'pg';
import type { DatabaseConnection, DatabaseTls } from '../env';

export class DatabaseUnreachableError extends Error {}

/**
 * Waits until PostgreSQL answers, retrying with backoff and one log line per attempt, for at most
 * `timeoutSeconds`. Throws a DatabaseUnreachableError with one line a person can act on.
 * With sslmode prefer or allow, a server that refuses the first choice (TLS, or plaintext) is
 * asked again at once with the other, as libpq does; returns the TLS setting that was taken.
 */
export async function waitForDatabase(
  connection: DatabaseConnection,
  timeoutSeconds: number,
  log: (line: string) => void
): Promise<DatabaseTls> {
  const deadline = Date.now() + timeoutSeconds * 1000;
  const where = `${connection.host}:${connection.port}/${connection.database}`;
  let delay = 250;
  for (let attempt = 1; ; attempt += 1) {
    const tryWith = async (ssl: DatabaseTls) => {
      const client = new Client({
        host: connection.host,
        port: connection.port,
        database: connection.database,
        user: connection.user,
        password: connection.password,
        ssl,
        connectionTimeoutMillis: Math.max(1000, Math.min(5000, deadline - Date.now())),
      });
      client.on('error', () => undefined);
      try {
        await client.connect();
        await client.query('SELECT 1');
      } finally {
        await client.end().catch(() => undefined);
      }
    };
    try {
      try {
        await tryWith(connection.ssl);
        return connection.ssl;
      } catch (error) {
        if (connection.sslFallback === undefined || !refusedThisTransport(error, connection.ssl)) throw error;
        await tryWith(connection.sslFallback);
        return connection.sslFallback;
      }
    } catch (error) {
      const reason = error instanceof Error ? error.message : String(error);
      const left = deadline - Date.now();
      if (left <= 0 || isPermanent(error)) {
        throw new DatabaseUnreachableError(`database ${where} did not answer within ${timeoutSeconds}s: ${reason}`);
      }
      log(`waiting for database ${where} (attempt ${attempt}): ${reason}`);
      await new Promise((resolve) => setTimeout(resolve, Math.min(delay, left)));
      delay = Math.min(delay * 2, 5000);
    }
  }
}

/** Wrong password or a database that does not exist will not fix themselves by waiting. */
function isPermanent(error: unknown): boolean {
  const code = (error as { code?: string } | null)?.code;
  return code === '28P01' || code === '28000' || code === '3D000';
}

/**
 * The server turned down this transport, not the connection: no TLS on offer (asked for TLS), or
 * pg_hba.conf has no entry for an unencrypted session (asked for plaintext). libpq's fallback
 * cases for prefer and allow.
 */
function refusedThisTransport(error: unknown, ssl: DatabaseTls): boolean {
  const message = error instanceof Error ? error.message : String(error);
  if (ssl) return /does not support SSL/i.test(message);
  const code = (error as { code?: string } | null)?.code;
  return code === '28000' && /no encryption/i.test(message);
}

/**
 * DATABASE_URL with the sslmode that `prefer` or `allow` settled on (`require` or `disable`), so
 * every client opened after the first (Strapi's pool, the bus, the scheduler) connects the same way.
 */
export function settledDatabaseUrl(databaseUrl: string, taken: DatabaseTls): string {
  const url = new URL(databaseUrl);
  url.searchParams.set('sslmode', taken ? 'require' : 'disable');
  return url.toString();
}

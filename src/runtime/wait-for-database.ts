import { Client } from 'pg';
import type { DatabaseConnection } from '../env';

export class DatabaseUnreachableError extends Error {}

/**
 * Waits until PostgreSQL answers, retrying with backoff and one log line per attempt, for at most
 * `timeoutSeconds`. Throws a DatabaseUnreachableError with one line a person can act on.
 */
export async function waitForDatabase(
  connection: DatabaseConnection,
  timeoutSeconds: number,
  log: (line: string) => void
): Promise<void> {
  const deadline = Date.now() + timeoutSeconds * 1000;
  const where = `${connection.host}:${connection.port}/${connection.database}`;
  let delay = 250;
  for (let attempt = 1; ; attempt += 1) {
    const client = new Client({
      host: connection.host,
      port: connection.port,
      database: connection.database,
      user: connection.user,
      password: connection.password,
      ssl: connection.ssl,
      connectionTimeoutMillis: Math.max(1000, Math.min(5000, deadline - Date.now())),
    });
    client.on('error', () => undefined);
    try {
      await client.connect();
      await client.query('SELECT 1');
      return;
    } catch (error) {
      const reason = error instanceof Error ? error.message : String(error);
      const left = deadline - Date.now();
      if (left <= 0 || isPermanent(error)) {
        throw new DatabaseUnreachableError(`database ${where} did not answer within ${timeoutSeconds}s: ${reason}`);
      }
      log(`waiting for database ${where} (attempt ${attempt}): ${reason}`);
      await new Promise((resolve) => setTimeout(resolve, Math.min(delay, left)));
      delay = Math.min(delay * 2, 5000);
    } finally {
      await client.end().catch(() => undefined);
    }
  }
}

/** Wrong password or a database that does not exist will not fix themselves by waiting. */
function isPermanent(error: unknown): boolean {
  const code = (error as { code?: string } | null)?.code;
  return code === '28P01' || code === '28000' || code === '3D000';
}

import { Client, type ClientConfig } from 'pg';

// One number for "this service is booting": schema sync, locales, permissions, accounts.
const BOOT_LOCK_KEY = 7_277_001;

let holder: Client | null = null;

/**
 * Serialises boots of several instances on one database: Strapi's schema sync takes no lock,
 * and the bootstrap steps check-then-create. A session advisory lock on a connection of its own,
 * taken in register() and released at the end of bootstrap (or by the connection closing, if the
 * boot fails and the process exits).
 */
export async function acquireBootLock(config: ClientConfig, log: (line: string) => void): Promise<void> {
  if (holder) return;
  const client = new Client(config);
  client.on('error', () => undefined);
  await client.connect();
  const { rows } = await client.query<{ locked: boolean }>('SELECT pg_try_advisory_lock($1) AS locked', [BOOT_LOCK_KEY]);
  if (!rows[0].locked) {
    log('another instance is booting on this database: waiting for it to finish');
    await client.query('SELECT pg_advisory_lock($1)', [BOOT_LOCK_KEY]);
  }
  holder = client;
}

export async function releaseBootLock(): Promise<void> {
  const client = holder;
  holder = null;
  if (!client) return;
  try {
    await client.query('SELECT pg_advisory_unlock($1)', [BOOT_LOCK_KEY]);
  } finally {
    await client.end().catch(() => undefined);
  }
}
